"""The evaluation through the HTTP API, end to end, as officers, evaluators,
suppliers and the public would use it."""

from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pytest

from audit import services as audit
from audit.models import AuditEntry
from core import scheduler
from evaluation import services

from .evaluation_support import committee, make_opened  # noqa: F401  (fixtures)

Q4 = Decimal("0.0001")


def url(tender, rest: str = "") -> str:
    return f"/api/tenders/{tender.pk}/{rest}"


def recompute(report: dict) -> list[int]:
    """An independent check of the published ranking, from the report alone:
    what any citizen could do with the published data and rule."""
    qualified = [b for b in report["bids"] if b["qualification"] and b["qualification"]["qualified"]]
    lowest = min(Decimal(b["amount"]) for b in qualified)
    keys = {}
    with localcontext() as ctx:
        ctx.prec = 60
        for b in qualified:
            amount = Decimal(b["amount"])
            price = (report["price_weight"] * lowest / amount).quantize(Q4, rounding=ROUND_HALF_EVEN)
            assert Decimal(b["price_score"]) == price
            total = price
            for criterion in report["criteria"]:
                given = [Decimal(p) for p in b["scores"].get(str(criterion["id"]), {}).values()]
                mean = (sum(given) / len(given)).quantize(Q4, rounding=ROUND_HALF_EVEN) if given else Decimal(0)
                assert Decimal(b["quality"][str(criterion["id"])]) == mean
                total += mean
            assert Decimal(b["total"]) == total
            if report["award_method"] == "lowest_price":
                keys[b["bid"]] = (amount, b["received_at"], b["bid"])
            else:
                keys[b["bid"]] = (-total, amount, b["received_at"], b["bid"])
    return sorted(keys, key=keys.get)


def events(tender) -> list[str]:
    return list(AuditEntry.objects.filter(tender=tender).order_by("seq").values_list("event", flat=True))


