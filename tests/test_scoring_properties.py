"""Properties of the scoring and ranking rule (evaluation.scoring)."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import scoring

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
CRITERIA_WEIGHTS = {1: 25, 2: 15}  # with price weight 60: 100

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000000.00"), places=2)


@st.composite
def candidates(draw, min_size=1, max_size=12, evaluators=3):
    n = draw(st.integers(min_size, max_size))
    result = []
    for i in range(n):
        points = {cid: [draw(st.decimals(min_value=0, max_value=w, places=2)) for _ in range(evaluators)]
                  for cid, w in CRITERIA_WEIGHTS.items()}
        result.append(scoring.Candidate(bid=i + 1, amount=draw(prices),
                                        received_at=T0 + timedelta(seconds=draw(st.integers(0, 10_000))),
                                        points=points))
    return result


def rank(cands, method="best_value", price_weight=60):
    return scoring.rank(award_method=method, price_weight=price_weight, criteria=list(CRITERIA_WEIGHTS),
                        candidates=cands)


@settings(max_examples=200, deadline=None)
@given(cands=candidates(), method=st.sampled_from(["best_value", "lowest_price"]), data=st.data())
def test_ranking_does_not_depend_on_storage_order(cands, method, data):
    shuffled = data.draw(st.permutations(cands))
    assert [r.bid for r in rank(shuffled, method)] == [r.bid for r in rank(cands, method)]


@settings(max_examples=200, deadline=None)
@given(cands=candidates(min_size=2), raise_by=prices, data=st.data())
def test_a_higher_price_never_improves_a_bids_rank(cands, raise_by, data):
    # given a bid, when only its price rises, then its rank does not improve
    target = data.draw(st.sampled_from(cands)).bid
    before = {r.bid: r.rank for r in rank(cands)}[target]
    dearer = [scoring.Candidate(c.bid, c.amount + raise_by, c.received_at, c.points) if c.bid == target else c
              for c in cands]
    after = {r.bid: r.rank for r in rank(dearer)}[target]
    assert after >= before


@settings(max_examples=200, deadline=None)
@given(cands=candidates(), price_weight=st.integers(0, 60))
def test_weights_bound_every_score(cands, price_weight):
    results = rank(cands, price_weight=price_weight)
    lowest = min(c.amount for c in cands)
    for r in results:
        assert Decimal(0) <= r.price_score <= price_weight
        if r.amount == lowest:
            assert r.price_score == price_weight  # the lowest price takes the whole price weight
        for cid, weight in CRITERIA_WEIGHTS.items():
            assert Decimal(0) <= r.quality[cid] <= weight
        assert r.total == r.price_score + sum(r.quality.values())
        assert r.total <= price_weight + sum(CRITERIA_WEIGHTS.values())


@settings(max_examples=200, deadline=None)
@given(cands=candidates())
def test_totals_are_published_to_four_places_and_ranked_best_first(cands):
    results = rank(cands)
    assert [r.rank for r in results] == list(range(1, len(cands) + 1))
    for better, worse in zip(results, results[1:]):
        assert better.total >= worse.total
        if better.total == worse.total:
            assert (better.amount, better.received_at, better.bid) < (worse.amount, worse.received_at, worse.bid)
    for r in results:
        assert r.price_score.as_tuple().exponent == -4 and r.total.as_tuple().exponent == -4


@settings(max_examples=200, deadline=None)
@given(cands=candidates())
def test_lowest_price_ranks_by_price_then_time(cands):
    results = rank(cands, method="lowest_price", price_weight=100)
    keys = [(r.amount, r.received_at, r.bid) for r in results]
    assert keys == sorted(keys)


@given(st.integers(-10**12, 10**12), st.integers(1, 10**6))
def test_rounding_is_half_to_even_once_from_the_exact_value(numerator, denominator):
    from decimal import ROUND_HALF_EVEN, localcontext
    with localcontext() as ctx:
        ctx.prec = 80
        expected = (Decimal(numerator) / Decimal(denominator)).quantize(scoring.QUANTUM, rounding=ROUND_HALF_EVEN)
    assert scoring.round_exact(numerator, denominator) == expected


def test_a_mean_exactly_halfway_rounds_to_even():
    # 1/20000 = 0.00005 -> 0.0000 and 3/20000 = 0.00015 -> 0.0002
    assert scoring.round_exact(1, 20000) == Decimal("0.0000")
    assert scoring.round_exact(3, 20000) == Decimal("0.0002")
    assert scoring.mean_points([Decimal("0.01"), Decimal("0.00")]) == Decimal("0.0050")
