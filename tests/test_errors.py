"""Errors are JSON with a stable code: 400 for bad input, 401/403 for roles,
404 for what a caller may not see, 409 for a wrong state — never a 500, however
odd the input."""

import pytest

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


def test_malformed_json_is_400_malformed_request(as_user, officer):
    response = as_user(officer).post("/api/tenders/", b'{"title": ', content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed_request"
    assert body["detail"]


def test_malformed_json_on_registration_is_400(api):
    response = api.post("/api/auth/register/", b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"null", b"42", b"true"])
@pytest.mark.parametrize("path", ["/api/tenders/", "/api/auth/register/", "/api/auth/token/"])
def test_a_json_body_that_is_not_an_object_is_400(as_user, officer, path, body):
    response = as_user(officer).post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid", "null"}


@pytest.mark.parametrize("action", ["amend", "cancel"])
@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"null", b"{bad"])
def test_odd_bodies_on_tender_actions_are_400(make_tender, as_user, officer, action, body):
    tender = make_tender()
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/{action}/", body, content_type="application/json")
    assert response.status_code == 400


def test_a_field_error_names_the_field_and_its_code(as_user, officer):
    response = as_user(officer).post("/api/tenders/", {"title": ["a list"]}, format="json")
    body = response.json()
    assert response.status_code == 400
    assert body["errors"]["title"][0]["code"] == "invalid"
    assert body["errors"]["cpv"][0] == {"code": "required", "detail": "This field is required."}


@pytest.mark.parametrize("payload", [
    {"title": {"nested": "object"}},
    {"estimated_amount": "1e400"},
    {"estimated_amount": 1e308},
    {"estimated_amount": "NaN"},
    {"clarification_deadline": "99999-01-01T00:00:00Z"},
    {"clarification_deadline": "0001-01-01T00:00:00+05:00"},
    {"submission_deadline": "9999-12-31T23:59:59-05:00"},
    {"criteria": {"name": "not a list"}},
    {"criteria": [1, 2]},
    {"criteria": [{"name": "x", "weight": HUGE}]},
    {"price_weight": 1e30},
    {"min_bids": int(HUGE)},
    {"title": "\x00"},
])
def test_odd_tender_fields_are_400(as_user, officer, payload):
    from tests.helpers import tender_json

    response = as_user(officer).post("/api/tenders/", {**tender_json(), **payload}, format="json")
    assert response.status_code == 400, response.json()


@pytest.mark.parametrize("path", [
    f"/api/tenders/{HUGE}/",
    f"/api/tenders/{HUGE}/documents/",
    f"/api/tenders/{HUGE}/amendments/",
    f"/api/tenders/{HUGE}/audit/",
    f"/api/tenders/{HUGE}/documents/{HUGE}/download/",
    "/api/tenders/0/",
])
def test_unknown_ids_are_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("action", ["publish", "amend", "cancel"])
def test_acting_on_an_unknown_tender_is_404(as_user, officer, action):
    response = as_user(officer).post(f"/api/tenders/{HUGE}/{action}/", {"reason": "x", "rationale": "x"},
                                     format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("query", [
    f"buyer={HUGE}", "buyer=1.5", "value_min=" + "9" * 400, "value_min=1e400", "value_max=NaN",
    "deadline_after=2026-13-45", "deadline_before=0001-01-01T00:00:00+05:00", "status=bogus",
    "ordering=bogus", "cpv=4", "q=" + "x" * 300, "q=%00",
    "page_size=-5", "page_size=abc", "page_size=0", "cpv=", "status=", "value_max=", "deadline_after=",
])
def test_odd_register_queries_are_400(api, make_tender, query):
    make_tender()
    response = api.get(f"/api/tenders/?{query}")
    assert response.status_code == 400, response.json()
    assert response.json()["code"]


@pytest.mark.parametrize("query", ["q=%27%22()%26%7C!:*", "page_size=1000", "ordering=",
                                   "value_min=-1e-400", "deadline_after=0001-01-01T00:00:00-23:00"])
def test_odd_but_harmless_register_queries_are_200(api, make_tender, query):
    make_tender()
    assert api.get(f"/api/tenders/?{query}").status_code == 200


@pytest.mark.parametrize("page", ["abc", HUGE, "0", "-1"])
def test_a_bad_page_is_404(api, make_tender, page):
    make_tender()
    response = api.get(f"/api/tenders/?page={page}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_wrong_state_is_409_with_the_current_status(make_tender, as_user, officer):
    tender = make_tender()
    response = as_user(officer).patch(f"/api/tenders/{tender.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_draft"
    assert response.json()["status"] == "active"


def test_a_wrong_method_is_405(as_user, officer):
    response = as_user(officer).delete("/api/tenders/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_an_unsupported_media_type_is_415(as_user, officer):
    response = as_user(officer).post("/api/tenders/", b"<xml/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_anonymous_writes_are_401_with_a_challenge(api):
    response = api.post("/api/tenders/", {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_a_role_refusal_is_403(as_user, supplier):
    response = as_user(supplier).post("/api/tenders/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_an_unknown_api_path_is_json_404(api):
    response = api.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
