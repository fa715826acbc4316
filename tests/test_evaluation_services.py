import json
from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from audit import services as audit
from audit.models import AuditEntry
from bids import services as bid_services
from core.errors import Forbidden, Invalid, NotFound, WrongState
from evaluation import selectors, services
from evaluation.models import Award, Complaint
from tenders import services as tender_services
from tenders.models import Status

from .evaluation_support import committee, make_opened, qualify_all  # noqa: F401  (fixtures)

D = Decimal


def score_all(opened, members, table: dict[str, tuple[str, str]]) -> None:
    quality, delivery = opened.criteria
    for member in members:
        for label, (q, d) in table.items():
            services.score_bid(opened.tender.pk, opened.bids[label].pk, by=member,
                               points={quality.pk: D(q), delivery.pk: D(d)})


# --- qualification ---------------------------------------------------------------

def test_qualification_is_refused_before_the_opening(make_tender, officer, supplier):
    # given an active tender with a sealed bid
    tender = make_tender()
    receipt = bid_services.submit_bid(tender.pk, by=supplier, content=bid_services.BidContent(
        amount=D("100.00"), currency="KZT", answers={}, documents=[]))
    # when / then
    with pytest.raises(WrongState) as exc:
        services.qualify_bid(tender.pk, receipt.bid, by=officer, qualified=True, reason="ok")
    assert exc.value.code == "not_in_evaluation"


def test_an_unknown_bid_is_not_found(make_opened, officer):
    opened = make_opened({"a": "100.00"})
    with pytest.raises(NotFound):
        services.qualify_bid(opened.tender.pk, 10**9, by=officer, qualified=True, reason="ok")


def test_qualification_needs_a_public_reason(make_opened, officer):
    opened = make_opened({"a": "100.00"})
    with pytest.raises(Invalid) as exc:
        services.qualify_bid(opened.tender.pk, opened.bids["a"].pk, by=officer, qualified=False, reason="  ")
    assert exc.value.code == "reason_required"


def test_another_buyers_officer_cannot_qualify(make_opened, other_officer):
    opened = make_opened({"a": "100.00"})
    with pytest.raises(Forbidden) as exc:
        services.qualify_bid(opened.tender.pk, opened.bids["a"].pk, by=other_officer, qualified=True, reason="ok")
    assert exc.value.code == "not_your_tender"


def test_disqualifying_below_min_bids_makes_the_tender_unsuccessful(make_opened, officer):
    # given two opened bids and min_bids 2
    opened = make_opened({"a": "100.00", "b": "120.00"}, min_bids=2)
    # when one is disqualified
    services.qualify_bid(opened.tender.pk, opened.bids["a"].pk, by=officer, qualified=False, reason="No licence.")
    # then
    opened.tender.refresh_from_db()
    assert opened.tender.status == Status.UNSUCCESSFUL
    entry = AuditEntry.objects.filter(tender=opened.tender).order_by("-seq").first()
    assert entry.event == "tender_unsuccessful" and entry.data["reason"] == "too_few_qualified_bids"


def test_a_disqualification_leaving_enough_bids_keeps_evaluating(make_opened, officer):
    opened = make_opened({"a": "100.00", "b": "120.00"})
    services.qualify_bid(opened.tender.pk, opened.bids["a"].pk, by=officer, qualified=False, reason="No licence.")
    opened.tender.refresh_from_db()
    assert opened.tender.status == Status.EVALUATION


# --- committee and declarations -------------------------------------------------------

def test_evaluators_must_be_officers_of_the_same_buyer(make_opened, officer, other_officer, supplier):
    opened = make_opened({"a": "100.00"})
    for stranger in (other_officer, supplier):
        with pytest.raises(Invalid) as exc:
            services.add_evaluators(opened.tender.pk, by=officer, user_ids=[stranger.pk])
        assert exc.value.code == "evaluator_not_of_buyer"


