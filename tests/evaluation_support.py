"""Shared set-up for the evaluation tests: a tender already past its opening.

The tender is published "in the past" (``now=``) so that its deadline is
behind real time, bids are submitted before that deadline, and the opening
runs with a time after it — no clock patching."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bids import services as bid_services
from bids.models import Bid
from evaluation import services
from tenders import services as tender_services
from tenders.models import Criterion, Tender
from tests.conftest import tender_fields


@dataclass
class Opened:
    tender: Tender
    bids: dict[str, Bid] = field(default_factory=dict)  # supplier label -> bid
    suppliers: dict = field(default_factory=dict)  # supplier label -> user
    criteria: list[Criterion] = field(default_factory=list)


BEST_VALUE = {"award_method": "best_value", "price_weight": 60,
              "criteria": [{"name": "Quality", "weight": 25}, {"name": "Delivery", "weight": 15}]}


@pytest.fixture
def make_opened(make_tender, make_supplier, officer):
    def make(prices: dict[str, str], *, by=None, min_bids: int = 1, best_value: bool = False,
             **overrides) -> Opened:
        start = timezone.now() - timedelta(days=30)
        terms = dict(BEST_VALUE) if best_value else {}
        terms.update(overrides)
        tender = make_tender(by=by or officer, now=start, min_bids=min_bids, **terms)
        result = Opened(tender=tender, criteria=list(tender.criteria.order_by("position")))
        contents = {label: bid_services.BidContent(amount=Decimal(price), currency="KZT", answers={}, documents=[])
                    for label, price in prices.items()}
        return _bid_and_open(result, contents, make_supplier, start)
    return make


def _bid_and_open(result: Opened, contents: dict, make_supplier, start) -> Opened:
    """Each supplier label's bid submitted before the deadline, then the opening."""
    tender = result.tender
    for i, (label, content) in enumerate(contents.items()):
        user = make_supplier(name=f"{label} LLP {tender.pk}")
        receipt = bid_services.submit_bid(tender.pk, by=user, content=content, now=start + timedelta(days=1, minutes=i))
        result.suppliers[label] = user
        result.bids[label] = receipt.bid
    assert bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    tender.refresh_from_db()
    result.tender = tender
    result.bids = {label: Bid.objects.get(pk=pk) for label, pk in result.bids.items()}
    return result


@pytest.fixture
def committee(make_officer, officer):
    """Two evaluators of the officer's buyer, named on the tender and declared."""
    def make(tender: Tender, *, declare: bool = True) -> list:
        members = [make_officer(buyer=officer.organisation.name) for _ in range(2)]
        services.add_evaluators(tender.pk, by=officer, user_ids=[m.pk for m in members])
        if declare:
            for member in members:
                services.declare_no_conflict(tender.pk, by=member)
        return members
    return make


def qualify_all(opened: Opened, by, *, except_: tuple[str, ...] = ()) -> None:
    for label, bid in opened.bids.items():
        services.qualify_bid(opened.tender.pk, bid.pk, by=by, qualified=label not in except_,
                             reason="Documents complete." if label not in except_ else "Licence missing.")


@pytest.fixture
def make_lots_opened(make_supplier, officer):
    """A tender of several lots past its opening: ``offers`` maps a supplier
    label to its prices per lot title (any subset of the lots)."""
    def make(lots: dict[str, str], offers: dict[str, dict[str, str]], **overrides) -> Opened:
        start = timezone.now() - timedelta(days=30)
        fields = tender_fields(start, **overrides)
        fields.pop("estimated_amount")
        tender = tender_services.create_draft(by=officer, now=start, lots=[
            {"title": title, "estimated_amount": Decimal(amount)} for title, amount in lots.items()], **fields)
        tender_services.publish_tender(tender.pk, by=officer, now=start)
        by_title = {lot.title: lot for lot in tender.lots.all()}
        contents = {label: bid_services.BidContent(amount=None, currency="KZT", answers={}, documents=[],
                                                   lots=[(by_title[t].pk, Decimal(p)) for t, p in prices.items()])
                    for label, prices in offers.items()}
        return _bid_and_open(Opened(tender=tender), contents, make_supplier, start)
    return make
