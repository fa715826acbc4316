"""The per-tender hash chain: every event lands once, tampering with the rows
is detected by ``verify_audit`` (naming the first bad entry), concurrent
appends never fork a chain."""

import threading
from collections import Counter
from datetime import timedelta
from datetime import timezone as tz
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from audit import services as audit
from audit.models import AuditEntry
from bids import services as bid_services
from clarifications import services as clarification_services
from tenders import services as tender_services
from tenders.models import Tender
from tests.conftest import tender_fields
from tests.transparency_helpers import amend, answer, ask, open_now, pdf, submit


def verify_output(tender_id: int) -> str:
    """verify_audit's report for one tender ('' when intact)."""
    err = StringIO()
    try:
        call_command("verify_audit", "--tender", str(tender_id), stdout=StringIO(), stderr=err)
    except CommandError:
        return err.getvalue()
    return ""


def chain(tender_id: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(tender_id=tender_id).order_by("seq"))


@pytest.fixture
def audited(make_tender, supplier):
    """A published tender with four entries (created, published, question asked, bid submitted)."""
    tender = make_tender()
    ask(tender, supplier)
    submit(tender, supplier)
    tender.refresh_from_db()
    assert tender.audit_length == 4
    return tender


def test_every_event_type_lands_in_the_chain_exactly_once(officer, make_supplier):
    # given: a tender driven through every change the services make
    a, b = make_supplier(), make_supplier()
    draft = tender_services.create_draft(by=officer, **tender_fields())
    tender_services.update_draft(draft.pk, by=officer, description="Resurfacing and lighting.")
    tender_services.add_document(draft.pk, by=officer, upload=pdf())
    tender = tender_services.publish_tender(draft.pk, by=officer)
    receipt = submit(tender, a)
    submit(tender, b)
    bid_services.replace_bid(tender.pk, receipt.bid, by=a, content=bid_services.BidContent(
        amount=Decimal("99000000.00"), currency="KZT", answers={}, documents=[]))
    bid_b = b.organisation.bids.get(tender=tender)
    bid_services.withdraw_bid(tender.pk, bid_b.pk, by=b)
    question = ask(tender, b)
    answer(tender, officer, question)
    amend(tender, officer)
    bid_services.confirm_bid(tender.pk, receipt.bid, by=a)
    open_now(tender)
    tender_services.cancel_tender(tender.pk, by=officer, reason="Budget withdrawn.")

    # when
    events = Counter(AuditEntry.objects.filter(tender=tender).values_list("event", flat=True))

    # then
    expected = ["tender_created", "tender_edited", "document_added", "tender_published", "bid_submitted",
                "bid_replaced", "bid_withdrawn", "question_asked", "question_answered", "tender_amended",
                "bid_confirmed", "bids_opened", "evaluation_started", "tender_cancelled"]
    assert events == Counter({"bid_submitted": 2, **{e: 1 for e in expected if e != "bid_submitted"}})
    assert [e.seq for e in chain(tender.pk)] == list(range(1, sum(events.values()) + 1))
    assert audit.verify([tender.pk]) == []


def test_hidden_entries_name_neither_the_bidder_nor_the_asker(make_tender, make_supplier):
    # given
    bidder = make_supplier(name="Secret Bidder LLP")
    tender = make_tender()
    submit(tender, bidder, amount="123456.78")
    ask(tender, bidder)

    # when
    entries = AuditEntry.objects.filter(tender=tender, event__in=["bid_submitted", "question_asked"])

    # then
    for entry in entries:
        text = f"{entry.actor} {entry.data}"
        assert entry.actor == "" and entry.role == "supplier"
        assert "Secret Bidder" not in text and bidder.organisation.tax_id not in text
        assert "123456" not in text


def test_an_intact_chain_verifies(audited):
    err = StringIO()
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=err)
    assert "verified" in out.getvalue() and err.getvalue() == ""


@pytest.mark.parametrize("column, value", [
    ("event", "'tender_cancelled'"),
    ("actor", "'Someone Else LLP'"),
    ("data", "'{\"text\": \"A different question\"}'"),
    ("at", "'2020-01-01 00:00:00'"),
])
def test_editing_a_row_with_raw_sql_is_detected_at_that_entry(audited, column, value):
    # given
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE audit_auditentry SET {column} = {value} WHERE tender_id = %s AND seq = 3",
                       [audited.pk])

    # when
    report = verify_output(audited.pk)

    # then
    assert f"tender {audited.pk}, entry 3: content was altered" in report


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(audited):
    # given: entry 2 rewritten consistently with itself
    entry = chain(audited.pk)[1]
    forged = audit.entry_hash(tender_id=audited.pk, seq=2, at=entry.at, actor=entry.actor, role=entry.role,
                              event=entry.event, data={"forged": True}, prev=entry.prev_hash)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET data = '{\"forged\": true}', hash = %s WHERE id = %s",
                       [forged, entry.pk])

    # when
    report = verify_output(audited.pk)

    # then
    assert f"tender {audited.pk}, entry 3: does not link to the previous entry" in report


