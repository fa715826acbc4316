"""Every rule that changes an evaluation: committee, conflict declarations,
qualification, scores, award, complaints and completion.

Each function locks the tender row first (``lock_tender`` /
``lock_own_tender``), checks its rule on the locked row, writes, appends the
audit entry and schedules the live event for after the commit. Status changes
go through ``tenders.services.transition`` only.

Scores are private until the report becomes public (see
``selectors.report_is_public``): their audit entries carry a salted SHA-256
commitment to the points, not the points, so the public log pins every score
without publishing it early; the report then publishes the salt and lets
anyone check each commitment.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from auctions import selectors as auctions_selectors
from auctions import services as auctions
from auctions.models import AuctionStatus
from audit import services as audit
from django.db.models import Exists, OuterRef

from bids.models import Bid, Offer
from core.errors import Forbidden, Invalid, NotFound, WrongState
from core.isotime import iso
from live import events as live
from scheduling import services as scheduling
from tenders import methods
from tenders.models import AwardMethod, Lot, LotStatus, Status, Tender
from tenders.services import lock_own_tender, lock_tender, move_lot

from . import selectors
from .models import Award, Complaint, ConflictDeclaration, Evaluator, Qualification, Score

DEFAULT_STATEMENT = ("I declare that I have no conflict of interest with any bidder on this tender, "
                     "and that I will keep the evaluation confidential until the award.")

logger = logging.getLogger(__name__)


def _person(user) -> str:
    return user.get_full_name() or user.username


def _require_status(tender: Tender, *allowed: str, code: str = "invalid_state", action: str) -> None:
    if tender.status not in allowed:
        raise WrongState(f"The tender is {tender.status}: {action} is not possible now.", code=code,
                         status=tender.status)


def _opened_bid(tender: Tender, bid_id: int) -> Bid:
    bid = (Bid.objects.select_for_update(of=("self",)).select_related("supplier", "current")
           .filter(pk=bid_id, tender=tender, opened_at__isnull=False).first())
    if bid is None:
        raise NotFound("No such opened bid on this tender.")
    bid.tender = tender
    return bid


def score_commitment(*, tender_id: int, bid_id: int, evaluator_id: int, points: dict[str, str]) -> str:
    """SHA-256 over the canonical JSON of one scoring action (published in the
    audit log), salted with the tender's secret ``commitment_salt`` so that
    the points cannot be found by trying every value before the report
    (which publishes the salt) is public."""
    body = {"tender": tender_id, "bid": bid_id, "evaluator": evaluator_id, "points": points,
            "salt": selectors.commitment_salt(tender_id)}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# --- committee -----------------------------------------------------------------

@transaction.atomic
def add_evaluators(tender_id: int, *, by: User, user_ids: list[int], now: datetime | None = None) -> list[Evaluator]:
    """The owning officer names committee members: officers of the same buyer.
    Returns the members added (naming a member twice adds nothing)."""
    now = now or timezone.now()
    tender = lock_own_tender(tender_id, by=by)
    if not methods.of(tender).committee:
        raise WrongState(f"A {tender.method} tender has no evaluation committee: the officer decides.",
                         code="committee_not_used", method=tender.method)
    _require_status(tender, Status.DRAFT, Status.ACTIVE, Status.EVALUATION, action="changing the committee")
    ids = sorted(set(user_ids))
    users = {u.pk: u for u in User.objects.select_related("organisation").filter(pk__in=ids)}
    for uid in ids:
        user = users.get(uid)
        if user is None or not user.is_active or user.organisation_id != tender.buyer_id:
            raise Invalid(f"User {uid} is not an officer of {tender.buyer.name}.", code="evaluator_not_of_buyer",
                          field="evaluators")
    existing = set(Evaluator.objects.filter(tender=tender, user_id__in=ids).values_list("user_id", flat=True))
    added = [Evaluator.objects.create(tender=tender, user=users[uid], added_at=now, added_by=by)
             for uid in ids if uid not in existing]
    if added:
        audit.append(tender, "evaluators_named", by=by, now=now,
                     data={"evaluators": [{"id": e.user_id, "name": _person(e.user)} for e in added]})
        live.emit(tender, "evaluators_named", now=now, committee=True, evaluators=[e.user_id for e in added])
    return added


@transaction.atomic
def declare_no_conflict(tender_id: int, *, by: User, statement: str = "", now: datetime | None = None
                        ) -> ConflictDeclaration:
    now = now or timezone.now()
    tender = _lock_for_evaluator(tender_id, by)
    if not Evaluator.objects.filter(tender=tender, user=by).exists():
        raise Forbidden("Only a member of this tender's evaluation committee can declare.", code="not_evaluator")
    _require_status(tender, Status.ACTIVE, Status.EVALUATION, action="a conflict declaration")
    if ConflictDeclaration.objects.filter(tender=tender, user=by).exists():
        raise WrongState("You have already declared for this tender.", code="already_declared")
    declaration = ConflictDeclaration.objects.create(tender=tender, user=by, declared_at=now,
                                                     statement=statement.strip() or DEFAULT_STATEMENT)
    audit.append(tender, "conflict_declared", by=by, role="evaluator", now=now,
                 data={"evaluator": {"id": by.pk, "name": _person(by)}, "statement": declaration.statement})
    live.emit(tender, "conflict_declared", now=now, committee=True, evaluator=by.pk)
    return declaration


# --- qualification -------------------------------------------------------------

def _require_lot(lot: Lot, *allowed: str, code: str, action: str) -> None:
    if lot.status not in allowed:
        raise WrongState(f"The lot is {lot.status}: {action} is not possible now.", code=code, status=lot.status,
                         lot=lot.pk)


@transaction.atomic
def qualify_bid(tender_id: int, bid_id: int, *, by: User, qualified: bool, reason: str, lot_id: int | None = None,
                now: datetime | None = None) -> Qualification:
    """Qualify or disqualify an opened bid's offer for one lot (a single-lot
    tender's only lot when none is named), with a public reason. When fewer
    offers than ``min_bids`` remain not disqualified on the lot, the lot is
    unsuccessful (and the tender follows its lots)."""
    now = now or timezone.now()
    tender = lock_own_tender(tender_id, by=by)
    _require_status(tender, Status.EVALUATION, code="not_in_evaluation", action="qualification")
    if not reason.strip():
        raise Invalid("A qualification decision states its public reason.", code="reason_required", field="reason")
    lot = selectors.resolve_lot(tender, lot_id)
    _require_lot(lot, LotStatus.EVALUATION, code="not_in_evaluation", action="qualification")
    bid = _opened_bid(tender, bid_id)
    if not Offer.objects.filter(bid=bid, lot=lot).exists():
        raise NotFound("This bid has no offer for this lot.")
    in_turn = methods.of(tender).proposal == methods.LOWEST_IN_TURN
    if in_turn:
        _require_proposal(selectors.evaluation_state(tender, lot), bid.pk)
    live_auction = methods.of(tender).auction
    if live_auction:
        _check_auction_admission(lot, bid.pk, qualified)
    qualification, _ = Qualification.objects.update_or_create(
        bid=bid, lot=lot, defaults={"qualified": qualified, "reason": reason, "decided_at": now, "by": by})
    qualification.lot = lot
    audit.append(tender, "bid_qualified" if qualified else "bid_disqualified", by=by, now=now,
                 data={"bid": bid.pk, "lot": lot.pk, "supplier": bid.supplier.name, "qualified": qualified,
                       "reason": reason})
    live.emit(tender, "qualification", now=now, bid=bid.pk, lot=lot.pk, qualified=qualified, reason=reason)
    if not qualified:
        disqualified = Qualification.objects.filter(bid=OuterRef("bid"), lot=lot, qualified=False)
        remaining = (Offer.objects.filter(lot=lot, bid__opened_at__isnull=False)
                     .exclude(Exists(disqualified)).count())
        if remaining < tender.min_bids:
            move_lot(tender, lot, LotStatus.UNSUCCESSFUL, now=now, event="lot_unsuccessful", by=by,
                     tender_events={Status.UNSUCCESSFUL: "tender_unsuccessful"},
                     data={"reason": "too_few_qualified_bids", "bids": remaining, "min_bids": tender.min_bids})
        elif in_turn:
            _next_proposal(tender, lot, after=bid, now=now, by=by)
    if live_auction and lot.status == LotStatus.EVALUATION:
        _schedule_auction(tender, lot, now=now)
    return qualification


def _check_auction_admission(lot: Lot, bid_id: int, qualified: bool) -> None:
    """While the lot's auction is scheduled or running its participants are
    fixed; once it has been held (or skipped), an offer that was not in it can
    no longer be admitted: it would be ranked on its sealed price against the
    auction's final ones (or, after a skipped auction, win without one).
    Disqualifying stays open, as for any lot."""
    status = auctions_selectors.lot_auction_status(lot.pk)
    if status in (AuctionStatus.SCHEDULED, AuctionStatus.RUNNING):
        raise WrongState("The lot's auction is scheduled: its participants are fixed until it ends.",
                         code="auction_scheduled", lot=lot.pk)
    if status is not None and qualified and not auctions_selectors.is_participant(lot.pk, bid_id):
        raise WrongState("The lot's auction has been held: an offer that was not in it cannot be admitted now.",
                         code="auction_held", lot=lot.pk)


def _schedule_auction(tender: Tender, lot: Lot, *, now: datetime) -> None:
    """Once every offer of the lot is decided, its admitted offers meet in
    its live auction (DESIGN.md "Live e-auction"; one admitted offer: no
    auction, that offer is the award proposal)."""
    state = selectors.evaluation_state(tender, lot)
    if state.undecided():
        return
    admitted = [auctions.Admitted(bid=b.bid, supplier=b.supplier.id, amount=b.amount, received_at=b.received_at)
                for b in state.bids if b.qualified]
    auctions.schedule_lot(tender, lot, admitted=admitted, now=now)


def _require_proposal(state: selectors.EvaluationState, bid_id: int) -> None:
    """Lowest in turn: only the award proposal's qualification is checked."""
    proposal = state.proposal
    if proposal is None or proposal.bid != bid_id:
        raise WrongState("Only the award proposal (the lowest offer not disqualified) is checked.",
                         code="not_award_proposal", award_proposal=None if proposal is None else proposal.bid)


