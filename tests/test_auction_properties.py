"""Properties of the auction's ordering rule and timeline (auctions.schedule):
current price highest first, a tie the later initial submission first, the
order fixed at the start of each round; every moment in exactly one stage;
each participant exactly one turn per round."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from auctions import schedule

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
prices = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("1000.00"), places=2)


@st.composite
def entrants(draw, min_size=2, max_size=10):
    n = draw(st.integers(min_size, max_size))
    seconds = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))  # ties in time are likely
    amounts = draw(st.lists(st.sampled_from([Decimal("100.00"), Decimal("200.00")]) | prices, min_size=n,
                            max_size=n))
    return [schedule.Entrant(number=i + 1, bid=100 + i, initial=amounts[i], received_at=T0 + timedelta(seconds=s))
            for i, s in enumerate(seconds)]


@settings(max_examples=300, deadline=None)
@given(group=entrants(), data=st.data())
def test_the_order_is_highest_price_first_then_later_submission(group, data):
    prices_now = {e.number: data.draw(st.sampled_from([e.initial, Decimal("150.00")])) for e in group}
    order = schedule.order(prices_now, group)
    by_number = {e.number: e for e in group}
    # a permutation of the participants
    assert sorted(order) == sorted(by_number)
    for before, after in zip(order, order[1:]):
        a, b = by_number[before], by_number[after]
        assert prices_now[before] >= prices_now[after]
        if prices_now[before] == prices_now[after]:
            assert (a.received_at, a.bid) > (b.received_at, b.bid)  # the later submission first


@settings(max_examples=200, deadline=None)
@given(group=entrants(), data=st.data())
def test_the_order_does_not_depend_on_storage_order(group, data):
    prices_now = {e.number: e.initial for e in group}
    assert schedule.order(prices_now, data.draw(st.permutations(group))) == schedule.order(prices_now, group)


@settings(max_examples=200, deadline=None)
@given(group=entrants(), data=st.data())
def test_a_round_order_is_fixed_by_the_prices_at_its_start(group, data):
    # prices accepted in round 2 do not move round 2's order; they do move round 3's
    lowered = data.draw(st.sampled_from(group))
    accepted = [schedule.Price(number=lowered.number, round=2, amount=Decimal("0.50"), at=T0 + timedelta(hours=1))]
    assert schedule.round_order(group, accepted, 2) == schedule.round_order(group, [], 2)
    assert schedule.round_order(group, accepted, 3)[-1] == lowered.number  # now the lowest: last


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 12), pause=st.integers(1, 300), turn=st.integers(1, 300), rounds=st.integers(1, 4),
       offset=st.integers(-100, 10_000))
def test_every_moment_falls_in_exactly_one_stage(n, pause, turn, rounds, offset):
    timeline = schedule.stages(start=T0, pause=pause, turn=turn, rounds=rounds, participants=n)
    now = T0 + timedelta(seconds=offset)
    stage = schedule.stage_at(timeline, now)
    containing = [s for s in timeline if (s.starts is None or s.starts <= now) and (s.ends is None or now < s.ends)]
    assert containing == [stage]
    # each participant has one turn per round, and the end is where the arithmetic says
    turns = [s for s in timeline if s.kind == schedule.TURN]
    assert len(turns) == n * rounds
    assert all(sorted(s.position for s in turns if s.round == r) == list(range(n)) for r in range(1, rounds + 1))
    assert timeline[-1].starts == schedule.end_time(start=T0, pause=pause, turn=turn, rounds=rounds, participants=n)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 10), turn=st.integers(1, 300))
def test_a_turns_end_belongs_to_the_next_stage(n, turn):
    timeline = schedule.stages(start=T0, pause=60, turn=turn, rounds=3, participants=n)
    for stage in timeline[1:-1]:
        assert schedule.stage_at(timeline, stage.ends - timedelta(microseconds=1)) == stage
        assert schedule.stage_at(timeline, stage.ends).index == stage.index + 1
