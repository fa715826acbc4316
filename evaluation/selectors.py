"""Reads of an evaluation that depend on who asks, and the evaluation report.

The report is built with a constant number of queries whatever the number of
bids (criteria, committee, declarations, bids, scores, awards), all scoring
in Python (``evaluation.scoring``) so every database gives the same figures.
It contains only opened bids: nothing sealed can appear in it.
"""

from __future__ import annotations

from collections import defaultdict

from bids.selectors import opened_bids
from core import sealing
from core.errors import Forbidden, WrongState
from core.isotime import iso
from tenders.models import Criterion, Status, Tender
from tenders.selectors import is_owner, tender_visible_to

from . import scoring
from .models import Award, Complaint, ConflictDeclaration, Evaluator, Score

# After these, the evaluation is over and the report is public (awarded,
# complete, unsuccessful or cancelled after the opening).
CONCLUDED = {Status.AWARDED, Status.COMPLETE, Status.UNSUCCESSFUL, Status.CANCELLED}


def commitment_salt(tender_id: int) -> str:
    """The secret salt in each score commitment of a tender. Without it the
    points behind a commitment (at most a few thousand values per criterion)
    could be found by trying them all; it is published with the report."""
    return sealing.tender_secret(b"score-salt", tender_id)


def report_is_public(tender: Tender) -> bool:
    """Public once awarded — and it stays public if an upheld complaint sends
    the tender back to evaluation, since it has been published."""
    if tender.opened_at is None:
        return False
    return tender.status in CONCLUDED or Award.objects.filter(tender=tender).exists()


def membership(tender: Tender, user) -> tuple[bool, bool]:
    """(is a committee member, has declared no conflict)."""
    if not getattr(user, "is_officer", False):
        return False, False
    member = Evaluator.objects.filter(tender=tender, user=user).exists()
    declared = member and ConflictDeclaration.objects.filter(tender=tender, user=user).exists()
    return member, declared


def evaluation_visible_to(user, tender_id: int) -> Tender:
    """The tender whose evaluation ``user`` may read, or a 403/404/409.

    Public once concluded; before that, the owning officer and the committee
    members who declared. A committee member who has not declared sees no bid
    content through the evaluation, even when also the owner."""
    tender = tender_visible_to(user, tender_id)
    if tender.opened_at is None:
        raise WrongState("The bids have not been opened yet.", code="not_opened", status=tender.status)
    if report_is_public(tender):
        return tender
    member, declared = membership(tender, user)
    if member and not declared:
        raise Forbidden("File your conflict-of-interest declaration first.", code="conflict_declaration_required")
    if declared or is_owner(user, tender):
        return tender
    raise Forbidden("The evaluation is public once the tender is awarded.", code="evaluation_not_public")


def committee_visible_to(user, tender_id: int) -> Tender:
    """The committee is visible to the owner and its members, and to everyone
    once the report is public."""
    tender = tender_visible_to(user, tender_id)
    if is_owner(user, tender) or report_is_public(tender) or membership(tender, user)[0]:
        return tender
    raise Forbidden("The committee is public once the tender is awarded.", code="evaluation_not_public")


def complaints(tender: Tender) -> list[Complaint]:
    """A tender's complaints (public, like the award they are about)."""
    return list(Complaint.objects.filter(tender=tender).select_related("supplier").order_by("filed_at", "id"))


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def committee(tender: Tender | int) -> list[dict]:
    declarations = {uid: (at, statement) for uid, at, statement in ConflictDeclaration.objects
                    .filter(tender=tender).values_list("user_id", "declared_at", "statement")}
    rows = (Evaluator.objects.filter(tender=tender).order_by("id")
            .values_list("user_id", "user__first_name", "user__last_name", "user__username", "added_at"))
    result = []
    for uid, first, last, username, added_at in rows:
        declared_at, statement = declarations.get(uid, (None, ""))
        result.append({"id": uid, "name": _name(first, last, username), "added_at": iso(added_at),
                       "declared_at": iso(declared_at), "statement": statement})
    return result


