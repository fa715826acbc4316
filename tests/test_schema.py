"""The OpenAPI schema is valid, names every URL under /api/, and its docs
page renders."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.validation import validate_schema

from tests import schema_check

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
NOT_DOCUMENTED = {"/api/schema/", "/api/docs/"}  # the schema and its viewer


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def api_paths() -> set[str]:
    """Every URL under /api/ the resolver knows, in OpenAPI form."""
    paths = {"/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route) for route in _routes(get_resolver().url_patterns)}
    return {p for p in paths if p.startswith("/api/")} - NOT_DOCUMENTED


@pytest.fixture
def schema(api) -> dict:
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_a_valid_openapi_3_document(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document


def test_the_schema_names_every_api_url(schema):
    assert set(schema["paths"]) == api_paths()


def test_every_operation_has_a_summary_and_a_tag(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert operation.get("tags"), f"{method.upper()} {path} has no tag"


def test_the_register_documents_its_filters(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/tenders/"]["get"]["parameters"]}
    assert {"status", "buyer", "cpv", "value_min", "value_max", "deadline_after", "deadline_before", "q",
            "ordering", "page", "page_size"} <= parameters


def test_the_register_documents_its_paginated_response(schema):
    response = schema["paths"]["/api/tenders/"]["get"]["responses"]["200"]["content"]["application/json"]
    ref = response["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"count", "next", "previous", "results"} <= set(schema["components"]["schemas"][ref]["properties"])


def test_the_docs_page_renders(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
    assert b"/api/schema/" in response.content


def test_spectacular_validates_without_warnings_in_debug(tmp_path):
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file",
         str(tmp_path / "schema.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr


def test_docs_load_their_assets_from_this_server(api):
    page = api.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn." not in page and "jsdelivr" not in page and "unpkg" not in page


def _documented_fields(schema: dict, path: str) -> set[str]:
    content = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return set(schema["components"]["schemas"][content["$ref"].rsplit("/", 1)[-1]]["properties"])


def test_the_receipt_key_endpoint_documents_what_it_returns(schema, api):
    # when
    body = api.get("/api/receipts/public-key/").json()
    # then
    assert _documented_fields(schema, "/api/receipts/public-key/") == set(body)


def test_the_notification_list_documents_its_page_envelope(schema, as_user, supplier):
    # when
    body = as_user(supplier).get("/api/notifications/").json()
    # then
    assert _documented_fields(schema, "/api/notifications/") == set(body) == {"count", "next", "previous", "results"}


def test_the_response_check_refuses_a_body_the_schema_does_not_describe():
    # the check every API test's responses go through (tests/conftest.py)
    good = {"algorithm": "Ed25519", "key_id": "cd" * 8, "public_key": "ab" * 32, "message": "m",
            "keys": [{"key_id": "cd" * 8, "public_key": "ab" * 32, "current": True}]}
    schema_check.check("GET", "/api/receipts/public-key/", 200, good)
    with pytest.raises(schema_check.SchemaMismatch, match="public_key"):
        schema_check.check("GET", "/api/receipts/public-key/", 200, {**good, "public_key": 1})
    with pytest.raises(schema_check.SchemaMismatch, match="unexpected"):
        schema_check.check("GET", "/api/receipts/public-key/", 200, {**good, "extra": 1})
    with pytest.raises(schema_check.SchemaMismatch, match="does not document"):
        schema_check.check("GET", "/api/receipts/public-key/", 299, good)
    with pytest.raises(schema_check.SchemaMismatch, match="code"):
        schema_check.check("GET", "/api/receipts/public-key/", 418, {"detail": "no code"})


# --- errors and examples (procurement/openapi.py) ----------------------------------------

def test_every_operation_documents_its_error_responses(schema):
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "detail"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {s: r for s, r in operation["responses"].items() if s.startswith(("4", "5"))}
            assert "401" in errors, f"{method.upper()} {path}"
            for status, response in errors.items():
                body = response["content"]["application/json"]
                assert body["schema"] == {"$ref": "#/components/schemas/Error"}
                assert body["examples"], f"{method.upper()} {path} {status} lists no codes"
                assert all(e["value"]["code"] == name for name, e in body["examples"].items())


def test_a_bid_documents_its_domain_errors(schema):
    responses = schema["paths"]["/api/tenders/{tender_id}/bids/"]["post"]["responses"]
    assert "deadline_passed" in responses["409"]["content"]["application/json"]["examples"]
    assert "idempotency_key_reused" in responses["422"]["content"]["application/json"]["examples"]
    assert "currency_mismatch" in responses["400"]["content"]["application/json"]["examples"]


def test_the_money_pattern_matches_exactly_what_a_bid_accepts(schema):
    from bids.serializers import BidIn
    amount = schema["components"]["schemas"]["BidInRequest"]["properties"]["amount"]
    currency = schema["components"]["schemas"]["BidInRequest"]["properties"]["currency"]
    assert re.fullmatch(amount["pattern"], amount["example"]) and currency["example"] == "KZT"
    for value in ["0.01", "0.1", "0.99", "1", "1.5", "1500.50", "9" * 16 + ".99", "10.00"]:
        assert re.search(amount["pattern"], value), value
        assert BidIn(data={"amount": value, "currency": "KZT"}).is_valid(), value
    for value in ["", "-1", "-330143874174.15", "0", "0.00", ".", "1.", "1.234", "9" * 17, "00.5"]:
        assert not re.search(amount["pattern"], value), value


def test_documents_are_documented_in_their_own_content_types(schema, settings):
    for path in ["/api/tenders/{tender_id}/documents/{document_id}/download/",
                 "/api/tenders/{tender_id}/bids/{bid_id}/documents/{position}/"]:
        assert set(schema["paths"][path]["get"]["responses"]["200"]["content"]) == \
            set(settings.PROCUREMENT_DOCUMENT_TYPES)