def test_naming_an_evaluator_twice_adds_nothing(make_opened, officer, make_officer):
    opened = make_opened({"a": "100.00"})
    member = make_officer(buyer=officer.organisation.name)
    assert len(services.add_evaluators(opened.tender.pk, by=officer, user_ids=[member.pk])) == 1
    assert services.add_evaluators(opened.tender.pk, by=officer, user_ids=[member.pk]) == []


def test_only_committee_members_declare(make_opened, officer):
    opened = make_opened({"a": "100.00"})
    with pytest.raises(Forbidden) as exc:
        services.declare_no_conflict(opened.tender.pk, by=officer)
    assert exc.value.code == "not_evaluator"


def test_a_declaration_is_filed_once(make_opened, committee):
    opened = make_opened({"a": "100.00"})
    member = committee(opened.tender)[0]
    with pytest.raises(WrongState) as exc:
        services.declare_no_conflict(opened.tender.pk, by=member)
    assert exc.value.code == "already_declared"


# --- scores ----------------------------------------------------------------------------

def test_scoring_without_a_declaration_is_refused(make_opened, committee, officer):
    opened = make_opened({"a": "100.00"}, best_value=True)
    qualify_all(opened, officer)
    member = committee(opened.tender, declare=False)[0]
    with pytest.raises(Forbidden) as exc:
        services.score_bid(opened.tender.pk, opened.bids["a"].pk, by=member, points={opened.criteria[0].pk: D(1)})
    assert exc.value.code == "conflict_declaration_required"


def test_an_officer_off_the_committee_cannot_score(make_opened, officer):
    opened = make_opened({"a": "100.00"}, best_value=True)
    qualify_all(opened, officer)
    with pytest.raises(Forbidden) as exc:
        services.score_bid(opened.tender.pk, opened.bids["a"].pk, by=officer, points={opened.criteria[0].pk: D(1)})
    assert exc.value.code == "not_evaluator"


@pytest.mark.parametrize("points, code", [("25.01", "points_out_of_range"), ("-1", "points_out_of_range"),
                                          ("1.005", "points_precision")])
def test_points_stay_within_the_criterion_weight(make_opened, committee, officer, points, code):
    opened = make_opened({"a": "100.00"}, best_value=True)
    qualify_all(opened, officer)
    member = committee(opened.tender)[0]
    with pytest.raises(Invalid) as exc:
        services.score_bid(opened.tender.pk, opened.bids["a"].pk, by=member,
                           points={opened.criteria[0].pk: D(points)})
    assert exc.value.code == code


def test_points_for_another_tenders_criterion_are_refused(make_opened, committee, officer):
    opened = make_opened({"a": "100.00"}, best_value=True)
    other = make_opened({"b": "100.00"}, best_value=True)
    qualify_all(opened, officer)
    member = committee(opened.tender)[0]
    with pytest.raises(Invalid) as exc:
        services.score_bid(opened.tender.pk, opened.bids["a"].pk, by=member, points={other.criteria[0].pk: D(1)})
    assert exc.value.code == "unknown_criterion"


def test_an_unqualified_bid_is_not_scored(make_opened, committee):
    opened = make_opened({"a": "100.00"}, best_value=True)
    member = committee(opened.tender)[0]
    with pytest.raises(WrongState) as exc:
        services.score_bid(opened.tender.pk, opened.bids["a"].pk, by=member, points={opened.criteria[0].pk: D(1)})
    assert exc.value.code == "bid_not_qualified"


def test_a_lowest_price_tender_has_nothing_to_score(make_opened, committee, officer):
    opened = make_opened({"a": "100.00"})
    qualify_all(opened, officer)
    member = committee(opened.tender)[0]
    with pytest.raises(WrongState) as exc:
        services.score_bid(opened.tender.pk, opened.bids["a"].pk, by=member, points={1: D(1)})
    assert exc.value.code == "nothing_to_score"


