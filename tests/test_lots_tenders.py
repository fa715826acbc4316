"""Lots on the tender (DESIGN.md "Lots"): created with the tender or from
its flat fields, edited while a draft, read back, and seen by the register's
CPV and value filters."""

from decimal import Decimal

import pytest

from tenders import services
from tenders.models import MAX_LOTS, Lot, LotStatus, Status
from tests.helpers import tender_json

pytestmark = pytest.mark.django_db

GLOVES = "33141420-0"  # surgical gloves
THREE_LOTS = [
    {"title": "Section 1", "estimated_amount": "1000000.00"},
    {"title": "Gloves", "cpv": GLOVES, "estimated_amount": "250000.50", "quantity": "1000", "unit": "box"},
    {"title": "Section 3", "description": "Bridge deck", "estimated_amount": "3000000.00"},
]


def lots_json(**overrides):
    body = tender_json(**overrides)
    body.pop("estimated_amount")
    body["lots"] = THREE_LOTS
    return body


def test_a_tender_states_its_amount_or_its_lots(as_user, officer):
    body = tender_json()
    body.pop("estimated_amount")
    response = as_user(officer).post("/api/tenders/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["estimated_amount"][0]["code"] == "estimated_amount_required"


def test_a_flat_tender_gets_one_lot_from_its_fields(as_user, officer):
    body = as_user(officer).post("/api/tenders/", tender_json(), format="json").json()
    assert len(body["lots"]) == 1
    lot = body["lots"][0]
    assert (lot["title"], lot["cpv"], lot["estimated_amount"], lot["status"]) == (
        body["title"], body["cpv"], body["estimated_amount"], "active")
    assert lot["quantity"] is None and lot["unit"] == ""


def test_a_tender_with_lots_sums_them_and_defaults_their_cpv(as_user, officer):
    response = as_user(officer).post("/api/tenders/", lots_json(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["estimated_amount"] == "4250000.50"
    assert [(lot["title"], lot["cpv"]) for lot in body["lots"]] == [
        ("Section 1", "45233140-2"), ("Gloves", GLOVES), ("Section 3", "45233140-2")]
    assert body["lots"][1]["quantity"] == "1000.000" and body["lots"][1]["unit"] == "box"


@pytest.mark.parametrize("change, code", [
    ({"lots": []}, None),  # 400 from the serializer (allow_empty=False)
    ({"lots": [{"title": "x", "estimated_amount": "1.00", "cpv": "45233140-3"}]}, "cpv_unknown"),
    ({"estimated_amount": "5.00"}, "lots_amount_mismatch"),
    ({"lots": [{"title": t, "estimated_amount": "9999999999999999.99"} for t in "xy"]}, "amount_invalid"),
    ({"lots": [{"title": f"{i}", "estimated_amount": "1.00"} for i in range(MAX_LOTS + 1)]}, None),
])
def test_bad_lots_are_refused(as_user, officer, change, code):
    body = {**lots_json(), **change}
    response = as_user(officer).post("/api/tenders/", body, format="json")
    assert response.status_code == 400, response.json()
    if code:
        assert response.json()["code"] == code
    assert not Lot.objects.exists()


def test_two_hundred_lots_are_allowed(officer):
    from tests.conftest import tender_fields
    fields = tender_fields()
    fields.pop("estimated_amount")
    tender = services.create_draft(by=officer, lots=[{"title": f"Medicine {i}", "estimated_amount": Decimal(10)}
                                                     for i in range(MAX_LOTS)], **fields)
    assert tender.lots.count() == MAX_LOTS and tender.estimated_amount == Decimal(2000)


def test_a_draft_edit_replaces_the_lots_or_keeps_the_single_lot_in_step(as_user, officer):
    client = as_user(officer)
    tender = client.post("/api/tenders/", tender_json(), format="json").json()
    body = client.patch(f"/api/tenders/{tender['id']}/", {"estimated_amount": "99.00", "title": "New"},
                        format="json").json()
    assert (body["lots"][0]["estimated_amount"], body["lots"][0]["title"]) == ("99.00", "New")
    body = client.patch(f"/api/tenders/{tender['id']}/", {"lots": THREE_LOTS[:2]}, format="json").json()
    assert [lot["title"] for lot in body["lots"]] == ["Section 1", "Gloves"]
    assert body["estimated_amount"] == "1250000.50"
    response = client.patch(f"/api/tenders/{tender['id']}/", {"estimated_amount": "7.00"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "lots_amount_mismatch"


def test_the_lots_follow_a_cancelled_or_published_tender(make_tender, officer):
    tender = make_tender()
    assert list(tender.lots.values_list("status", flat=True)) == [LotStatus.ACTIVE]
    services.cancel_tender(tender.pk, by=officer, reason="Budget withdrawn.")
    assert list(tender.lots.values_list("status", flat=True)) == [LotStatus.CANCELLED]


def test_the_register_filters_see_the_lots(as_user, officer, api):
    client = as_user(officer)
    multi = client.post("/api/tenders/", lots_json(title="Hospital and roads"), format="json").json()
    single = client.post("/api/tenders/", tender_json(title="Plain road"), format="json").json()
    for t in (multi, single):
        assert client.post(f"/api/tenders/{t['id']}/publish/").status_code == 200

    def found(query):
        return {row["id"] for row in api.get(f"/api/tenders/?{query}").json()["results"]}

    assert found("cpv=3314") == {multi["id"]}
    assert found(f"cpv={GLOVES}") == {multi["id"]}
    assert found("cpv=4523") == {multi["id"], single["id"]}
    # One lot of 250,000.50 is in range though the tender's total is not.
    assert found("value_min=200000&value_max=300000") == {multi["id"]}
    assert found("value_min=100000000") == {single["id"]}


@pytest.mark.parametrize("statuses, expected", [
    (["evaluation", "unsuccessful"], Status.EVALUATION),
    (["awarded", "unsuccessful", "cancelled"], Status.AWARDED),
    (["awarded", "evaluation"], Status.EVALUATION),
    (["complete", "cancelled"], Status.COMPLETE),
    (["complete", "awarded"], Status.AWARDED),
    (["unsuccessful", "cancelled"], Status.UNSUCCESSFUL),
])
def test_the_tender_status_follows_from_its_lots(statuses, expected):
    assert services.derive_status(statuses) == expected