def _next_proposal(tender: Tender, lot: Lot, *, after: Bid, now: datetime, by: User) -> None:
    """Lowest in turn: the disqualified proposal's place goes to the next
    lowest offer by itself; audited and announced, naming the method."""
    proposal = selectors.evaluation_state(tender, lot).proposal
    if proposal is None:
        return
    data = {"lot": lot.pk, "method": tender.method, "from": after.pk, "bid": proposal.bid,
            "supplier": proposal.supplier.name, "amount": f"{proposal.amount:.2f}", "currency": proposal.currency}
    audit.append(tender, "award_proposal_moved", role="system", now=now, data=data)
    live.emit(tender, "award_proposal", now=now, **data)


# --- scores --------------------------------------------------------------------

def _lock_for_evaluator(tender_id: int, user: User) -> Tender:
    """Lock the tender; another buyer's draft does not exist for this user (404,
    as everywhere else), rather than a 403 that would confirm it exists."""
    tender = lock_tender(tender_id)
    if tender.status == Status.DRAFT and getattr(user, "organisation_id", None) != tender.buyer_id:
        raise NotFound("No such tender.")
    return tender


def require_declared(tender: Tender, user: User) -> None:
    if not Evaluator.objects.filter(tender=tender, user=user).exists():
        raise Forbidden("Only a member of this tender's evaluation committee can score.", code="not_evaluator")
    if not ConflictDeclaration.objects.filter(tender=tender, user=user).exists():
        raise Forbidden("File your conflict-of-interest declaration first.", code="conflict_declaration_required")


