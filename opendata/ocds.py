"""OCDS 1.1 packages made from the stored releases (``opendata.releases``).

Releases are never rebuilt here: a package is the stored texts put together,
so a release reads the same in every package, page and file that holds it.
Records are compiled with ``ocdsmerge`` (the Open Contracting Partnership's
reference merge library), with the merge rules of the vendored 1.1.5 release
schema patched with the bid extension.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import ocdsmerge
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import DomainError
from core.isotime import iso
from tenders.models import Tender

from .models import Release
from .releases import FEED_LOCK, dumps, ocid

OCDS_VERSION = "1.1"
BID_EXTENSION = ("https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
                 "v1.1.5/extension.json")
LOTS_EXTENSION = ("https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/"
                  "v1.1.5/extension.json")
# The techniques extension (tender.techniques, lots' techniques): an auction's
# electronicAuction. Branch master (it has no tags), vendored at a commit.
TECHNIQUES_EXTENSION = ("https://raw.githubusercontent.com/open-contracting-extensions/"
                        "ocds_techniques_extension/master/extension.json")
PAGINATION_EXTENSION = ("https://raw.githubusercontent.com/open-contracting-extensions/"
                        "ocds_pagination_extension/master/extension.json")
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch, as OCDS extensions are applied to the schema."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


@lru_cache(maxsize=1)
def release_schema() -> dict:
    """The 1.1.5 release schema with the bid, lots and techniques extensions applied (all vendored)."""
    schema = json.loads((SCHEMA_DIR / "release-schema.json").read_text(encoding="utf-8"))
    for extension in ("ocds_bid_extension-v1.1.5", "ocds_lots_extension-v1.1.5",
                      "ocds_techniques_extension-master"):
        patch = json.loads((SCHEMA_DIR / "extensions" / extension / "release-schema.json").read_text(encoding="utf-8"))
        schema = _merge_patch(schema, patch)
    return schema


@lru_cache(maxsize=1)
def _merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=copy.deepcopy(release_schema()))


# --- package metadata ------------------------------------------------------------

def _metadata(*, uri: str, published: str | None, extensions: list[str]) -> dict:
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": extensions,
        "publishedDate": published,
        "publisher": {"name": settings.PROCUREMENT_OCDS_PUBLISHER},
        "license": settings.PROCUREMENT_OCDS_LICENSE,
        "publicationPolicy": settings.PROCUREMENT_OCDS_PUBLICATION_POLICY,
    }


def release_package_text(rows: list[tuple[str, Any]], *, uri: str, links: dict[str, str] | None = None,
                         published: Any = None) -> str:
    """A release package as JSON text around stored release texts (``rows``:
    (text, date) pairs). ``publishedDate`` is the newest release's date: the
    package is made on demand, so it is the time of the last change it holds.
    ``links`` (pagination extension): None for a package that is not a page;
    a page with neither neighbour leaves ``links`` out (no empty object)."""
    if published is None:
        published = max((date for _, date in rows), default=None)
    extensions = [BID_EXTENSION, LOTS_EXTENSION, TECHNIQUES_EXTENSION] + (
        [PAGINATION_EXTENSION] if links is not None else [])
    head = _metadata(uri=uri, published=iso(published or timezone.now()), extensions=extensions)
    tail = {"links": links} if links else {}
    body = dumps(head)[:-1] + ',"releases":[' + ",".join(text for text, _ in rows) + "]"
    return body + ("," + dumps(tail)[1:] if tail else "}")


def tender_release_rows(tender_id: int) -> list[tuple[str, Any]]:
    return list(Release.objects.filter(tender_id=tender_id).order_by("seq").values_list("text", "date"))


# --- records ---------------------------------------------------------------------

def record_package(tender: Tender, *, uri: str, package_uri: str) -> dict:
    """The tender's record: every release, the compiled release and the
    versioned release, both merged by ocdsmerge."""
    rows = tender_release_rows(tender.pk)
    releases = [json.loads(text) for text, _ in rows]
    merger = _merger()
    record = {
        "ocid": ocid(tender.pk),
        "releases": releases,
        "compiledRelease": merger.create_compiled_release(copy.deepcopy(releases)),
        "versionedRelease": merger.create_versioned_release(copy.deepcopy(releases)),
    }
    head = _metadata(uri=uri, published=releases[-1]["date"] if releases else None, extensions=[BID_EXTENSION, LOTS_EXTENSION,
                                                                                       TECHNIQUES_EXTENSION])
    return {**head, "packages": [package_uri], "records": [record]}


# --- the bulk feed -----------------------------------------------------------------

def parse_cursor(value: str) -> int | None:
    """A cursor from the feed's links (a release's feed number), or 0; None if malformed."""
    return int(value) if value.isdigit() and len(value) <= 18 else None


def horizon() -> int | None:
    """The newest feed number below which every release has committed, or
    None for no limit. On PostgreSQL ids are handed out in insert order but
    transactions commit in any order: a reader who had read release 11 while
    release 10's transaction was still open would never see 10. Taking the
    feed lock exclusively waits for every transaction that has numbered a
    release (they hold it shared, ``releases._announce_insert``) to end; the
    largest id then is the horizon: every later release gets a larger id.
    The lock is held for that one statement only, and waited for at most
    PROCUREMENT_OCDS_FEED_WAIT seconds (a writer queued behind a waiting
    reader waits too): then ``FeedBusy``. On SQLite writers take turns, so
    ids are in commit order."""
    if connection.vendor != "postgresql":
        return None
    wait_ms = max(1, int(settings.PROCUREMENT_OCDS_FEED_WAIT * 1000))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {wait_ms}")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK])
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM opendata_release")
            return cursor.fetchone()[0]
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
            raise FeedBusy("Releases are being recorded right now; try again in a moment.") from None
        raise


class FeedBusy(DomainError):
    status_code = 503
    code = "feed_busy"


PAGE_BYTES = 8_000_000


def feed_page(queryset: QuerySet[Release], *, after: int, size: int
              ) -> tuple[list[tuple[int, str, Any]], bool, int | None]:
    """Up to ``size`` releases after cursor ``after`` (a feed number,
    ``Release.id``) in feed order, up to the horizon; whether more follow;
    and the cursor that starts the page before (None when nothing precedes)."""
    limit = horizon()
    if limit is not None:
        queryset = queryset.filter(pk__lte=limit)
    rows, total = [], 0
    later = queryset.filter(pk__gt=after).order_by("pk").values_list("pk", "text", "date")[:size + 1]
    for row in later.iterator(chunk_size=100):
        # Full by count, or by size: releases of tenders with thousands of bids are large, so a
        # page stops after about PAGE_BYTES (at least one release). ``row`` is then the next one.
        if len(rows) == size or (rows and total > PAGE_BYTES):
            return rows, True, _previous(queryset, after, size)
        rows.append(row)
        total += len(row[1])
    return rows, False, _previous(queryset, after, size)


def _previous(queryset: QuerySet[Release], after: int, size: int) -> int | None:
    earlier = list(queryset.filter(pk__lte=after).order_by("-pk").values_list("pk", flat=True)[:size + 1])
    if not earlier:
        return None
    return 0 if len(earlier) <= size else earlier[size]


# --- the daily bulk file -----------------------------------------------------------

def bulk_lines(*, uri: str, chunk: int = 2000) -> Iterator[str]:
    """One release package per published tender (only published tenders have
    releases), one JSON text per line, in tender order: read from the
    database in chunks of tenders, never all at once."""
    tender_ids = Release.objects.order_by("tender_id").values_list("tender_id", flat=True).distinct()
    last = 0
    while True:
        ids = list(tender_ids.filter(tender_id__gt=last)[:chunk])
        if not ids:
            return
        rows = Release.objects.filter(tender_id__in=ids).order_by("tender_id", "seq") \
            .values_list("tender_id", "text", "date")
        current, group = None, []
        for tender_id, text, date in rows.iterator(chunk_size=chunk):
            if tender_id != current and group:
                yield release_package_text(group, uri=uri) + "\n"
                group = []
            current = tender_id
            group.append((text, date))
        if group:
            yield release_package_text(group, uri=uri) + "\n"
        last = ids[-1]


def write_bulk_file(path: Path, *, uri: str) -> int:
    """Write the gzipped JSON lines file atomically (a temporary file renamed
    into place); returns the number of packages (tenders) written."""
    import gzip
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    count = 0
    with gzip.open(partial, "wt", encoding="utf-8", compresslevel=6) as fh:
        for line in bulk_lines(uri=uri):
            fh.write(line)
            count += 1
    os.replace(partial, path)
    return count

