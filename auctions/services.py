"""Every rule that changes an auction: scheduling it once a lot's offers are
decided (called by the evaluation), accepting a price in a turn, and the
scheduler's pass that announces each stage and finishes the auction.

Each locks the tender row first (its audit chain), then the auction's row,
then reads the database clock: which turn a price falls into is decided by
that clock under that lock, like the bid deadline, never by a timer. The
schedule itself is arithmetic on the stored start and lengths
(``auctions.schedule``), so a server that was down resumes where the clock
is, and an accepted price is a committed row before its receipt is sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from bids import receipts
from core import sealing
from core.db import db_now
from core.errors import Forbidden, Invalid, NotFound, WrongState
from core.isotime import iso
from live import events as live
from scheduling import services as scheduling
from tenders.models import Lot, LotStatus, Status, Tender
from tenders.services import lock_tender

from . import schedule, selectors
from .models import Auction, AuctionPrice, AuctionStatus, Participant
from .serializers import AuctionEventOut

logger = logging.getLogger(__name__)

ROUNDS = 3
AUCTION_JOB = "auction_stage"


@dataclass(frozen=True)
class Admitted:
    """An admitted offer, as the evaluation hands it over."""
    bid: int
    supplier: int
    amount: Decimal
    received_at: datetime


@dataclass(frozen=True)
class PriceReceipt:
    tender: int
    lot: int
    bid: int
    participant: int
    round: int
    amount: Decimal
    sha256: str
    received_at: datetime
    signature: str
    key_id: str
    public_key: str
    content: str


def _public(loaded: selectors.Loaded, now: datetime) -> dict:
    """What every live auction event carries: the public state at ``now``
    but its protocol (``AuctionEventOut``: the browser adds the turn or price
    the event announces); the event's ``at`` is the server's time."""
    return AuctionEventOut(selectors.state(loaded, now=now, protocol=False)).data


# --- scheduling (from the evaluation) -------------------------------------------------------

def schedule_lot(tender: Tender, lot: Lot, *, admitted: list[Admitted], now: datetime) -> Auction | None:
    """Every offer of ``lot`` is decided (the evaluation holds the tender's
    lock): with 2 or more admitted, the auction starts
    ``PROCUREMENT_AUCTION_DELAY`` seconds from now; with 1 it is skipped (that
    offer is the award proposal); with none there is nothing to hold (the
    evaluation has made the lot unsuccessful). Participants are numbered in
    the order of their initial submission."""
    if not admitted or Auction.objects.filter(lot=lot).exists():
        return None
    skipped = len(admitted) < 2
    start = None if skipped else now + timedelta(seconds=settings.PROCUREMENT_AUCTION_DELAY)
    auction = Auction.objects.create(
        tender=tender, lot=lot, status=AuctionStatus.SKIPPED if skipped else AuctionStatus.SCHEDULED,
        start_at=start, pause=settings.PROCUREMENT_AUCTION_PAUSE, turn=settings.PROCUREMENT_AUCTION_TURN,
        rounds=ROUNDS, minimal_step=lot.minimal_step or Decimal("0.01"), stage=0, next_change_at=start,
        scheduled_at=now, finished_at=now if skipped else None)
    ordered = sorted(admitted, key=lambda o: (o.received_at, o.bid))
    Participant.objects.bulk_create(
        Participant(auction=auction, bid_id=o.bid, supplier_id=o.supplier, number=i, initial_amount=o.amount,
                    received_at=o.received_at, final_amount=o.amount if skipped else None)
        for i, o in enumerate(ordered, start=1))
    loaded = selectors.load(auction)
    if skipped:
        audit.append(tender, "auction_skipped", role="system", now=now,
                     data={"lot": lot.pk, "reason": "fewer_than_two_admitted", "admitted": len(admitted),
                           "bid": ordered[0].bid})
        live.emit(tender, "auction_stage", now=now, lot=lot.pk, auction=_public(loaded, now))
        return auction
    audit.append(tender, "auction_scheduled", role="system", now=now,
                 data={"lot": lot.pk, "start": iso(start), "participants": len(admitted),
                       "minimal_step": f"{auction.minimal_step:.2f}", "pause": auction.pause, "turn": auction.turn,
                       "rounds": auction.rounds, "end": iso(loaded.end())})
    live.emit(tender, "auction_scheduled", now=now, lot=lot.pk, auction=_public(loaded, now))
    return auction


# --- a price in a turn -----------------------------------------------------------------------

def _require_participant(tender_id: int, lot_id: int, by: User) -> None:
    """Plain reads before any lock, so that a supplier who is not in the
    auction never queues on the tender's lock (sealed bids near a deadline
    wait on that lock). Participants never change once the auction exists."""
    if Participant.objects.filter(auction__tender_id=tender_id, auction__lot_id=lot_id,
                                  supplier_id=by.organisation_id).exists():
        return
    if not Tender.objects.filter(pk=tender_id).exclude(status=Status.DRAFT).exists():
        raise NotFound("No such tender.")
    if not Auction.objects.filter(tender_id=tender_id, lot_id=lot_id).exists():
        raise NotFound("This lot has no auction.", code="no_auction")
    raise Forbidden("Only a participant of this auction (an admitted bidder on the lot) can offer a price.",
                    code="not_a_participant")


def _lock(tender_id: int, lot_id: int) -> tuple[Tender, Auction]:
    tender = lock_tender(tender_id)
    if tender.status == Status.DRAFT:
        raise NotFound("No such tender.")
    auction = Auction.objects.select_for_update(of=("self",)).filter(tender=tender, lot_id=lot_id).first()
    if auction is None:
        raise NotFound("This lot has no auction.", code="no_auction")
    return tender, auction


def canonical_price(*, tender_id: int, lot_id: int, bid_id: int, participant: int, round_: int, amount: Decimal,
                    nonce: str) -> bytes:
    """The exact bytes hashed for an accepted price's receipt."""
    return receipts.canonical({"tender": tender_id, "lot": lot_id, "bid": bid_id, "participant": participant,
                               "round": round_, "amount": f"{amount:.2f}", "kind": "auction_price",
                               "nonce": nonce})


