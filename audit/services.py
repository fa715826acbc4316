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
from typing import Any, Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

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


def append(tender, event: str, *, by=None, role: str | None = None, hidden: bool = False,
           data: dict | None = None, now: datetime, add: dict[str, int] | None = None,
           batch: rows.Batch | None = None) -> AuditEntry:
    """Append to ``tender``'s chain, inside the transaction of the change it
    records, with the tender's row locked by the caller. The head is taken
    from the locked instance and written back with a compare-and-set on the
    previous length (and the (tender, seq) unique constraint backs it), so a
    caller holding a stale instance fails instead of forking the chain. The
    tender's head fields are saved here and on the instance; ``add`` holds
    counters of the tender row to change in that same UPDATE (the bid count).

    Both statements are plain SQL (``core.rows``): every bid appends
    here while its tender is locked. With ``batch`` they are added to the
    caller's statements, which the caller runs (one round trip on
    PostgreSQL). The returned entry holds what was written but is not a
    saved instance (no primary key): read entries back from the database."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.append runs inside the change's transaction")
    actor, role = actor_of(by, role=role, hidden=hidden)
    data = json.loads(canonical_json(data or {}))  # store exactly what was hashed
    length, head = tender.audit_length, tender.audit_head
    seq = length + 1
    prev = head or GENESIS
    digest = entry_hash(tender_id=tender.pk, seq=seq, at=now, actor=actor, role=role, event=event,
                        data=data, prev=prev)
    entry = AuditEntry(tender_id=tender.pk, seq=seq, at=now, actor=actor, role=role, event=event, data=data,
                       prev_hash=prev, hash=digest)
    statements = batch if batch is not None else rows.Batch()
    statements.add(rows.insert_statement(entry, returning=False))
    statements.add(rows.update_statement(type(tender), where={"pk": tender.pk, "audit_length": length,
                                                                "audit_head": head},
                                         values={"audit_length": seq, "audit_head": digest}, add=add),
                   expect=1, error=f"Tender {tender.pk}'s audit chain moved under a stale instance; "
                                   "nothing was written.")
    if batch is None:
        statements.run()
    tender.audit_length = seq
    tender.audit_head = digest
    for name, step in (add or {}).items():
        setattr(tender, name, getattr(tender, name) + step)
    return entry


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
