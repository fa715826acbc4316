"""Run the Open Contracting Partnership's own data review library,
``libcoveocds`` (the library behind the OCDS Data Review Tool), offline.

libcoveocds reads the standard's schema files from a ZIP of the standard
(``standard_zip``: here the bytes of a ZIP made from the vendored 1.1.5 files
in ``opendata/schema``) and the extensions a package declares over HTTP, through
``ocdsextensionregistry``'s requests session. That session gets a transport
adapter that answers the declared extensions' URLs from the vendored copies
and refuses every other URL, and the socket layer refuses any connection off
this machine: a test that needed the network fails instead of passing on
whatever the internet said that day.
"""

from __future__ import annotations

import io
import socket
import tempfile
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.response import HTTPResponse

import opendata
from opendata import ocds

SCHEMA = Path(opendata.__file__).resolve().parent / "schema"
# The extensions the packages declare, by the URLs ocdsextensionregistry reads
# them from: each file under the base URL, or the repository's archive of the
# tag (GitHub's archive URL) for the whole extension at once.
EXTENSIONS = {
    ocds.BID_EXTENSION.rsplit("/", 1)[0] + "/": SCHEMA / "extensions" / "ocds_bid_extension-v1.1.5",
    ocds.PAGINATION_EXTENSION.rsplit("/", 1)[0] + "/": SCHEMA / "extensions" / "ocds_pagination_extension-master",
    ocds.LOTS_EXTENSION.rsplit("/", 1)[0] + "/": SCHEMA / "extensions" / "ocds_lots_extension-v1.1.5",
    ocds.TECHNIQUES_EXTENSION.rsplit("/", 1)[0] + "/": SCHEMA / "extensions" / "ocds_techniques_extension-master",
}
# The standard's own files, where a schema refers to another by URL (the record
# package schema to the versioned release validation schema).
EXTENSIONS["https://standard.open-contracting.org/schema/1__1__5/"] = SCHEMA
ARCHIVES = {
    "https://github.com/open-contracting-extensions/ocds_bid_extension/archive/v1.1.5.zip":
        SCHEMA / "extensions" / "ocds_bid_extension-v1.1.5",
    "https://github.com/open-contracting-extensions/ocds_pagination_extension/archive/master.zip":
        SCHEMA / "extensions" / "ocds_pagination_extension-master",
    "https://github.com/open-contracting-extensions/ocds_lots_extension/archive/v1.1.5.zip":
        SCHEMA / "extensions" / "ocds_lots_extension-v1.1.5",
    "https://github.com/open-contracting-extensions/ocds_techniques_extension/archive/master.zip":
        SCHEMA / "extensions" / "ocds_techniques_extension-master",
}


def _zip(directory: Path, top: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{top}/", "")
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            archive.write(path, f"{top}/{path.relative_to(directory).as_posix()}")
    return buffer.getvalue()


def _vendored(url: str) -> bytes | None:
    if url in ARCHIVES:
        return _zip(ARCHIVES[url], ARCHIVES[url].name)
    for prefix, directory in EXTENSIONS.items():
        if url.startswith(prefix):
            path = directory / url[len(prefix):]
            return path.read_bytes() if path.is_file() else None
    raise requests.ConnectionError(f"offline: {url} is not a vendored file")


class VendoredFiles(HTTPAdapter):
    """A requests transport that serves the vendored extension files by URL
    (404 for a file the extension does not have) and refuses everything else.
    Responses are built as the HTTP adapter builds a real one, from a urllib3
    response, so requests-cache (inside ocdsextensionregistry) takes them as is."""

    def send(self, request, **kwargs):
        body = _vendored(request.url)
        found = body is not None
        body = body if found else b"404: Not Found"
        raw = HTTPResponse(body=io.BytesIO(body), status=200 if found else 404, reason="OK" if found else "Not Found",
                           preload_content=False, headers={"Content-Length": str(len(body))},
                           request_url=request.url)
        return self.build_response(request, raw)


@lru_cache(maxsize=1)
def standard_zip() -> bytes:
    """The vendored standard files laid out as the standard's ZIP (tag 1__1__5)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("standard-1__1__5/", "")
        for path in sorted(SCHEMA.glob("*.json")) + sorted((SCHEMA / "codelists").glob("*.csv")):
            archive.write(path, f"standard-1__1__5/schema/{path.relative_to(SCHEMA).as_posix()}")
    return buffer.getvalue()


_LOCAL = {"127.0.0.1", "::1", "localhost"}


def _guarded(connect):
    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOCAL:
            raise ConnectionRefusedError(f"offline test: no connection to {address[0]}")
        return connect(self, address)
    return guarded


def _getaddrinfo(getaddrinfo):
    def guarded(host, *args, **kwargs):
        if host not in _LOCAL and host is not None:
            raise socket.gaierror(f"offline test: no name lookup for {host}")
        return getaddrinfo(host, *args, **kwargs)
    return guarded


def offline(monkeypatch) -> None:
    """Route libcoveocds' HTTP to the vendored files; refuse the network.

    Two HTTP clients are involved: ocdsextensionregistry's session (extension
    files) and jsonref's loader, which calls ``requests.get`` for a ``$ref``
    to another schema by URL; both get the vendored-files transport."""
    import jsonref
    from ocdsextensionregistry import util

    adapter = VendoredFiles()
    for prefix in ("https://", "http://"):
        monkeypatch.setitem(util.session.adapters, prefix, adapter)
    util.session.cache.clear()
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    monkeypatch.setattr(jsonref, "requests", session)  # jsonref's loader: requests.get(uri)
    monkeypatch.setattr(socket.socket, "connect", _guarded(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded(socket.socket.connect_ex))
    monkeypatch.setattr(socket, "getaddrinfo", _getaddrinfo(socket.getaddrinfo))


def review(package: dict) -> dict:
    """libcoveocds' API result for one package (release or record package)."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig({"context": "api", "standard_zip": standard_zip()})
    with tempfile.TemporaryDirectory() as output:  # it writes the extended schema there
        return ocds_json_output(output, json_data=package, lib_cove_ocds_config=config)