@transaction.atomic
def place_price(tender_id: int, lot_id: int, *, by: User, amount: Decimal, now: datetime | None = None
                ) -> PriceReceipt:
    """A participant lowers its price in its turn. Decided on the locked
    auction row with the database clock: outside its turn 409
    ``not_your_turn``, after the end 409 ``auction_finished``; a raise 400
    ``price_raised``, less than the minimal step 400 ``step_too_small``.
    Within its turn its last accepted price counts."""
    _require_participant(tender_id, lot_id, by)
    tender, auction = _lock(tender_id, lot_id)
    now = now or db_now()  # after the locks: time spent waiting counts
    loaded = selectors.load(auction)
    me = loaded.participant_of(by.organisation_id)
    if auction.status in (AuctionStatus.FINISHED, AuctionStatus.SKIPPED):
        raise WrongState("The auction has finished.", code="auction_finished", status=auction.status)
    lot_status = Lot.objects.filter(pk=auction.lot_id).values_list("status", flat=True).get()
    if lot_status != LotStatus.EVALUATION:  # the lot (or the tender) was cancelled meanwhile
        raise WrongState(f"The lot is {lot_status}: its auction takes no more prices.", code="auction_finished",
                         status=lot_status)
    timeline = loaded.timeline()
    stage = schedule.stage_at(timeline, now)
    if stage.kind == schedule.FINISHED:
        raise WrongState(f"The auction finished at {iso(stage.starts)}.", code="auction_finished",
                         ended_at=iso(stage.starts))
    entrants, accepted = loaded.entrants, loaded.accepted
    turn_of = schedule.whose_turn(stage, entrants, accepted)
    if turn_of != me.number:
        raise WrongState("It is not your turn.", code="not_your_turn", field="amount",
                         stage=stage.kind, turn=turn_of,
                         ends_at=iso(stage.ends) if stage.ends else None)
    before = schedule.prices_before(entrants, accepted, stage.round)[me.number]
    if amount > before:
        raise Invalid(f"A price may only go down: yours was {before:.2f}.", code="price_raised", field="amount",
                      price=f"{before:.2f}")
    highest = before - auction.minimal_step
    if amount > highest:
        raise Invalid(f"Lower your price by at least the minimal step {auction.minimal_step:.2f}: at most "
                      f"{highest:.2f}.", code="step_too_small", field="amount", max_price=f"{highest:.2f}")
    content = canonical_price(tender_id=tender.pk, lot_id=auction.lot_id, bid_id=me.bid_id, participant=me.number,
                              round_=stage.round, amount=amount, nonce=receipts.new_nonce())
    sha256 = receipts.digest(content)
    signature = receipts.sign(tender_id=tender.pk, bid_id=me.bid_id, sha256=sha256, received_at=now)
    price = AuctionPrice.objects.create(auction=auction, participant=me, round=stage.round, stage=stage.index,
                                        amount=amount, received_at=now, sha256=sha256, signature=signature,
                                        content=content.decode())
    loaded.prices.append(price)
    audit.append(tender, "auction_price", by=by, hidden=True, now=now,
                 data={"lot": auction.lot_id, "participant": me.number, "round": stage.round,
                       "amount": f"{amount:.2f}", "sha256": sha256})
    live.emit(tender, "auction_price", now=now, lot=auction.lot_id, participant=me.number, round=stage.round,
              amount=f"{amount:.2f}", auction=_public(loaded, now))
    key = sealing.keyring().current
    return PriceReceipt(tender=tender.pk, lot=auction.lot_id, bid=me.bid_id, participant=me.number,
                        round=stage.round, amount=amount, sha256=sha256, received_at=now, signature=signature,
                        key_id=key.key_id, public_key=bytes(key.verify_key).hex(), content=content.decode())