def test_the_audit_log_commits_to_scores_without_publishing_them(make_opened, committee, officer):
    # given a score
    opened = make_opened({"a": "100.00"}, best_value=True)
    qualify_all(opened, officer)
    member = committee(opened.tender)[0]
    quality = opened.criteria[0]
    services.score_bid(opened.tender.pk, opened.bids["a"].pk, by=member, points={quality.pk: D("17.50")})
    # then the entry holds a commitment, not the points
    entry = AuditEntry.objects.get(tender=opened.tender, event="bid_scored")
    assert "17.50" not in str(entry.data)
    expected = services.score_commitment(tender_id=opened.tender.pk, bid_id=opened.bids["a"].pk,
                                         evaluator_id=member.pk, points={str(quality.pk): "17.50"})
    assert entry.data["commitment"] == expected


# --- ranking and report -------------------------------------------------------------

def test_best_value_ranking_combines_price_and_mean_quality(make_opened, committee, officer):
    # given: a is cheapest, b is best on quality
    opened = make_opened({"a": "100.00", "b": "125.00"}, best_value=True)
    qualify_all(opened, officer)
    members = committee(opened.tender)
    score_all(opened, members, {"a": ("10", "5"), "b": ("25", "15")})
    # when
    report = selectors.report(opened.tender)
    # then a = 60 + 10 + 5 = 75; b = 60*100/125 + 25 + 15 = 88
    rows = {r["bid"]: r for r in report["bids"]}
    assert rows[opened.bids["a"].pk]["total"] == "75.0000"
    assert rows[opened.bids["b"].pk]["price_score"] == "48.0000"
    assert rows[opened.bids["b"].pk]["total"] == "88.0000"
    assert report["ranking"] == [opened.bids["b"].pk, opened.bids["a"].pk]


def test_lowest_price_ties_go_to_the_earlier_bid(make_opened, officer):
    # given equal prices, "first" submitted a minute earlier
    opened = make_opened({"first": "100.00", "second": "100.00", "cheap": "99.99"})
    qualify_all(opened, officer)
    report = selectors.report(opened.tender)
    assert report["ranking"] == [opened.bids[k].pk for k in ("cheap", "first", "second")]


def test_disqualified_bids_are_reported_but_not_ranked(make_opened, officer):
    opened = make_opened({"a": "100.00", "b": "200.00"})
    qualify_all(opened, officer, except_=("a",))
    report = selectors.report(opened.tender)
    row = next(r for r in report["bids"] if r["bid"] == opened.bids["a"].pk)
    assert row["rank"] is None and row["qualification"]["reason"] == "Licence missing."
    assert report["ranking"] == [opened.bids["b"].pk]


def test_the_report_uses_a_constant_number_of_queries(make_opened, committee, officer,
                                                     django_assert_num_queries):
    small = make_opened({"a": "100.00"}, best_value=True)
    large = make_opened({f"s{i}": f"{100 + i}.00" for i in range(6)}, best_value=True)
    for opened in (small, large):
        qualify_all(opened, officer)
        score_all(opened, committee(opened.tender), {label: ("10", "5") for label in opened.bids})
    # 8 since lots: the lot (a single-lot tender's only one) and its qualifications are read too.
    with django_assert_num_queries(8):
        selectors.report(small.tender)
    with django_assert_num_queries(8):
        selectors.report(large.tender)


# --- award ---------------------------------------------------------------------------------

def test_the_top_ranked_bid_is_awarded_without_justification(make_opened, officer):
    opened = make_opened({"a": "100.00", "b": "90.00"})
    qualify_all(opened, officer)
    award = services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["b"].pk)
    opened.tender.refresh_from_db()
    assert opened.tender.status == Status.AWARDED
    assert award.top_ranked and award.standstill_ends_at == award.awarded_at + timedelta(seconds=600)


def test_another_bid_needs_a_justification(make_opened, officer):
    opened = make_opened({"a": "100.00", "b": "90.00"})
    qualify_all(opened, officer)
    with pytest.raises(Invalid) as exc:
        services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["a"].pk)
    assert exc.value.code == "justification_required"
    award = services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["a"].pk,
                               justification="b's bank guarantee was found forged after opening.")
    assert not award.top_ranked


