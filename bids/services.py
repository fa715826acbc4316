"""Sealed bids: submit, replace, withdraw, confirm, and the opening.

Every write locks the tender row first and reads the database clock after the
lock is held, so the deadline check, the scheduler's opening and every other
submission are serialised on that row: a bid that waited for the lock past the
deadline is refused. The receipt is returned by the service only; the view
sends it after the transaction has committed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple
from datetime import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Prefetch
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from core import rows, sealing
from core.db import db_clock_sql, db_now
from core.errors import Invalid, NotFound, Unprocessable, WrongState
from core.isotime import iso
from live import events as live
from scheduling import services as scheduling
from tenders import methods
from tenders.models import Lot, LotStatus, Status, Tender
from tenders.services import DeadlinePassed, check_upload, lock_tender, transition

from . import content as bid_content
from . import receipts, selectors
from .models import Bid, BidVersion, IdempotencyRecord, Offer, SealedDocument
from .serializers import LiveReceiptOut, LotOpeningOut, OpeningBidOut, SetAsideOut

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    tender: int
    bid: int
    version: int
    sha256: str
    received_at: str
    signature: str
    content: str  # the canonical JSON that was hashed, for the bidder to keep
    replayed: bool = False  # the answer to a retried Idempotency-Key
    key_id: str = ""  # the platform key that signed it ("" = the current one)

    @classmethod
    def of(cls, version: BidVersion, content: bytes | None = None) -> "Receipt":
        received_at = iso(version.received_at)
        signer = receipts.signer(tender_id=version.bid.tender_id, bid_id=version.bid_id, sha256=version.sha256,
                                 received_at=received_at, signature=version.signature)
        return cls(tender=version.bid.tender_id, bid=version.bid_id, version=version.number,
                   sha256=version.sha256, received_at=received_at, signature=version.signature,
                   content=content.decode() if content is not None else "",
                   key_id=signer.key_id if signer is not None else "")

    @cached_property
    def signer(self) -> sealing.PlatformKey:
        ring = sealing.keyring()
        return (ring.get(self.key_id) if self.key_id else None) or ring.current

    @property
    def signer_public_key(self) -> str:
        return bytes(self.signer.verify_key).hex()


@dataclass(frozen=True)
class BidContent:
    """A bid: a flat ``amount`` (a single-lot tender's only lot) or ``lots``,
    its offers ``[(lot id, amount), …]`` on any subset of the tender's lots."""
    amount: Decimal | None
    currency: str
    answers: dict
    documents: list[UploadedFile]
    lots: list[tuple[int, Decimal]] | None = None


def fingerprints(action: str, tender_id: int, content: BidContent, document_hashes: list[str]) -> tuple[str, ...]:
    """What an Idempotency-Key's record remembers of the request, to refuse
    the key with another body: a keyed hash (a plain one of a tender id and a
    price could be reversed by trying prices, from a database dump). Under
    every platform key of the ring, the current one first: a record written
    before a key rotation still recognises its retry. A flat bid's body is
    as before lots; a bid by lots names its offers in place of the amount."""
    body = {"action": action, "tender": tender_id, "currency": content.currency, "answers": content.answers,
            "documents": document_hashes}
    if content.lots is None:
        body["amount"] = f"{content.amount:.2f}"
    else:
        body["lots"] = [[lot, f"{amount:.2f}"] for lot, amount in sorted(content.lots)]
    return tuple(sealing.macs(b"idempotency-fp", json.dumps(body, sort_keys=True, default=str).encode()))


def _check_open(tender: Tender, now: datetime) -> None:
    """Decided on the locked row with the database clock, whatever the status
    says: the scheduler's opening may not have run yet."""
    if tender.status != Status.CANCELLED and now >= tender.submission_deadline:
        raise DeadlinePassed(f"The submission deadline was {iso(tender.submission_deadline)}.",
                             deadline=iso(tender.submission_deadline))
    if not tender.accepts_bids(now):
        raise WrongState("This tender does not accept bids.", code="not_accepting_bids", status=tender.status)


def _check_content(tender: Tender, content: BidContent) -> None:
    if content.currency != tender.currency:
        raise Invalid(f"Bids on this tender are in {tender.currency}.", code="currency_mismatch",
                      field="currency")
    if content.lots is None and tender.lot_count != 1:
        raise Invalid("This tender has several lots: give your offers as \"lots\".", code="lots_required",
                      field="lots")
    if not content.answers:  # nothing to check against the criteria: spare the query under the lock
        return
    criteria = {str(c.pk) for c in tender.criteria.all()}
    unknown = set(map(str, content.answers)) - criteria
    if unknown:
        raise Invalid(f"No such criteria on this tender: {', '.join(sorted(unknown))}.",
                      code="unknown_criterion", field="answers")


def _lock_for_supplier(tender_id: int, by: User) -> tuple[Tender, datetime]:
    """Lock the tender, then read the database clock (after the lock)."""
    tender = lock_tender(tender_id)
    if tender.status == Status.DRAFT:
        raise NotFound("No such tender.")
    return tender, db_now()


# --- submission and replacement: the hot path --------------------------------
#
# Hundreds of bids arrive in the last seconds before a deadline and each one
# holds its tender's row lock from its first statement to its commit, so the
# work done under the lock bounds how many bids a tender accepts per second.
# Everything that needs no lock (parsing, hashing the documents and the
# canonical content, the request fingerprint) is done before it. Under it,
# plain SQL (core.rows) in three round trips on PostgreSQL: (1) lock
# the tender, then (a second statement of the same message, which runs once
# the lock is held) read the clock, the Idempotency-Key's record and the
# supplier's bid, and draw a new bid's id; (2) every row write and the audit
# entry; (3) commit. Only a bid that answers criteria (one query for them)
# or a replayed key (one to read its receipt) adds a round trip. Elsewhere
# (SQLite) the same statements run one by one.

_TENDER_FIELDS = ["pk", "status", "submission_deadline", "currency", "public_key", "bid_count", "audit_length",
                  "audit_head", "lot_count", "method", "named_supplier"]

# One row whatever matches: the clock (read after the lock), the supplier's
# record of this Idempotency-Key, the supplier's bid on this tender and its
# current version number, and, when it has none, the id of the bid to insert.
_FIND_SQL = ("SELECT {clock}, i.id, i.fingerprint, b.id, b.status, v.number, "
             "CASE WHEN b.id IS NULL THEN {next_bid_id} END "
             "FROM (SELECT 1 AS one) AS one "
             "LEFT JOIN {record} i ON i.supplier_id = %s AND i.key = %s "
             "LEFT JOIN {bid} b ON b.tender_id = %s AND b.supplier_id = %s "
             "LEFT JOIN {version} v ON v.id = b.current_id")


@dataclass(frozen=True)
class _Prepared:
    """A submission's parts that need no lock."""
    content: BidContent
    canonical: bytes
    sha256: str
    fingerprints: tuple[str, ...]  # under the current platform key first

    @property
    def fingerprint(self) -> str:
        return self.fingerprints[0]


@dataclass(frozen=True)
class _Found:
    """Read under the tender's lock: the time, a replayed key, the supplier's bid."""
    now: datetime
    record_id: int | None
    record_fingerprint: str | None
    bid_id: int | None
    bid_status: str | None
    bid_number: int | None
    next_bid_id: int | None  # drawn for a supplier without a bid, where the database has sequences


def _nonce(by: User, key: str | None) -> str:
    """The canonical content's nonce: random, or, with an Idempotency-Key,
    derived from the platform key, the supplier and the key, so that a retry
    rebuilds the same content and gets it back in its receipt."""
    if not key:
        return receipts.new_nonce()
    return sealing.mac(b"bid-nonce", f"{by.organisation_id}:{key}".encode())[:32]


def _check_sealable(content: BidContent) -> None:
    """What the opening will need to store, checked before anything is sealed."""
    if (content.amount is None) == (content.lots is None):
        raise Invalid('Give either "amount" (a single-lot tender) or "lots".', code="amount_or_lots",
                      field="amount")
    for lot, amount in content.lots or [(None, content.amount)]:
        problem = bid_content.amount_problem(amount)
        if problem:
            raise Invalid(f"Amount: {problem}.", code="amount_invalid", field="amount" if lot is None else "lots")
    if content.lots is not None:
        if len({lot for lot, _ in content.lots}) != len(content.lots):
            raise Invalid("Each lot is offered at most once.", code="lots_invalid", field="lots")
        if bid_content.amount_problem(sum((amount for _, amount in content.lots), Decimal(0))):
            raise Invalid("The offers' total is too large to store.", code="amount_invalid", field="lots")
    problem = bid_content.json_problem(content.answers)
    if problem:
        raise Invalid(f"Answers: {problem}.", code="answers_invalid", field="answers")


def _check_lots(tender_id: int, content: BidContent) -> None:
    """A bid by lots names lots of this tender, before the lock: a published
    tender's lots never change (a lot is cancelled only after the opening),
    so the query adds no time under the tender's lock, and a flat bid makes
    none."""
    if content.lots is None:
        return
    known = set(Lot.objects.filter(tender_id=tender_id).values_list("pk", flat=True))
    unknown = sorted({lot for lot, _ in content.lots} - known)
    if known and unknown:  # no lots at all: no such tender, the lock answers 404
        raise Invalid(f"No such lots on this tender: {', '.join(map(str, unknown))}.", code="unknown_lot",
                      field="lots")


def _prepare(tender_id: int, *, by: User, content: BidContent, action: str, key: str | None) -> _Prepared:
    _check_sealable(content)
    _check_lots(tender_id, content)
    hashes = [check_upload(upload) for upload in content.documents]
    documents = [{"name": upload.name.rsplit("/", 1)[-1], "size": upload.size, "content_type": ctype,
                  "sha256": sha} for upload, (ctype, sha) in zip(content.documents, hashes)]
    canonical = receipts.canonical_bid(tender_id=tender_id, supplier_tax_id=by.organisation.tax_id,
                                       amount=content.amount, currency=content.currency,
                                       answers=content.answers, documents=documents, nonce=_nonce(by, key),
                                       lots=content.lots)
    return _Prepared(content=content, canonical=canonical,
                     sha256=receipts.digest(canonical),
                     fingerprints=fingerprints(action, tender_id, content, [h for _, h in hashes]))


def _lock_and_find(tender_id: int, *, by: User, key: str | None, now: datetime | None) -> tuple[Tender, _Found]:
    """Lock the tender row (FOR UPDATE); then, in a statement that runs once
    the lock is held, read the clock, the key's record and the supplier's bid."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    tender_rows, found = rows.run([
        (f"SELECT {rows.columns(Tender, _TENDER_FIELDS)} FROM {Tender._meta.db_table} WHERE id = %s{lock}",
         [tender_id]),
        (_FIND_SQL.format(clock=db_clock_sql(), next_bid_id=rows.next_id_sql(Bid),
                          record=IdempotencyRecord._meta.db_table, bid=Bid._meta.db_table,
                          version=BidVersion._meta.db_table),
         [by.organisation_id, key, tender_id, by.organisation_id]),
    ])
    tender = rows.instance(Tender, _TENDER_FIELDS, tender_rows.rows[0]) if tender_rows.rows else None
    if tender is None or tender.status == Status.DRAFT:
        raise NotFound("No such tender.")
    clock, record_id, record_fingerprint, bid_id, bid_status, bid_number, next_bid_id = found.rows[0]
    return tender, _Found(now=now or clock or timezone.now(), record_id=record_id,
                          record_fingerprint=record_fingerprint, bid_id=bid_id, bid_status=bid_status,
                          bid_number=bid_number, next_bid_id=next_bid_id)


def _replayed(found: _Found, prepared: _Prepared) -> Receipt:
    if found.record_fingerprint not in prepared.fingerprints:
        raise Unprocessable("This Idempotency-Key was used for a different request.",
                            code="idempotency_key_reused")
    version = IdempotencyRecord.objects.select_related("version__bid").get(pk=found.record_id).version
    # The same request with the same key rebuilds the same content: the bidder
    # whose first answer was lost gets it (and its nonce) back.
    content = prepared.canonical if receipts.digest(prepared.canonical) == version.sha256 else None
    return dataclasses.replace(Receipt.of(version, content), replayed=True)


def _new_bid(tender: Tender, found: _Found, *, by: User) -> Bid:
    """The supplier's first bid on the tender. With an id drawn in advance it
    is inserted with the other rows; otherwise (SQLite) now, for its id."""
    bid = Bid(pk=found.next_bid_id, tender_id=tender.pk, supplier_id=by.organisation_id, created_at=found.now,
              updated_at=found.now)
    return bid if bid.pk is not None else rows.insert(bid)


def _seal(tender: Tender, bid: Bid, *, number: int, event: str, delta: int, by: User, prepared: _Prepared,
          now: datetime, key: str | None) -> Receipt:
    """The shared end of a submission and a replacement: store the sealed
    version (and its documents) as the bid's current one (inserting the bid
    first if it is new and not stored yet), record the key, audit it, all in
    one batch of statements; then announce the count and send the receipt
    to the bidder's own sockets."""
    signature = receipts.sign(tender_id=tender.pk, bid_id=bid.pk, sha256=prepared.sha256, received_at=now)
    batch = rows.Batch()
    if bid._state.adding:
        batch.add(rows.insert_statement(bid, returning=False))
    version = BidVersion(bid=bid, number=number, sealed=sealing.seal(tender.public_key, prepared.canonical,
                                                                     at_least=_lots_room(tender)),
                         sha256=prepared.sha256, received_at=now, signature=signature)
    batch.add(rows.insert_statement(version, returning=False))
    # The version's id is read in the database by (bid, number), unique.
    version_id = rows.Computed(f"SELECT id FROM {BidVersion._meta.db_table} WHERE bid_id = %s AND number = %s",
                               [bid.pk, number])
    files = []  # written once the rows are: a refused batch leaves no file behind
    for position, upload in enumerate(prepared.content.documents):
        upload.seek(0)
        document = SealedDocument(version=version, position=position)  # its upload path reads version.bid
        document.file.name = document.file.field.generate_filename(document, f"{uuid.uuid4().hex}.sealed")
        files.append((document.file, sealing.seal(tender.public_key, upload.read())))
        batch.add(rows.insert_statement(document, returning=False, version=version_id))
    batch.add(rows.update_statement(Bid, where={"pk": bid.pk}, values={
        "current": version_id, "status": Bid.Status.SUBMITTED, "needs_confirmation": False, "updated_at": now}),
        expect=1, error=f"Bid {bid.pk} was not stored.")
    if key:
        batch.add(rows.insert_statement(IdempotencyRecord(supplier_id=by.organisation_id, key=key,
                                                          fingerprint=prepared.fingerprint, created_at=now),
                                        returning=False, version=version_id))
    # The count's event is only scheduled for after commit: a failed batch rolls it back.
    _audit_bid_event(tender, event, by=by, delta=delta, now=now, batch=batch)
    try:
        batch.run()
    except IntegrityError as exc:
        if not _is_key_clash(exc):
            raise
        # The supplier used this key on another tender, in a request that may
        # not have committed yet (on this tender the lock makes a retry wait
        # and replay). No savepoint: the error rolls the whole transaction back.
        raise Unprocessable("This Idempotency-Key is being used by another request.",
                            code="idempotency_conflict") from None
    for file, sealed in files:
        if file.storage.save(file.name, ContentFile(sealed)) != file.name:  # random names: never in practice
            raise RuntimeError(f"Sealed document {file.name} was stored under another name")
    logger.info("Sealed bid %s version %s stored on tender %s", bid.pk, number, tender.pk)
    receipt = Receipt(tender=tender.pk, bid=bid.pk, version=number, sha256=prepared.sha256,
                      received_at=iso(now), signature=signature, content=prepared.canonical.decode(),
                      key_id=sealing.current_key_id())
    live.emit(tender, "receipt", now=now, org_id=by.organisation_id, receipt=LiveReceiptOut.dump(receipt))
    return receipt