@transaction.atomic
def score_bid(tender_id: int, bid_id: int, *, by: User, points: dict[int, Decimal],
              now: datetime | None = None) -> list[Score]:
    """An evaluator's points for a qualified bid, per quality criterion
    (0..criterion weight, 2 decimal places). A later score replaces the
    evaluator's earlier one on that criterion until the award."""
    now = now or timezone.now()
    tender = _lock_for_evaluator(tender_id, by)
    require_declared(tender, by)
    _require_status(tender, Status.EVALUATION, code="not_in_evaluation", action="scoring")
    if tender.award_method != AwardMethod.BEST_VALUE:
        raise WrongState("A lowest-price tender is ranked by price alone; there is nothing to score.",
                         code="nothing_to_score")
    if not points:
        raise Invalid("Give points for at least one criterion.", code="points_required")
    criteria = {c.pk: c for c in tender.criteria.all()}
    for cid, value in points.items():
        criterion = criteria.get(cid)
        if criterion is None:
            raise Invalid(f"No criterion {cid} on this tender.", code="unknown_criterion", field=str(cid))
        if not (0 <= value <= criterion.weight):
            raise Invalid(f"Points for {criterion.name} are between 0 and {criterion.weight}.",
                          code="points_out_of_range", field=str(cid))
        if value != value.quantize(Decimal("0.01")):
            raise Invalid("Points have at most 2 decimal places.", code="points_precision", field=str(cid))
    bid = _opened_bid(tender, bid_id)
    # Qualified for a lot still in evaluation: the tender's criteria are scored
    # once per bid, a lot's criteria only on a bid qualified for that lot.
    open_lots = set(Qualification.objects.filter(bid=bid, qualified=True, lot__status=LotStatus.EVALUATION)
                    .values_list("lot_id", flat=True))
    if not open_lots or any(criteria[cid].lot_id not in (None, *open_lots) for cid in points):
        raise WrongState("Only a qualified bid is scored.", code="bid_not_qualified")
    stored = []
    for cid in sorted(points):
        score, _ = Score.objects.update_or_create(
            bid=bid, criterion_id=cid, evaluator=by,
            defaults={"tender": tender, "points": points[cid], "scored_at": now})
        stored.append(score)
    published = {str(cid): f"{points[cid]:.2f}" for cid in sorted(points)}
    audit.append(tender, "bid_scored", by=by, role="evaluator", now=now,
                 data={"bid": bid.pk, "evaluator": {"id": by.pk, "name": _person(by)},
                       "criteria": sorted(points),
                       "commitment": score_commitment(tender_id=tender.pk, bid_id=bid.pk, evaluator_id=by.pk,
                                                      points=published)})
    # who scored which bid on which criteria: the points stay in the report
    live.emit(tender, "bid_scored", now=now, committee=True, evaluator=by.pk, bid=bid.pk, criteria=sorted(points))
    return stored


