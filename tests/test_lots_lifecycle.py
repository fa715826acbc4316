"""The whole lifecycle of a 3-lot tender (issue 15): bids on different
subsets; one lot unsuccessful at the opening; one awarded, complained about,
the complaint upheld and the lot re-awarded; one cancelled; the tender
completes when the last lot's standstill ends. Through the HTTP API, with
the audit chain and the lot statuses checked at each step."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.services import verify
from bids import services as bid_services
from evaluation import services as evaluation
from tenders import services as tender_services
from tenders.models import LotStatus, Status
from tests.conftest import tender_fields
from tests.ocds_review import assert_record_package, assert_release_package, offline

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    offline(monkeypatch)


def assert_ocds_valid(api, tender) -> dict:
    """The release package and the record package, valid under libcoveocds
    (and the versioned release under the extended versioned schema)."""
    releases = api.get(f"/api/tenders/{tender.pk}/ocds/").json()
    assert_release_package(releases)
    assert_record_package(api.get(f"/api/tenders/{tender.pk}/ocds/record/").json())
    return releases


def statuses(tender):
    return dict(tender.lots.values_list("title", "status"))


@pytest.fixture
def three_lots(officer, make_supplier):
    start = timezone.now() - timedelta(days=30)
    fields = tender_fields(start, min_bids=2)
    fields.pop("estimated_amount")
    tender = tender_services.create_draft(by=officer, lots=[
        {"title": "Roads", "estimated_amount": Decimal(1000)},
        {"title": "Gloves", "cpv": "33141420-0", "estimated_amount": Decimal(500)},
        {"title": "Bridge", "estimated_amount": Decimal(3000)}], **fields)
    tender_services.publish_tender(tender.pk, by=officer, now=start)
    roads, gloves, bridge = tender.lots.order_by("position")
    subsets = {"alpha": [(roads, "900.00"), (bridge, "2900.00")],
               "beta": [(roads, "950.00"), (gloves, "450.00")],
               "gamma": [(bridge, "2800.00"), (roads, "990.00")]}
    suppliers, bids = {}, {}
    for i, (name, offers) in enumerate(subsets.items()):
        suppliers[name] = make_supplier(name=f"{name} LLP")
        content = bid_services.BidContent(amount=None, currency="KZT", answers={}, documents=[],
                                          lots=[(lot.pk, Decimal(v)) for lot, v in offers])
        bids[name] = bid_services.submit_bid(tender.pk, by=suppliers[name], content=content,
                                             now=start + timedelta(days=1, minutes=i)).bid
    assert bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    tender.refresh_from_db()
    return tender, {"roads": roads, "gloves": gloves, "bridge": bridge}, suppliers, bids


def test_a_three_lot_tender_from_opening_to_completion(three_lots, officer, as_user, api):
    tender, lots, suppliers, bids = three_lots
    client = as_user(officer)
    base = f"/api/tenders/{tender.pk}/"
    # the opening: gloves had one offer for min_bids 2
    assert tender.status == Status.EVALUATION
    assert statuses(tender) == {"Roads": "evaluation", "Gloves": "unsuccessful", "Bridge": "evaluation"}

    releases = assert_ocds_valid(api, tender)
    opened = releases["releases"][-1]
    assert [lot["status"] for lot in opened["tender"]["lots"]] == ["active", "unsuccessful", "active"]
    assert [i["relatedLot"] for i in opened["tender"]["items"]] == [str(lot.pk) for lot in lots.values()]
    assert {d["id"] for d in opened["bids"]["details"]} == {
        f"{bids['alpha']}-{lots['roads'].pk}", f"{bids['alpha']}-{lots['bridge'].pk}",
        f"{bids['beta']}-{lots['roads'].pk}", f"{bids['beta']}-{lots['gloves'].pk}",
        f"{bids['gamma']}-{lots['roads'].pk}", f"{bids['gamma']}-{lots['bridge'].pk}"}

    # a multi-lot tender's evaluation names its lot
    response = client.post(base + f"bids/{bids['alpha']}/qualification/", {"qualified": True, "reason": "ok"},
                           format="json")
    assert response.status_code == 400 and response.json()["code"] == "lot_required"
    response = client.get(base + "evaluation/")
    assert response.status_code == 400 and response.json()["code"] == "lot_required"
    # a bid is qualified per lot: beta has no offer on the bridge
    response = client.post(base + f"bids/{bids['beta']}/qualification/",
                           {"qualified": True, "reason": "ok", "lot": lots["bridge"].pk}, format="json")
    assert response.status_code == 404

    roads = lots["roads"].pk
    for name in ("alpha", "beta", "gamma"):
        response = client.post(base + f"bids/{bids[name]}/qualification/",
                               {"qualified": True, "reason": "Documents complete.", "lot": roads}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["lot"] == roads and response.json()["lot_status"] == "evaluation"
    report = client.get(base + f"evaluation/?lot={roads}").json()
    assert report["lot"] == {"id": roads, "title": "Roads", "status": "evaluation"}
    assert report["ranking"] == [bids["alpha"], bids["beta"], bids["gamma"]]
    assert [b["amount"] for b in report["bids"]] == ["900.00", "950.00", "990.00"]

    # the roads are awarded; beta complains; the complaint is upheld; the lot is re-awarded
    response = client.post(base + "award/", {"bid": bids["alpha"], "lot": roads}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["lot"] == roads
    tender.refresh_from_db()
    assert tender.status == Status.EVALUATION  # the bridge is still in evaluation
    response = as_user(suppliers["beta"]).post(base + "complaints/", {"text": "Alpha's licence expired.",
                                                                      "lot": roads}, format="json")
    assert response.status_code == 201, response.json()
    complaint = response.json()
    assert complaint["lot"] == roads
    response = client.post(base + f"complaints/{complaint['id']}/resolve/",
                           {"upheld": True, "resolution": "The licence had expired."}, format="json")
    assert response.status_code == 200
    assert statuses(tender)["Roads"] == "evaluation"
    client.post(base + f"bids/{bids['alpha']}/qualification/",
                {"qualified": False, "reason": "Licence expired.", "lot": roads}, format="json")
    response = client.post(base + "award/", {"bid": bids["gamma"], "lot": roads}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "justification_required"
    assert client.post(base + "award/", {"bid": bids["beta"], "lot": roads}, format="json").status_code == 201

    # the bridge is cancelled with a reason; the tender is awarded (no lot left in evaluation)
    response = client.post(base + f"lots/{lots['bridge'].pk}/cancel/", {"reason": "Design changed."},
                           format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled" and response.json()["cancellation_reason"] == "Design changed."
    tender.refresh_from_db()
    assert tender.status == Status.AWARDED
    assert statuses(tender) == {"Roads": "awarded", "Gloves": "unsuccessful", "Bridge": "cancelled"}

    # the scheduler completes the roads when their standstill ends, and the tender with them
    award = tender.awards.get(status="active")
    assert evaluation.complete_due(now=award.standstill_ends_at - timedelta(seconds=1)) == 0
    assert evaluation.complete_due(now=award.standstill_ends_at) == 1
    tender.refresh_from_db()
    assert tender.status == Status.COMPLETE
    assert statuses(tender)["Roads"] == LotStatus.COMPLETE

    # every lot event is in the verified audit chain and names its lot
    entries = api.get(base + "audit/").json()["entries"]
    events = [(e["event"], e["data"].get("lot")) for e in entries]
    assert ("lot_awarded", roads) in events and ("award_annulled", roads) in events
    assert ("lot_cancelled", lots["bridge"].pk) in events
    assert ("tender_completed", roads) in events
    assert verify([tender.pk]) == []
    # every release package along the way is valid OCDS; the awards name their lots
    releases = assert_ocds_valid(api, tender)
    tags = [r["tag"][0] for r in releases["releases"]]
    assert tags[-6:] == ["award", "awardCancellation", "tenderUpdate", "award", "tenderUpdate", "contract"], tags
    final = releases["releases"][-1]
    assert {a["relatedLots"][0] for a in final["awards"]} == {str(roads)}
    assert [a["status"] for a in final["awards"]] == ["cancelled", "active"]
    assert final["awards"][1]["value"]["amount"] == 950.0
    assert final["contracts"][0]["value"]["amount"] == 950.0
    # once the roads are awarded their report is public; the bridge's is public too (cancelled)
    assert api.get(base + f"evaluation/?lot={roads}").status_code == 200


def test_the_last_lot_unsuccessful_leaves_the_tender_unsuccessful(three_lots, officer):
    tender, lots, suppliers, bids = three_lots
    evaluation.cancel_lot(tender.pk, lots["roads"].pk, by=officer, reason="Not needed.")
    evaluation.qualify_bid(tender.pk, bids["alpha"], by=officer, qualified=False, reason="No licence.",
                           lot_id=lots["bridge"].pk)
    tender.refresh_from_db()
    assert tender.status == Status.UNSUCCESSFUL
    assert statuses(tender) == {"Roads": "cancelled", "Gloves": "unsuccessful", "Bridge": "unsuccessful"}


def test_a_lot_is_not_cancelled_before_the_opening(make_tender, officer):
    tender = make_tender()
    from core.errors import WrongState
    with pytest.raises(WrongState):
        evaluation.cancel_lot(tender.pk, tender.lots.get().pk, by=officer, reason="x")


def test_criteria_of_the_tender_and_of_one_lot(officer, make_supplier, make_officer, as_user):
    start = timezone.now() - timedelta(days=30)
    fields = tender_fields(start, award_method="best_value", price_weight=60)
    fields.pop("estimated_amount")
    lots = [{"title": "Trucks", "estimated_amount": Decimal(1000)}, {"title": "Tyres", "estimated_amount": Decimal(500)}]
    with pytest.raises(Exception) as refused:  # the tyres' weights add up to 85
        tender_services.create_draft(by=officer, lots=lots, criteria=[
            {"name": "Quality", "weight": 25}, {"name": "Delivery", "weight": 15, "lot": 0}], **fields)
    assert refused.value.code == "weights_not_100"
    tender = tender_services.create_draft(by=officer, lots=lots, criteria=[
        {"name": "Quality", "weight": 25}, {"name": "Delivery", "weight": 15, "lot": 0},
        {"name": "Warranty", "weight": 15, "lot": 1}], **fields)
    tender_services.publish_tender(tender.pk, by=officer, now=start)
    trucks, tyres = tender.lots.order_by("position")
    body = as_user(officer).get(f"/api/tenders/{tender.pk}/").json()
    assert {c["name"]: c["lot"] for c in body["criteria"]} == {"Quality": None, "Delivery": trucks.pk,
                                                               "Warranty": tyres.pk}
    quality, delivery, warranty = tender.criteria.order_by("position")
    both, tyres_only = make_supplier(name="Both LLP"), make_supplier(name="Tyres LLP")
    ids = {}
    for i, (user, offers) in enumerate([(both, [(trucks, 900), (tyres, 450)]), (tyres_only, [(tyres, 400)])]):
        content = bid_services.BidContent(amount=None, currency="KZT", answers={}, documents=[],
                                          lots=[(lot.pk, Decimal(v)) for lot, v in offers])
        ids[user.pk] = bid_services.submit_bid(tender.pk, by=user, content=content,
                                               now=start + timedelta(days=1, minutes=i)).bid
    bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    for user, lot in [(both, trucks), (both, tyres), (tyres_only, tyres)]:
        evaluation.qualify_bid(tender.pk, ids[user.pk], by=officer, qualified=True, reason="ok", lot_id=lot.pk)
    member = make_officer(buyer=officer.organisation.name)
    evaluation.add_evaluators(tender.pk, by=officer, user_ids=[member.pk])
    evaluation.declare_no_conflict(tender.pk, by=member)
    # a lot's criterion is scored only on a bid qualified for that lot
    from core.errors import WrongState
    with pytest.raises(WrongState):
        evaluation.score_bid(tender.pk, ids[tyres_only.pk], by=member, points={delivery.pk: Decimal(5)})
    evaluation.score_bid(tender.pk, ids[both.pk], by=member,
                         points={quality.pk: Decimal(20), delivery.pk: Decimal(10), warranty.pk: Decimal(5)})
    # the trucks are ranked on price, Quality and Delivery only: complete, and awardable
    from evaluation import selectors
    report = selectors.report(tender, trucks)
    assert [c["name"] for c in report["criteria"]] == ["Quality", "Delivery"]
    assert report["bids"][0]["total"] == str(Decimal("60") + Decimal("20") + Decimal("10")) + ".0000"
    evaluation.award_bid(tender.pk, by=officer, bid_id=ids[both.pk], lot_id=trucks.pk)
    # the tyres need the other bid scored on Quality and Warranty first
    with pytest.raises(WrongState) as incomplete:
        evaluation.award_bid(tender.pk, by=officer, bid_id=ids[both.pk], lot_id=tyres.pk)
    assert incomplete.value.code == "scoring_incomplete"
    evaluation.score_bid(tender.pk, ids[tyres_only.pk], by=member,
                         points={quality.pk: Decimal(10), warranty.pk: Decimal(15)})
    report = selectors.report(tender, tyres)
    assert [c["name"] for c in report["criteria"]] == ["Quality", "Warranty"]
    assert len(report["ranking"]) == 2