# The most one offer adds to a bid's canonical content (a 20-digit id, an
# 18-digit amount): every sealed box of a multi-lot tender is padded to hold
# an offer on every lot, so its size does not tell how many lots it covers.
_OFFER_ROOM = len('{"amount":"9999999999999999.99","lot":99999999999999999999},')


def _lots_room(tender: Tender) -> int:
    return 1024 + tender.lot_count * _OFFER_ROOM if tender.lot_count > 1 else 0


def _is_key_clash(exc: IntegrityError) -> bool:
    """The (supplier, key) unique constraint, and not another integrity error."""
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)  # PostgreSQL
    if constraint is not None:
        return constraint == "idempotency_key_unique"
    return "bids_idempotencyrecord.supplier_id, bids_idempotencyrecord.key" in str(exc)  # SQLite


def _audit_bid_event(tender: Tender, event: str, *, by: User, delta: int, now: datetime,
                     batch: rows.Batch | None = None) -> None:
    """Audit a bid event (no bidder, no content: only the new count) and apply
    the count change to the locked tender row. With ``batch`` (a submission,
    the hot path) both join the caller's statements, in the audit head's
    UPDATE; without (a withdrawal), through the ORM."""
    data = {"bids": tender.bid_count + delta}
    if batch is not None:
        audit.append_to_batch(batch, tender, event, by=by, hidden=True, now=now, data=data,
                              add={"bid_count": delta} if delta else None)
    else:
        audit.append(tender, event, by=by, hidden=True, now=now, data=data)
        if delta:
            Tender.objects.filter(pk=tender.pk).update(bid_count=F("bid_count") + delta)
            tender.bid_count += delta
    # On the public feed too: the register shows each tender's count live.
    live.emit(tender, "bid_count_changed", now=now, feed=True, bid_count=tender.bid_count)


