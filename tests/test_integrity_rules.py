"""Each indicator's rule (integrity.rules), as pure functions of a tender's
public facts: a case that raises it and one just short of its threshold."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from integrity import rules

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def facts(*lots, days=30, lowest_price=True, opened=True):
    return rules.TenderFacts(tender=1, buyer=1, published_at=T0, submission_deadline=T0 + (days if isinstance(days, timedelta) else timedelta(days=days)),
                             lowest_price=lowest_price, opened=opened, lots=list(lots))


def lot(*offers, awarded=None, set_aside=0, pk=10):
    """offers: (bid, price, qualified); the supplier is the bid's number."""
    return rules.LotFacts(lot=pk, offers=[rules.Offer(bid=b, supplier=b, amount=Decimal(p), qualified=q)
                                          for b, p, q in offers], awarded_bid=awarded, set_aside=set_aside)


def codes(outcome):
    return sorted(f.code for f in outcome.flags)


# --- R003 short submission period -----------------------------------------------------

def test_r003_raised_under_15_whole_days():
    outcome = rules.evaluate(facts(days=timedelta(days=14, hours=23, minutes=59), opened=False))
    assert [(f.code, f.figures) for f in outcome.flags] == [("R003", {"days": 14, "threshold": 15})]


def test_r003_not_raised_at_15_whole_days():
    assert codes(rules.evaluate(facts(days=timedelta(days=15), opened=False))) == []


# --- R018 single bid ----------------------------------------------------------------------

def test_r018_raised_for_one_tenderer():
    assert codes(rules.evaluate(facts(lot((1, "100", None)), days=timedelta(days=30)))) == ["R018"]


def test_r018_not_raised_for_two_tenderers():
    assert codes(rules.evaluate(facts(lot((1, "100", None), (2, "120", None)), days=timedelta(days=30)))) == []


def test_r018_counts_a_bid_set_aside_at_the_opening():
    assert codes(rules.evaluate(facts(lot((1, "100", None), set_aside=1), days=timedelta(days=30)))) == []


def test_r018_not_raised_before_the_opening():
    assert codes(rules.evaluate(facts(lot((1, "100", None)), days=timedelta(days=30), opened=False))) == []


def test_a_single_source_award_has_no_competition_to_flag():
    # one named supplier bids: no R018; nor R003, its period being no call to the market
    direct = rules.TenderFacts(**{**facts(lot((1, "100", True), awarded=1), days=3).__dict__,
                                  "competitive": False, "period_chosen_by_buyer": False})
    outcome = rules.evaluate(direct)
    assert codes(outcome) == [] and outcome.gaps == []
    assert outcome.offers == 1  # still counted in the buyer's figures


def test_a_quotations_short_legal_period_is_not_r003_but_its_single_bid_is_r018():
    quotation = rules.TenderFacts(**{**facts(lot((1, "100", None)), days=2).__dict__, "period_chosen_by_buyer": False})
    assert codes(rules.evaluate(quotation)) == ["R018"]


# --- R028 identical prices ----------------------------------------------------------------

def test_r028_raised_for_the_same_price_from_two_tenderers():
    outcome = rules.evaluate(facts(lot((1, "100.00", None), (2, "100.00", None), (3, "130", None)),
                                   days=timedelta(days=30)))
    assert [(f.code, f.figures) for f in outcome.flags] == [("R028", {"prices": ["100.00"], "tenderers": 2})]


def test_r028_not_raised_one_tiyn_apart():
    assert codes(rules.evaluate(facts(lot((1, "100.00", None), (2, "100.01", None)), days=timedelta(days=30)))) == []


# --- R035 all but the winner disqualified -------------------------------------------------

def test_r035_raised_when_the_only_valid_bid_wins_and_another_was_disqualified():
    outcome = rules.evaluate(facts(lot((1, "100", True), (2, "90", False), (3, "95", False), awarded=1),
                                   days=timedelta(days=30)))
    r035 = [f for f in outcome.flags if f.code == "R035"]
    assert r035[0].figures == {"disqualified": 2, "threshold": 1}


def test_r035_not_raised_with_no_other_disqualified():
    # Below the threshold of one disqualified tenderer: two valid bids, none disqualified.
    outcome = rules.evaluate(facts(lot((1, "100", True), (2, "110", True), awarded=1), days=timedelta(days=30)))
    assert "R035" not in codes(outcome)


def test_r035_not_raised_when_two_bids_are_valid():
    outcome = rules.evaluate(facts(lot((1, "100", True), (2, "110", True), (3, "90", False), awarded=1),
                                   days=timedelta(days=30)))
    assert "R035" not in codes(outcome)


def test_r035_needs_an_award():
    assert "R035" not in codes(rules.evaluate(facts(lot((1, "100", True), (2, "90", False)), days=timedelta(days=30))))


# --- R036 lowest bid disqualified ---------------------------------------------------------

def test_r036_raised_when_the_lowest_bid_is_disqualified():
    outcome = rules.evaluate(facts(lot((1, "100", False), (2, "111.11", True), awarded=2), days=timedelta(days=30)))
    r036 = [f for f in outcome.flags if f.code == "R036"]
    assert r036[0].figures == {"lowest": "100.00", "winning": "111.11"}


def test_r036_not_raised_when_only_a_higher_bid_is_disqualified():
    outcome = rules.evaluate(facts(lot((1, "100", True), (2, "100.01", False), awarded=1), days=timedelta(days=30)))
    assert "R036" not in codes(outcome)


