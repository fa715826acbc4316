"""Reads of an evaluation that depend on who asks, and the evaluation report.

The report is built with a constant number of queries whatever the number of
bids (criteria, committee, declarations, bids, scores, awards), all scoring
in Python (``evaluation.scoring``) so every database gives the same figures.
It contains only opened bids: nothing sealed can appear in it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q
from datetime import datetime
from decimal import Decimal

from auctions.selectors import final_prices
from bids.models import Offer
from core import sealing
from core.errors import Forbidden, Invalid, NotFound, WrongState
from tenders import methods
from tenders.models import Criterion, Lot, LotStatus, Status, Tender
from tenders.selectors import is_owner, tender_visible_to

from . import scoring
from .models import Award, Complaint, ConflictDeclaration, Evaluator, Qualification, Score
from .serializers import ReportOut

AWARD_FIELDS = ("id", "tender_id", "lot_id", "bid_id", "awarded_at", "justification", "top_ranked", "status",
                "standstill_ends_at", "cancelled_at")

# After these, the evaluation is over and the report is public (awarded,
# complete, unsuccessful or cancelled after the opening).
CONCLUDED = {Status.AWARDED, Status.COMPLETE, Status.UNSUCCESSFUL, Status.CANCELLED}


# A lot whose evaluation is over (its report is public).
LOT_CONCLUDED = {LotStatus.AWARDED, LotStatus.COMPLETE, LotStatus.UNSUCCESSFUL, LotStatus.CANCELLED}


def resolve_lot(tender: Tender, lot_id: int | None) -> Lot:
    """The lot an evaluation request is about: the one named, or, when none
    is, a single-lot tender's only lot (single-lot clients never name it)."""
    if lot_id is None:
        lots = list(Lot.objects.filter(tender=tender)[:2])
        if len(lots) != 1:
            raise Invalid("This tender has several lots: name the lot.", code="lot_required", field="lot")
        return lots[0]
    lot = Lot.objects.filter(tender=tender, pk=lot_id).first()
    if lot is None:
        raise NotFound("No such lot on this tender.")
    return lot


def commitment_salt(tender_id: int) -> str:
    """The secret salt in each score commitment of a tender. Without it the
    points behind a commitment (at most a few thousand values per criterion)
    could be found by trying them all; it is published with the report.
    Derived from the tender's own private key, so a platform key rotation
    does not change it."""
    sealed = Tender.objects.filter(pk=tender_id).values_list("sealed_private_key", flat=True).first()
    return sealing.tender_secret(b"score-salt", sealed)


def _is_public(tender: Tender, *, awarded: bool) -> bool:
    """The one visibility rule of the report: public once concluded or once an
    award has been made — and it stays public if an upheld complaint sends
    the tender back to evaluation, since it has been published."""
    return tender.opened_at is not None and (tender.status in CONCLUDED or awarded)


def report_is_public(tender: Tender, lot: Lot | None = None) -> bool:
    """Public once the tender is concluded or has an award; with ``lot``,
    once that lot's evaluation is over or it has had an award."""
    if tender.opened_at is None:
        return False
    if lot is not None:
        return _is_public(tender, awarded=lot.status in LOT_CONCLUDED
                          or Award.objects.filter(lot=lot).exists())
    return _is_public(tender, awarded=tender.status in CONCLUDED or Award.objects.filter(tender=tender).exists())


def membership(tender: Tender, user) -> tuple[bool, bool]:
    """(is a committee member, has declared no conflict)."""
    if not getattr(user, "is_officer", False):
        return False, False
    member = Evaluator.objects.filter(tender=tender, user=user).exists()
    declared = member and ConflictDeclaration.objects.filter(tender=tender, user=user).exists()
    return member, declared