@transaction.atomic
def submit_bid(tender_id: int, *, by: User, content: BidContent, idempotency_key: str | None = None,
               now: datetime | None = None) -> Receipt:
    """Seal and store a supplier's bid; refused at or after the deadline."""
    prepared = _prepare(tender_id, by=by, content=content, action="submit", key=idempotency_key)
    tender, found = _lock_and_find(tender_id, by=by, key=idempotency_key, now=now)
    if found.record_id is not None:
        return _replayed(found, prepared)
    methods.of(tender).check_bidder(tender, by.organisation_id)  # who may bid is the method's rule
    _check_open(tender, found.now)
    _check_content(tender, content)
    if found.bid_status == Bid.Status.SUBMITTED:
        raise WrongState("Your organisation already has a bid on this tender: replace it with PUT.",
                         code="bid_exists", bid=found.bid_id)
    if found.bid_id is None:
        bid = _new_bid(tender, found, by=by)
    else:  # withdrawn earlier: submitted again as its next version
        bid = Bid(pk=found.bid_id, tender_id=tender.pk)
        bid._state.adding = False
    return _seal(tender, bid, number=(found.bid_number or 0) + 1, event="bid_submitted", delta=+1, by=by,
                 prepared=prepared, now=found.now, key=idempotency_key)