# --- award -----------------------------------------------------------------------

def _check_ready(state: selectors.EvaluationState, bid_id: int) -> None:
    if methods.of(state.tender).auction and auctions_selectors.lot_auction_status(state.lot.pk) not in (
            AuctionStatus.FINISHED, AuctionStatus.SKIPPED):
        raise WrongState("The lot is awarded after its auction has finished.", code="auction_not_finished",
                         lot=state.lot.pk)
    if methods.of(state.tender).proposal == methods.LOWEST_IN_TURN:
        _require_proposal(state, bid_id)  # its qualification alone is decided; the others wait their turn
        return
    undecided = state.undecided()
    if undecided:
        raise WrongState("Every opened bid needs a qualification decision before the award.",
                         code="qualification_incomplete", bids=undecided)
    if state.tender.award_method != AwardMethod.BEST_VALUE:
        return
    if not state.declared():
        raise WrongState("No evaluator has declared and scored yet.", code="scoring_incomplete")
    missing = state.incompletely_scored()
    if missing:
        raise WrongState("Every declared evaluator must score every qualified bid on every criterion.",
                         code="scoring_incomplete", bids=missing)


@transaction.atomic
def award_bid(tender_id: int, *, by: User, bid_id: int, justification: str = "", lot_id: int | None = None,
              now: datetime | None = None) -> Award:
    """Award one lot (a single-lot tender's only lot when none is named) to a
    bid qualified on it. Any bid but the lot's top-ranked needs a public
    written justification. Starts the lot's standstill period."""
    now = now or timezone.now()
    tender = lock_own_tender(tender_id, by=by)
    _require_status(tender, Status.EVALUATION, code="not_in_evaluation", action="an award")
    lot = selectors.resolve_lot(tender, lot_id)
    _require_lot(lot, LotStatus.EVALUATION, code="not_in_evaluation", action="an award")
    state = selectors.evaluation_state(tender, lot)
    _check_ready(state, bid_id)
    bid = state.bid(bid_id)
    if bid is None:
        raise NotFound("No such opened bid on this lot.")
    if bid.rank is None:
        raise WrongState("Only a qualified bid can be awarded.", code="bid_not_qualified")
    top = bid.rank == 1
    justification = justification.strip()
    if not top and not justification:
        raise Invalid(f"This bid ranks {bid.rank}; awarding it instead of bid {state.ranking[0]} needs a "
                      "written justification.", code="justification_required", field="justification",
                      top_ranked=state.ranking[0])
    award = Award.objects.create(
        tender=tender, lot=lot, bid_id=bid_id, awarded_at=now, by=by, justification=justification, top_ranked=top,
        standstill_ends_at=now + timedelta(seconds=settings.PROCUREMENT_STANDSTILL_PERIOD))
    amount = f"{bid.amount:.2f}"
    # the audit log is public: the totals as the lot's public report shows them
    # (null for a bid whose points on the tender's criteria another lot is still weighing)
    public = selectors.withheld(state)
    summary = {"award": award.pk, "lot": lot.pk, "method": tender.method, "bid": bid_id,
               "supplier": bid.supplier.name, "amount": amount,
               "currency": bid.currency, "rank": bid.rank, "top_ranked": top,
               "justification": justification, "standstill_ends_at": iso(award.standstill_ends_at),
               "ranking": [{"bid": b, "total": None if public.bid(b).total is None else str(public.bid(b).total)}
                           for b in state.ranking]}
    move_lot(tender, lot, LotStatus.AWARDED, now=now, event="lot_awarded", by=by, data=summary,
             tender_events={Status.AWARDED: "tender_awarded"},
             live_extra={"bid": bid_id, "supplier": bid.supplier.name})
    live.emit(tender, "awarded", now=now, award=award.pk, lot=lot.pk, method=tender.method, bid=bid_id,
              supplier=bid.supplier.name,
              amount=amount, currency=bid.currency, top_ranked=top, justification=justification,
              standstill_ends_at=iso(award.standstill_ends_at))
    return award


