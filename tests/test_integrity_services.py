"""Red flags computed live, in the transaction of each event, through the
services any client calls; and the recompute command gives the same rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from bids import services as bid_services
from evaluation import services as evaluation
from integrity.models import Flag, MarketFence, PriceGap, TenderFigures
from tenders import services as tender_services

from .evaluation_support import make_opened, qualify_all  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def flags(tender) -> dict:
    return {(f.code, f.lot_id): f.figures for f in Flag.objects.filter(tender=tender)}


def codes(tender) -> list[str]:
    return sorted({f.code for f in Flag.objects.filter(tender=tender)})


def snapshot() -> tuple:
    return (sorted((f.tender_id, f.lot_id, f.buyer_id, f.code, str(f.figures)) for f in Flag.objects.all()),
            sorted(TenderFigures.objects.values_list("tender_id", "buyer_id", "published_at", "offers", "disqualified")),
            sorted(PriceGap.objects.values_list("lot_id", "tender_id", "winning", "second", "gap")),
            list(MarketFence.objects.values_list("lots", "q1", "q3", "lower", "upper")))


def test_r003_raised_at_publication_and_lowered_by_an_amendment_that_extends_the_deadline(make_tender, officer):
    now = timezone.now()
    tender = make_tender(now=now, clarification_deadline=now + timedelta(days=5),
                         submission_deadline=now + timedelta(days=10))
    assert flags(tender) == {("R003", None): {"days": 10, "threshold": 15}}
    tender_services.amend_tender(tender.pk, by=officer, now=now + timedelta(hours=1), rationale="More time.",
                                 submission_deadline=now + timedelta(days=16))
    assert flags(tender) == {}


def test_a_draft_has_no_flags(make_tender):
    now = timezone.now()
    tender = make_tender(publish=False, now=now, clarification_deadline=now + timedelta(days=1),
                         submission_deadline=now + timedelta(days=2))
    assert flags(tender) == {}


def test_r018_only_once_the_bids_are_opened(make_tender, supplier):
    start = timezone.now() - timedelta(days=30)
    tender = make_tender(now=start)
    content = bid_services.BidContent(amount=Decimal("100.00"), currency="KZT", answers={}, documents=[])
    bid_services.submit_bid(tender.pk, by=supplier, content=content, now=start + timedelta(days=1))
    assert codes(tender) == []  # one bid is known to all, but R018 waits for the opening
    bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    assert codes(tender) == ["R018"]


def test_r028_at_the_opening(make_opened):
    opened = make_opened({"a": "100.00", "b": "100.00", "c": "120.00"})
    assert flags(opened.tender) == {("R028", opened.tender.lots.get().pk): {"prices": ["100.00"], "tenderers": 2}}


def test_r035_and_r036_at_the_award(make_opened, officer):
    opened = make_opened({"low": "90.00", "mid": "95.00", "win": "100.00"})
    qualify_all(opened, officer, except_=("low", "mid"))
    assert codes(opened.tender) == []  # decisions alone raise neither
    evaluation.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["win"].pk)
    lot = opened.tender.lots.get().pk
    assert flags(opened.tender) == {("R035", lot): {"disqualified": 2, "threshold": 1},
                                    ("R036", lot): {"lowest": "90.00", "winning": "100.00"}}


def test_buyer_figures_count_offers_and_disqualifications(make_opened, officer):
    opened = make_opened({"a": "90.00", "b": "95.00", "c": "100.00"})
    qualify_all(opened, officer, except_=("a",))
    figures = TenderFigures.objects.get(tender=opened.tender)
    assert (figures.offers, figures.disqualified) == (3, 1)


def _awarded(make_opened, officer, prices: dict[str, str], winner: str):
    opened = make_opened(prices)
    qualify_all(opened, officer)
    evaluation.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids[winner].pk)
    return opened


def test_r024_and_r058_against_the_platforms_own_fences(make_opened, officer, settings):
    settings.PROCUREMENT_FLAGS_MIN_MARKET_LOTS = 5
    # Gaps 5 %, 6 %, 6 %, 7 %: four finished lots, one short of the minimum: no fence, no flag.
    market = [_awarded(make_opened, officer, {"w": "100.00", "s": second}, "w")
              for second in ("105.00", "106.00", "106.00", "107.00")]
    assert MarketFence.objects.get().lower is None
    close = _awarded(make_opened, officer, {"w": "100.00", "s": "100.50"}, "w")
    # Five gaps: 0.5 %, 5 %, 6 %, 6 %, 7 %; Q1 5 %, Q3 6 %, fences 3.5 % and 7.5 %.
    fence = MarketFence.objects.get()
    assert (fence.lots, fence.q1, fence.q3, fence.lower, fence.upper) == (
        5, Decimal("0.05"), Decimal("0.06"), Decimal("0.035"), Decimal("0.075"))
    lot = close.tender.lots.get().pk
    assert flags(close.tender) == {("R024", lot): {"winning": "100.00", "second": "100.50", "difference": "0.005000"}}
    assert all(codes(o.tender) == [] for o in market)  # 5 % is above the lower fence, 7 % below the upper
    cheap = _awarded(make_opened, officer, {"w": "100.00", "s": "130.00"}, "w")
    assert codes(cheap.tender) == ["R058"]
    # The fences moved with the sixth lot (Q1 5.25 %, Q3 6.75 %): the first lots' flags follow them.
    assert codes(close.tender) == ["R024"]
    before = snapshot()
    call_command("recompute_flags")
    assert snapshot() == before


def test_recompute_gives_the_rows_the_live_events_left(make_opened, make_tender, officer):
    now = timezone.now()
    make_tender(now=now, clarification_deadline=now + timedelta(days=2), submission_deadline=now + timedelta(days=3))
    opened = make_opened({"low": "90.00", "a": "100.00", "b": "100.00"})
    qualify_all(opened, officer, except_=("low",))
    evaluation.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["a"].pk)
    make_opened({"solo": "50.00"})
    before = snapshot()
    assert len(before[0]) == 4  # R003, R028, R036, R018
    Flag.objects.all().delete()
    call_command("recompute_flags")
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_awards_on_many_tenders_at_once_leave_the_fences_of_every_gap(make_opened, officer, settings):
    """Each award that adds a price gap takes the fence row's lock before it
    touches any R024/R058 row: concurrent awards on different tenders
    neither deadlock nor leave fences that miss one of their gaps."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections are a PostgreSQL matter")
    settings.PROCUREMENT_FLAGS_MIN_MARKET_LOTS = 2
    tenders = []
    for second in ("101.00", "105.00", "106.00", "107.00", "140.00", "100.10"):
        opened = make_opened({"w": "100.00", "s": second})
        qualify_all(opened, officer)
        tenders.append(opened)
    barrier, errors = threading.Barrier(len(tenders)), []

    def award(opened) -> None:
        try:
            barrier.wait()
            evaluation.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["w"].pk)
        except Exception as exc:  # a deadlock would surface here
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=award, args=(o,)) for o in tenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert MarketFence.objects.get().lots == len(tenders)
    live = snapshot()
    call_command("recompute_flags")
    assert snapshot() == live