# --- the scheduler: stage to stage ---------------------------------------------------------------

@transaction.atomic
def advance(auction_id: int, *, now: datetime | None = None) -> bool:
    """Announce the stage the clock is in (once: the stored ``stage`` is
    compared and set under the lock) and finish the auction at its end.
    Safe from several schedulers at once and after any downtime: the stage
    follows from the stored times."""
    tender_id = Auction.objects.filter(pk=auction_id).values_list("tender_id", flat=True).first()
    if tender_id is None:
        return False
    tender = lock_tender(tender_id)
    auction = (Auction.objects.select_for_update(of=("self",))
               .filter(pk=auction_id, status__in=[AuctionStatus.SCHEDULED, AuctionStatus.RUNNING]).first())
    if auction is None:
        return False
    now = now or db_now()
    loaded = selectors.load(auction)
    stage = schedule.stage_at(loaded.timeline(), now)
    if stage.index == auction.stage:
        if auction.next_change_at != stage.ends:
            Auction.objects.filter(pk=auction.pk).update(next_change_at=stage.ends)
        return False
    if auction.stage == 0 and stage.index > 0:
        audit.append(tender, "auction_started", role="system", now=now,
                     data={"lot": auction.lot_id, "start": iso(auction.start_at),
                           "participants": [{"number": p.number, "amount": f"{p.initial_amount:.2f}"}
                                            for p in loaded.participants]})
    auction.stage = stage.index
    auction.next_change_at = stage.ends
    if stage.kind == schedule.FINISHED:
        _finish(tender, loaded, stage, now=now)
    else:
        auction.status = AuctionStatus.RUNNING
        auction.save(update_fields=["stage", "next_change_at", "status"])
        live.emit(tender, "auction_stage", now=now, lot=auction.lot_id, auction=_public(loaded, now))
    return True


def _finish(tender: Tender, loaded: selectors.Loaded, stage: schedule.Stage, *, now: datetime) -> None:
    """The final prices replace the initial ones for ranking; the protocol,
    with names, goes into the audit chain (and so the OCDS release)."""
    auction = loaded.auction
    final = schedule.current_prices(loaded.entrants, loaded.accepted)
    for p in loaded.participants:
        p.final_amount = final[p.number]
    Participant.objects.bulk_update(loaded.participants, ["final_amount"])
    auction.status = AuctionStatus.FINISHED
    auction.finished_at = stage.starts
    auction.next_change_at = None
    auction.save(update_fields=["stage", "next_change_at", "status", "finished_at"])
    audit.append(tender, "auction_finished", role="system", now=now,
                 data={"lot": auction.lot_id, "ended_at": iso(stage.starts), "prices": len(loaded.prices),
                       "participants": [{"number": p.number, "bid": p.bid_id, "supplier": p.supplier.name,
                                         "initial": f"{p.initial_amount:.2f}", "final": f"{p.final_amount:.2f}"}
                                        for p in loaded.participants]})
    live.emit(tender, "auction_stage", now=now, lot=auction.lot_id, auction=_public(loaded, now))
    logger.info("Auction %s of lot %s finished (%d prices)", auction.pk, auction.lot_id, len(loaded.prices))


def due_for_advance(now: datetime, *, skip: set[int] = frozenset()) -> list[int]:
    return list(Auction.objects.filter(status__in=[AuctionStatus.SCHEDULED, AuctionStatus.RUNNING],
                                       next_change_at__lte=now)
                .exclude(pk__in=skip).exclude(pk__in=scheduling.waiting(AUCTION_JOB, now))
                .order_by("next_change_at").values_list("pk", flat=True)[:50])


def next_stage_due(now: datetime) -> datetime | None:
    """When the next auction stage begins (the scheduler sleeps until then)."""
    return (Auction.objects.filter(status__in=[AuctionStatus.SCHEDULED, AuctionStatus.RUNNING],
                                   next_change_at__isnull=False)
            .exclude(pk__in=scheduling.waiting(AUCTION_JOB, now))
            .order_by("next_change_at").values_list("next_change_at", flat=True).first())


def advance_due(now: datetime | None = None) -> int:
    """One scheduler pass: every auction whose stage has changed, each in its
    own transaction; one that fails is backed off, the others go on."""
    now = now or timezone.now()
    # each item reads the clock itself, after its locks: a busy pass does not date its
    # later announcements (and their events' ``at``) from when it started
    return scheduling.run_due(AUCTION_JOB, due_for_advance, advance, now)
