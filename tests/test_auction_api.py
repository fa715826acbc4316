"""The live e-auction (issue 20, DESIGN.md "Live e-auction") through the
HTTP API: drafting with minimal_step, scheduling once every offer is
decided, turns in order, the error codes, receipts, the end (final prices
rank the lot, award, OCDS), and the no-auction paths."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auctions import services as auctions
from auctions.models import Auction, AuctionStatus
from audit.models import AuditEntry
from audit.services import verify
from tests.auction_support import ESTIMATED, auction_tender, move_to
from tests.ocds_review import assert_record_package, assert_release_package, offline

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings, monkeypatch):
    offline(monkeypatch)
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 3600
    settings.PROCUREMENT_AUCTION_DELAY = 3600
    settings.PROCUREMENT_AUCTION_PAUSE = 120
    settings.PROCUREMENT_AUCTION_TURN = 120


def refused(response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["code"]) == (status, code), response.json()


def body(**overrides) -> dict:
    now = timezone.now()
    data = {"title": "Office paper A4", "cpv": "30197630-1", "estimated_amount": "1000000.00", "method": "auction",
            "minimal_step": "10000.00", "clarification_deadline": (now + timedelta(days=19)).isoformat(),
            "submission_deadline": (now + timedelta(days=20)).isoformat()}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def three(make_supplier):
    return [make_supplier(f"{name} LLP") for name in ("Alma", "Baiterek", "Caspian")]


def url(tender, suffix="") -> str:
    lot = tender.lots.get().pk
    return f"/api/tenders/{tender.pk}/lots/{lot}/auction/{suffix}"


def offer(client, tender, amount: str):
    return client.post(url(tender, "bids/"), {"amount": amount}, format="json")


# --- drafting ------------------------------------------------------------------------------------

def test_an_auction_lot_states_a_minimal_step_of_half_to_three_percent(officer, as_user):
    client = as_user(officer)
    refused(client.post("/api/tenders/", body(minimal_step=None), format="json"), 400, "minimal_step_required")
    refused(client.post("/api/tenders/", body(minimal_step="4999.99"), format="json"), 400, "minimal_step_invalid")
    refused(client.post("/api/tenders/", body(minimal_step="30000.01"), format="json"), 400, "minimal_step_invalid")
    refused(client.post("/api/tenders/", body(method="open_tender"), format="json"), 400, "field_not_allowed")
    for step in ("5000.00", "30000.00"):
        created = client.post("/api/tenders/", body(minimal_step=step), format="json")
        assert created.status_code == 201, created.json()
        assert created.json()["lots"][0]["minimal_step"] == step
    # by lots: each lot its own step
    lots = [{"title": "Paper", "estimated_amount": "1000000.00", "minimal_step": "10000.00"},
            {"title": "Toner", "estimated_amount": "200000.00", "minimal_step": "10000.00"}]
    response = client.post("/api/tenders/", body(minimal_step=None, estimated_amount=None, lots=lots),
                           format="json")
    refused(response, 400, "minimal_step_invalid")
    assert response.json()["field"] == "lots.1.minimal_step"


def test_a_draft_moved_off_the_auction_drops_its_steps(officer, as_user):
    client = as_user(officer)
    tender = client.post("/api/tenders/", body(), format="json").json()
    moved = client.patch(f"/api/tenders/{tender['id']}/", {"method": "open_tender"}, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["lots"][0]["minimal_step"] is None
    refused(client.patch(f"/api/tenders/{tender['id']}/", {"method": "auction"}, format="json"),
            400, "minimal_step_required")


# --- the whole auction -------------------------------------------------------------------------

def test_the_whole_auction_through_the_api(officer, three, as_user, api):
    alma, baiterek, caspian = three
    tender, bids = auction_tender(officer, [(alma, "950000.00"), (baiterek, "900000.00"), (caspian, "980000.00")])
    auction = Auction.objects.get(tender=tender)

    # scheduled PROCUREMENT_AUCTION_DELAY after the last decision, public with a countdown
    state = api.get(url(tender)).json()
    assert state["status"] == "scheduled"
    decided = AuditEntry.objects.filter(tender=tender, event="bid_qualified").order_by("seq").last().at
    assert auction.start_at == decided + timedelta(seconds=3600)
    assert [(p["number"], p["price"], p["name"]) for p in state["participants"]] == [
        (1, "950000.00", None), (2, "900000.00", None), (3, "980000.00", None)]
    assert "you" not in state and state["protocol"] == []
    assert state["order"] == [3, 1, 2]  # highest first
    assert as_user(alma).get(url(tender)).json()["you"] == 1
    refused(offer(as_user(caspian), tender, "970000.00"), 409, "not_your_turn")

    # the opening pause shows the admitted prices; still nobody's turn
    move_to(auction, "pause", 0)
    assert api.get(url(tender)).json()["stage"]["kind"] == "pause"
    refused(offer(as_user(caspian), tender, "970000.00"), 409, "not_your_turn")

    # round 1: Caspian (the highest) first
    move_to(auction, "turn", 1, 0)
    state = as_user(caspian).get(url(tender)).json()
    assert (state["status"], state["stage"]["participant"], state["max_price"]) == ("running", 3, "970000.00")
    refused(offer(as_user(baiterek), tender, "890000.00"), 409, "not_your_turn")
    refused(offer(as_user(caspian), tender, "990000.00"), 400, "price_raised")
    refused(offer(as_user(caspian), tender, "975000.00"), 400, "step_too_small")
    first = offer(as_user(caspian), tender, "970000.00")
    assert first.status_code == 201, first.json()
    receipt = first.json()
    assert (receipt["participant"], receipt["round"], receipt["amount"]) == (3, 1, "970000.00")
    check = api.get("/api/receipts/verify/", {k: receipt[k] for k in ("tender", "bid", "sha256", "received_at",
                                                                      "signature")}).json()
    assert check["valid"] is True
    # within its turn its last accepted price counts (measured from its price before the turn)
    assert offer(as_user(caspian), tender, "960000.00").status_code == 201
    # Alma passes (its price stands); Baiterek lowers
    move_to(auction, "turn", 1, 2)
    assert offer(as_user(baiterek), tender, "880000.00").status_code == 201

    # round 2's order is fixed from the prices at its start: Caspian 960000, Alma 950000, Baiterek 880000
    move_to(auction, "pause", 1)
    assert api.get(url(tender)).json()["order"] == [3, 1, 2]
    move_to(auction, "turn", 2, 1)
    assert api.get(url(tender)).json()["stage"]["participant"] == 1
    assert offer(as_user(alma), tender, "870000.00").status_code == 201

    # round 3: Caspian, Baiterek, Alma
    move_to(auction, "turn", 3, 0)
    assert api.get(url(tender)).json()["order"] == [3, 2, 1]

    # after the end: refused, and the scheduler finishes it
    move_to(auction, "finished", 3)
    refused(offer(as_user(alma), tender, "860000.00"), 409, "auction_finished")
    assert auctions.advance_due(timezone.now()) == 1
    assert auctions.advance_due(timezone.now()) == 0  # once
    state = api.get(url(tender)).json()
    assert state["status"] == "finished"
    assert [(p["number"], p["name"], p["price"]) for p in state["participants"]] == [
        (1, "Alma LLP", "870000.00"), (2, "Baiterek LLP", "880000.00"), (3, "Caspian LLP", "960000.00")]
    protocol = [(t["round"], t["participant"], [p["amount"] for p in t["prices"]]) for t in state["protocol"]]
    assert protocol[:3] == [(1, 3, ["970000.00", "960000.00"]), (1, 1, []), (1, 2, ["880000.00"])]
    assert protocol[4] == (2, 1, ["870000.00"]) and len(protocol) == 9

    # the final prices rank the lot: Alma is the award proposal, and is awarded
    owner = as_user(officer)
    report = owner.get(f"/api/tenders/{tender.pk}/evaluation/").json()
    ranked = sorted((b for b in report["bids"] if b["rank"]), key=lambda b: b["rank"])
    assert [(b["bid"], b["amount"]) for b in ranked][0] == (bids[0].pk, "870000.00")
    award = owner.post(f"/api/tenders/{tender.pk}/award/", {"bid": bids[0].pk}, format="json")
    assert award.status_code == 201, award.json()

    # the protocol is in the audit chain; the open data carry the final values and the techniques
    assert not verify([tender.pk])
    finished = AuditEntry.objects.get(tender=tender, event="auction_finished").data
    assert [p["final"] for p in finished["participants"]] == ["870000.00", "880000.00", "960000.00"]
    assert AuditEntry.objects.filter(tender=tender, event="auction_price").count() == 4
    package = api.get(f"/api/tenders/{tender.pk}/ocds/").json()
    assert_release_package(package)
    assert_record_package(api.get(f"/api/tenders/{tender.pk}/ocds/record/").json())
    last = package["releases"][-1]
    assert last["tender"]["techniques"] == {"hasElectronicAuction": True}
    assert last["tender"]["lots"][0]["techniques"]["electronicAuction"]["url"].endswith(
        f"/tenders/{tender.pk}/auction/?lot={tender.lots.get().pk}")
    values = {d["id"]: d["value"]["amount"] for d in last["bids"]["details"]}
    assert values[str(bids[0].pk)] == 870000.0
    assert last["awards"][0]["value"]["amount"] == 870000.0


def test_only_a_participant_offers_prices(officer, three, make_supplier, as_user, api):
    tender, _ = auction_tender(officer, [(three[0], "950000.00"), (three[1], "900000.00")])
    move_to(Auction.objects.get(tender=tender), "turn", 1, 0)
    refused(offer(as_user(make_supplier("Stranger LLP")), tender, "100.00"), 403, "not_a_participant")
    assert offer(as_user(officer), tender, "100.00").status_code == 403
    assert offer(api, tender, "100.00").status_code in (401, 403)
    bad = offer(as_user(three[0]), tender, "-5")
    assert bad.status_code == 400


def test_the_award_waits_for_the_auction_and_admissions_are_fixed_meanwhile(officer, three, as_user):
    tender, bids = auction_tender(officer, [(three[0], "950000.00"), (three[1], "900000.00")])
    owner = as_user(officer)
    refused(owner.post(f"/api/tenders/{tender.pk}/award/", {"bid": bids[1].pk}, format="json"),
            409, "auction_not_finished")
    refused(owner.post(f"/api/tenders/{tender.pk}/bids/{bids[0].pk}/qualification/",
                       {"qualified": False, "reason": "Changed my mind"}, format="json"), 409, "auction_scheduled")


def test_after_the_auction_an_offer_that_was_not_in_it_cannot_be_admitted(officer, three, as_user):
    # given an auction of Alma and Baiterek (Caspian's offer rejected), held to its end
    tender, bids = auction_tender(officer, [(three[0], "950000.00"), (three[1], "900000.00"),
                                            (three[2], "800000.00")], admit={0, 1})
    move_to(Auction.objects.get(tender=tender), "finished", 3)
    assert auctions.advance_due(timezone.now()) == 1
    owner = as_user(officer)

    def qualify(bid, qualified):
        return owner.post(f"/api/tenders/{tender.pk}/bids/{bid.pk}/qualification/",
                          {"qualified": qualified, "reason": "Reviewed again"}, format="json")
    # when the officer tries to admit Caspian now, then it is refused: its sealed price would
    # be ranked against the auction's final ones
    refused(qualify(bids[2], True), 409, "auction_held")
    # and a participant can still be disqualified (and re-admitted), as on any lot
    assert qualify(bids[0], False).status_code == 200
    assert qualify(bids[0], True).status_code == 200


def test_after_a_skipped_auction_the_rejected_offers_stay_rejected(officer, three, as_user):
    tender, bids = auction_tender(officer, [(three[0], "950000.00"), (three[1], "900000.00")], admit={0})
    refused(as_user(officer).post(f"/api/tenders/{tender.pk}/bids/{bids[1].pk}/qualification/",
                                  {"qualified": True, "reason": "Reviewed again"}, format="json"), 409, "auction_held")


def test_a_price_from_outside_the_auction_is_refused_without_waiting_for_the_tenders_lock(
        officer, three, make_supplier, as_user, api):
    # the tender's row is held (as by a bid being sealed at the deadline): a stranger's price is
    # refused by plain reads, so it neither waits nor makes anyone wait
    from unittest import mock

    from auctions import services as auction_services
    tender, _ = auction_tender(officer, [(three[0], "950000.00"), (three[1], "900000.00")])
    move_to(Auction.objects.get(tender=tender), "turn", 1, 0)
    with mock.patch.object(auction_services, "lock_tender", side_effect=AssertionError("took the lock")):
        refused(offer(as_user(make_supplier("Stranger LLP")), tender, "100.00"), 403, "not_a_participant")
        refused(as_user(three[0]).post(f"/api/tenders/{tender.pk}/lots/999999/auction/bids/", {"amount": "1.00"},
                                       format="json"), 404, "no_auction")
        refused(as_user(three[0]).post("/api/tenders/999999/lots/1/auction/bids/", {"amount": "1.00"},
                                       format="json"), 404, "not_found")


# --- no auction ------------------------------------------------------------------------------

def test_one_admitted_offer_has_no_auction_and_is_the_award_proposal(officer, three, as_user, api):
    tender, bids = auction_tender(officer, [(three[0], "950000.00"), (three[1], "900000.00")], admit={0})
    state = api.get(url(tender)).json()
    assert (state["status"], state["stage"], state["start"]) == ("skipped", None, None)
    assert [(p["number"], p["name"], p["price"]) for p in state["participants"]] == [(1, "Alma LLP", "950000.00")]
    refused(offer(as_user(three[0]), tender, "900000.00"), 409, "auction_finished")
    owner = as_user(officer)
    report = owner.get(f"/api/tenders/{tender.pk}/evaluation/").json()
    assert [b["bid"] for b in report["bids"] if b["rank"] == 1] == [bids[0].pk]
    assert owner.post(f"/api/tenders/{tender.pk}/award/", {"bid": bids[0].pk}, format="json").status_code == 201


def test_no_admitted_offer_makes_the_lot_unsuccessful(officer, three, api):
    tender, _ = auction_tender(officer, [(three[0], "950000.00"), (three[1], "900000.00")], admit=set())
    assert tender.status == "unsuccessful"
    refused(api.get(url(tender)), 404, "no_auction")
    assert not Auction.objects.exists()


# --- nothing sealed before admission ------------------------------------------------------------

def test_nothing_of_a_lot_shows_before_every_offer_is_decided(officer, three, as_user, api):
    tender, bids = auction_tender(officer, [(three[0], "950000.00"), (three[1], "900000.00")], decide=False)
    refused(api.get(url(tender)), 404, "no_auction")
    refused(offer(as_user(three[0]), tender, "900000.00"), 404, "no_auction")
    as_user(officer).post(f"/api/tenders/{tender.pk}/bids/{bids[0].pk}/qualification/",
                          {"qualified": True, "reason": "Meets the requirements"}, format="json")
    refused(api.get(url(tender)), 404, "no_auction")  # one offer still undecided
    assert not Auction.objects.exists()


def test_a_scheduled_auction_names_no_one(officer, three, api):
    tender, _ = auction_tender(officer, [(three[0], "950000.00"), (three[1], "900000.00")])
    text = api.get(url(tender)).content.decode()
    assert "Alma" not in text and "Baiterek" not in text


def test_a_draft_tenders_auction_is_not_found(officer, api):
    refused(api.get("/api/tenders/999999/lots/1/auction/"), 404, "not_found")


def test_the_estimated_amount_is_the_base_of_the_step(officer, as_user):
    low = (ESTIMATED * Decimal("0.005")).quantize(Decimal("0.01"))
    assert as_user(officer).post("/api/tenders/", body(minimal_step=str(low)), format="json").status_code == 201


def test_a_cancelled_lots_auction_takes_no_more_prices(officer, three, as_user):
    tender, _ = auction_tender(officer, [(three[0], "950000.00"), (three[1], "900000.00")])
    move_to(Auction.objects.get(tender=tender), "turn", 1, 0)
    owner = as_user(officer)
    lot = tender.lots.get().pk
    assert owner.post(f"/api/tenders/{tender.pk}/lots/{lot}/cancel/", {"reason": "Need gone"},
                      format="json").status_code == 200
    refused(offer(as_user(three[0]), tender, "940000.00"), 409, "auction_finished")
