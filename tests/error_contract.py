"""Every error the suite provokes is documented: a pytest plugin (its hooks
are imported by conftest.py) that records the ``{"code"}`` of every 4xx/5xx
answer under /api/ the test client receives, and at the end of the session
fails the run if the schema does not list that code under that operation and
status (the schema's ``examples`` of each error response, one per code, from
``procurement/openapi.py``).

``RECORD_API_ERRORS=path.json`` also writes what was seen, to update the
table in ``procurement/openapi.py``."""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict

import pytest
from django.test import client as django_client

_seen: dict[tuple[str, str, str], set[str]] = defaultdict(set)
_original_request = django_client.Client.request


def _route(path: str) -> str | None:
    from django.urls import Resolver404, resolve
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", match.route)


def _codes(body) -> set[str]:
    """The top-level code and, for a validation error, every field's code."""
    codes = set()
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        codes.add(body["code"])
    pending = [body.get("errors")] if isinstance(body, dict) else []
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if isinstance(item.get("code"), str) and "detail" in item:
                codes.add(item["code"])
            else:
                pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return codes


def _recording_request(self, **request):
    response = _original_request(self, **request)
    path = request.get("PATH_INFO", "")
    if response.status_code >= 400 and path.startswith("/api/") and not getattr(response, "streaming", False):
        route = _route(path)
        if route is not None and response.get("Content-Type", "").startswith("application/json"):
            try:
                body = json.loads(response.content)
            except ValueError:
                body = None
            _seen[(request["REQUEST_METHOD"].lower(), route, str(response.status_code))] |= _codes(body)
    return response


django_client.Client.request = _recording_request


def _documented() -> dict[tuple[str, str, str], set[str]]:
    from drf_spectacular.generators import SchemaGenerator
    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                examples = response.get("content", {}).get("application/json", {}).get("examples", {})
                documented[(method, path, str(status))] = {e["value"]["code"] for e in examples.values()
                                                           if isinstance(e.get("value"), dict)}
    return documented


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if not _seen or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if path := os.environ.get("RECORD_API_ERRORS"):
        with open(path, "w") as fh:
            json.dump({" ".join(k): sorted(v) for k, v in sorted(_seen.items())}, fh, indent=1)
    try:
        documented = _documented()
    except Exception as exc:  # the schema itself is tested elsewhere
        print(f"\nerror contract: could not build the schema: {exc!r}")
        return
    missing = []
    for (method, route, status), codes in sorted(_seen.items()):
        known = documented.get((method, route, status))
        if known is None:
            if (method, route, "200") not in documented and not any(k[:2] == (method, route) for k in documented):
                continue  # not an operation of the schema (e.g. a method it does not allow)
            missing.append(f"{method.upper()} {route} {status}: not documented (codes {sorted(codes)})")
        elif codes - known:
            missing.append(f"{method.upper()} {route} {status}: codes {sorted(codes - known)} not documented")
    if missing:
        print("\nerror contract: the API returned errors its schema does not document "
              "(add them to procurement/openapi.py):\n  " + "\n  ".join(missing))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