def _award_row(award: dict) -> dict:
    return {"id": award["id"], "bid": award["bid_id"], "awarded_at": iso(award["awarded_at"]),
            "justification": award["justification"], "top_ranked": award["top_ranked"],
            "status": award["status"], "standstill_ends_at": iso(award["standstill_ends_at"]),
            "cancelled_at": iso(award["cancelled_at"])}


def report(tender: Tender) -> dict:
    """The evaluation report: every qualification decision, every evaluator's
    points per bid per criterion, the computed scores and ranking, the awards.
    Six queries, whatever the number of bids."""
    criteria = list(Criterion.objects.filter(tender=tender).order_by("position", "id")
                    .values_list("id", "name", "weight"))
    criterion_ids = [cid for cid, _, _ in criteria]
    members = committee(tender)  # 2 queries
    bids = list(opened_bids(tender).order_by("id").values_list(
        "id", "supplier_id", "supplier__name", "supplier__tax_id", "amount", "currency",
        "current__received_at", "current__sha256", "qualification__qualified", "qualification__reason",
        "qualification__decided_at"))
    # bid -> criterion -> evaluator -> points
    points: dict[int, dict[int, dict[int, object]]] = defaultdict(lambda: defaultdict(dict))
    for bid_id, cid, uid, value in (Score.objects.filter(tender=tender)
                                    .values_list("bid_id", "criterion_id", "evaluator_id", "points")
                                    .iterator(chunk_size=20_000)):
        points[bid_id][cid][uid] = value
    awards = [_award_row(a) for a in Award.objects.filter(tender=tender).order_by("awarded_at", "id").values(
        "id", "bid_id", "awarded_at", "justification", "top_ranked", "status", "standstill_ends_at",
        "cancelled_at")]

    candidates = [
        scoring.Candidate(bid=row[0], amount=row[4], received_at=row[6],
                          points={cid: list(by_evaluator.values()) for cid, by_evaluator in points[row[0]].items()})
        for row in bids if row[8] is True
    ]
    results = {r.bid: r for r in scoring.rank(award_method=tender.award_method, price_weight=tender.price_weight,
                                              criteria=criterion_ids, candidates=candidates)}
    rows = []
    for (bid_id, supplier_id, supplier_name, tax_id, amount, currency, received_at, sha256,
         qualified, reason, decided_at) in bids:
        result = results.get(bid_id)
        scored = points.get(bid_id, {})
        rows.append({
            "bid": bid_id,
            "supplier": {"id": supplier_id, "name": supplier_name, "tax_id": tax_id},
            "amount": f"{amount:.2f}", "currency": currency, "received_at": iso(received_at), "sha256": sha256,
            "qualification": None if qualified is None else {
                "qualified": qualified, "reason": reason, "decided_at": iso(decided_at)},
            # criterion id -> evaluator id -> points
            "scores": {str(cid): {str(uid): f"{v:.2f}" for uid, v in sorted(by_evaluator.items())}
                       for cid, by_evaluator in sorted(scored.items())},
            "price_score": None if result is None else str(result.price_score),
            "quality": None if result is None else {str(cid): str(v) for cid, v in result.quality.items()},
            "total": None if result is None else str(result.total),
            "rank": None if result is None else result.rank,
        })
    ranking = [r.bid for r in sorted(results.values(), key=lambda r: r.rank)]
    active = next((a for a in awards if a["status"] == Award.Status.ACTIVE), None)
    public = tender.opened_at is not None and (tender.status in CONCLUDED or bool(awards))  # report_is_public
    return {
        "tender": tender.pk,
        "status": tender.status,
        "award_method": tender.award_method,
        "price_weight": tender.price_weight,
        "currency": tender.currency,
        "opened_at": iso(tender.opened_at),
        "rounding": {"places": scoring.PLACES, "mode": scoring.ROUNDING, "rule": scoring.RULE},
        "criteria": [{"id": cid, "name": name, "weight": weight} for cid, name, weight in criteria],
        "committee": members,
        "bids": rows,
        "ranking": ranking,
        "award": active,
        "awards": awards,
        # reveals the score commitments in the audit log once the report is public
        "commitment_salt": commitment_salt(tender.pk) if public else None,
    }
