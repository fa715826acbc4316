"""The scoring and ranking rule, as pure functions of published data.

Rounding rule (published with every report):

* price score = price_weight × lowest qualified price / bid price, computed
  exactly (as a fraction) and rounded ONCE to 4 decimal places, half to even;
* quality score of a criterion = the mean of the evaluators' points on it,
  computed exactly and rounded once to 4 decimal places, half to even (0 when
  nobody scored it);
* total = price score + every criterion's quality score, an exact sum of the
  published 4-place figures (no further rounding).

All arithmetic happens here in Python on the stored 2-place prices and points,
never in SQL, so SQLite and PostgreSQL give identical figures and ranking.

Ranking of qualified bids: best value — total descending, then lower price,
then earlier receipt of the bid's current version, then lower bid id; lowest
price — price ascending, then earlier receipt, then lower bid id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

PLACES = 4
QUANTUM = Decimal(1).scaleb(-PLACES)  # 0.0001
ROUNDING = "ROUND_HALF_EVEN"
RULE = ("price score = price_weight × lowest qualified price / bid price; quality per criterion = mean of "
        "the evaluators' points; each rounded once from the exact value to 4 decimal places, half to even; "
        "total = exact sum of the rounded figures. Ranking: total desc, then lower price, then earlier "
        "received_at, then lower bid id (lowest_price: price asc, then received_at, then bid id).")

ZERO = Decimal("0.0000")


def _div_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator (denominator > 0) rounded to an integer, half to even."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2):
        quotient += 1
    return quotient


def round_exact(numerator: int, denominator: int) -> Decimal:
    """The exact rational numerator / denominator, rounded once to 4 places, half to even."""
    return Decimal(_div_half_even(numerator * 10**PLACES, denominator)).scaleb(-PLACES)


def price_score(price_weight: int, lowest: Decimal, amount: Decimal) -> Decimal:
    ln, ld = lowest.as_integer_ratio()
    an, ad = amount.as_integer_ratio()
    return round_exact(price_weight * ln * ad, ld * an)


def mean_points(points: Sequence[Decimal]) -> Decimal:
    if not points:
        return ZERO
    n, d = sum(points, Decimal(0)).as_integer_ratio()  # a sum of 2-place figures is exact
    return round_exact(n, d * len(points))


@dataclass(frozen=True)
class Candidate:
    """A qualified bid as the ranking sees it."""

    bid: int
    amount: Decimal
    received_at: datetime
    # criterion id -> every evaluator's points for this bid on that criterion
    points: Mapping[int, Sequence[Decimal]] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    bid: int
    amount: Decimal
    received_at: datetime
    price_score: Decimal
    quality: dict[int, Decimal]
    total: Decimal
    rank: int


def rank(*, award_method: str, price_weight: int, criteria: Sequence[int],
         candidates: Iterable[Candidate]) -> list[Result]:
    """Score and rank qualified bids; the first result is the top-ranked."""
    candidates = list(candidates)
    if not candidates:
        return []
    lowest = min(c.amount for c in candidates)
    scored = []
    for c in candidates:
        price = price_score(price_weight, lowest, c.amount)
        quality = {cid: mean_points(c.points.get(cid, ())) for cid in criteria}
        total = price + sum(quality.values(), ZERO)
        scored.append((c, price, quality, total))
    if award_method == "lowest_price":
        scored.sort(key=lambda s: (s[0].amount, s[0].received_at, s[0].bid))
    else:
        scored.sort(key=lambda s: (-s[3], s[0].amount, s[0].received_at, s[0].bid))
    return [Result(bid=c.bid, amount=c.amount, received_at=c.received_at, price_score=price, quality=quality,
                   total=total, rank=i) for i, (c, price, quality, total) in enumerate(scored, start=1)]