def test_every_bid_needs_a_decision_before_the_award(make_opened, officer):
    opened = make_opened({"a": "100.00", "b": "90.00"})
    services.qualify_bid(opened.tender.pk, opened.bids["b"].pk, by=officer, qualified=True, reason="ok")
    with pytest.raises(WrongState) as exc:
        services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["b"].pk)
    assert exc.value.code == "qualification_incomplete"


def test_best_value_needs_complete_scoring_before_the_award(make_opened, committee, officer):
    opened = make_opened({"a": "100.00", "b": "90.00"}, best_value=True)
    qualify_all(opened, officer)
    members = committee(opened.tender)
    score_all(opened, members[:1], {"a": ("10", "5"), "b": ("10", "5")})
    with pytest.raises(WrongState) as exc:
        services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["b"].pk)
    assert exc.value.code == "scoring_incomplete"


def test_a_disqualified_bid_cannot_be_awarded(make_opened, officer):
    opened = make_opened({"a": "100.00", "b": "90.00"})
    qualify_all(opened, officer, except_=("b",))
    with pytest.raises(WrongState) as exc:
        services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["b"].pk, justification="x")
    assert exc.value.code == "bid_not_qualified"


def test_a_second_award_is_refused(make_opened, officer):
    opened = make_opened({"a": "100.00"})
    qualify_all(opened, officer)
    services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["a"].pk)
    with pytest.raises(WrongState) as exc:
        services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["a"].pk)
    assert exc.value.code == "not_in_evaluation"


def test_the_award_is_announced_live(make_opened, officer, django_capture_on_commit_callbacks):
    # given a listener on the tender's group (one event loop, as in a server process)
    opened = make_opened({"a": "100.00"})
    qualify_all(opened, officer)
    layer = get_channel_layer()

    def award_and_commit():
        with django_capture_on_commit_callbacks(execute=True):
            services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["a"].pk)

    async def listen() -> list[dict]:
        channel = await layer.new_channel()
        await layer.group_add(f"tender.{opened.tender.pk}", channel)
        await sync_to_async(award_and_commit)()
        return [json.loads((await layer.receive(channel))["text"]) for _ in range(2)]

    # when
    received = async_to_sync(listen)()
    # then: the status change, then the award, with no bid content beyond the public award
    assert [m["type"] for m in received] == ["status_changed", "awarded"]
    assert received[1]["bid"] == opened.bids["a"].pk and received[1]["amount"] == "100.00"


# --- complaints and completion -------------------------------------------------------------

@pytest.fixture
def awarded(make_opened, officer):
    opened = make_opened({"winner": "90.00", "loser": "100.00", "third": "110.00"})
    qualify_all(opened, officer)
    opened.award = services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["winner"].pk)
    return opened


def test_the_winner_cannot_complain(awarded):
    with pytest.raises(Forbidden) as exc:
        services.file_complaint(awarded.tender.pk, by=awarded.suppliers["winner"], text="?")
    assert exc.value.code == "winner_cannot_complain"


def test_a_non_bidder_cannot_complain(awarded, supplier):
    with pytest.raises(Forbidden) as exc:
        services.file_complaint(awarded.tender.pk, by=supplier, text="Unfair.")
    assert exc.value.code == "not_a_bidder"


def test_one_open_complaint_per_supplier(awarded):
    services.file_complaint(awarded.tender.pk, by=awarded.suppliers["loser"], text="Unfair.")
    with pytest.raises(WrongState) as exc:
        services.file_complaint(awarded.tender.pk, by=awarded.suppliers["loser"], text="Still unfair.")
    assert exc.value.code == "complaint_open"


def test_complaints_close_with_the_standstill(awarded):
    with pytest.raises(WrongState) as exc:
        services.file_complaint(awarded.tender.pk, by=awarded.suppliers["loser"], text="Late.",
                                now=awarded.award.standstill_ends_at)
    assert exc.value.code == "standstill_over"


