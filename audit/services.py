"""The per-tender hash chain.

Each entry's hash is SHA-256 over the canonical JSON (sorted keys, no
whitespace, UTF-8) of ``{"tender", "seq", "at", "actor", "role", "event",
"data", "prev"}``; ``prev`` is the previous entry's hash (64 zeros for the
first). The tender row keeps the chain's length and head hash, so that
removing the newest entry is detected too. Appends happen inside the
transaction of the change they record, with the tender row locked by the
caller, so concurrent appends never fork a chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Iterable

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.module_loading import import_string

from accounts.models import User
from core import rows
from core.isotime import iso

from .models import AuditEntry

GENESIS = "0" * 64


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      cls=DjangoJSONEncoder).encode()


def entry_hash(*, tender_id: int, seq: int, at: datetime, actor: str, role: str, event: str,
               data: dict, prev: str) -> str:
    payload = {"tender": tender_id, "seq": seq, "at": iso(at), "actor": actor, "role": role,
               "event": event, "data": data, "prev": prev}
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def actor_of(user, *, role: str | None = None, hidden: bool = False) -> tuple[str, str]:
    """(organisation name, role) for an entry; ``hidden`` keeps the role only
    (a bidder before opening, a supplier asking a question)."""
    if user is None:
        return "", role or "system"
    role = role or user.role
    if hidden or user.organisation_id is None:
        return "", role
    return user.organisation.name, role


def _entry(tender, event: str, *, by: User, role: str | None, hidden: bool, data: dict | None,
           now: datetime) -> AuditEntry:
    """The next entry of ``tender``'s chain (not saved), from the head on the instance."""
    actor, role = actor_of(by, role=role, hidden=hidden)
    data = json.loads(canonical_json(data or {}))  # store exactly what was hashed
    seq, prev = tender.audit_length + 1, tender.audit_head or GENESIS
    digest = entry_hash(tender_id=tender.pk, seq=seq, at=now, actor=actor, role=role, event=event,
                        data=data, prev=prev)
    return AuditEntry(tender_id=tender.pk, seq=seq, at=now, actor=actor, role=role, event=event, data=data,
                      prev_hash=prev, hash=digest)


def _stale(tender) -> str:
    return f"Tender {tender.pk}'s audit chain moved under a stale instance; nothing was written."


def _check_atomic() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.append runs inside the change's transaction")


def _advance(tender, entry: AuditEntry) -> None:
    tender.audit_length = entry.seq
    tender.audit_head = entry.hash


def append(tender, event: str, *, by: User | None = None, role: str | None = None, hidden: bool = False,
           data: dict | None = None, now: datetime) -> AuditEntry:
    """Append to ``tender``'s chain, inside the transaction of the change it
    records, with the tender's row locked by the caller. The head is taken
    from the locked instance and written back with a compare-and-set on the
    previous length and head (and the (tender, seq) unique constraint backs
    it), so a caller holding a stale instance fails instead of forking the
    chain. The tender's head fields are saved here and on the instance."""
    _check_atomic()
    entry = _entry(tender, event, by=by, role=role, hidden=hidden, data=data, now=now)
    entry.save()
    moved = (type(tender).objects.filter(pk=tender.pk, audit_length=tender.audit_length,
                                         audit_head=tender.audit_head)
             .update(audit_length=entry.seq, audit_head=entry.hash))
    if moved != 1:
        raise RuntimeError(_stale(tender))
    _advance(tender, entry)
    for record in _recorders():  # e.g. the OCDS release of this moment, when the event makes one
        record(tender, entry)
    return entry


@cache
def _recorders() -> list:
    """What records more of a change in its transaction, from its audit entry
    (``PROCUREMENT_AUDIT_RECORDERS``: OCDS releases). Named in the settings,
    as the scheduler's jobs are, because those apps sit above this one."""
    return [import_string(path) for path in settings.PROCUREMENT_AUDIT_RECORDERS]


def append_to_batch(batch: rows.Batch, tender, event: str, *, by: User | None = None, role: str | None = None,
                    hidden: bool = False, data: dict | None = None, now: datetime,
                    add: dict[str, int] | None = None) -> None:
    """``append`` for the one path where plain SQL pays: a bid, under its
    tender's lock (``bids.services``; ``bench/bids.py`` measures it). The
    entry's INSERT and the compare-and-set UPDATE of the head, which also
    applies ``add`` to counters of the tender row (the bid count), join the
    caller's ``batch`` of statements, run in one round trip on PostgreSQL
    (the caller runs it). The instance's head and counters are updated."""
    _check_atomic()
    entry = _entry(tender, event, by=by, role=role, hidden=hidden, data=data, now=now)
    batch.add(rows.insert_statement(entry, returning=False))
    batch.add(rows.update_statement(type(tender), where={"pk": tender.pk, "audit_length": tender.audit_length,
                                                          "audit_head": tender.audit_head},
                                    values={"audit_length": entry.seq, "audit_head": entry.hash}, add=add),
              expect=1, error=_stale(tender))
    _advance(tender, entry)
    for name, step in (add or {}).items():
        setattr(tender, name, getattr(tender, name) + step)


@dataclass(frozen=True)
class Problem:
    tender_id: int
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "chain head"
        return f"tender {self.tender_id}, {where}: {self.reason}"


def verify_chain(tender_id: int, entries: Iterable[AuditEntry], *, length: int, head: str) -> Problem | None:
    """The first problem in one tender's chain, or None if it is intact."""
    prev = GENESIS
    expected_seq = 1
    for entry in entries:
        if entry.seq != expected_seq:
            return Problem(tender_id, expected_seq, f"missing or out of order (found seq {entry.seq})")
        if entry.prev_hash != prev:
            return Problem(tender_id, entry.seq, "does not link to the previous entry")
        recomputed = entry_hash(tender_id=tender_id, seq=entry.seq, at=entry.at, actor=entry.actor,
                                role=entry.role, event=entry.event, data=entry.data, prev=entry.prev_hash)
        if recomputed != entry.hash:
            return Problem(tender_id, entry.seq, "content was altered (hash mismatch)")
        prev = entry.hash
        expected_seq += 1
    if expected_seq - 1 != length or prev != (head or GENESIS):
        return Problem(tender_id, None, f"chain ends at entry {expected_seq - 1} but the tender records "
                                        f"{length} entries ending in {head[:12] or 'nothing'}")
    return None


def verify(tender_ids: Iterable[int] | None = None) -> list[Problem]:
    # The tenders through the entries' relation: the tenders app depends on
    # this one (it appends to the chain), not the reverse.
    Tender = AuditEntry.tender.field.related_model
    tenders = Tender.objects.order_by("pk").values_list("pk", "audit_length", "audit_head")
    if tender_ids is not None:
        tenders = tenders.filter(pk__in=list(tender_ids))
    problems = []
    for tender_id, length, head in tenders.iterator():
        entries = AuditEntry.objects.filter(tender_id=tender_id).order_by("seq", "id").iterator()
        problem = verify_chain(tender_id, entries, length=length, head=head)
        if problem:
            problems.append(problem)
    return problems
