"""The auction's timeline as pure functions of stored data (DESIGN.md "Live
e-auction"): the stored start time, pause, turn length and number of rounds,
the participants' initial prices and the accepted prices. Nothing here keeps
time: which stage a moment falls into is arithmetic on the stored times, so
every process (a request deciding a price, the scheduler, a page) derives
the same answer, and a restarted server picks up where the clock is.

Stages, each half-open ``[starts, ends)``: ``scheduled`` (before the start),
the opening ``pause``, then each round's turns (one per participant, in the
round's order) with a ``pause`` between rounds, then ``finished``.

The order of a round: current price, highest first; a tie, the later
initial submission first (then the higher bid id, so the order is total);
fixed at the start of the round from the prices at the end of the round
before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

SCHEDULED, PAUSE, TURN, FINISHED = "scheduled", "pause", "turn", "finished"


@dataclass(frozen=True)
class Entrant:
    """A participant as the schedule sees it."""
    number: int  # "Participant N", 1-based, fixed when the auction is scheduled
    bid: int
    initial: Decimal
    received_at: datetime  # the initial offer's submission time


@dataclass(frozen=True)
class Price:
    """An accepted price: who, in which round, how much, when."""
    number: int
    round: int
    amount: Decimal
    at: datetime


@dataclass(frozen=True)
class Stage:
    index: int  # 0 scheduled, 1 opening pause, ... ; the last is finished
    kind: str  # scheduled | pause | turn | finished
    round: int  # 0 before the first round (and for the opening pause); the round of a turn or of the pause after it
    position: int | None  # a turn's place in its round's order (0-based)
    starts: datetime | None
    ends: datetime | None


def stages(*, start: datetime, pause: int, turn: int, rounds: int, participants: int) -> list[Stage]:
    """Every stage of the auction, in order."""
    out = [Stage(0, SCHEDULED, 0, None, None, start)]
    t = start
    out.append(Stage(1, PAUSE, 0, None, t, t + timedelta(seconds=pause)))
    t += timedelta(seconds=pause)
    for r in range(1, rounds + 1):
        for k in range(participants):
            out.append(Stage(len(out), TURN, r, k, t, t + timedelta(seconds=turn)))
            t += timedelta(seconds=turn)
        if r < rounds:
            out.append(Stage(len(out), PAUSE, r, None, t, t + timedelta(seconds=pause)))
            t += timedelta(seconds=pause)
    out.append(Stage(len(out), FINISHED, rounds, None, t, None))
    return out


def end_time(*, start: datetime, pause: int, turn: int, rounds: int, participants: int) -> datetime:
    return start + timedelta(seconds=pause * rounds + turn * rounds * participants)


def stage_at(timeline: Sequence[Stage], now: datetime) -> Stage:
    """The stage ``now`` falls into (a stage's end belongs to the next one)."""
    current = timeline[0]
    for stage in timeline[1:]:
        if stage.starts is not None and stage.starts <= now:
            current = stage
        else:
            break
    return current


def order(prices: dict[int, Decimal], entrants: Iterable[Entrant]) -> list[int]:
    """Participant numbers in turn order: current price highest first; a tie,
    the later initial submission first, then the higher bid id."""
    return [e.number for e in sorted(entrants, key=lambda e: (-prices[e.number], -e.received_at.timestamp(), -e.bid))]


def prices_before(entrants: Sequence[Entrant], accepted: Iterable[Price], round_: int) -> dict[int, Decimal]:
    """Each participant's price at the start of ``round_``: its initial price,
    or its last accepted price of an earlier round."""
    prices = {e.number: e.initial for e in entrants}
    for price in sorted(accepted, key=lambda p: (p.round, p.at)):
        if price.round < round_:
            prices[price.number] = price.amount
    return prices


def current_prices(entrants: Sequence[Entrant], accepted: Iterable[Price]) -> dict[int, Decimal]:
    """Each participant's price now: within a turn its last accepted price counts."""
    prices = {e.number: e.initial for e in entrants}
    for price in sorted(accepted, key=lambda p: (p.round, p.at)):
        prices[price.number] = price.amount
    return prices


def round_order(entrants: Sequence[Entrant], accepted: Sequence[Price], round_: int) -> list[int]:
    """The order of ``round_``, fixed from the prices at its start."""
    return order(prices_before(entrants, accepted, round_), entrants)


def whose_turn(stage: Stage, entrants: Sequence[Entrant], accepted: Sequence[Price]) -> int | None:
    """The participant number whose turn ``stage`` is, or None outside turns."""
    if stage.kind != TURN:
        return None
    return round_order(entrants, accepted, stage.round)[stage.position]
