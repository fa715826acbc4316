"""The tender endpoints for every role: public, supplier, officer of the
owning buyer, officer of another buyer, staff — allowed and refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tenders.models import Status, Tender
from tests.helpers import iso, tender_json

pytestmark = pytest.mark.django_db

ROLES = ["public", "supplier", "other_officer", "staff"]


@pytest.fixture
def client_for(request, as_user):
    """An API client for a role name (``public`` is anonymous)."""
    def make(role: str):
        return as_user(None if role == "public" else request.getfixturevalue(role))
    return make


def refused(role: str) -> int:
    """How a role other than the owning officer is refused an officer action
    on a published tender: anonymous 401, a non-officer 403."""
    return {"public": 401, "supplier": 403, "staff": 403, "other_officer": 403}[role]


# --- create --------------------------------------------------------------------

def test_an_officer_creates_a_draft(as_user, officer):
    response = as_user(officer).post("/api/tenders/", tender_json(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["buyer"] == {"id": officer.organisation_id, "name": officer.organisation.name}
    assert body["estimated_amount"] == "125000000.00"
    assert body["cpv_name"] == "Roadworks"
    assert body["bid_count"] == 0 and body["public_key"] is None


def test_a_best_value_draft_reads_back_its_criteria(as_user, officer):
    payload = tender_json(award_method="best_value", price_weight=70,
                          criteria=[{"name": "Warranty", "weight": 30}])
    body = as_user(officer).post("/api/tenders/", payload, format="json").json()
    assert body["price_weight"] == 70
    assert [(c["name"], c["weight"]) for c in body["criteria"]] == [("Warranty", 30)]


@pytest.mark.parametrize("role", ["public", "supplier", "staff"])
def test_only_an_officer_creates_a_tender(client_for, role):
    response = client_for(role).post("/api/tenders/", tender_json(), format="json")
    assert response.status_code == (401 if role == "public" else 403)
    assert not Tender.objects.exists()


@pytest.mark.parametrize("overrides, code", [
    ({"cpv": "45233140-3"}, "cpv_unknown"),
    ({"cpv": "45233140"}, "invalid"),
    ({"currency": "ABC"}, "currency_unknown"),
    ({"currency": "kzt"}, "invalid"),
    ({"estimated_amount": "0"}, "min_value"),
    ({"estimated_amount": "12.345"}, "max_decimal_places"),
    ({"estimated_amount": "1" * 20}, "max_digits"),
    ({"submission_deadline": "tomorrow"}, "invalid"),
    ({"award_method": "cheapest"}, "invalid_choice"),
    ({"min_bids": 0}, "min_value"),
    ({"price_weight": 50}, "weights_not_100"),
    ({"criteria": [{"name": "Warranty", "weight": 10}]}, "criteria_not_allowed"),
    ({"award_method": "best_value", "price_weight": 80}, "criteria_required"),
    ({"award_method": "best_value", "price_weight": 80, "criteria": [{"name": "Warranty", "weight": 30}]},
     "weights_not_100"),
    ({"criteria": [{"name": "Warranty", "weight": 0}]}, "min_value"),
])
def test_create_refuses_bad_input_with_its_code(as_user, officer, overrides, code):
    response = as_user(officer).post("/api/tenders/", tender_json(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code


def test_create_refuses_clarification_after_submission(as_user, officer):
    now = timezone.now()
    payload = tender_json(clarification_deadline=now + timedelta(days=21))
    response = as_user(officer).post("/api/tenders/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "clarification_after_submission"
    assert response.json()["field"] == "clarification_deadline"


def test_create_names_every_bad_field(as_user, officer):
    response = as_user(officer).post("/api/tenders/", {"title": ""}, format="json")
    body = response.json()
    assert response.status_code == 400
    assert {"title", "cpv", "estimated_amount", "clarification_deadline", "submission_deadline"} <= set(body["errors"])


# --- read ------------------------------------------------------------------------------

def test_the_owner_reads_its_draft(make_tender, as_user, officer):
    tender = make_tender(publish=False)
    response = as_user(officer).get(f"/api/tenders/{tender.pk}/")
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_does_not_exist_for_anyone_else(make_tender, client_for, role):
    tender = make_tender(publish=False)
    response = client_for(role).get(f"/api/tenders/{tender.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("role", ROLES)
def test_a_published_tender_is_public(make_tender, client_for, role):
    tender = make_tender()
    response = client_for(role).get(f"/api/tenders/{tender.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "active" and body["published_at"].endswith("Z")
    assert body["submission_deadline"] == iso(tender.submission_deadline)


@pytest.mark.parametrize("role", ROLES)
def test_drafts_are_not_in_anyone_elses_register(make_tender, client_for, role):
    make_tender(publish=False, title="Secret draft")
    published = make_tender()
    results = client_for(role).get("/api/tenders/").json()["results"]
    assert [r["id"] for r in results] == [published.pk]


def test_the_owner_sees_its_drafts_in_the_register(make_tender, as_user, officer):
    draft = make_tender(publish=False)
    results = as_user(officer).get("/api/tenders/?status=draft").json()["results"]
    assert [r["id"] for r in results] == [draft.pk]


def test_an_unknown_tender_is_404(api, db):
    assert api.get("/api/tenders/999999/").status_code == 404


# --- edit ---------------------------------------------------------------------------------

def test_the_owner_edits_its_draft(make_tender, as_user, officer):
    tender = make_tender(publish=False)
    response = as_user(officer).patch(f"/api/tenders/{tender.pk}/", {"title": "Қала жолдарын жөндеу"},
                                      format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Қала жолдарын жөндеу"
    assert response.json()["description"] == tender.description  # untouched fields keep their value


def test_edit_refuses_bad_terms(make_tender, as_user, officer):
    tender = make_tender(publish=False)
    response = as_user(officer).patch(f"/api/tenders/{tender.pk}/", {"cpv": "45233140-3"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "cpv_unknown"


@pytest.mark.parametrize("role, status", [("public", 401), ("supplier", 403), ("staff", 403),
                                          ("other_officer", 404)])
def test_no_one_else_edits_a_draft(make_tender, client_for, role, status):
    tender = make_tender(publish=False)
    response = client_for(role).patch(f"/api/tenders/{tender.pk}/", {"title": "Hijacked"}, format="json")
    assert response.status_code == status
    tender.refresh_from_db()
    assert tender.title != "Hijacked"


def test_editing_a_published_tender_is_a_wrong_state(make_tender, as_user, officer):
    tender = make_tender()
    response = as_user(officer).patch(f"/api/tenders/{tender.pk}/", {"title": "Changed"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_draft"


def test_another_officer_cannot_edit_a_published_tender(make_tender, as_user, other_officer):
    tender = make_tender()
    response = as_user(other_officer).patch(f"/api/tenders/{tender.pk}/", {"title": "X"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_your_tender"


# --- publish -----------------------------------------------------------------------------------

def test_the_owner_publishes_a_draft(make_tender, as_user, officer):
    tender = make_tender(publish=False)
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/publish/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active"
    assert len(response.json()["public_key"]) == 64


@pytest.mark.parametrize("role, status", [("public", 401), ("supplier", 403), ("staff", 403),
                                          ("other_officer", 404)])
def test_no_one_else_publishes_a_draft(make_tender, client_for, role, status):
    tender = make_tender(publish=False)
    assert client_for(role).post(f"/api/tenders/{tender.pk}/publish/").status_code == status
    tender.refresh_from_db()
    assert tender.status == Status.DRAFT


def test_publishing_twice_is_409(make_tender, as_user, officer):
    tender = make_tender()
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/publish/")
    assert response.status_code == 409
    assert response.json() == {"code": "already_published", "detail": "This tender is already published.",
                               "status": "active"}


def test_publish_refuses_a_too_short_submission_period(make_tender, as_user, officer):
    now = timezone.now()
    tender = make_tender(publish=False, clarification_deadline=now + timedelta(minutes=5),
                         submission_deadline=now + timedelta(minutes=30))
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/publish/")
    assert response.status_code == 400
    assert response.json()["code"] == "submission_period_too_short"


def test_publish_refuses_a_past_clarification_deadline(make_tender, as_user, officer):
    tender = make_tender(publish=False, now=timezone.now() - timedelta(days=11))
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/publish/")
    assert response.status_code == 400
    assert response.json()["code"] == "clarification_deadline_past"


# --- amend -------------------------------------------------------------------------------------------

def test_the_owner_amends_an_active_tender(make_tender, as_user, officer):
    tender = make_tender()
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/amend/",
                                     {"rationale": "Budget revised", "estimated_amount": "130000000.50"},
                                     format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["estimated_amount"] == "130000000.50"
    assert body["amendments"][0]["changes"] == {"estimated_amount": {"from": "125000000.00",
                                                                     "to": "130000000.50"}}
    listed = as_user(None).get(f"/api/tenders/{tender.pk}/amendments/").json()
    assert [a["rationale"] for a in listed] == ["Budget revised"]


@pytest.mark.parametrize("role", ROLES)
def test_no_one_else_amends(make_tender, client_for, role):
    tender = make_tender()
    response = client_for(role).post(f"/api/tenders/{tender.pk}/amend/", {"rationale": "x", "title": "y"},
                                     format="json")
    assert response.status_code == refused(role)


@pytest.mark.parametrize("payload, code", [
    ({"title": "No rationale"}, "required"),
    ({"rationale": "Nothing"}, "amendment_empty"),
    ({"rationale": "Cheaper", "estimated_amount": "-1"}, "min_value"),
])
def test_amend_refuses_bad_input(make_tender, as_user, officer, payload, code):
    tender = make_tender()
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/amend/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_amend_refuses_an_earlier_deadline(make_tender, as_user, officer):
    tender = make_tender()
    earlier = iso(tender.submission_deadline - timedelta(days=1))
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/amend/",
                                     {"rationale": "Hurry", "submission_deadline": earlier}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "deadline_earlier"


def test_amending_a_draft_is_409(make_tender, as_user, officer):
    tender = make_tender(publish=False)
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/amend/", {"rationale": "x", "title": "y"},
                                     format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_active"


# --- cancel --------------------------------------------------------------------------------------------

def test_the_owner_cancels_with_a_public_reason(make_tender, as_user, officer):
    tender = make_tender()
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/cancel/", {"reason": "Budget withdrawn"},
                                     format="json")
    assert response.status_code == 200
    public = as_user(None).get(f"/api/tenders/{tender.pk}/").json()
    assert public["status"] == "cancelled"
    assert public["cancellation_reason"] == "Budget withdrawn" and public["cancelled_at"]


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}])
def test_cancel_without_a_reason_is_refused(make_tender, as_user, officer, payload):
    tender = make_tender()
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/cancel/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] in {"required", "blank"}
    assert set(response.json()["errors"]) == {"reason"}


@pytest.mark.parametrize("role", ROLES)
def test_no_one_else_cancels(make_tender, client_for, role):
    tender = make_tender()
    response = client_for(role).post(f"/api/tenders/{tender.pk}/cancel/", {"reason": "Mine"}, format="json")
    assert response.status_code == refused(role)
    tender.refresh_from_db()
    assert tender.status == Status.ACTIVE


def test_cancelling_twice_is_409(make_tender, as_user, officer):
    tender = make_tender()
    as_user(officer).post(f"/api/tenders/{tender.pk}/cancel/", {"reason": "Budget"}, format="json")
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/cancel/", {"reason": "Again"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


# --- the full lifecycle through the API -------------------------------------------------------------------

def test_draft_edit_publish_amend_cancel_leaves_a_verified_audit_log(as_user, officer):
    client = as_user(officer)
    tender_id = client.post("/api/tenders/", tender_json(), format="json").json()["id"]
    client.patch(f"/api/tenders/{tender_id}/", {"description": "2.6 km"}, format="json")
    client.post(f"/api/tenders/{tender_id}/publish/")
    client.post(f"/api/tenders/{tender_id}/amend/", {"rationale": "x", "title": "Road repair, lot 2"},
                format="json")
    client.post(f"/api/tenders/{tender_id}/cancel/", {"reason": "Merged into lot 1"}, format="json")
    audit = as_user(None).get(f"/api/tenders/{tender_id}/audit/").json()
    assert audit["valid"] is True
    assert [e["event"] for e in audit["entries"]] == [
        "tender_created", "tender_edited", "tender_published", "tender_amended", "tender_cancelled"]