@transaction.atomic
def replace_bid(tender_id: int, bid_id: int, *, by: User, content: BidContent, idempotency_key: str | None = None,
                now: datetime | None = None) -> Receipt:
    """A new sealed version; the last one counts, the earlier ones stay sealed."""
    prepared = _prepare(tender_id, by=by, content=content, action=f"replace:{bid_id}", key=idempotency_key)
    tender, found = _lock_and_find(tender_id, by=by, key=idempotency_key, now=now)
    if found.record_id is not None:
        return _replayed(found, prepared)
    if found.bid_id != bid_id:  # not this supplier's bid on this tender
        raise NotFound("No such bid.")
    _check_open(tender, found.now)
    _check_content(tender, content)
    delta = 1 if found.bid_status == Bid.Status.WITHDRAWN else 0
    bid = Bid(pk=bid_id, tender_id=tender.pk)
    bid._state.adding = False
    return _seal(tender, bid, number=(found.bid_number or 0) + 1, event="bid_replaced", delta=delta, by=by,
                 prepared=prepared, now=found.now, key=idempotency_key)


def _own_bid(tender: Tender, bid_id: int, by: User) -> Bid:
    # of=("self",): PostgreSQL cannot lock the nullable side of the join to ``current``.
    bid = (Bid.objects.select_for_update(of=("self",)).select_related("current")
           .filter(pk=bid_id, tender=tender).first())
    if bid is None or bid.supplier_id != by.organisation_id:
        raise NotFound("No such bid.")
    return bid