# --- complaints --------------------------------------------------------------------

@transaction.atomic
def file_complaint(tender_id: int, *, by: User, text: str, lot_id: int | None = None,
                   now: datetime | None = None) -> Complaint:
    """A supplier whose opened bid lost a lot complains about that lot's
    award (a single-lot tender's only lot when none is named), during its
    standstill."""
    now = now or timezone.now()
    tender = lock_tender(tender_id)
    if tender.status == Status.DRAFT:
        raise NotFound("No such tender.")
    if not text.strip():
        raise Invalid("A complaint states its grounds.", code="text_required", field="text")
    lot = selectors.resolve_lot(tender, lot_id)
    if lot.status != LotStatus.AWARDED:
        raise WrongState(f"The lot is {lot.status}: a complaint is not possible now.", code="not_awarded",
                         status=tender.status, lot=lot.pk)
    award = Award.objects.select_related("bid").get(lot=lot, status=Award.Status.ACTIVE)
    if methods.of(tender).complaints_by == methods.ANY_SUPPLIER:
        # e.g. single source: the ground itself may be unlawful, so any registered supplier may say so
        if not by.is_supplier:
            raise Forbidden("Only a registered supplier can complain.", code="suppliers_only")
        if award.bid.supplier_id == by.organisation_id:
            raise Forbidden("The winning bidder cannot complain about its own award.",
                            code="winner_cannot_complain")
    else:
        own = Bid.objects.filter(tender=tender, supplier_id=by.organisation_id, opened_at__isnull=False,
                                 offers__lot=lot).first()
        if own is None:
            raise Forbidden("Only a bidder whose bid on this lot was opened can complain.", code="not_a_bidder")
        if own.pk == award.bid_id:
            raise Forbidden("The winning bidder cannot complain about its own award.",
                            code="winner_cannot_complain")
    if now >= award.standstill_ends_at:
        raise WrongState(f"The standstill period ended at {iso(award.standstill_ends_at)}.",
                         code="standstill_over")
    if Complaint.objects.filter(award=award, supplier_id=by.organisation_id, status=Complaint.Status.OPEN).exists():
        raise WrongState("Your organisation already has an open complaint about this award.",
                         code="complaint_open")
    complaint = Complaint.objects.create(tender=tender, award=award, supplier_id=by.organisation_id, filed_by=by,
                                         text=text, filed_at=now)
    audit.append(tender, "complaint_filed", by=by, now=now,
                 data={"complaint": complaint.pk, "award": award.pk, "lot": lot.pk, "supplier": by.organisation.name,
                       "text": text})
    live.emit(tender, "complaint_filed", now=now, complaint=complaint.pk, award=award.pk, lot=lot.pk,
              supplier=by.organisation.name)
    return complaint