def test_complaints_need_an_award(make_opened, officer):
    opened = make_opened({"a": "100.00", "b": "110.00"})
    with pytest.raises(WrongState) as exc:
        services.file_complaint(opened.tender.pk, by=opened.suppliers["b"], text="Early.")
    assert exc.value.code == "not_awarded"


def test_an_upheld_complaint_annuls_the_award_and_resumes_evaluation(awarded, officer):
    first = services.file_complaint(awarded.tender.pk, by=awarded.suppliers["loser"], text="Winner unlicensed.")
    other = services.file_complaint(awarded.tender.pk, by=awarded.suppliers["third"], text="Same.")
    services.resolve_complaint(awarded.tender.pk, first.pk, by=officer, upheld=True, resolution="Confirmed.")
    awarded.tender.refresh_from_db()
    assert awarded.tender.status == Status.EVALUATION
    assert Award.objects.get(pk=awarded.award.pk).status == Award.Status.CANCELLED
    other.refresh_from_db()
    assert other.status == Complaint.Status.DISMISSED and "annulled" in other.resolution


def test_a_resolved_complaint_cannot_be_resolved_again(awarded, officer):
    complaint = services.file_complaint(awarded.tender.pk, by=awarded.suppliers["loser"], text="Unfair.")
    services.resolve_complaint(awarded.tender.pk, complaint.pk, by=officer, upheld=False, resolution="No grounds.")
    with pytest.raises(WrongState) as exc:
        services.resolve_complaint(awarded.tender.pk, complaint.pk, by=officer, upheld=True, resolution="x")
    assert exc.value.code == "complaint_not_open"


def test_another_buyer_cannot_resolve(awarded, other_officer):
    complaint = services.file_complaint(awarded.tender.pk, by=awarded.suppliers["loser"], text="Unfair.")
    with pytest.raises(Forbidden):
        services.resolve_complaint(awarded.tender.pk, complaint.pk, by=other_officer, upheld=True, resolution="x")


def test_nothing_completes_during_the_standstill(awarded):
    assert services.complete_due(awarded.award.standstill_ends_at - timedelta(seconds=1)) == 0


def test_the_tender_completes_after_the_standstill(awarded):
    assert services.complete_due(awarded.award.standstill_ends_at) == 1
    awarded.tender.refresh_from_db()
    assert awarded.tender.status == Status.COMPLETE
    assert not audit.verify([awarded.tender.pk])


def test_an_open_complaint_holds_completion_until_dismissed(awarded, officer):
    complaint = services.file_complaint(awarded.tender.pk, by=awarded.suppliers["loser"], text="Unfair.")
    after = awarded.award.standstill_ends_at + timedelta(seconds=1)
    assert services.complete_due(after) == 0
    services.resolve_complaint(awarded.tender.pk, complaint.pk, by=officer, upheld=False, resolution="No grounds.")
    assert services.complete_due(after) == 1


def test_the_scheduler_runs_completion(awarded):
    from core import scheduler

    assert services.complete_due in scheduler.jobs()
    scheduler.run_once(awarded.award.standstill_ends_at + timedelta(seconds=1))
    awarded.tender.refresh_from_db()
    assert awarded.tender.status == Status.COMPLETE


def test_an_awarded_tender_can_still_be_cancelled(awarded, officer):
    tender_services.cancel_tender(awarded.tender.pk, by=officer, reason="Budget withdrawn.")
    assert services.complete_due(timezone.now() + timedelta(days=30)) == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_awards_make_one_award(make_opened, officer):
    """The tender row lock serialises awards: the loser gets a clean 409."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections are a PostgreSQL matter")
    opened = make_opened({"a": "100.00", "b": "110.00"})
    qualify_all(opened, officer)
    barrier, outcomes = threading.Barrier(2), []

    def award(label: str) -> None:
        try:
            barrier.wait()
            services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids[label].pk, justification="Why not.")
            outcomes.append("awarded")
        except WrongState as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=award, args=(label,)) for label in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["awarded", "not_in_evaluation"]
    assert Award.objects.filter(tender=opened.tender, status=Award.Status.ACTIVE).count() == 1
