"""Every rule that changes a tender. Each function locks the tender row,
checks the rule, writes the change and its audit entry in one transaction, and
schedules the live event for after the commit."""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Value
from django.utils import timezone

from accounts.models import Organisation, User
from audit import services as audit
from core import sealing
from core.db import db_now
from core.errors import Forbidden, Invalid, NotFound, WrongState
from core.isotime import iso
from live import events as live
from notifications import services as notifications

from . import cpv, methods, reference
from .models import (
    MAX_LOTS, Amendment, AwardMethod, Criterion, Language, Lot, LotStatus, Method, Status, Tender, TenderDocument,
    lot_match,
)

# One table of allowed moves; _transition is the only place that changes status.
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.ACTIVE, Status.CANCELLED},
    Status.ACTIVE: {Status.EVALUATION, Status.CANCELLED},
    # A multi-lot tender follows its lots (derive_status): its last lot in
    # evaluation cancelled can complete it, its last awarded lot cancelled
    # can leave it unsuccessful.
    Status.EVALUATION: {Status.AWARDED, Status.UNSUCCESSFUL, Status.CANCELLED, Status.COMPLETE},
    Status.AWARDED: {Status.COMPLETE, Status.EVALUATION, Status.CANCELLED, Status.UNSUCCESSFUL},
}

DRAFT_FIELDS = {
    "title", "description", "cpv", "estimated_amount", "currency", "clarification_deadline",
    "submission_deadline", "award_method", "price_weight", "min_bids", "language",
    # the procurement method and the terms only some methods have (tenders.methods)
    "method", "named_supplier", "ground", "justification", "failed_tender", "failed_lot",
}
# A bid that counts (``bids.models.Bid.Status.SUBMITTED``; tests/test_layers.py
# checks the two agree).
LIVE_BID_STATUS = "submitted"
AMENDABLE_FIELDS = {"title", "description", "estimated_amount", "clarification_deadline", "submission_deadline"}


class DeadlinePassed(WrongState):
    code = "deadline_passed"


def lock_tender(tender_id: int) -> Tender:
    """The tender, row-locked until the end of the transaction (only the
    tender's row: locking the joined buyer would serialise all its tenders)."""
    try:
        return Tender.objects.select_for_update(of=("self",)).select_related("buyer").get(pk=tender_id)
    except Tender.DoesNotExist:
        raise NotFound("No such tender.") from None


def lock_own_tender(tender_id: int, *, by: User) -> Tender:
    """Lock a tender the officer's buyer owns. A stranger's draft does not
    exist for them (404); a stranger's published tender is refused (403)."""
    tender = lock_tender(tender_id)
    if by.organisation_id != tender.buyer_id:
        if tender.status == Status.DRAFT:
            raise NotFound("No such tender.")
        raise Forbidden("This tender belongs to another buyer.", code="not_your_tender")
    return tender


def transition(tender: Tender, to: str, *, now: datetime, event: str, by: User | None = None, role: str | None = None,
               data: dict | None = None, live_extra: dict | None = None, lots_follow: bool = True) -> None:
    """Move a locked tender to ``to``, audit it and announce it after commit."""
    if to not in TRANSITIONS.get(tender.status, set()):
        raise WrongState(f"A tender cannot go from {tender.status} to {to}.", code="invalid_transition",
                         status=tender.status)
    previous = tender.status
    tender.status = to
    Tender.objects.filter(pk=tender.pk).update(status=to, updated_at=now)
    if lots_follow:
        _lots_follow(tender, to)
    audit.append(tender, event, by=by, role=role, now=now, data={"from": previous, "to": to, **(data or {})})
    live.emit(tender, "status_changed", now=now, feed=True, previous=previous,
              **{"bid_count": tender.bid_count, **(live_extra or {})})


# --- lots ------------------------------------------------------------------

# A lot still competing (its status may still change).
OPEN_LOT_STATUSES = (LotStatus.ACTIVE, LotStatus.EVALUATION, LotStatus.AWARDED)


def _lots_follow(tender: Tender, to: str) -> None:
    """A whole-tender move, applied to its lots: a cancelled tender cancels
    every lot still competing; the only lot of a single-lot tender has the
    tender's status (a draft's lot is ``active``). A multi-lot tender's lots
    are moved one by one by the evaluation (``set_lot_status``) and the
    tender follows them (``derive_status``)."""
    if to == Status.CANCELLED:
        Lot.objects.filter(tender=tender, status__in=OPEN_LOT_STATUSES).update(status=LotStatus.CANCELLED)
        return
    lots = Lot.objects.filter(tender=tender)
    if to in LotStatus.values and len(ids := list(lots.values_list("pk", flat=True)[:2])) == 1:
        Lot.objects.filter(pk=ids[0]).update(status=to)