def test_best_value_lifecycle(make_opened, make_officer, officer, as_user, api):
    # given an opened best-value tender with four bids
    opened = make_opened({"cheap": "100.00", "good": "125.00", "mid": "110.00", "bad": "90.00"}, best_value=True)
    tender, bids, officer_api = opened.tender, opened.bids, as_user(officer)
    quality, delivery = opened.criteria
    e1, e2 = (make_officer(buyer=officer.organisation.name) for _ in range(2))

    # the owner names the committee
    r = officer_api.post(url(tender, "committee/"), {"evaluators": [e1.pk, e2.pk]}, format="json")
    assert r.status_code == 200, r.json()
    assert [m["id"] for m in r.json()] == [e1.pk, e2.pk]

    # nobody outside sees the evaluation yet; an undeclared evaluator sees no bid content
    assert api.get(url(tender, "evaluation/")).json()["code"] == "evaluation_not_public"
    r = as_user(e1).get(url(tender, "evaluation/"))
    assert (r.status_code, r.json()["code"]) == (403, "conflict_declaration_required")
    r = as_user(e1).post(url(tender, f"bids/{bids['cheap'].pk}/scores/"), {str(quality.pk): "1"}, format="json")
    assert (r.status_code, r.json()["code"]) == (403, "conflict_declaration_required")
    for member in (e1, e2):
        r = as_user(member).post(url(tender, "conflict-declaration/"), {}, format="json")
        assert r.status_code == 201, r.json()

    # qualification, with one disqualification
    for label in ("cheap", "good", "mid"):
        r = officer_api.post(url(tender, f"bids/{bids[label].pk}/qualification/"),
                             {"qualified": True, "reason": "All documents in order."}, format="json")
        assert r.status_code == 200, r.json()
    r = officer_api.post(url(tender, f"bids/{bids['bad'].pk}/qualification/"),
                         {"qualified": False, "reason": "No construction licence."}, format="json")
    assert r.json()["tender_status"] == "evaluation"

    # scoring: a disqualified bid cannot be scored
    r = as_user(e1).post(url(tender, f"bids/{bids['bad'].pk}/scores/"), {str(quality.pk): "1"}, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "bid_not_qualified")
    table = {e1: {"cheap": ("10", "5"), "good": ("25", "15"), "mid": ("20", "10.5")},
             e2: {"cheap": ("12", "6"), "good": ("24", "14"), "mid": ("21", "10")}}
    for member, rows in table.items():
        for label, (q, d) in rows.items():
            r = as_user(member).post(url(tender, f"bids/{bids[label].pk}/scores/"),
                                     {str(quality.pk): q, str(delivery.pk): d}, format="json")
            assert r.status_code == 200, r.json()

    # the owner sees the provisional ranking
    report = officer_api.get(url(tender, "evaluation/")).json()
    # good: 48 + 24.5 + 14.5 = 87; mid: 54.5455 + 20.5 + 10.25 = 85.2955; cheap: 60 + 11 + 5.5 = 76.5
    assert report["ranking"] == [bids["good"].pk, bids["mid"].pk, bids["cheap"].pk]

    # awarding the second-ranked bid needs a justification
    r = officer_api.post(url(tender, "award/"), {"bid": bids["mid"].pk}, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "justification_required")
    r = officer_api.post(url(tender, "award/"), {"bid": bids["mid"].pk,
                                                 "justification": "good's delivery plan breaks the site rules."},
                         format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["top_ranked"] is False

    # the report is now public, and anyone can recompute the ranking from it
    public = api.get(url(tender, "evaluation/")).json()
    assert public["award"]["bid"] == bids["mid"].pk
    assert public["award"]["justification"] == "good's delivery plan breaks the site rules."
    assert recompute(public) == public["ranking"]
    disqualified = next(b for b in public["bids"] if b["bid"] == bids["bad"].pk)
    assert disqualified["qualification"] == {"qualified": False, "reason": "No construction licence.",
                                             "decided_at": disqualified["qualification"]["decided_at"]}
    assert public["bids"][0]["scores"][str(quality.pk)] == {str(e1.pk): "10.00", str(e2.pk): "12.00"}
    assert [m["declared_at"] is not None for m in public["committee"]] == [True, True]

    # the top-ranked bidder complains; the complaint is upheld: evaluation resumes
    r = as_user(opened.suppliers["good"]).post(url(tender, "complaints/"),
                                               {"text": "Our plan follows the site rules."}, format="json")
    assert r.status_code == 201, r.json()
    assert [c["status"] for c in api.get(url(tender, "complaints/")).json()] == ["open"]
    r = officer_api.post(url(tender, f"complaints/{r.json()['id']}/resolve/"),
                         {"upheld": True, "resolution": "The plan was misread."}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "upheld"
    assert api.get(url(tender)).json()["status"] == "evaluation"

    # the re-award to the top-ranked bid needs no justification
    r = officer_api.post(url(tender, "award/"), {"bid": bids["good"].pk}, format="json")
    assert r.status_code == 201 and r.json()["top_ranked"] is True

    # another loser complains; dismissed: the standstill runs out and the tender completes
    r = as_user(opened.suppliers["cheap"]).post(url(tender, "complaints/"), {"text": "We are cheaper."},
                                                format="json")
    complaint = r.json()["id"]
    ends = services.Award.objects.get(tender=tender, status="active").standstill_ends_at
    assert services.complete_due(ends) == 0  # held by the open complaint
    r = officer_api.post(url(tender, f"complaints/{complaint}/resolve/"),
                         {"upheld": False, "resolution": "Price is 60% of the score; quality decided."},
                         format="json")
    assert r.json()["status"] == "dismissed"
    assert services.complete_due(ends) == 1
    final = api.get(url(tender, "evaluation/")).json()
    assert final["status"] == "complete"
    assert [a["status"] for a in final["awards"]] == ["cancelled", "active"]
    assert recompute(final) == final["ranking"]
    assert not audit.verify([tender.pk])
    assert {"evaluators_named", "conflict_declared", "bid_qualified", "bid_disqualified", "bid_scored",
            "tender_awarded", "complaint_filed", "complaint_resolved", "award_annulled",
            "tender_completed"} <= set(events(tender))


def test_lowest_price_lifecycle(make_opened, officer, as_user, api):
    # given an opened lowest-price tender
    opened = make_opened({"a": "1000.00", "b": "900.00", "c": "950.00"})
    tender, bids, officer_api = opened.tender, opened.bids, as_user(officer)
    # b, the cheapest, is disqualified
    for label, qualified in (("a", True), ("b", False), ("c", True)):
        r = officer_api.post(url(tender, f"bids/{bids[label].pk}/qualification/"),
                             {"qualified": qualified, "reason": "Checked against the tender documents."},
                             format="json")
        assert r.status_code == 200, r.json()
    report = officer_api.get(url(tender, "evaluation/")).json()
    assert report["ranking"] == [bids["c"].pk, bids["a"].pk]
    # the lowest qualified price wins without a justification
    r = officer_api.post(url(tender, "award/"), {"bid": bids["c"].pk}, format="json")
    assert r.status_code == 201, r.json()
    public = api.get(url(tender, "evaluation/")).json()
    assert recompute(public) == public["ranking"]
    # the disqualified bidder complains, and is dismissed
    r = as_user(opened.suppliers["b"]).post(url(tender, "complaints/"), {"text": "Licence was attached."},
                                            format="json")
    r = officer_api.post(url(tender, f"complaints/{r.json()['id']}/resolve/"),
                         {"upheld": False, "resolution": "The licence attached had expired."}, format="json")
    assert r.status_code == 200
    # the scheduler completes it after the standstill
    ends = services.Award.objects.get(tender=tender).standstill_ends_at
    scheduler.run_once(ends + timedelta(seconds=1))
    assert api.get(url(tender)).json()["status"] == "complete"


def test_a_tender_with_every_bid_disqualified_is_unsuccessful(make_opened, officer, as_user, api):
    opened = make_opened({"a": "100.00", "b": "110.00"})
    officer_api = as_user(officer)
    statuses = [officer_api.post(url(opened.tender, f"bids/{bid.pk}/qualification/"),
                                 {"qualified": False, "reason": "Expired guarantee."}, format="json"
                                 ).json()["tender_status"] for bid in opened.bids.values()]
    assert statuses == ["evaluation", "unsuccessful"]
    # the decisions are public, nothing is ranked
    report = api.get(url(opened.tender, "evaluation/")).json()
    assert report["ranking"] == [] and report["award"] is None
    r = officer_api.post(url(opened.tender, "award/"), {"bid": opened.bids["a"].pk}, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "not_in_evaluation")


# --- refusals ---------------------------------------------------------------------------

def test_nothing_of_an_unopened_tender_is_shown(make_tender, officer, as_user):
    tender = make_tender()
    r = as_user(officer).get(url(tender, "evaluation/"))
    assert (r.status_code, r.json()["code"]) == (409, "not_opened")


def test_a_draft_does_not_exist_for_the_public(make_tender, api):
    tender = make_tender(publish=False)
    assert api.get(url(tender, "evaluation/")).status_code == 404
    assert api.get(url(tender, "complaints/")).status_code == 404


def test_awarding_an_active_tender_is_a_conflict(make_tender, officer, as_user):
    tender = make_tender()
    r = as_user(officer).post(url(tender, "award/"), {"bid": 1}, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "not_in_evaluation")


def test_a_supplier_cannot_award(make_opened, as_user):
    opened = make_opened({"a": "100.00"})
    r = as_user(opened.suppliers["a"]).post(url(opened.tender, "award/"), {"bid": opened.bids["a"].pk},
                                            format="json")
    assert (r.status_code, r.json()["code"]) == (403, "permission_denied")


def test_another_buyers_officer_cannot_award_or_qualify(make_opened, other_officer, as_user):
    opened = make_opened({"a": "100.00"})
    client = as_user(other_officer)
    r = client.post(url(opened.tender, "award/"), {"bid": opened.bids["a"].pk}, format="json")
    assert (r.status_code, r.json()["code"]) == (403, "not_your_tender")
    r = client.post(url(opened.tender, f"bids/{opened.bids['a'].pk}/qualification/"),
                    {"qualified": True, "reason": "x"}, format="json")
    assert (r.status_code, r.json()["code"]) == (403, "not_your_tender")
    r = client.get(url(opened.tender, "evaluation/"))
    assert (r.status_code, r.json()["code"]) == (403, "evaluation_not_public")


def test_another_buyers_officer_cannot_name_the_committee(make_opened, other_officer, as_user):
    opened = make_opened({"a": "100.00"})
    r = as_user(other_officer).post(url(opened.tender, "committee/"), {"evaluators": [other_officer.pk]},
                                    format="json")
    assert (r.status_code, r.json()["code"]) == (403, "not_your_tender")


def test_anonymous_users_cannot_act(make_opened, api):
    opened = make_opened({"a": "100.00"})
    r = api.post(url(opened.tender, "committee/"), {"evaluators": [1]}, format="json")
    assert r.status_code in (401, 403) and r.json()["code"] == "not_authenticated"


def test_an_officer_cannot_complain(make_opened, officer, as_user):
    opened = make_opened({"a": "100.00"})
    r = as_user(officer).post(url(opened.tender, "complaints/"), {"text": "x"}, format="json")
    assert (r.status_code, r.json()["code"]) == (403, "permission_denied")


def test_a_complaint_before_the_award_is_a_conflict(make_opened, as_user):
    opened = make_opened({"a": "100.00", "b": "110.00"})
    r = as_user(opened.suppliers["b"]).post(url(opened.tender, "complaints/"), {"text": "x"}, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "not_awarded")


def test_resolving_a_complaint_after_completion_is_a_conflict(make_opened, officer, as_user):
    opened = make_opened({"a": "100.00", "b": "110.00"})
    for bid in opened.bids.values():
        services.qualify_bid(opened.tender.pk, bid.pk, by=officer, qualified=True, reason="ok")
    award = services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["a"].pk)
    complaint = services.file_complaint(opened.tender.pk, by=opened.suppliers["b"], text="x")
    services.resolve_complaint(opened.tender.pk, complaint.pk, by=officer, upheld=False, resolution="no")
    services.complete_due(award.standstill_ends_at)
    r = as_user(officer).post(url(opened.tender, f"complaints/{complaint.pk}/resolve/"),
                              {"upheld": True, "resolution": "x"}, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "complaint_not_open")


@pytest.mark.parametrize("body, code", [
    (["not", "an", "object"], "scores_invalid"),
    ({"quality": "1"}, "unknown_criterion"),
    ({}, "empty"),
    ({"1": "abc"}, "invalid"),
    ({"1": "1.001"}, "max_decimal_places"),
])
def test_malformed_scores_are_a_400(make_opened, committee, officer, as_user, body, code):
    opened = make_opened({"a": "100.00"}, best_value=True)
    member = committee(opened.tender)[0]
    r = as_user(member).post(url(opened.tender, f"bids/{opened.bids['a'].pk}/scores/"), body, format="json")
    assert (r.status_code, r.json()["code"]) == (400, code)


def test_a_qualification_without_reason_is_a_400(make_opened, officer, as_user):
    opened = make_opened({"a": "100.00"})
    r = as_user(officer).post(url(opened.tender, f"bids/{opened.bids['a'].pk}/qualification/"),
                              {"qualified": True}, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "required")


def test_the_committee_is_private_during_evaluation(make_opened, committee, api, as_user):
    opened = make_opened({"a": "100.00"})
    members = committee(opened.tender, declare=False)
    assert api.get(url(opened.tender, "committee/")).status_code == 403
    assert len(as_user(members[0]).get(url(opened.tender, "committee/")).json()) == 2


def test_the_schema_documents_the_evaluation_api(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in ("committee/", "conflict-declaration/", "bids/{bid_id}/qualification/", "bids/{bid_id}/scores/",
                 "evaluation/", "award/", "complaints/", "complaints/{complaint_id}/resolve/"):
        assert f"/api/tenders/{{tender_id}}/{path}" in paths
