"""The indicators as pure functions of a tender's public facts (no database):
the live path and the ``recompute_flags`` command both load facts with
``integrity.services.load_facts`` and call ``evaluate``, so they cannot
disagree. Nothing here sees a sealed bid: the facts hold prices only for a
tender whose opening record exists (``opened``)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from .indicators import IQR_FACTOR, R003_MIN_DAYS, R025_PERCENTILE, R035_MIN_DISQUALIFIED

PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Offer:
    bid: int
    supplier: int
    amount: Decimal
    qualified: bool | None  # the lot's latest decision; None: not decided yet


@dataclass
class LotFacts:
    lot: int
    offers: list[Offer] = field(default_factory=list)
    set_aside: int = 0  # bids set aside at the opening, counted on a single-lot tender's only lot
    awarded_bid: int | None = None  # the lot's active award


@dataclass
class TenderFacts:
    tender: int
    buyer: int
    published_at: datetime | None
    submission_deadline: datetime
    lowest_price: bool
    opened: bool
    lots: list[LotFacts] = field(default_factory=list)
    competitive: bool = True  # the method's (tenders/methods): a single-source award has no competition
    period_chosen_by_buyer: bool = True  # R003 applies (not to a period the law makes short)


@dataclass(frozen=True)
class Raised:
    code: str
    lot: int | None
    figures: dict


@dataclass(frozen=True)
class Gap:
    lot: int
    winning: Decimal
    second: Decimal
    gap: Decimal


@dataclass
class Outcome:
    flags: list[Raised]
    gaps: list[Gap]
    offers: int
    disqualified: int


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def evaluate(facts: TenderFacts) -> Outcome:
    """Every tender- and lot-level indicator but the market-fenced R024 and
    R058, whose inputs (the price gaps) are returned for ``market_flags``."""
    flags: list[Raised] = []
    if facts.published_at is not None and facts.period_chosen_by_buyer:
        flags += r003(facts)
    gaps: list[Gap] = []
    offers = disqualified = 0
    if facts.opened:
        for lot in facts.lots:
            offers += len(lot.offers) + lot.set_aside
            disqualified += sum(1 for o in lot.offers if o.qualified is False)
            if not facts.competitive:  # counted for the buyer's ratios (R038), but no competition to judge
                continue
            flags += r018(lot) + r028(lot) + r035(lot)
            if facts.lowest_price:
                flags += r036(lot)
                gap = price_gap(lot)
                if gap is not None:
                    gaps.append(gap)
    return Outcome(flags=flags, gaps=gaps, offers=offers, disqualified=disqualified)


def r003(facts: TenderFacts) -> list[Raised]:
    """Submission period in whole days (publication to deadline) under 15."""
    days = (facts.submission_deadline - facts.published_at).days  # floor, as whole days
    if days >= R003_MIN_DAYS:
        return []
    return [Raised("R003", None, {"days": days, "threshold": R003_MIN_DAYS})]


def r018(lot: LotFacts) -> list[Raised]:
    """Exactly one tenderer bid on the lot (of a competitive method)."""
    tenderers = len({o.supplier for o in lot.offers}) + lot.set_aside
    return [Raised("R018", lot.lot, {"tenderers": 1})] if tenderers == 1 else []


def r028(lot: LotFacts) -> list[Raised]:
    """Different tenderers offered the same price (each price shared by two or more)."""
    by_price: dict[Decimal, set[int]] = {}
    for offer in lot.offers:
        by_price.setdefault(offer.amount, set()).add(offer.supplier)
    shared = sorted(price for price, suppliers in by_price.items() if len(suppliers) >= 2)
    if not shared:
        return []
    return [Raised("R028", lot.lot, {"prices": [money(p) for p in shared],
                                     "tenderers": sum(len(by_price[p]) for p in shared)})]


def r035(lot: LotFacts) -> list[Raised]:
    """One tenderer's bid valid, it is the winner's, and at least one other disqualified."""
    if lot.awarded_bid is None:
        return []
    valid = {o.supplier for o in lot.offers if o.qualified is True}
    winners = {o.supplier for o in lot.offers if o.bid == lot.awarded_bid}
    others = {o.supplier for o in lot.offers if o.qualified is False} - valid
    if len(valid) == 1 and valid == winners and len(others) >= R035_MIN_DISQUALIFIED:
        return [Raised("R035", lot.lot, {"disqualified": len(others), "threshold": R035_MIN_DISQUALIFIED})]
    return []


def r036(lot: LotFacts) -> list[Raised]:
    """An active award, a valid bid with a price, and a bid at the lowest price disqualified."""
    if lot.awarded_bid is None or not any(o.qualified is True for o in lot.offers):
        return []
    lowest = min(o.amount for o in lot.offers)
    if not any(o.amount == lowest and o.qualified is False for o in lot.offers):
        return []
    winning = next(o.amount for o in lot.offers if o.bid == lot.awarded_bid)
    return [Raised("R036", lot.lot, {"lowest": money(lowest), "winning": money(winning)})]


def price_gap(lot: LotFacts) -> Gap | None:
    """``(second-lowest valid - winning) / winning`` for a lot awarded to
    its lowest valid bid, when another valid bid exists (Cardinal's
    exclusions: no active award, the winner not the lowest bid)."""
    if lot.awarded_bid is None:
        return None
    valid = [o for o in lot.offers if o.qualified is True]
    winner = next((o for o in valid if o.bid == lot.awarded_bid), None)
    others = sorted(o.amount for o in valid if o.bid != lot.awarded_bid)
    if winner is None or not others or others[0] < winner.amount:
        return None
    gap = ((others[0] - winner.amount) / winner.amount).quantize(PLACES, rounding=ROUND_HALF_EVEN)
    return Gap(lot=lot.lot, winning=winner.amount, second=others[0], gap=gap)


@dataclass(frozen=True)
class Fences:
    """Tukey's fences over a set of values; None when there are too few."""
    count: int
    q1: Decimal | None = None
    q3: Decimal | None = None
    lower: Decimal | None = None
    upper: Decimal | None = None