def derive_status(lot_statuses: list[str]) -> str | None:
    """An opened tender's status from its lots' (DESIGN.md "Lots"):
    ``unsuccessful`` when every lot is unsuccessful or cancelled; ``complete``
    when every lot is finished and at least one is complete; ``awarded``
    when no lot is left in evaluation and at least one is awarded; else
    ``evaluation``. None for no lots."""
    if not lot_statuses:
        return None
    statuses = set(lot_statuses)
    finished = {LotStatus.COMPLETE, LotStatus.UNSUCCESSFUL, LotStatus.CANCELLED}
    if statuses <= {LotStatus.UNSUCCESSFUL, LotStatus.CANCELLED}:
        return Status.UNSUCCESSFUL
    if statuses <= finished:
        return Status.COMPLETE
    if LotStatus.EVALUATION not in statuses and LotStatus.ACTIVE not in statuses:
        return Status.AWARDED
    return Status.EVALUATION


LOT_TRANSITIONS: dict[str, set[str]] = {
    LotStatus.ACTIVE: {LotStatus.EVALUATION, LotStatus.UNSUCCESSFUL, LotStatus.CANCELLED},
    LotStatus.EVALUATION: {LotStatus.AWARDED, LotStatus.UNSUCCESSFUL, LotStatus.CANCELLED},
    LotStatus.AWARDED: {LotStatus.COMPLETE, LotStatus.EVALUATION, LotStatus.CANCELLED},
}


def move_lot(tender: Tender, lot: Lot, to: str, *, now: datetime, event: str, tender_events: dict[str, str],
             by: User | None = None, role: str | None = None, data: dict | None = None,
             live_extra: dict | None = None) -> None:
    """Move one lot of a locked tender to ``to``; the tender follows its lots
    (``derive_status``). When the tender's status changes, that transition
    is the audit entry (named by ``tender_events``, else ``event``) and it
    names the lot; otherwise the lot's move is its own entry, ``event``.
    Every entry and live event names the lot."""
    if to not in LOT_TRANSITIONS.get(lot.status, set()):
        raise WrongState(f"A lot cannot go from {lot.status} to {to}.", code="invalid_transition",
                         status=lot.status)
    previous = lot.status
    lot.status = to
    Lot.objects.filter(pk=lot.pk).update(status=to)
    data = {"lot": lot.pk, **(data or {})}
    target = derive_status(list(Lot.objects.filter(tender=tender).values_list("status", flat=True)))
    if target is not None and target != tender.status:
        transition(tender, target, now=now, event=tender_events.get(target, event), by=by, role=role, data=data,
                   live_extra={"lot": lot.pk, **(live_extra or {})}, lots_follow=False)
    else:
        audit.append(tender, event, by=by, role=role, now=now,
                     data={"lot_from": previous, "lot_to": to, **data})
    if tender.lot_count > 1:
        live.emit(tender, "lot_status_changed", now=now, lot=lot.pk, lot_status=to, previous=previous,
                  **(live_extra or {}))


def _validate_lots(lots: list[dict], tender_cpv: str) -> None:
    if not lots:
        raise Invalid("A tender has at least one lot.", code="lots_required", field="lots")
    if len(lots) > MAX_LOTS:
        raise Invalid(f"A tender has at most {MAX_LOTS} lots.", code="too_many_lots", field="lots")
    for i, lot in enumerate(lots):
        code = lot.get("cpv") or tender_cpv
        if not cpv.is_known(code):
            raise Invalid(f"Lot {i + 1}: {code} is not a CPV 2008 code.", code="cpv_unknown", field=f"lots.{i}.cpv")
        if lot["estimated_amount"] <= 0:
            raise Invalid(f"Lot {i + 1}: the estimated amount must be positive.", code="amount_invalid",
                          field=f"lots.{i}.estimated_amount")
        if lot.get("quantity") is not None and lot["quantity"] <= 0:
            raise Invalid(f"Lot {i + 1}: the quantity must be positive.", code="quantity_invalid",
                          field=f"lots.{i}.quantity")