@transaction.atomic
def withdraw_bid(tender_id: int, bid_id: int, *, by: User, now: datetime | None = None) -> Bid:
    tender, db_time = _lock_for_supplier(tender_id, by)
    now = now or db_time
    bid = _own_bid(tender, bid_id, by)
    _check_open(tender, now)
    if bid.status == Bid.Status.WITHDRAWN:
        raise WrongState("This bid is already withdrawn.", code="already_withdrawn")
    bid.status = Bid.Status.WITHDRAWN
    bid.updated_at = now
    bid.save(update_fields=["status", "updated_at"])
    _audit_bid_event(tender, "bid_withdrawn", by=by, delta=-1, now=now)
    return bid


@transaction.atomic
def confirm_bid(tender_id: int, bid_id: int, *, by: User, now: datetime | None = None) -> Receipt:
    """Confirm a bid as it stands after an amendment changed the terms."""
    tender, db_time = _lock_for_supplier(tender_id, by)
    now = now or db_time
    bid = _own_bid(tender, bid_id, by)
    _check_open(tender, now)
    if bid.status != Bid.Status.SUBMITTED:
        raise WrongState("A withdrawn bid cannot be confirmed; submit it again.", code="bid_withdrawn")
    if not bid.needs_confirmation:
        raise WrongState("This bid needs no confirmation.", code="confirmation_not_needed")
    bid.needs_confirmation = False
    bid.updated_at = now
    bid.save(update_fields=["needs_confirmation", "updated_at"])
    audit.append(tender, "bid_confirmed", by=by, hidden=True, now=now, data={"bids": tender.bid_count})
    return Receipt.of(bid.current)