def evaluation_visible_to(user, tender_id: int, lot_id: int | None = None) -> tuple[Tender, Lot]:
    """The tender whose evaluation ``user`` may read, or a 403/404/409.

    Public once concluded; before that, the owning officer and the committee
    members who declared. A committee member who has not declared sees no bid
    content through the evaluation, even when also the owner."""
    tender = tender_visible_to(user, tender_id)
    if tender.opened_at is None:
        raise WrongState("The bids have not been opened yet.", code="not_opened", status=tender.status)
    lot = resolve_lot(tender, lot_id)
    if report_is_public(tender, lot):
        return tender, lot
    member, declared = membership(tender, user)
    if member and not declared:
        raise Forbidden("File your conflict-of-interest declaration first.", code="conflict_declaration_required")
    if declared or is_owner(user, tender):
        return tender, lot
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


@dataclass(frozen=True)
class Member:
    """A committee member and its conflict declaration (``declared_at`` None until filed)."""
    id: int
    name: str
    added_at: datetime
    declared_at: datetime | None
    statement: str


@dataclass(frozen=True)
class CriterionRow:
    id: int
    name: str
    weight: int


class Supplier(NamedTuple):
    id: int
    name: str
    tax_id: str


@dataclass(frozen=True)
class EvaluatedBid:
    """An opened bid as the evaluation stands: its qualification, every
    evaluator's points (criterion id -> evaluator id -> points) and, for a
    qualified bid, its computed scores and rank (``result``)."""
    bid: int
    supplier: Supplier
    amount: Decimal
    currency: str
    received_at: datetime
    sha256: str
    qualified: bool | None  # None: not decided yet
    reason: str
    decided_at: datetime | None
    points: dict[int, dict[int, Decimal]]
    result: scoring.Result | None

    @property
    def rank(self) -> int | None:
        return None if self.result is None else self.result.rank

    @property
    def qualification(self) -> EvaluatedBid | None:
        """The bid itself once its qualification is decided (its ``qualified``,
        ``reason``, ``decided_at``), else None."""
        return None if self.qualified is None else self

    @property
    def price_score(self) -> Decimal | None:
        return None if self.result is None else self.result.price_score

    @property
    def quality(self) -> dict[int, Decimal] | None:
        return None if self.result is None else self.result.quality

    @property
    def total(self) -> Decimal | None:
        return None if self.result is None else self.result.total


@dataclass(frozen=True)
class EvaluationState:
    """Everything the award rules decide on and the report shows, read once,
    for one lot (a single-lot tender's only lot)."""
    tender: Tender
    lot: Lot
    criteria: list[CriterionRow]
    committee: list[Member]
    bids: list[EvaluatedBid]
    awards: list[Award]
    public: bool
    commitment_salt: str | None = None  # set by report() once public

    @property
    def rounding(self) -> dict:
        return {"places": scoring.PLACES, "mode": scoring.ROUNDING, "rule": scoring.RULE}

    @property
    def award(self) -> Award | None:
        """The lot's active award."""
        return next((a for a in self.awards if a.status == Award.Status.ACTIVE), None)

    @property
    def ranking(self) -> list[int]:
        """Qualified bids, best first."""
        return [b.bid for b in sorted((b for b in self.bids if b.result), key=lambda b: b.rank)]

    def bid(self, bid_id: int) -> EvaluatedBid | None:
        return next((b for b in self.bids if b.bid == bid_id), None)

    @property
    def proposal(self) -> EvaluatedBid | None:
        """The award proposal of a method whose proposal is the lowest offer in
        turn (``tenders.methods.LOWEST_IN_TURN``: price quotations, single
        source): the lowest offer not disqualified, the earliest received on a
        tie. None for a ranked method, or when every offer is disqualified."""
        if methods.of(self.tender).proposal != methods.LOWEST_IN_TURN:
            return None
        return min((b for b in self.bids if b.qualified is not False),
                   key=lambda b: (b.amount, b.received_at, b.bid), default=None)

    @property
    def proposal_id(self) -> int | None:
        proposal = self.proposal
        return None if proposal is None else proposal.bid

    def undecided(self) -> list[int]:
        """Opened bids without a qualification decision."""
        return [b.bid for b in self.bids if b.qualified is None]

    def declared(self) -> list[int]:
        """The committee members who may score (they filed a declaration)."""
        return [m.id for m in self.committee if m.declared_at is not None]

    def incompletely_scored(self) -> list[int]:
        """Qualified bids some declared evaluator has not scored on some criterion."""
        scorers = self.declared()
        return [b.bid for b in self.bids if b.result is not None
                and any(uid not in b.points.get(c.id, {}) for c in self.criteria for uid in scorers)]


