"""Reads of an auction. Everything public here follows from the opening
record (already public) and the auction's own rows; an auction exists only
once every offer of its lot was decided, so nothing of a lot still being
admitted is shown. Names (and bid ids) only once the auction has finished."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


from core.errors import NotFound

from . import schedule
from .models import Auction, AuctionPrice, AuctionStatus, Participant
from .serializers import AuctionOut


@dataclass
class Loaded:
    """An auction with its participants and accepted prices, read once."""
    auction: Auction
    participants: list[Participant]
    prices: list[AuctionPrice]

    @property
    def entrants(self) -> list[schedule.Entrant]:
        return [schedule.Entrant(number=p.number, bid=p.bid_id, initial=p.initial_amount, received_at=p.received_at)
                for p in self.participants]

    @property
    def accepted(self) -> list[schedule.Price]:
        numbers = {p.pk: p.number for p in self.participants}
        return [schedule.Price(number=numbers[x.participant_id], round=x.round, amount=x.amount, at=x.received_at)
                for x in self.prices]

    def timeline(self) -> list[schedule.Stage]:
        a = self.auction
        return schedule.stages(start=a.start_at, pause=a.pause, turn=a.turn, rounds=a.rounds,
                               participants=len(self.participants))

    def end(self) -> datetime:
        a = self.auction
        return schedule.end_time(start=a.start_at, pause=a.pause, turn=a.turn, rounds=a.rounds,
                                 participants=len(self.participants))

    def participant_of(self, organisation_id: int | None) -> Participant | None:
        return next((p for p in self.participants if p.supplier_id == organisation_id), None)


def load(auction: Auction) -> Loaded:
    participants = list(Participant.objects.filter(auction=auction).select_related("supplier").order_by("number"))
    prices = list(AuctionPrice.objects.filter(auction=auction).order_by("received_at", "id"))
    return Loaded(auction=auction, participants=participants, prices=prices)


def auction_of_lot(tender_id: int, lot_id: int) -> Auction:
    auction = Auction.objects.filter(tender_id=tender_id, lot_id=lot_id).first()
    if auction is None:
        raise NotFound("This lot has no auction (yet): it is scheduled once every offer is admitted or rejected.",
                       code="no_auction")
    return auction


def status_at(loaded: Loaded, now: datetime) -> str:
    """The status as the clock has it (the stored one may wait for the scheduler)."""
    a = loaded.auction
    if a.status in (AuctionStatus.FINISHED, AuctionStatus.SKIPPED):
        return a.status
    if now >= loaded.end():
        return AuctionStatus.FINISHED
    return AuctionStatus.RUNNING if now >= a.start_at else AuctionStatus.SCHEDULED


def state(loaded: Loaded, *, now: datetime, organisation_id: int | None = None, protocol: bool = True) -> dict:
    """The auction as ``AuctionOut`` renders it, at ``now`` (the database's
    clock: it decides the stage, and whether the names are out); ``you`` and
    ``max_price`` only for a participant's organisation."""
    a = loaded.auction
    status = status_at(loaded, now)
    finished = status == AuctionStatus.FINISHED
    entrants, accepted = loaded.entrants, loaded.accepted
    current = schedule.current_prices(entrants, accepted)
    body = {
        "tender": a.tender_id, "lot": a.lot_id, "status": status, "start": a.start_at, "server_time": now,
        "minimal_step": a.minimal_step, "pause": a.pause, "turn_seconds": a.turn, "rounds": a.rounds,
        "end": None, "stage": None, "order": [], "protocol": [],
        "participants": [{"number": p.number, "initial": p.initial_amount,
                          "price": p.final_amount if p.final_amount is not None else current[p.number],
                          "name": p.supplier.name if finished or a.status == AuctionStatus.SKIPPED else None,
                          "bid": p.bid_id if finished or a.status == AuctionStatus.SKIPPED else None}
                         for p in loaded.participants],
    }
    mine = loaded.participant_of(organisation_id) if organisation_id is not None else None
    if mine is not None:
        body["you"] = mine.number
    if a.status == AuctionStatus.SKIPPED:
        return body
    timeline = loaded.timeline()
    stage = schedule.stage_at(timeline, now)
    body["end"] = loaded.end()
    body["stage"] = {"index": stage.index, "kind": stage.kind, "round": stage.round, "position": stage.position,
                     "starts": stage.starts, "ends": stage.ends,
                     "participant": schedule.whose_turn(stage, entrants, accepted)}
    shown_round = stage.round if stage.kind == schedule.TURN else stage.round + 1
    shown_round = min(max(shown_round, 1), a.rounds)
    body["order"] = schedule.round_order(entrants, accepted, shown_round)
    body["protocol"] = turns(loaded, timeline, stage) if protocol else []
    if mine is not None and not finished:
        # the price its next (or current) turn starts from, less the step
        in_turn = body["stage"]["participant"] == mine.number
        base = schedule.prices_before(entrants, accepted, stage.round)[mine.number] if in_turn \
            else current[mine.number]
        body["max_price"] = max(base - a.minimal_step, Decimal("0.00"))
    return body


def turns(loaded: Loaded, timeline: list[schedule.Stage], stage: schedule.Stage) -> list[dict]:
    """Every turn begun by ``stage``, with the prices accepted in it."""
    entrants, accepted = loaded.entrants, loaded.accepted
    by_stage: dict[int, list[AuctionPrice]] = {}
    for price in loaded.prices:
        by_stage.setdefault(price.stage, []).append(price)
    orders: dict[int, list[int]] = {}
    turns = []
    for s in timeline:
        if s.kind != schedule.TURN or s.index > stage.index:
            continue
        order = orders.setdefault(s.round, schedule.round_order(entrants, accepted, s.round))
        number = order[s.position]
        turns.append({"round": s.round, "position": s.position, "participant": number, "starts": s.starts,
                      "ends": s.ends,
                      "price_before": schedule.prices_before(entrants, accepted, s.round)[number],
                      "prices": [{"amount": p.amount, "at": p.received_at, "sha256": p.sha256}
                                 for p in by_stage.get(s.index, [])]})
    return turns


def final_prices(lot_id: int) -> dict[int, Decimal] | None:
    """A finished auction's final price per bid (what ranks the lot), or
    None: the lot had no auction, or it has not finished."""
    auction = Auction.objects.filter(lot_id=lot_id, status=AuctionStatus.FINISHED).first()
    if auction is None:
        return None
    return dict(Participant.objects.filter(auction=auction).values_list("bid_id", "final_amount"))


def lot_auction_status(lot_id: int) -> str | None:
    return Auction.objects.filter(lot_id=lot_id).values_list("status", flat=True).first()


def is_participant(lot_id: int, bid_id: int) -> bool:
    return Participant.objects.filter(auction__lot_id=lot_id, bid_id=bid_id).exists()


def public_states(tender_id: int, *, now: datetime) -> list[dict]:
    """Every auction of a tender, for its socket's snapshot."""
    return [dict(AuctionOut(state(load(a), now=now)).data)
            for a in Auction.objects.filter(tender_id=tender_id).order_by("lot_id")]