def _lots_total(lots: list[dict]) -> Decimal:
    total = sum((lot["estimated_amount"] for lot in lots), Decimal(0))
    if total.adjusted() >= 16:  # Tender.estimated_amount: 18 digits, 2 of them decimals
        raise Invalid("The lots' estimated amounts add up to more than a tender's amount can hold.",
                      code="amount_invalid", field="lots")
    return total


def _replace_lots(tender: Tender, lots: list[dict]) -> None:
    tender.lots.all().delete()
    tender.lot_count = len(lots)
    Tender.objects.filter(pk=tender.pk).update(lot_count=len(lots))
    Lot.objects.bulk_create(
        Lot(tender=tender, position=i, title=lot["title"], description=lot.get("description", ""),
            cpv=lot.get("cpv") or tender.cpv, estimated_amount=lot["estimated_amount"],
            quantity=lot.get("quantity"), unit=lot.get("unit", ""), minimal_step=lot.get("minimal_step"))
        for i, lot in enumerate(lots))
    _refresh_lot_match(tender)


def _refresh_lot_match(tender: Tender) -> None:
    """The register's summary of the lots on the tender's row (``lot_cpvs``,
    ``lot_amount_min``, ``lot_amount_max``), after any change to a lot's CPV
    or amount; set on the instance too, so a later ``save()`` keeps it."""
    fields = lot_match(Lot.objects.filter(tender=tender).values_list("cpv", "estimated_amount"))
    for field, value in fields.items():
        setattr(tender, field, value)
    Tender.objects.filter(pk=tender.pk).update(**fields)


def _flat_lot(tender: Tender, minimal_step: Decimal | None = None) -> dict:
    return {"title": tender.title, "description": tender.description, "cpv": tender.cpv,
            "estimated_amount": tender.estimated_amount, "minimal_step": minimal_step}


def _check_lot_terms(method_name: str, lots: list[dict]) -> None:
    """The method's rules on the lots (an auction lot's ``minimal_step``)."""
    methods.get(method_name).check_lots([(lot["estimated_amount"], lot.get("minimal_step")) for lot in lots])


def _stored_lots(tender: Tender) -> list[dict]:
    return list(tender.lots.order_by("position", "pk").values("estimated_amount", "minimal_step"))


def _sync_single_lot(tender: Tender, before: dict, fields: dict) -> None:
    """Flat edits of a single-lot tender reach its lot: CPV and amount always
    (the tender's amount is its lots' sum), title and description when the
    lot had the tender's own."""
    lots = list(tender.lots.all()[:2])
    if len(lots) != 1:
        if "estimated_amount" in fields and fields["estimated_amount"] != before["estimated_amount"]:
            raise Invalid("A multi-lot tender's estimated amount is the sum of its lots: change the lots.",
                          code="lots_amount_mismatch", field="estimated_amount")
        return
    lot = lots[0]
    changed = []
    for field in ("title", "description", "cpv", "estimated_amount"):
        if field not in fields:
            continue
        if field in ("title", "description") and getattr(lot, field) != before[field]:
            continue
        setattr(lot, field, getattr(tender, field))
        changed.append(field)
    if changed:
        lot.save(update_fields=changed)
        if {"cpv", "estimated_amount"} & set(changed):
            _refresh_lot_match(tender)


# --- validation ------------------------------------------------------------

