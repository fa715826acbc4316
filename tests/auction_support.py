"""Shared set-up of the live-auction tests: an auction tender opened and
admitted through the services, and moving an auction's stored start so that
the clock now falls into a chosen stage (the schedule is derived from the
stored start, so this is exactly what waiting would do)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from auctions import schedule, selectors
from auctions.models import Auction
from bids import services as bid_services
from bids.models import Bid
from evaluation import services as evaluation
from tenders import services as tender_services
from tests.conftest import tender_fields

STEP = Decimal("10000.00")
ESTIMATED = Decimal("1000000.00")


def auction_tender(officer, offers, *, step=STEP, decide=True, admit=None):
    """A published auction tender whose deadline has passed, with a bid per
    (supplier, amount) of ``offers`` submitted in that order, opened, and
    (``decide``) every offer admitted but those whose index is not in
    ``admit``. Returns the tender and the bids in submission order."""
    published = timezone.now() - timedelta(seconds=3600 + 120)
    tender = tender_services.create_draft(by=officer, **tender_fields(
        published, method="auction", estimated_amount=ESTIMATED, minimal_step=step,
        clarification_deadline=published + timedelta(seconds=30),
        submission_deadline=published + timedelta(seconds=3600 + 60)))
    tender_services.publish_tender(tender.pk, by=officer, now=published)
    tender.refresh_from_db()
    for i, (supplier, amount) in enumerate(offers):
        bid_services.submit_bid(tender.pk, by=supplier, now=tender.submission_deadline - timedelta(seconds=50 - i),
                                content=bid_services.BidContent(amount=Decimal(amount), currency="KZT", answers={},
                                                                documents=[]))
    assert bid_services.open_tender(tender.pk)
    bids = list(Bid.objects.filter(tender=tender).order_by("current__received_at"))
    if decide:
        for i, bid in enumerate(bids):
            admitted = admit is None or i in admit
            evaluation.qualify_bid(tender.pk, bid.pk, by=officer, qualified=admitted,
                                   reason="Meets the requirements" if admitted else "No licence")
    tender.refresh_from_db()
    return tender, bids


def stage_of(auction: Auction, kind: str, round_: int = 0, position: int | None = None) -> schedule.Stage:
    timeline = selectors.load(auction).timeline()
    return next(s for s in timeline if (s.kind, s.round, s.position) == (kind, round_, position))


def move_to(auction: Auction, kind: str, round_: int = 0, position: int | None = None, *,
            into: float = 1.0) -> schedule.Stage:
    """Shift the stored start so that now is ``into`` seconds into the stage."""
    auction.refresh_from_db()
    stage = stage_of(auction, kind, round_, position)
    shift = stage.starts - auction.start_at
    start = timezone.now() - shift - timedelta(seconds=into)
    Auction.objects.filter(pk=auction.pk).update(start_at=start)
    auction.refresh_from_db()
    # the scheduler's index follows the stored start, as it would have been written
    announced = selectors.load(auction).timeline()[auction.stage]
    Auction.objects.filter(pk=auction.pk).update(next_change_at=announced.ends)
    auction.refresh_from_db()
    return stage_of(auction, kind, round_, position)