def test_r036_only_on_lowest_price_awards():
    outcome = rules.evaluate(facts(lot((1, "100", False), (2, "111", True), awarded=2), days=timedelta(days=30),
                                   lowest_price=False))
    assert "R036" not in codes(outcome)


# --- the price gap of R024 / R058 ---------------------------------------------------------

def test_the_gap_is_second_lowest_valid_over_winning():
    outcome = rules.evaluate(facts(lot((1, "100000", True), (2, "101000", True), (3, "99000", False),
                                       awarded=1), days=timedelta(days=30)))
    assert outcome.gaps == [rules.Gap(lot=10, winning=Decimal("100000"), second=Decimal("101000"),
                                      gap=Decimal("0.010000"))]


def test_no_gap_when_the_winner_is_not_the_lowest_valid_bid():
    outcome = rules.evaluate(facts(lot((1, "100", True), (2, "90", True), awarded=1), days=timedelta(days=30)))
    assert outcome.gaps == []


def test_no_gap_without_a_second_valid_bid():
    outcome = rules.evaluate(facts(lot((1, "100", True), (2, "90", False), awarded=1), days=timedelta(days=30)))
    assert outcome.gaps == []


# --- the fences ----------------------------------------------------------------------------

def test_fences_follow_tukey_over_inclusive_quartiles():
    values = [Decimal(v) for v in ("0.05", "0.05", "0.06", "0.07", "0.07")]
    f = rules.fences(values, minimum=5)
    # Q1 0.05, Q3 0.07, IQR 0.02: lower 0.02, upper 0.10 (the guide's example).
    assert (f.q1, f.q3, f.lower, f.upper) == (Decimal("0.05"), Decimal("0.07"), Decimal("0.02"), Decimal("0.10"))


def test_too_few_values_give_no_fences():
    f = rules.fences([Decimal("0.05")] * 4, minimum=5)
    assert f == rules.Fences(count=4)
    assert not rules.r024_applies(Decimal("0"), f) and not rules.r058_applies(Decimal("9"), f)


GUIDE = rules.Fences(count=20, q1=Decimal("0.05"), q3=Decimal("0.07"), lower=Decimal("0.02"), upper=Decimal("0.10"))


def test_r024_at_the_lower_fence_and_not_just_above():
    assert rules.r024_applies(Decimal("0.02"), GUIDE)
    assert rules.r024_applies(Decimal("0.01"), GUIDE)
    assert not rules.r024_applies(Decimal("0.020001"), GUIDE)


def test_r024_unused_when_the_lower_fence_is_not_positive():
    fence = rules.Fences(count=20, q1=Decimal("0.01"), q3=Decimal("0.07"), lower=Decimal("-0.08"), upper=Decimal("0.16"))
    assert not rules.r024_applies(Decimal("0"), fence)


def test_r058_at_the_upper_fence_and_not_just_below():
    assert rules.r058_applies(Decimal("0.10"), GUIDE)
    assert rules.r058_applies(Decimal("0.15"), GUIDE)
    assert not rules.r058_applies(Decimal("0.099999"), GUIDE)


def test_r038_at_the_upper_fence_and_not_just_below():
    fence = rules.fences([Decimal(v) for v in ("0.02", "0.02", "0.10", "0.22", "0.22")], minimum=5)
    assert fence.upper == Decimal("0.52")  # the guide's example: Q1 2 %, Q3 22 %, fence 52 %
    assert rules.r038_applies(Decimal("0.52"), fence) and rules.r038_applies(Decimal("0.59"), fence)
    assert not rules.r038_applies(Decimal("0.519999"), fence)


# --- R025, R048 (per supplier) ----------------------------------------------------------

def supplier(valid, wins, divisions=1, tenders=1):
    return rules.SupplierFacts(valid_bids=valid, wins=wins, divisions=divisions, awarded_tenders=tenders)


def market_of_suppliers(last):
    return {1: supplier(10, 5), 2: supplier(10, 5), 3: supplier(10, 6), 4: supplier(10, 6), 5: supplier(10, 6), 6: last}


def test_r025_raises_a_top_tenderer_that_rarely_wins():
    top, fence, raised = rules.r025(market_of_suppliers(supplier(20, 7)), minimum=5)
    # win shares .35 .5 .5 .6 .6 .6: Q1 .5, Q3 .6, lower fence .35; top line: 10 valid bids
    assert (top, fence.lower) == (Decimal("10"), Decimal("0.35"))
    assert raised == {6}


def test_r025_not_raised_just_above_the_fence():
    assert rules.r025(market_of_suppliers(supplier(20, 8)), minimum=5)[2] == set()  # share .4


def test_r025_not_raised_below_the_top_quarter_of_bidders():
    assert rules.r025(market_of_suppliers(supplier(5, 0)), minimum=5)[2] == set()


def test_r025_needs_enough_suppliers():
    assert rules.r025({1: supplier(20, 1), 2: supplier(10, 5)}, minimum=5) == (None, rules.Fences(count=2), set())


def test_r048_raises_a_supplier_across_many_cpv_divisions():
    facts = {i: supplier(1, 1, divisions=d, tenders=3) for i, d in enumerate([1, 1, 2, 2, 2, 6])}
    facts[10] = supplier(1, 1, divisions=4, tenders=1)  # counted against the fence, not in it
    facts[11] = supplier(1, 1, divisions=3, tenders=1)
    fence, raised = rules.r048(facts, min_processes=3, minimum=5)
    assert fence.upper == Decimal("3.125")  # Q1 1.25, Q3 2
    assert raised == {5, 10}