def _validate_terms(values: dict[str, Any], criteria: list[dict] | None, lot_count: int = 1, *,
                    buyer_id: int) -> None:
    """Rules on the tender's own fields, checked on every create/edit/publish;
    then the method's own (``tenders.methods``)."""
    method = methods.get(values["method"])
    if not cpv.is_known(values["cpv"]):
        raise Invalid(f"{values['cpv']} is not a CPV 2008 code.", code="cpv_unknown", field="cpv")
    if not reference.is_currency(values["currency"]):
        raise Invalid(f"{values['currency']} is not an ISO 4217 currency code.", code="currency_unknown",
                      field="currency")
    if values["language"] not in Language.values:
        raise Invalid(f"{values['language']} is not a tender language (kk, ru or en).", code="language_unknown",
                      field="language")
    if values["clarification_deadline"] >= values["submission_deadline"]:
        raise Invalid("The clarification deadline must be before the submission deadline.",
                      code="clarification_after_submission", field="clarification_deadline")
    if values["award_method"] == AwardMethod.LOWEST_PRICE:
        if criteria:
            raise Invalid("A lowest-price tender has no quality criteria.", code="criteria_not_allowed",
                          field="criteria")
        if values["price_weight"] != 100:
            raise Invalid("A lowest-price tender weighs price at 100.", code="weights_not_100",
                          field="price_weight")
    else:
        if not criteria:
            raise Invalid("A best-value tender needs at least one quality criterion.", code="criteria_required",
                          field="criteria")
        names = [c["name"] for c in criteria]
        if len(set(names)) != len(names):
            raise Invalid("Criterion names must be unique.", code="criteria_duplicate", field="criteria")
        for c in criteria:
            if c.get("lot") is not None and not 0 <= c["lot"] < lot_count:
                raise Invalid(f"Criterion {c['name']}: there is no lot {c['lot']} (lots are numbered from 0).",
                              code="criterion_lot_unknown", field="criteria")
        # Each lot is ranked on price, the tender's criteria and its own: together 100.
        shared = values["price_weight"] + sum(c["weight"] for c in criteria if c.get("lot") is None)
        for lot in range(lot_count):
            total = shared + sum(c["weight"] for c in criteria if c.get("lot") == lot)
            if total != 100:
                where = "" if lot_count == 1 else f" for lot {lot}"
                raise Invalid(f"Price weight and criteria weights add up to {total}{where}, not 100.",
                              code="weights_not_100", field="criteria")
    method.check_terms(values, criteria or [], buyer_id=buyer_id)


def _method_references(fields: dict[str, Any], buyer_id: int) -> None:
    """The API's references, as the fields stored: ``supplier`` ({"bin"})
    becomes ``named_supplier``, ``failed`` ({"tender", "lot"}) becomes
    ``failed_tender`` and ``failed_lot``. A reference to nothing, or to
    another buyer's tender, is a 400 (the same one: no existence leak)."""
    if "supplier" in fields:
        ref = fields.pop("supplier")
        organisation = None
        if ref is not None:
            organisation = Organisation.objects.filter(tax_id=ref["bin"]).first()
            if organisation is None:
                raise Invalid(f"No organisation with BIN {ref['bin']} is registered on the platform.",
                              code="supplier_unknown", field="supplier")
        fields["named_supplier"] = organisation
    if "failed" in fields:
        ref = fields.pop("failed")
        failed = lot = None
        if ref is not None:
            failed = Tender.objects.filter(pk=ref["tender"], buyer_id=buyer_id).first()
            if failed is not None and ref.get("lot") is not None:
                lot = Lot.objects.filter(pk=ref["lot"], tender=failed).first()
            if failed is None or (ref.get("lot") is not None and lot is None):
                raise Invalid("No such tender or lot of yours.", code="failed_invalid", field="failed")
        fields["failed_tender"], fields["failed_lot"] = failed, lot


def _clear_unused(values: dict[str, Any], sent: dict[str, Any]) -> None:
    """A draft moved to another method drops the terms the new one does not
    take (unless they were sent now: then the method refuses them)."""
    takes = methods.get(values["method"]).takes
    for field in methods.OPTIONAL_FIELDS:
        if field not in takes and field not in sent:
            values[field] = "" if field in ("ground", "justification") else None


def _validate_periods(tender: Tender, now: datetime, *, minimum: int) -> None:
    if tender.clarification_deadline <= now:
        raise Invalid("The clarification deadline has already passed.", code="clarification_deadline_past",
                      field="clarification_deadline")
    earliest = now + timedelta(seconds=minimum)
    if tender.submission_deadline < earliest:
        raise Invalid(
            f"The submission deadline must be at least {minimum} seconds after publication "
            f"(not before {iso(earliest)}).",
            code="submission_period_too_short", field="submission_deadline", earliest=iso(earliest),
        )


def _refresh_search(tender: Tender) -> None:
    text = " ".join([tender.title, tender.description, tender.buyer.name]).casefold()
    Tender.objects.filter(pk=tender.pk).update(search_text=text)
    if connection.vendor == "postgresql":
        Tender.objects.filter(pk=tender.pk).update(search_vector=(
            SearchVector("title", weight="A", config="simple")
            + SearchVector("description", weight="B", config="simple")
            + SearchVector(Value(tender.buyer.name), weight="C", config="simple")
        ))


def _replace_criteria(tender: Tender, criteria: list[dict]) -> None:
    """``lot`` in a criterion is the position of its lot (0 for the first)."""
    tender.criteria.all().delete()
    lots = list(tender.lots.order_by("position", "pk").values_list("pk", flat=True))
    Criterion.objects.bulk_create(
        Criterion(tender=tender, name=c["name"], weight=c["weight"], position=i,
                  lot_id=lots[c["lot"]] if c.get("lot") is not None else None) for i, c in enumerate(criteria)
    )


