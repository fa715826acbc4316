"""Properties of lots (issue 15), on random tenders: random lots, bids on
random subsets, random qualifications, awards and cancellations.

- each lot's ranking equals a recomputation from its public report (by the
  published rule, from the report's own amounts and decisions), and holds
  exactly the bids qualified on that lot;
- the tender's status always follows from its lots' statuses as DESIGN.md
  defines it (checked against the definition written out here)."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bids import services as bid_services
from core.errors import WrongState
from evaluation import scoring, selectors
from evaluation import services as evaluation
from tenders import services as tender_services
from tenders.models import Lot, Tender
from tests.conftest import tender_fields

pytestmark = pytest.mark.django_db

_names = itertools.count()


def expected_status(lot_statuses: list[str]) -> str:
    """DESIGN.md "Lots", as written there."""
    finished = {"complete", "unsuccessful", "cancelled"}
    if all(s in ("unsuccessful", "cancelled") for s in lot_statuses):
        return "unsuccessful"
    if all(s in finished for s in lot_statuses) and "complete" in lot_statuses:
        return "complete"
    if "evaluation" not in lot_statuses and "awarded" in lot_statuses:
        return "awarded"
    return "evaluation"


@st.composite
def scenarios(draw):
    n_lots = draw(st.integers(1, 4))
    n_bids = draw(st.integers(1, 5))
    prices = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("99999.99"), places=2)
    bids = []
    for _ in range(n_bids):
        subset = draw(st.lists(st.integers(0, n_lots - 1), min_size=1, max_size=n_lots, unique=True))
        bids.append([(lot, draw(prices)) for lot in subset])
    min_bids = draw(st.integers(1, 2))
    # per offer: qualified or not (in a random order of decisions)
    decisions = draw(st.permutations([(b, lot) for b, offers in enumerate(bids) for lot, _ in offers]))
    qualified = {key: draw(st.booleans()) for key in decisions}
    actions = draw(st.lists(st.tuples(st.sampled_from(["award", "cancel", "complete"]), st.integers(0, n_lots - 1)),
                            max_size=6))
    return n_lots, bids, min_bids, decisions, qualified, actions


def build(officer, make_supplier, n_lots, bids, min_bids):
    start = timezone.now() - timedelta(days=30)
    fields = tender_fields(start, min_bids=min_bids)
    fields.pop("estimated_amount")
    tender = tender_services.create_draft(by=officer, lots=[
        {"title": f"Lot {i}", "estimated_amount": Decimal(1000)} for i in range(n_lots)], **fields)
    tender_services.publish_tender(tender.pk, by=officer, now=start)
    lots = list(tender.lots.order_by("position"))
    bid_ids = []
    for i, offers in enumerate(bids):
        supplier = make_supplier(name=f"Bidder {next(_names)} LLP")
        content = bid_services.BidContent(amount=None, currency="KZT", answers={}, documents=[],
                                          lots=[(lots[lot].pk, price) for lot, price in offers])
        bid_ids.append(bid_services.submit_bid(tender.pk, by=supplier, content=content,
                                               now=start + timedelta(days=1, seconds=i)).bid)
    bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    return Tender.objects.get(pk=tender.pk), lots, bid_ids


def assert_status_follows(tender) -> None:
    tender.refresh_from_db()
    statuses = list(Lot.objects.filter(tender=tender).values_list("status", flat=True))
    assert tender.status == expected_status(statuses), statuses


def recompute(report) -> list[int]:
    """The ranking, from the public report alone, by the published rule."""
    candidates = [scoring.Candidate(bid=b["bid"], amount=Decimal(b["amount"]),
                                    received_at=datetime.fromisoformat(b["received_at"].replace("Z", "+00:00")))
                  for b in report["bids"] if (b["qualification"] or {}).get("qualified") is True]
    return [r.bid for r in scoring.rank(award_method=report["award_method"], price_weight=report["price_weight"],
                                        criteria=[], candidates=candidates)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(scenario=scenarios())
def test_rankings_recompute_from_the_reports_and_the_tender_follows_its_lots(scenario, officer, make_supplier):
    n_lots, bids, min_bids, decisions, qualified, actions = scenario
    tender, lots, bid_ids = build(officer, make_supplier, n_lots, bids, min_bids)
    assert_status_follows(tender)
    for b, lot in decisions:
        try:
            evaluation.qualify_bid(tender.pk, bid_ids[b], by=officer, qualified=qualified[(b, lot)],
                                   reason="Decided.", lot_id=lots[lot].pk)
        except WrongState:  # the lot became unsuccessful (too few qualified) or was never opened for evaluation
            lots[lot].refresh_from_db()
            assert lots[lot].status == "unsuccessful"
        assert_status_follows(tender)

    for lot in lots:
        lot.refresh_from_db()
        report = selectors.report(tender, lot)
        assert report["ranking"] == recompute(report)
        mine = {bid_ids[b] for b, offers in enumerate(bids) for i, _ in offers if lots[i].pk == lot.pk
                and qualified.get((b, i))}
        assert set(report["ranking"]) == (mine if lot.status == "evaluation" else set(report["ranking"]))

    for action, i in actions:
        lot = Lot.objects.get(pk=lots[i].pk)
        try:
            if action == "award":
                report = selectors.report(tender, lot)
                if report["ranking"]:
                    evaluation.award_bid(tender.pk, by=officer, bid_id=report["ranking"][0], lot_id=lot.pk)
            elif action == "cancel":
                evaluation.cancel_lot(tender.pk, lot.pk, by=officer, reason="Not needed.")
            else:
                evaluation.complete_due(now=timezone.now() + timedelta(days=365))
        except WrongState:
            pass
        assert_status_follows(tender)