def members(tender: Tender | int) -> list[Member]:
    declarations = {uid: (at, statement) for uid, at, statement in ConflictDeclaration.objects
                    .filter(tender=tender).values_list("user_id", "declared_at", "statement")}
    rows = (Evaluator.objects.filter(tender=tender).order_by("id")
            .values_list("user_id", "user__first_name", "user__last_name", "user__username", "added_at"))
    return [Member(id=uid, name=_name(first, last, username), added_at=added_at,
                   declared_at=declarations.get(uid, (None, ""))[0], statement=declarations.get(uid, (None, ""))[1])
            for uid, first, last, username, added_at in rows]


def evaluation_state(tender: Tender, lot: Lot | None = None) -> EvaluationState:
    """The evaluation of one lot as it stands: every qualification decision
    on its offers, every evaluator's points per bid per criterion, the
    computed scores and ranking within the lot, its awards. Eight queries,
    whatever the number of bids or lots."""
    lot = lot or resolve_lot(tender, None)
    # The tender's criteria and the lot's own.
    criteria = [CriterionRow(*row) for row in Criterion.objects.filter(tender=tender)
                .filter(Q(lot__isnull=True) | Q(lot=lot)).order_by("position", "id")
                .values_list("id", "name", "weight")]
    committee_members = members(tender)  # 2 queries
    # The bids with an offer on the lot, at the offer's price, with the lot's qualification.
    rows = list(Offer.objects.filter(lot=lot, bid__opened_at__isnull=False).order_by("bid_id").values_list(
        "bid_id", "bid__supplier_id", "bid__supplier__name", "bid__supplier__tax_id", "amount", "bid__currency",
        "bid__current__received_at", "bid__current__sha256"))
    decisions = {bid_id: (qualified, reason, decided_at) for bid_id, qualified, reason, decided_at in
                 Qualification.objects.filter(lot=lot).values_list("bid_id", "qualified", "reason", "decided_at")}
    rows = [row + decisions.get(row[0], (None, None, None)) for row in rows]
    if methods.of(tender).auction:  # the final prices of the lot's auction replace the initial ones
        final = final_prices(lot.pk)
        if final:
            rows = [row[:4] + (final.get(row[0], row[4]),) + row[5:] for row in rows]
    # bid -> criterion -> evaluator -> points
    points: dict[int, dict[int, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for bid_id, cid, uid, value in (Score.objects.filter(tender=tender, bid__offers__lot=lot)
                                    .values_list("bid_id", "criterion_id", "evaluator_id", "points")
                                    .iterator(chunk_size=20_000)):
        points[bid_id][cid][uid] = value
    awards = list(Award.objects.filter(lot=lot).order_by("awarded_at", "id").only(*AWARD_FIELDS))
    candidates = [
        scoring.Candidate(bid=row[0], amount=row[4], received_at=row[6],
                          points={cid: list(by_evaluator.values()) for cid, by_evaluator in points[row[0]].items()})
        for row in rows if row[8] is True
    ]
    results = {r.bid: r for r in scoring.rank(award_method=tender.award_method, price_weight=tender.price_weight,
                                              criteria=[c.id for c in criteria], candidates=candidates)}
    bids = [EvaluatedBid(bid=bid_id, supplier=Supplier(supplier_id, name, tax_id), amount=amount,
                         currency=currency, received_at=received_at, sha256=sha256, qualified=qualified,
                         reason=reason, decided_at=decided_at,
                         points={cid: dict(by) for cid, by in points.get(bid_id, {}).items()},
                         result=results.get(bid_id))
            for (bid_id, supplier_id, name, tax_id, amount, currency, received_at, sha256, qualified, reason,
                 decided_at) in rows]
    return EvaluationState(tender=tender, lot=lot, criteria=criteria, committee=committee_members, bids=bids,
                           awards=awards, public=_is_public(tender, awarded=bool(awards)
                                                            or lot.status in LOT_CONCLUDED))


def lots_still_private(tender: Tender, lot: Lot) -> set[int]:
    """The tender's other lots whose evaluation is not public yet (still in
    evaluation, never awarded). One query."""
    return set(Lot.objects.filter(tender=tender).exclude(pk=lot.pk).exclude(status__in=LOT_CONCLUDED)
               .exclude(Exists(Award.objects.filter(lot=OuterRef("pk")))).values_list("pk", flat=True))


def withheld(state: EvaluationState) -> EvaluationState:
    """A lot's public report without what belongs to another lot's unfinished
    evaluation.

    The tender's own criteria are scored once per bid and count in every lot
    the bid offers on (DESIGN.md "Lots"): a bid's points on them are part of
    the evaluation of each of its lots. While one of those lots is still
    being evaluated, this lot's public report withholds the bid's points on
    the tender's criteria, their means and its total (which would give their
    sum away); its price score, qualification and rank in this lot stay,
    being this lot's own outcome. The score commitments' salt is the
    tender's: it is published only once no lot is private, or anyone could
    recover the private lots' points from the audit log's commitments."""
    private_lots = lots_still_private(state.tender, state.lot)
    if not private_lots:
        return replace(state, commitment_salt=commitment_salt(state.tender.pk))
    shared = {c.id for c in state.criteria if c.id in _tender_criteria(state.tender)}
    if not shared:
        return state
    elsewhere = set(Offer.objects.filter(lot__in=private_lots, bid__in=[b.bid for b in state.bids])
                    .values_list("bid_id", flat=True))
    return replace(state, bids=[_without(b, shared) if b.bid in elsewhere else b for b in state.bids])


def _tender_criteria(tender: Tender) -> set[int]:
    return set(Criterion.objects.filter(tender=tender, lot__isnull=True).values_list("pk", flat=True))


def _without(bid: EvaluatedBid, criteria: set[int]) -> EvaluatedBid:
    points = {cid: by for cid, by in bid.points.items() if cid not in criteria}
    result = bid.result
    if result is not None:
        result = replace(result, quality={cid: v for cid, v in result.quality.items() if cid not in criteria},
                         total=None)
    return replace(bid, points=points, result=result)


def report(tender: Tender, lot: Lot | None = None) -> dict:
    """The evaluation report of one lot (see ``evaluation_state``), as the
    API sends it (``ReportOut``). Once public it is the same for everyone,
    without what belongs to another lot still being evaluated
    (``withheld``), and it reveals the salt of the score commitments in the
    audit log once every lot is public."""
    state = evaluation_state(tender, lot)
    if state.public:
        state = withheld(state)
    return ReportOut.dump(state)


def committee_may_listen(user, tender_id: int) -> int | None:
    """Who may join a tender's committee socket: an officer of its buyer or a
    member of its committee. None when allowed, else the socket's close code
    (4404: no such tender, or a draft of another buyer; 4403: not allowed)."""
    tender = Tender.objects.filter(pk=tender_id).first()
    officer = user is not None and getattr(user, "is_officer", False)
    owner = officer and tender is not None and tender.buyer_id == user.organisation_id
    if tender is None or (tender.status == Status.DRAFT and not owner):
        return 4404
    if owner or (officer and Evaluator.objects.filter(tender=tender, user=user).exists()):
        return None
    return 4403