def _current_criteria(tender: Tender) -> list[dict]:
    positions = {pk: i for i, pk in enumerate(tender.lots.order_by("position", "pk").values_list("pk", flat=True))}
    return [{"name": c.name, "weight": c.weight, "lot": positions.get(c.lot_id)} for c in tender.criteria.all()]


def _terms(tender: Tender) -> dict[str, Any]:
    return {field: getattr(tender, field) for field in DRAFT_FIELDS}


# --- drafting ---------------------------------------------------------------

@transaction.atomic
def create_draft(*, by: User, criteria: list[dict] | None = None, lots: list[dict] | None = None,
                 now: datetime | None = None, **fields) -> Tender:
    """A draft; with ``lots`` its estimated amount is their sum, without them
    it gets one lot made from its flat fields (and the flat ``minimal_step``)."""
    now = now or timezone.now()
    flat_step = fields.pop("minimal_step", None)
    if lots is not None:
        if "cpv" in fields:
            _validate_lots(lots, fields["cpv"])
        total = _lots_total(lots)
        if fields.get("estimated_amount") not in (None, total):
            raise Invalid(f"The estimated amount is the sum of the lots ({total:.2f}).",
                          code="lots_amount_mismatch", field="estimated_amount")
        fields["estimated_amount"] = total
    elif "estimated_amount" not in fields:
        raise Invalid("A tender without lots states its estimated amount.", code="estimated_amount_required",
                      field="estimated_amount")
    fields.setdefault("method", Method.OPEN_TENDER)
    methods.get(fields["method"])  # a method the platform does not run: 400 before anything else
    _method_references(fields, by.organisation_id)
    unknown = set(fields) - DRAFT_FIELDS
    if unknown:
        raise TypeError(f"unexpected fields {sorted(unknown)}")
    fields.setdefault("award_method", AwardMethod.LOWEST_PRICE)
    fields.setdefault("currency", "KZT")
    fields.setdefault("min_bids", 1)
    fields.setdefault("description", "")
    fields.setdefault("language", settings.PROCUREMENT_DEFAULT_TENDER_LANGUAGE)
    if fields["award_method"] == AwardMethod.LOWEST_PRICE:
        fields.setdefault("price_weight", 100)
    elif "price_weight" not in fields:
        raise Invalid("A best-value tender states its price weight.", code="price_weight_required",
                      field="price_weight")
    criteria = criteria or []
    _validate_terms(fields, criteria, len(lots) if lots is not None else 1, buyer_id=by.organisation_id)
    if lots is not None and flat_step is not None:
        raise Invalid("With lots, each lot states its own minimal_step.", code="field_not_allowed",
                      field="minimal_step")
    _check_lot_terms(fields["method"], lots if lots is not None
                     else [{"estimated_amount": fields["estimated_amount"], "minimal_step": flat_step}])
    tender = Tender.objects.create(buyer=by.organisation, created_by=by, **fields)
    _replace_lots(tender, lots if lots is not None else [_flat_lot(tender, flat_step)])
    _replace_criteria(tender, criteria)
    _refresh_search(tender)
    created = {"title": tender.title, "lots": len(lots) if lots else 1}
    if tender.method != Method.OPEN_TENDER:  # an open tender's entry keeps the shape it had before methods
        created["method"] = tender.method
    audit.append(tender, "tender_created", by=by, now=now, data=created)
    return tender