@transaction.atomic
def resolve_complaint(tender_id: int, complaint_id: int, *, by: User, upheld: bool, resolution: str,
                      now: datetime | None = None) -> Complaint:
    """Upheld: the award is annulled and evaluation resumes (other open
    complaints about that award close as moot). Dismissed: the standstill
    continues, and the tender completes once it has ended with no open complaint."""
    now = now or timezone.now()
    tender = lock_own_tender(tender_id, by=by)
    complaint = (Complaint.objects.select_for_update(of=("self",)).select_related("award__lot")
                 .filter(pk=complaint_id, tender=tender).first())
    if complaint is None:
        raise NotFound("No such complaint on this tender.")
    if not resolution.strip():
        raise Invalid("A resolution states its public reasons.", code="resolution_required", field="resolution")
    if complaint.status != Complaint.Status.OPEN:
        raise WrongState(f"This complaint is already {complaint.status}.", code="complaint_not_open")
    lot = complaint.award.lot
    if lot.status != LotStatus.AWARDED:
        raise WrongState(f"The lot is {lot.status}: resolving complaints is not possible now.", code="not_awarded",
                         status=tender.status, lot=lot.pk)
    complaint.status = Complaint.Status.UPHELD if upheld else Complaint.Status.DISMISSED
    complaint.resolution = resolution
    complaint.resolved_at = now
    complaint.resolved_by = by
    complaint.save(update_fields=["status", "resolution", "resolved_at", "resolved_by"])
    audit.append(tender, "complaint_resolved", by=by, now=now,
                 data={"complaint": complaint.pk, "lot": lot.pk, "upheld": upheld, "resolution": resolution})
    live.emit(tender, "complaint_resolved", now=now, complaint=complaint.pk, lot=lot.pk, upheld=upheld,
              resolution=resolution)
    if upheld:
        award = Award.objects.select_for_update().get(pk=complaint.award_id)
        award.status = Award.Status.CANCELLED
        award.cancelled_at = now
        award.save(update_fields=["status", "cancelled_at"])
        moot = list(Complaint.objects.filter(award=award, status=Complaint.Status.OPEN)
                    .values_list("pk", flat=True))
        Complaint.objects.filter(pk__in=moot).update(
            status=Complaint.Status.DISMISSED, resolved_at=now, resolved_by=by,
            resolution=f"Closed without a decision: the award was annulled on complaint {complaint.pk}.")
        move_lot(tender, lot, LotStatus.EVALUATION, now=now, event="award_annulled", by=by,
                 tender_events={Status.EVALUATION: "award_annulled"},
                 data={"award": award.pk, "complaint": complaint.pk, "moot_complaints": moot})
    return complaint


# --- completion (scheduler) -------------------------------------------------------------

COMPLETION_JOB = "complete_tender"