# --- opening -----------------------------------------------------------------

class OpenedLot(NamedTuple):
    """A lot at the opening (``LotOpeningOut``): its offers in opening order."""
    lot: int
    title: str
    status: str
    offers: list[Offer]


class Opening(NamedTuple):
    """The published opening record (``OpeningOut``)."""
    tender: int
    opened_at: datetime
    bids: list[Bid]
    set_aside: list[Bid]
    lots: list[OpenedLot]


def opened_in_order(tender: Tender) -> list[Bid]:
    """The opened bids as the opening record lists them, each with its
    ``opened_offers`` (as at the opening)."""
    return list(selectors.opened_bids(tender).select_related("supplier", "current")
                .prefetch_related(Prefetch("offers", to_attr="opened_offers"))
                .order_by("current__received_at", "pk"))


def set_aside_in_order(tender: Tender) -> list[Bid]:
    return list(Bid.objects.filter(tender=tender, opened_at__isnull=True).exclude(set_aside="")
                .select_related("supplier", "current").order_by("current__received_at", "pk"))


def opening(tender: Tender) -> Opening:
    return Opening(tender=tender.pk, opened_at=tender.opened_at, bids=opened_in_order(tender),
                   set_aside=set_aside_in_order(tender), lots=lot_openings(tender))


def opening_record(tender: Tender) -> list[dict]:
    """The opened bids' rows, as the opening published them."""
    return OpeningBidOut.dump_many(opened_in_order(tender))


OPENING_JOB = "open_tender"
BATCH = 50


def due_for_opening(now: datetime, *, skip: set[int] = frozenset()) -> list[int]:
    """The oldest due tenders, but those whose opening failed and waits for its retry."""
    return list(Tender.objects.filter(status=Status.ACTIVE, submission_deadline__lte=now)
                .exclude(pk__in=skip).exclude(pk__in=scheduling.waiting(OPENING_JOB, now))
                .order_by("submission_deadline").values_list("pk", flat=True)[:BATCH])


def next_opening_due(now: datetime) -> datetime | None:
    """The earliest submission deadline of an active tender not waiting for
    the retry of a failed opening (the scheduler sleeps until it), or None."""
    return (Tender.objects.filter(status=Status.ACTIVE).exclude(pk__in=scheduling.waiting(OPENING_JOB, now))
            .order_by("submission_deadline").values_list("submission_deadline", flat=True).first())