@transaction.atomic
def update_draft(tender_id: int, *, by: User, criteria: list[dict] | None = None, lots: list[dict] | None = None,
                 now: datetime | None = None, **fields) -> Tender:
    """Edit a draft; ``lots`` replaces every lot (the amount becomes their sum)."""
    now = now or timezone.now()
    step_sent = "minimal_step" in fields
    flat_step = fields.pop("minimal_step", None)
    tender = lock_own_tender(tender_id, by=by)
    if "method" in fields and tender.status != Status.DRAFT:
        raise WrongState("The procurement method is fixed at publication.", code="method_fixed",
                         status=tender.status)
    if tender.status != Status.DRAFT:
        raise WrongState("Only a draft can be edited; amend an active tender instead.", code="not_draft",
                         status=tender.status)
    if "method" in fields:
        methods.get(fields["method"])
    _method_references(fields, by.organisation_id)
    before = _terms(tender)
    if lots is not None:
        _validate_lots(lots, fields.get("cpv", tender.cpv))
        total = _lots_total(lots)
        if fields.get("estimated_amount") not in (None, total):
            raise Invalid(f"The estimated amount is the sum of the lots ({total:.2f}).",
                          code="lots_amount_mismatch", field="estimated_amount")
        fields["estimated_amount"] = total
    values = {**before, **fields}
    _clear_unused(values, fields)
    if values["award_method"] == AwardMethod.LOWEST_PRICE:
        values["price_weight"] = 100
    current = _current_criteria(tender)
    if values["award_method"] == AwardMethod.LOWEST_PRICE and criteria is None:
        criteria = []
    if lots is not None and criteria is None and any(c["lot"] is not None for c in current):
        raise Invalid("New lots drop the criteria of the old ones: send the criteria with them.",
                      code="criteria_required", field="criteria")
    _validate_terms(values, current if criteria is None else criteria,
                    len(lots) if lots is not None else tender.lot_count, buyer_id=tender.buyer_id)
    for field, value in values.items():
        setattr(tender, field, value)
    tender.save()
    if lots is not None and step_sent:
        raise Invalid("With lots, each lot states its own minimal_step.", code="field_not_allowed",
                      field="minimal_step")
    if lots is not None:
        _replace_lots(tender, lots)
    else:
        _sync_single_lot(tender, before, fields)
        if step_sent:
            if tender.lot_count != 1:
                raise Invalid("A multi-lot tender's lots state their own minimal_step.", code="field_not_allowed",
                              field="minimal_step")
            Lot.objects.filter(tender=tender).update(minimal_step=flat_step)
        elif not methods.get(tender.method).lot_step:  # moved to a method without steps: they go
            Lot.objects.filter(tender=tender).update(minimal_step=None)
    _check_lot_terms(tender.method, _stored_lots(tender))
    if criteria is not None:
        _replace_criteria(tender, criteria)
    _refresh_search(tender)
    audit.append(tender, "tender_edited", by=by, now=now, data={"fields": sorted(fields) +
                 (["criteria"] if criteria is not None else []) + (["lots"] if lots is not None else [])})
    return tender


@transaction.atomic
def publish_tender(tender_id: int, *, by: User, now: datetime | None = None) -> Tender:
    now = now or timezone.now()
    tender = lock_own_tender(tender_id, by=by)
    if tender.status != Status.DRAFT:
        raise WrongState("This tender is already published.", code="already_published", status=tender.status)
    criteria = _current_criteria(tender)
    _validate_terms(_terms(tender), criteria, tender.lot_count, buyer_id=tender.buyer_id)
    _check_lot_terms(tender.method, _stored_lots(tender))
    if tender.lot_count == 1:  # as before lots: the publication's audit entry keeps its shape
        criteria = [{"name": c["name"], "weight": c["weight"]} for c in criteria]
    method = methods.of(tender)
    _validate_periods(tender, now, minimum=method.min_period())
    keys = sealing.new_tender_keys()
    tender.public_key = keys.public_key
    tender.sealed_private_key = keys.sealed_private_key
    tender.published_at = now
    tender.save(update_fields=["public_key", "sealed_private_key", "published_at", "updated_at"])
    transition(tender, Status.ACTIVE, now=now, event="tender_published", by=by,
               data={"submission_deadline": iso(tender.submission_deadline),
                     "clarification_deadline": iso(tender.clarification_deadline),
                     "award_method": tender.award_method, "price_weight": tender.price_weight,
                     "criteria": criteria, "estimated_amount": str(tender.estimated_amount),
                     "currency": tender.currency, "cpv": tender.cpv, "min_bids": tender.min_bids,
                     "public_key": tender.public_key.hex(), **method.audit_terms(tender)},
               live_extra={"title": tender.title, "buyer": tender.buyer.name,
                           "submission_deadline": iso(tender.submission_deadline), "method": method.name})
    notifications.tender_published(tender, now=now)
    return tender