def fences(values: list[Decimal], *, minimum: int) -> Fences:
    """Quartiles by the ``inclusive`` method of Python's ``statistics``
    (linear interpolation, R's type 7), and the fences Q1 - 1.5 IQR and
    Q3 + 1.5 IQR, to six decimal places. Fewer than ``minimum`` values
    (at least 2): no fences, so no flag depends on them."""
    if len(values) < max(2, minimum):
        return Fences(count=len(values))
    q1, _, q3 = statistics.quantiles(sorted(values), n=4, method="inclusive")
    iqr = q3 - q1
    factor = Decimal(str(IQR_FACTOR))

    def q(value: Decimal) -> Decimal:
        return Decimal(value).quantize(PLACES, rounding=ROUND_HALF_EVEN)
    return Fences(count=len(values), q1=q(q1), q3=q(q3), lower=q(q1 - factor * iqr), upper=q(q3 + factor * iqr))


def r024_applies(gap: Decimal, f: Fences) -> bool:
    """At or below the lower fence; as Cardinal, only when Q1 and the fence are positive."""
    return f.lower is not None and f.q1 > 0 and f.lower > 0 and gap <= f.lower


def r058_applies(gap: Decimal, f: Fences) -> bool:
    """At or above the upper fence; only when the fence is positive."""
    return f.upper is not None and f.upper > 0 and gap >= f.upper


def r038_applies(ratio: Decimal, f: Fences) -> bool:
    """A buyer's disqualified share at or above the upper fence, when it is positive."""
    return f.upper is not None and f.upper > 0 and ratio >= f.upper


@dataclass(frozen=True)
class SupplierFacts:
    valid_bids: int  # qualified offers on lots that have an active award
    wins: int  # active awards
    divisions: int  # distinct CPV divisions of its awarded lots
    awarded_tenders: int


def _quantize(value) -> Decimal:
    return Decimal(value).quantize(PLACES, rounding=ROUND_HALF_EVEN)


def r025(suppliers: dict[int, SupplierFacts], *, minimum: int) -> tuple[Decimal | None, Fences, set[int]]:
    """Excessive unsuccessful bids: a top tenderer (valid bids at or above
    the 75th percentile of all suppliers' valid bids) whose win share
    (wins / valid bids) is at or below Q1 - 1.5 IQR of the win shares,
    used only when Q1 and the fence are positive. Returns the top line, the
    fences and the suppliers raised."""
    counted = {s: f for s, f in suppliers.items() if f.valid_bids > 0}
    if len(counted) < max(2, minimum):
        return None, Fences(count=len(counted)), set()
    top = _quantize(statistics.quantiles(sorted(f.valid_bids for f in counted.values()), n=100,
                                         method="inclusive")[R025_PERCENTILE - 1])
    shares = {s: _quantize(Decimal(f.wins) / Decimal(f.valid_bids)) for s, f in counted.items()}
    f = fences(list(shares.values()), minimum=minimum)
    if f.lower is None or f.q1 <= 0 or f.lower <= 0:
        return top, f, set()
    return top, f, {s for s, share in shares.items() if counted[s].valid_bids >= top and share <= f.lower}


def r048(suppliers: dict[int, SupplierFacts], *, min_processes: int, minimum: int) -> tuple[Fences, set[int]]:
    """Heterogeneous supplier: CPV divisions at or above Q3 + 1.5 IQR of the
    divisions of suppliers awarded on at least ``min_processes`` tenders
    (the fence needs ``minimum`` of them, and is used when positive)."""
    f = fences([Decimal(x.divisions) for x in suppliers.values() if x.awarded_tenders >= min_processes],
               minimum=minimum)
    if f.upper is None or f.upper <= 0:
        return f, set()
    return f, {s for s, x in suppliers.items() if x.wins and x.divisions >= f.upper}