def problems(result: dict) -> list[str]:
    """Everything the review found that a clean publication must not have."""
    found = [f"schema: {e}" for e in result.get("validation_errors", [])]
    found += [f"additional field: {f}" for f in result.get("additional_fields", [])]
    found += [f"additional check: {c}" for c in result.get("additional_checks", {}).items()]
    found += [f"invalid extension: {e}" for e in (result.get("extensions") or {}).get("invalid_extension", {})
              .items()]
    found += [f"additional closed codelist value: {c}" for c in result.get("additional_closed_codelist_values", {})]
    return found


# --- what the tests assert ------------------------------------------------------------

def _package_schema_with_pagination() -> dict:
    """The 1.1.5 release package schema with the pagination extension's
    package patch applied (RFC 7386), as the extension defines it."""
    import json

    core = json.loads((SCHEMA / "release-package-schema.json").read_text(encoding="utf-8"))
    patch = json.loads((SCHEMA / "extensions" / "ocds_pagination_extension-master" / "release-package-schema.json")
                       .read_text(encoding="utf-8"))
    return ocds._merge_patch(core, patch)


def empty_values(value, path: str = "") -> list[str]:
    """Paths of empty arrays, objects and blank strings anywhere in ``value``."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += empty_values(item, f"{path}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += empty_values(item, f"{path}/{i}")
    if value in ([], {}) or isinstance(value, str) and not value.strip():
        found.append(path or "/")
    return found


def assert_release_package(package: dict) -> None:
    """libcoveocds finds nothing: no schema error, no additional field, no
    additional check (empty fields), no closed codelist value it does not
    know, every declared extension read."""
    assert "links" not in package
    found = problems(review(package))
    assert not found, "\n".join(found[:30])
    assert not empty_values(package)


def assert_feed_page(page: dict) -> None:
    """A feed page is a release package with the pagination extension's
    ``links``. libcoveocds applies extensions' release-schema patches but not
    their package-schema patches (it validates packages against the core
    package schema), so it reports ``links`` as an additional field and
    nothing else; ``links`` is checked here against the extension's package
    schema (``next`` / ``prev`` URIs, never null)."""
    from jsonschema import Draft4Validator

    result = review(page)
    expected = [{"path": "", "field": "links", "usage_count": 1}] if "links" in page else []
    assert result["additional_fields"] == expected, result["additional_fields"]
    result["additional_fields"] = []
    found = problems(result)
    assert not found, "\n".join(found[:30])
    assert not empty_values(page)
    assert ocds.PAGINATION_EXTENSION in page["extensions"]
    links_schema = _package_schema_with_pagination()["properties"]["links"]
    errors = list(Draft4Validator(links_schema, format_checker=Draft4Validator.FORMAT_CHECKER).iter_errors(
        page.get("links", {})))
    assert not errors, [e.message for e in errors]
    assert set(page.get("links", {})) <= {"next", "prev"}


@lru_cache(maxsize=1)
def _versioned_schema() -> dict:
    """The versioned release schema of the extended release schema, as the OCP's
    ocdsextensionregistry derives it (how the standard's own is made)."""
    from ocdsextensionregistry.exceptions import VersionedReleaseTypeWarning
    from ocdsextensionregistry.versioned_release_schema import get_versioned_release_schema

    with warnings.catch_warnings():
        # BidsStatistic.value is a plain number, which it versions as is (it warns that it does).
        warnings.simplefilter("ignore", VersionedReleaseTypeWarning)
        return get_versioned_release_schema(ocds.release_schema(), "1__1__5")


def assert_record_package(package: dict) -> None:
    """libcoveocds finds no schema error and no additional field in the
    releases and the compiled release. It checks the versioned release
    against the core versioned-release validation schema without the
    extensions (unlike the releases), so the bid and lots extensions' fields
    there (``bids``, ``awards/relatedBid``; ``tender/lots``,
    ``tender/items/relatedLot``, ``awards/relatedLots``) are its only
    additional fields; the
    versioned release is validated here against the versioned schema that the
    OCP's ``ocdsextensionregistry`` derives from the extended release schema."""
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    result = review(package)
    extra = [(f["path"], f["field"]) for f in result["additional_fields"]]
    assert set(extra) <= {("/records/versionedRelease", "bids"), ("/records/versionedRelease/awards", "relatedBid"),
                          ("/records/versionedRelease/tender", "lots"),
                          ("/records/versionedRelease/tender/items", "relatedLot"),
                          ("/records/versionedRelease/awards", "relatedLots"),
                          ("/records/versionedRelease/tender", "techniques")}, extra
    result["additional_fields"] = []
    found = problems(result)
    assert not found, "\n".join(found[:30])
    assert not empty_values(package)
    versioned = _versioned_schema()
    registry = Registry().with_resource(versioned["id"], Resource.from_contents(versioned,
                                                                                default_specification=DRAFT4))
    validator = Draft4Validator(versioned, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)
    for record in package["records"]:
        errors = list(validator.iter_errors(record["versionedRelease"]))
        assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:20]]