@transaction.atomic
def amend_tender(tender_id: int, *, by: User, rationale: str, now: datetime | None = None, **changes) -> Amendment:
    """Change an active tender's terms. The deadline is pushed out to leave at
    least PROCUREMENT_MIN_AMENDMENT_PERIOD, and existing bids must be
    confirmed again (unconfirmed bids are not opened)."""
    tender = lock_own_tender(tender_id, by=by)
    now = now or db_now()  # after the lock: bids at the deadline hold it, and the deadline is checked below
    if tender.status != Status.ACTIVE:
        raise WrongState("Only an active tender can be amended.", code="not_active", status=tender.status)
    if now >= tender.submission_deadline:
        raise DeadlinePassed(f"The submission deadline was {iso(tender.submission_deadline)}.")
    if "method" in changes:
        raise WrongState("The procurement method is fixed at publication.", code="method_fixed",
                         status=tender.status)
    unknown = set(changes) - AMENDABLE_FIELDS
    if unknown:
        raise TypeError(f"unexpected fields {sorted(unknown)}")
    diff = {f: {"from": getattr(tender, f), "to": v} for f, v in changes.items() if getattr(tender, f) != v}
    if not diff:
        raise Invalid("The amendment changes nothing.", code="amendment_empty")
    values = {**_terms(tender), **changes}
    if values["submission_deadline"] < tender.submission_deadline:
        raise Invalid("An amendment cannot bring the submission deadline forward.", code="deadline_earlier",
                      field="submission_deadline")
    _validate_terms(values, _current_criteria(tender), tender.lot_count, buyer_id=tender.buyer_id)
    if values["clarification_deadline"] <= now:
        raise Invalid("The clarification deadline must stay in the future.", code="clarification_deadline_past",
                      field="clarification_deadline")
    before = _terms(tender)
    for field in changes:
        setattr(tender, field, values[field])
    _sync_single_lot(tender, before, changes)
    extended = _extend_for_amendment(tender, diff, now=now)
    tender.save()
    _refresh_search(tender)
    # Only moving the deadline later changes no term a bid was priced on.
    return _record_amendment(tender, by=by, now=now, rationale=rationale, diff=diff, extended=extended,
                             terms_changed=bool(set(diff) - {"submission_deadline"}))


def _extend_for_amendment(tender: Tender, diff: dict, *, now: datetime) -> bool:
    """Push the (locked) tender's submission deadline out to leave at least
    PROCUREMENT_MIN_AMENDMENT_PERIOD, recording the move in ``diff``; the
    caller saves. True if it moved."""
    earliest = now + timedelta(seconds=settings.PROCUREMENT_MIN_AMENDMENT_PERIOD)
    if tender.submission_deadline >= earliest:
        return False
    diff["submission_deadline"] = {"from": diff.get("submission_deadline", {}).get("from",
                                                                                    tender.submission_deadline),
                                   "to": earliest}
    tender.submission_deadline = earliest
    return True


def _record_amendment(tender: Tender, *, by: User, now: datetime, rationale: str, diff: dict, extended: bool,
                      terms_changed: bool) -> Amendment:
    """The shared end of every change to an active tender's terms: existing
    bids must be confirmed again when terms changed (unconfirmed bids are not
    opened); the amendment is recorded, audited, announced and notified."""
    flagged = _require_confirmation(tender) if terms_changed else set()
    diff_json = {f: {"from": _jsonable(d["from"]), "to": _jsonable(d["to"])} for f, d in diff.items()}
    amendment = Amendment.objects.create(tender=tender, at=now, rationale=rationale, changes=diff_json,
                                         deadline_extended=extended, by=by)
    audit.append(tender, "tender_amended", by=by, now=now,
                 data={"amendment": amendment.pk, "rationale": rationale, "changes": diff_json,
                       "deadline_extended": extended, "bids_to_confirm": len(flagged)})
    live.emit(tender, "tender_amended", now=now, feed=True, changes=diff_json,
              submission_deadline=iso(tender.submission_deadline),
              clarification_deadline=iso(tender.clarification_deadline))
    if "submission_deadline" in diff or "clarification_deadline" in diff:
        live.emit(tender, "deadline_changed", now=now,
                  submission_deadline=iso(tender.submission_deadline),
                  clarification_deadline=iso(tender.clarification_deadline))
    notifications.tender_amended(tender, amendment, now=now, bidders=flagged)
    return amendment


def _require_confirmation(tender: Tender) -> set[int]:
    """Under the tender's lock: flag every live bid; the organisations whose
    bids must now be confirmed. The bids are reached through the relation
    (``tender.bids``): the bids app depends on this one, not the reverse."""
    live_bids = tender.bids.filter(status=LIVE_BID_STATUS)
    suppliers = set(live_bids.values_list("supplier_id", flat=True))
    live_bids.update(needs_confirmation=True)
    return suppliers


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