def test_deleting_a_row_with_raw_sql_is_detected_at_the_gap(audited):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE tender_id = %s AND seq = 2", [audited.pk])

    assert f"tender {audited.pk}, entry 2: missing or out of order" in verify_output(audited.pk)


def test_deleting_the_newest_row_is_detected_at_the_chain_head(audited):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE tender_id = %s AND seq = 4", [audited.pk])

    assert f"tender {audited.pk}, chain head: chain ends at entry 3 but the tender records 4" \
        in verify_output(audited.pk)


def test_reordering_rows_with_raw_sql_is_detected_at_the_first_moved_entry(audited):
    # given: entries 2 and 3 swap places
    with connection.cursor() as cursor:
        for old, new in [(2, 1000), (3, 2), (1000, 3)]:
            cursor.execute("UPDATE audit_auditentry SET seq = %s WHERE tender_id = %s AND seq = %s",
                           [new, audited.pk, old])

    # when
    report = verify_output(audited.pk)

    # then
    assert f"tender {audited.pk}, entry 2: does not link to the previous entry" in report


def test_verify_audit_checks_every_tender_and_names_only_the_broken_one(audited, make_tender):
    # given
    intact = make_tender()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET role = 'staff' WHERE tender_id = %s AND seq = 1", [audited.pk])

    # when
    err = StringIO()
    with pytest.raises(CommandError, match="1 audit chain"):
        call_command("verify_audit", stdout=StringIO(), stderr=err)

    # then
    assert f"tender {audited.pk}, entry 1" in err.getvalue()
    assert f"tender {intact.pk}," not in err.getvalue()


def test_verify_audit_refuses_an_unknown_tender(db):
    with pytest.raises(CommandError, match="No tender 999999"):
        call_command("verify_audit", "--tender", "999999", stdout=StringIO(), stderr=StringIO())


def test_the_api_serves_the_chain_and_reports_tampering(audited, api):
    # given
    assert api.get(f"/api/tenders/{audited.pk}/audit/").json()["valid"] is True
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET event = 'x' WHERE tender_id = %s AND seq = 2", [audited.pk])

    # when
    body = api.get(f"/api/tenders/{audited.pk}/audit/").json()

    # then
    assert body["valid"] is False and "entry 2" in body["problem"]
    assert [e["seq"] for e in body["entries"]] == [1, 2, 3, 4]
    assert body["entries"][1]["prev_hash"] == body["entries"][0]["hash"]


def test_a_time_given_in_another_zone_hashes_as_it_is_read_back(make_tender, supplier):
    # given: a service called with a non-UTC aware time
    tender = make_tender()
    almaty = timezone.now().astimezone(tz(timedelta(hours=5)))

    # when
    clarification_services.ask_question(tender.pk, by=supplier, text="Which asphalt grade?", now=almaty)

    # then
    assert audit.verify([tender.pk]) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain(make_tender, make_supplier):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer on the database file; row locks are a PostgreSQL matter")
    # given: many suppliers bid and ask at the same moment
    tender = make_tender()
    suppliers = [make_supplier() for _ in range(8)]
    barrier = threading.Barrier(len(suppliers) * 2)
    errors = []

    def act(action, supplier):
        try:
            barrier.wait(timeout=30)
            action(tender, supplier)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(action, s)) for s in suppliers for action in (submit, ask)]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then
    assert errors == []
    tender.refresh_from_db()
    entries = chain(tender.pk)
    events = Counter(e.event for e in entries)
    assert events["bid_submitted"] == 8 and events["question_asked"] == 8
    assert [e.seq for e in entries] == list(range(1, tender.audit_length + 1))
    assert len({e.prev_hash for e in entries}) == len(entries)  # no two entries share a parent
    assert tender.bid_count == 8
    assert audit.verify([tender.pk]) == []


def test_an_append_from_a_stale_instance_is_refused_and_writes_nothing(make_tender):
    # given a tender instance read before another change was audited
    tender = make_tender()
    stale = Tender.objects.get(pk=tender.pk)
    with transaction.atomic():
        audit.append(tender_services.lock_tender(tender.pk), "note", now=timezone.now(), data={"n": 1})
    before = AuditEntry.objects.filter(tender=tender).count()
    # when the stale instance appends
    with pytest.raises((RuntimeError, IntegrityError)):
        with transaction.atomic():
            audit.append(stale, "note", now=timezone.now(), data={"n": 2})
    # then the chain did not fork and still verifies
    assert AuditEntry.objects.filter(tender=tender).count() == before
    assert audit.verify([tender.pk]) == []


def test_an_append_returns_the_stored_entry_and_moves_the_head(make_tender):
    # given
    tender = make_tender()
    with transaction.atomic():
        locked = tender_services.lock_tender(tender.pk)
        # when
        entry = audit.append(locked, "note", now=timezone.now(), data={"n": 1})
    # then the entry is the saved row, and the tender's head is its hash
    assert AuditEntry.objects.get(pk=entry.pk).hash == entry.hash
    tender.refresh_from_db()
    assert (tender.audit_length, tender.audit_head) == (entry.seq, entry.hash) == (locked.audit_length,
                                                                                    locked.audit_head)
    assert audit.verify([tender.pk]) == []
