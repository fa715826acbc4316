"""Properties of the red flags, on random tenders:

- before the opening no flag reads a bid: the rules raise nothing but R003
  on unopened facts whatever the offers, and on the platform two tenders
  whose sealed prices differ carry the same flags until their opening
  (R018 never before it);
- the flags the live events leave equal what ``recompute_flags`` computes
  from scratch."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bids import services as bid_services
from core.errors import WrongState
from evaluation import selectors
from evaluation import services as evaluation
from integrity import rules
from integrity.models import Flag, PriceGap, TenderFigures
from tenders.models import Tender

pytestmark = pytest.mark.django_db

_names = itertools.count()
prices = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("999.99"), places=2)
T0 = datetime(2026, 3, 2, tzinfo=UTC)


@st.composite
def unopened(draw):
    offers = [rules.Offer(bid=i, supplier=draw(st.integers(1, 4)), amount=draw(prices),
                          qualified=draw(st.sampled_from([None, True, False]))) for i in range(draw(st.integers(0, 5)))]
    lot = rules.LotFacts(lot=1, offers=offers, set_aside=draw(st.integers(0, 2)),
                         awarded_bid=draw(st.sampled_from([None] + [o.bid for o in offers])))
    return rules.TenderFacts(tender=1, buyer=1, published_at=T0,
                             submission_deadline=T0 + timedelta(hours=draw(st.integers(1, 40 * 24))),
                             lowest_price=draw(st.booleans()), opened=False, lots=[lot])


@settings(max_examples=200, deadline=None)
@given(facts=unopened())
def test_unopened_facts_raise_only_the_submission_period(facts):
    outcome = rules.evaluate(facts)
    assert {f.code for f in outcome.flags} <= {"R003"}
    assert outcome.gaps == [] and outcome.offers == 0 and outcome.disqualified == 0
    empty = rules.TenderFacts(**{**facts.__dict__, "lots": []})
    assert rules.evaluate(empty).flags == outcome.flags  # the offers change nothing


def _flags_of(tender) -> list:
    return sorted((f.code, f.figures) for f in Flag.objects.filter(tender=tender))


def _tender_with_bids(make_tender, make_supplier, amounts, start, days):
    tender = make_tender(now=start, clarification_deadline=start + timedelta(days=1),
                         submission_deadline=start + timedelta(days=days))
    for i, amount in enumerate(amounts):
        content = bid_services.BidContent(amount=amount, currency="KZT", answers={}, documents=[])
        bid_services.submit_bid(tender.pk, by=make_supplier(name=f"Bidder {next(_names)} LLP"), content=content,
                                now=start + timedelta(hours=i + 1))
    return tender


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(first=st.lists(prices, min_size=1, max_size=3), other=st.data(), days=st.integers(2, 20))
def test_flags_never_depend_on_sealed_bids_before_the_opening(first, other, days, make_tender, make_supplier):
    second = other.draw(st.lists(prices, min_size=len(first), max_size=len(first)))
    start = timezone.now() - timedelta(days=days + 1)
    a = _tender_with_bids(make_tender, make_supplier, first, start, days)
    b = _tender_with_bids(make_tender, make_supplier, second, start, days)
    assert _flags_of(a) == _flags_of(b)
    assert not Flag.objects.filter(tender__in=[a, b]).exclude(code="R003").exists()
    assert not PriceGap.objects.filter(tender__in=[a, b]).exists()
    assert set(TenderFigures.objects.filter(tender__in=[a, b]).values_list("offers", "disqualified")) == {(0, 0)}
    bid_services.open_tender(a.pk, now=a.submission_deadline + timedelta(seconds=1))
    assert ("R018" in {c for c, _ in _flags_of(a)}) == (len(first) == 1)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(amounts=st.lists(st.sampled_from([Decimal("100.00"), Decimal("100.50"), Decimal("104.00"),
                                          Decimal("130.00")]), min_size=1, max_size=4),
       verdicts=st.lists(st.booleans(), min_size=4, max_size=4), award=st.booleans())
def test_the_live_flags_equal_a_recomputation(amounts, verdicts, award, make_tender, make_supplier, officer,
                                              settings):
    settings.PROCUREMENT_FLAGS_MIN_MARKET_LOTS = 2
    start = timezone.now() - timedelta(days=30)
    tender = _tender_with_bids(make_tender, make_supplier, amounts, start, 20)
    bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    for bid, verdict in zip(Tender.objects.get(pk=tender.pk).bids.order_by("pk"), verdicts):
        try:
            evaluation.qualify_bid(tender.pk, bid.pk, by=officer, qualified=verdict, reason="Decided.")
        except WrongState:
            break  # the lot became unsuccessful
    tender.refresh_from_db()
    if award and tender.status == "evaluation":
        ranking = selectors.report(tender, tender.lots.get())["ranking"]
        if ranking:
            evaluation.award_bid(tender.pk, by=officer, bid_id=ranking[0])
    live = (sorted((f.tender_id, f.lot_id, f.code, str(f.figures)) for f in Flag.objects.all()),
            sorted(TenderFigures.objects.values_list("tender_id", "offers", "disqualified")),
            sorted(PriceGap.objects.values_list("lot_id", "gap")))
    call_command("recompute_flags")
    assert live == (sorted((f.tender_id, f.lot_id, f.code, str(f.figures)) for f in Flag.objects.all()),
                    sorted(TenderFigures.objects.values_list("tender_id", "offers", "disqualified")),
                    sorted(PriceGap.objects.values_list("lot_id", "gap")))