@transaction.atomic
def open_tender(tender_id: int, *, now: datetime | None = None) -> bool:
    """Open a tender whose deadline has passed: decrypt its live, confirmed
    bids, publish the opening record, move to evaluation (or unsuccessful).
    Safe to call from several schedulers: a tender another one is opening is
    skipped (SKIP LOCKED); one already opened is left alone."""
    # of=("self",): lock the tender only; locking its buyer's row as well would
    # make another scheduler skip every other tender of that buyer.
    tender = (Tender.objects.select_for_update(skip_locked=True, of=("self",)).select_related("buyer")
              .filter(pk=tender_id, status=Status.ACTIVE).first())
    if tender is None:
        return False
    now = now or db_now()
    if now < tender.submission_deadline:
        return False
    opener = sealing.Opener(tender.sealed_private_key)  # a bad tender key fails the whole opening: retried
    bids = list(Bid.objects.filter(tender=tender, status=Bid.Status.SUBMITTED).select_related("current",
                                                                                                  "supplier"))
    lots = list(Lot.objects.filter(tender=tender).order_by("position", "pk"))
    lot_ids = {lot.pk for lot in lots}
    only_lot = lots[0].pk if len(lots) == 1 else None
    opened, unconfirmed, set_aside = [], [], []
    for bid in bids:
        if bid.needs_confirmation:
            unconfirmed.append(bid.pk)
            continue
        try:
            _fill_opened(bid, _unseal(opener, bid), now, lot_ids=lot_ids, only_lot=only_lot)
        except SetAside as reason:
            bid.set_aside = reason.code
            set_aside.append(bid)
            continue
        opened.append(bid)
    if set_aside:
        Bid.objects.bulk_update(set_aside, ["set_aside"])
    _write_opened(opened, now)
    Offer.objects.bulk_create([offer for bid in opened for offer in bid.opened_offers], batch_size=2000)
    tender.opened_at = now
    tender.save(update_fields=["opened_at", "updated_at"])
    opened.sort(key=lambda b: (b.current.received_at, b.pk))
    record = OpeningBidOut.dump_many(opened)
    set_aside_record = SetAsideOut.dump_many(set_aside)
    lot_record = LotOpeningOut.dump_many(_open_lots(tender, lots, opened))
    audit.append(tender, "bids_opened", role="system", now=now,
                 data={"bids": record, "not_opened_unconfirmed": unconfirmed, "set_aside": set_aside_record,
                       "lots": lot_record})
    going_on = [entry for entry in lot_record if entry["status"] == LotStatus.EVALUATION]
    if not going_on:
        transition(tender, Status.EVALUATION, now=now, event="evaluation_started", role="system")
        transition(tender, Status.UNSUCCESSFUL, now=now, event="tender_unsuccessful", role="system",
                   data={"reason": "too_few_bids", "bids": len(opened), "min_bids": tender.min_bids})
    else:
        transition(tender, Status.EVALUATION, now=now, event="evaluation_started", role="system",
                   data={"bids": len(opened)})
    # After the transitions, so the message carries the status the tender is left in.
    live.emit(tender, "opening", now=now, opened_at=iso(now), bids=record, set_aside=set_aside_record,
              lots=lot_record)
    return True


def _open_lots(tender: Tender, lots: list[Lot], opened: list[Bid]) -> list[OpenedLot]:
    """Every lot at once: ``min_bids`` applies per lot; a lot with fewer
    offers is unsuccessful, the others go to evaluation. Each lot's entry
    of the opening record lists its offers (opened bids in opening order)."""
    offers: dict[int, list[Offer]] = {lot.pk: [] for lot in lots}
    for bid in opened:
        for offer in bid.opened_offers:
            offers[offer.lot_id].append(offer)
    record, by_status = [], {LotStatus.EVALUATION: [], LotStatus.UNSUCCESSFUL: []}
    for lot in lots:
        status = LotStatus.EVALUATION if len(offers[lot.pk]) >= tender.min_bids else LotStatus.UNSUCCESSFUL
        by_status[status].append(lot.pk)
        record.append(OpenedLot(lot=lot.pk, title=lot.title, status=status, offers=offers[lot.pk]))
    for status, ids in by_status.items():
        if ids:
            Lot.objects.filter(pk__in=ids).update(status=status)
    return record


def lot_openings(tender: Tender) -> list[OpenedLot]:
    """The opening record's lots, as published (from the opening's audit entry's
    data being the same rows: rebuilt here from the offers)."""
    lots = list(Lot.objects.filter(tender=tender).order_by("position", "pk"))
    order = {pk: i for i, pk in enumerate(selectors.opened_bids(tender).order_by("current__received_at", "pk")
                                          .values_list("pk", flat=True))}
    offers: dict[int, list] = {lot.pk: [] for lot in lots}
    for offer in Offer.objects.filter(tender=tender).only("bid_id", "lot_id", "amount"):
        offers[offer.lot_id].append(offer)
    record = []
    for lot in lots:
        rows_ = sorted(offers[lot.pk], key=lambda o: order.get(o.bid_id, 0))
        status = LotStatus.UNSUCCESSFUL if len(rows_) < tender.min_bids else LotStatus.EVALUATION
        record.append(OpenedLot(lot=lot.pk, title=lot.title, status=status, offers=rows_))
    return record


# Why a bid was set aside at the opening: it is not opened, the others are.
SET_ASIDE = {
    "unreadable": "The sealed content could not be decrypted with the tender's key.",
    "hash_mismatch": "The decrypted content does not match the hash in the bid's receipt.",
    "content_invalid": "The decrypted content is not valid bid content.",
}