def due_for_completion(now: datetime, *, skip: set[int] = frozenset()) -> list[int]:
    """Tenders with a lot whose standstill has ended with no open complaint."""
    tender_ids = (Award.objects.filter(status=Award.Status.ACTIVE, lot__status=LotStatus.AWARDED,
                                       standstill_ends_at__lte=now)
                  .exclude(complaints__status=Complaint.Status.OPEN)
                  .exclude(tender_id__in=skip).exclude(tender_id__in=scheduling.waiting(COMPLETION_JOB, now))
                  .order_by("standstill_ends_at").values_list("tender_id", flat=True)[:50])
    return list(dict.fromkeys(tender_ids))


@transaction.atomic
def complete_tender(tender_id: int, *, now: datetime | None = None) -> bool:
    """Complete each awarded lot of a tender whose standstill has ended with
    no open complaint; the tender completes with its last lot. A tender
    another scheduler holds is skipped (SKIP LOCKED)."""
    now = now or timezone.now()
    tender = (Tender.objects.select_for_update(skip_locked=True, of=("self",)).select_related("buyer")
              .filter(pk=tender_id, status__in=[Status.EVALUATION, Status.AWARDED]).first())
    if tender is None:
        return False
    awards = list(Award.objects.filter(tender=tender, status=Award.Status.ACTIVE, lot__status=LotStatus.AWARDED,
                                       standstill_ends_at__lte=now)
                  .exclude(complaints__status=Complaint.Status.OPEN).select_related("lot").order_by("lot_id"))
    for award in awards:
        move_lot(tender, award.lot, LotStatus.COMPLETE, now=now, event="lot_completed", role="system",
                 tender_events={Status.COMPLETE: "tender_completed"},
                 data={"award": award.pk, "bid": award.bid_id, "standstill_ended_at": iso(award.standstill_ends_at)})
    return bool(awards)


# --- lot cancellation ---------------------------------------------------------------------

@transaction.atomic
def cancel_lot(tender_id: int, lot_id: int, *, by: User, reason: str, now: datetime | None = None) -> Lot:
    """Cancel one lot after the opening, with a public reason; the others go
    on. An awarded lot's award is cancelled with it (its open complaints
    close as moot). The tender follows its lots."""
    now = now or timezone.now()
    tender = lock_own_tender(tender_id, by=by)
    if not reason.strip():
        raise Invalid("A cancellation states its public reason.", code="reason_required", field="reason")
    lot = Lot.objects.filter(tender=tender, pk=lot_id).first()
    if lot is None:
        raise NotFound("No such lot on this tender.")
    if tender.opened_at is None or lot.status not in (LotStatus.EVALUATION, LotStatus.AWARDED):
        raise WrongState(f"A {lot.status} lot cannot be cancelled (only after the opening, before it completes).",
                         code="invalid_transition", status=lot.status)
    award = Award.objects.select_for_update().filter(lot=lot, status=Award.Status.ACTIVE).first()
    moot = []
    if award is not None:
        award.status = Award.Status.CANCELLED
        award.cancelled_at = now
        award.save(update_fields=["status", "cancelled_at"])
        moot = list(Complaint.objects.filter(award=award, status=Complaint.Status.OPEN).values_list("pk", flat=True))
        Complaint.objects.filter(pk__in=moot).update(
            status=Complaint.Status.DISMISSED, resolved_at=now, resolved_by=by,
            resolution=f"Closed without a decision: lot {lot.pk} was cancelled.")
    lot.cancelled_at = now
    lot.cancellation_reason = reason
    Lot.objects.filter(pk=lot.pk).update(cancelled_at=now, cancellation_reason=reason)
    move_lot(tender, lot, LotStatus.CANCELLED, now=now, event="lot_cancelled", by=by,
             tender_events={Status.UNSUCCESSFUL: "tender_unsuccessful", Status.COMPLETE: "tender_completed"},
             data={"reason": reason, "award": award.pk if award else None, "moot_complaints": moot},
             live_extra={"reason": reason})
    return lot


def complete_due(now: datetime | None = None) -> int:
    """One scheduler pass: complete every tender whose standstill is over."""
    now = now or timezone.now()
    return scheduling.run_due(COMPLETION_JOB, due_for_completion, lambda pk: complete_tender(pk, now=now), now)