@transaction.atomic
def cancel_tender(tender_id: int, *, by: User, reason: str, now: datetime | None = None) -> Tender:
    now = now or timezone.now()
    tender = lock_own_tender(tender_id, by=by)
    if not reason.strip():
        raise Invalid("A cancellation states its public reason.", code="reason_required", field="reason")
    if Status.CANCELLED not in TRANSITIONS.get(tender.status, set()):
        raise WrongState(f"A {tender.status} tender cannot be cancelled.", code="invalid_transition",
                         status=tender.status)
    tender.cancelled_at = now
    tender.cancellation_reason = reason
    tender.save(update_fields=["cancelled_at", "cancellation_reason", "updated_at"])
    transition(tender, Status.CANCELLED, now=now, event="tender_cancelled", by=by, data={"reason": reason},
               live_extra={"reason": reason})
    return tender


# --- documents --------------------------------------------------------------

def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """(content type, sha256) of an acceptable upload, or a 400."""
    if upload.size > settings.PROCUREMENT_MAX_DOCUMENT_BYTES:
        raise Invalid(f"A document may be at most {settings.PROCUREMENT_MAX_DOCUMENT_BYTES} bytes.",
                      code="document_too_large", field="file")
    if upload.size == 0:
        raise Invalid("The document is empty.", code="document_empty", field="file")
    guessed, _ = mimetypes.guess_type(upload.name or "")
    content_type = guessed or upload.content_type or ""
    if content_type not in settings.PROCUREMENT_DOCUMENT_TYPES:
        allowed = ", ".join(sorted(set(settings.PROCUREMENT_DOCUMENT_TYPES.values())))
        raise Invalid(f"Documents of this type are not accepted (allowed: {allowed}).",
                      code="document_type_not_allowed", field="file")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return content_type, digest.hexdigest()


@transaction.atomic
def add_document(tender_id: int, *, by: User, upload: UploadedFile, title: str = "",
                 document_type: str = "biddingDocuments", rationale: str = "",
                 now: datetime | None = None) -> TenderDocument:
    """Attach a document. On an active tender a new document changes what
    bids are priced on, so it is an amendment: the deadline is pushed out to
    leave at least PROCUREMENT_MIN_AMENDMENT_PERIOD and existing bids must be
    confirmed again."""
    tender = lock_own_tender(tender_id, by=by)
    now = now or db_now()  # after the lock: bids at the deadline hold it, and the deadline is checked below
    if tender.status not in (Status.DRAFT, Status.ACTIVE):
        raise WrongState("Documents can be added to a draft or an active tender.", code="invalid_state",
                         status=tender.status)
    if tender.status == Status.ACTIVE and now >= tender.submission_deadline:
        raise DeadlinePassed(f"The submission deadline was {iso(tender.submission_deadline)}.")
    if tender.status == Status.ACTIVE and now >= tender.clarification_deadline:
        # As for any amendment: bidders must still be able to ask about it.
        raise WrongState("The clarification deadline has passed: amend the tender to move it first.",
                         code="clarification_deadline_past",
                         clarification_deadline=iso(tender.clarification_deadline))
    if not reference.is_document_type(document_type):
        raise Invalid("Unknown document type (see the OCDS documentType codelist).",
                      code="document_type_unknown", field="document_type")
    content_type, sha256 = check_upload(upload)
    filename = upload.name.rsplit("/", 1)[-1][:200]
    document = TenderDocument(tender=tender, title=title or filename, document_type=document_type,
                              filename=filename, content_type=content_type, size=upload.size, sha256=sha256,
                              uploaded_at=now, uploaded_by=by)
    document.file.save(filename, upload, save=False)
    document.save()
    audit.append(tender, "document_added", by=by, now=now,
                 data={"document": document.pk, "title": document.title, "sha256": sha256, "size": upload.size})
    if tender.status == Status.ACTIVE:
        live.emit(tender, "document_added", now=now, document=document.pk, title=document.title)
        diff = {"documents": {"from": None, "to": {"document": document.pk, "title": document.title,
                                                   "sha256": sha256}}}
        extended = _extend_for_amendment(tender, diff, now=now)
        if extended:
            tender.save(update_fields=["submission_deadline", "updated_at"])
        _record_amendment(tender, by=by, now=now, rationale=rationale or f"Document added: {document.title}",
                          diff=diff, extended=extended, terms_changed=True)
    return document