class SetAside(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _unseal(opener: sealing.Opener, bid: Bid) -> dict:
    """The bid's sealed content, checked as on arrival. Content that passed
    the checks at submission always passes here; what does not (tampered
    rows, bids sealed before a check existed) is set aside, never allowed to
    stop the opening of every other bid."""
    try:
        plain = opener.open(bid.current.sealed)
    except sealing.Unreadable:
        raise SetAside("unreadable") from None
    if receipts.digest(plain) != bid.current.sha256:
        raise SetAside("hash_mismatch")
    try:
        content = bid_content.strict_loads(plain)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        raise SetAside("content_invalid") from None
    if not _valid_opened(content):
        raise SetAside("content_invalid")
    return content


def _valid_offers(content: dict) -> bool:
    """A flat ``amount`` or a non-empty ``lots`` list of distinct lots, each a valid price."""
    if "lots" not in content:
        return isinstance(content.get("amount"), str) and bid_content.amount_problem(content["amount"]) is None
    offers = content["lots"]
    return (isinstance(offers, list) and bool(offers) and "amount" not in content
            and all(isinstance(o, dict) and isinstance(o.get("lot"), int) and not isinstance(o["lot"], bool)
                    and isinstance(o.get("amount"), str) and bid_content.amount_problem(o["amount"]) is None
                    for o in offers)
            and len({o["lot"] for o in offers}) == len(offers))


def _valid_opened(content) -> bool:
    if not isinstance(content, dict):
        return False
    answers, documents, nonce = content.get("answers"), content.get("documents"), content.get("nonce", "")
    return (_valid_offers(content)
            and isinstance(content.get("currency"), str) and len(content["currency"]) == 3
            and isinstance(answers, dict) and isinstance(documents, list)
            and all(isinstance(d, dict) for d in documents)
            and isinstance(nonce, str) and len(nonce) <= 32)


def _fill_opened(bid: Bid, content: dict, now: datetime, *, lot_ids: set[int], only_lot: int | None) -> None:
    """The opened fields, and ``bid.opened_offers`` (``Offer`` rows to insert): a
    flat amount is an offer for the only lot; offers on lots the tender does
    not have set the bid aside. ``amount`` is the total of the offers."""
    if "lots" in content:
        offers = sorted((o["lot"], Decimal(o["amount"])) for o in content["lots"])
    elif only_lot is not None:
        offers = [(only_lot, Decimal(content["amount"]))]
    else:
        raise SetAside("content_invalid")
    if any(lot not in lot_ids for lot, _ in offers):
        raise SetAside("content_invalid")
    total = sum((amount for _, amount in offers), Decimal(0))
    if bid_content.amount_problem(total):
        raise SetAside("content_invalid")
    bid.opened_offers = [Offer(tender_id=bid.tender_id, bid_id=bid.pk, lot_id=lot, amount=amount)
                         for lot, amount in offers]
    bid.amount = total
    bid.currency = content["currency"]
    bid.answers = content["answers"]
    bid.documents = content["documents"]
    bid.nonce = content.get("nonce", "")
    bid.opened_at = now


def _write_opened(bids: list[Bid], now: datetime) -> None:
    """Store the opened fields of many bids. On PostgreSQL one UPDATE joined
    to arrays: ``bulk_update`` builds a CASE WHEN per field and row in the
    ORM, which took 5 of the 6 seconds of opening 5,000 bids."""
    if connection.vendor != "postgresql":
        Bid.objects.bulk_update(bids, ["amount", "currency", "answers", "documents", "nonce", "opened_at"],
                                batch_size=1000)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Bid._meta.db_table} AS b SET amount = v.amount, currency = v.currency, "
            "answers = v.answers::jsonb, documents = v.documents::jsonb, nonce = v.nonce, opened_at = %s "
            "FROM unnest(%s::bigint[], %s::numeric[], %s::text[], %s::text[], %s::text[], %s::text[]) "
            "AS v(id, amount, currency, answers, documents, nonce) WHERE b.id = v.id",
            [now, [b.pk for b in bids], [b.amount for b in bids], [b.currency for b in bids],
             [json.dumps(b.answers) for b in bids], [json.dumps(b.documents) for b in bids],
             [b.nonce for b in bids]],
        )


def open_due(now: datetime | None = None) -> int:
    """One scheduler pass: open every tender whose deadline has passed, each
    in its own transaction. One that fails is backed off (``scheduling``),
    so however many fail, the others are opened in this same pass."""
    now = now or timezone.now()
    return scheduling.run_due(OPENING_JOB, due_for_opening, open_tender, now)
