"""The paths made faster for bench/ keep their behaviour: the register's
filters and count, the idempotency clash in submit_bid (no savepoint), and
the plain-SQL row writes under the tender's lock (core.rows)."""

import threading
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken

from accounts import tokens
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import TokenAuthentication
from accounts.models import User
from audit.models import AuditEntry
from bids import services as bid_services
from bids.models import Bid, BidVersion, IdempotencyRecord
from core import rows
from core.errors import Unprocessable
from procurement import asgi
from tenders.models import Tender


def test_method_filters_are_bound_to_each_request(make_tender, api):
    # given one tender in CPV division 45 and one in 33
    make_tender(cpv="45233140-2")
    make_tender(cpv="33141000-0")
    # when the same method filter is used by consecutive requests
    counts = [api.get("/api/tenders/", {"cpv": "45"}).json()["count"] for _ in range(3)]
    # then each request filters with its own filter set
    assert counts == [1, 1, 1]
    assert api.get("/api/tenders/", {"cpv": "33"}).json()["count"] == 1


def test_a_bad_filter_is_still_a_400_with_its_code(api, db):
    response = api.get("/api/tenders/", {"cpv": "x"})
    assert response.status_code == 400
    assert response.json()["errors"]["cpv"][0]["code"] == "cpv_prefix_invalid"


def test_register_count_skips_the_buyer_join(make_tender, api):
    make_tender()
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/tenders/", {"status": "active"}).json()
    # On PostgreSQL the count and the page go in one message: the count is its own statement.
    statements = [sql for q in queries.captured_queries for sql in q["sql"].split("; ")]
    count_sql = next(sql for sql in statements if sql.startswith("SELECT COUNT("))
    assert body["count"] == 1 and body["results"][0]["buyer"]["name"]
    assert "JOIN" not in count_sql


@pytest.mark.django_db(transaction=True)
def test_concurrent_idempotency_key_clash_is_a_422_and_stores_nothing(make_tender, supplier):
    if connection.vendor != "postgresql":
        pytest.skip("needs a second real connection holding an uncommitted row (PostgreSQL)")
    # given a committed bid on tender A, and another transaction holding key K uncommitted
    tender_a, tender_b = make_tender(), make_tender()
    content = bid_services.BidContent(amount=Decimal("10.00"), currency="KZT", answers={}, documents=[])
    bid_services.submit_bid(tender_a.pk, by=supplier, content=content, idempotency_key="first")
    version_id = IdempotencyRecord.objects.get(key="first").version_id
    params = connection.get_connection_params()
    other = psycopg.connect(**{k: v for k, v in params.items() if k in ("host", "port", "user", "dbname", "password")})
    other.execute("INSERT INTO bids_idempotencyrecord (supplier_id, key, fingerprint, version_id, created_at) "
                  "VALUES (%s, 'K', 'x', %s, now())", (supplier.organisation_id, version_id))
    outcome = {}
    with_document = bid_services.BidContent(amount=Decimal("10.00"), currency="KZT", answers={}, documents=[
        SimpleUploadedFile("offer.txt", b"our offer", content_type="text/plain")])

    def submit():
        try:
            bid_services.submit_bid(tender_b.pk, by=supplier, content=with_document, idempotency_key="K")
        except Unprocessable as exc:
            outcome["code"] = exc.code
        finally:
            connection.close()

    files_before = set(Path(settings.MEDIA_ROOT).rglob("*.sealed"))
    # when a submission on tender B with key K races it, and the other commits first
    thread = threading.Thread(target=submit)
    thread.start()
    thread.join(timeout=1.0)
    other.commit()
    other.close()
    thread.join(timeout=10)
    # then the loser is refused with 422 and nothing of it is stored, not even its document's file
    assert outcome == {"code": "idempotency_conflict"}
    assert not Bid.objects.filter(tender=tender_b).exists()
    assert set(Path(settings.MEDIA_ROOT).rglob("*.sealed")) == files_before


def test_opening_stores_every_decrypted_field(make_tender, make_supplier):
    # given a best-value tender with answered bids
    tender = make_tender(award_method="best_value", price_weight=70,
                         criteria=[{"name": "Warranty", "weight": 30}])
    criterion = str(tender.criteria.get().pk)
    sent = {}
    for i, answer in enumerate(["24 months", "Гарантия 36 месяцев"]):
        supplier = make_supplier()
        content = bid_services.BidContent(amount=Decimal(f"1000.{i}5"), currency="KZT",
                                          answers={criterion: answer}, documents=[])
        bid_services.submit_bid(tender.pk, by=supplier, content=content)
        sent[supplier.organisation_id] = (Decimal(f"1000.{i}5"), {criterion: answer})
    # when the tender is opened after its deadline
    assert bid_services.open_tender(tender.pk, now=tender.submission_deadline)
    # then every bid holds exactly what was sealed
    for bid in Bid.objects.filter(tender=tender):
        assert (bid.amount, bid.answers) == sent[bid.supplier_id]
        assert bid.currency == "KZT" and bid.documents == [] and bid.opened_at == tender.submission_deadline


def test_a_plain_sql_insert_stores_what_the_orm_would(make_tender):
    # given the same audit entry written by the ORM and by core.rows
    tender = make_tender()
    fields = dict(tender=tender, seq=90, at=timezone.now(), actor="Akimat «Астана»", role="officer", event="x",
                  data={"amount": "1.50", "nested": {"ключ": [1, None]}}, prev_hash="a" * 64, hash="b" * 64)
    by_orm = AuditEntry.objects.create(**fields)
    by_rows = rows.insert(AuditEntry(**{**fields, "seq": 91}))
    # then both read back the same, and the instance knows its new primary key
    columns = ["at", "actor", "role", "event", "data", "prev_hash", "hash"]
    stored = AuditEntry.objects.filter(pk__in=[by_orm.pk, by_rows.pk]).order_by("seq").values(*columns)
    assert by_rows.pk and by_rows.pk != by_orm.pk and not by_rows._state.adding
    assert stored[0] == stored[1]


def test_a_plain_sql_insert_applies_field_defaults_and_binary_values(make_tender, supplier):
    tender = make_tender()
    bid = rows.insert(Bid(tender_id=tender.pk, supplier_id=supplier.organisation_id,
                          created_at=timezone.now(), updated_at=timezone.now()))
    version = rows.insert(BidVersion(bid_id=bid.pk, number=1, sealed=b"\x00\xffsealed", sha256="c" * 64,
                                     received_at=timezone.now(), signature="d" * 128))
    stored = Bid.objects.get(pk=bid.pk)
    assert (stored.status, stored.needs_confirmation, stored.currency, stored.current_id) == (
        "submitted", False, "", None)
    assert bytes(BidVersion.objects.get(pk=version.pk).sealed) == b"\x00\xffsealed"


def test_a_plain_sql_update_is_a_compare_and_set(make_tender):
    tender = make_tender()
    length, head = tender.audit_length, tender.audit_head
    stale, current = rows.run([
        # a stale expected value changes nothing
        rows.update_statement(Tender, where={"pk": tender.pk, "audit_length": length + 7},
                              values={"audit_head": "e" * 64}, add={"bid_count": 1}),
        # the current one sets and adds in one statement
        rows.update_statement(Tender, where={"pk": tender.pk, "audit_length": length, "audit_head": head},
                              values={"audit_head": "e" * 64}, add={"bid_count": 2}),
    ])
    assert (stale.rowcount, current.rowcount) == (0, 1)
    tender.refresh_from_db()
    assert (tender.audit_head, tender.bid_count) == ("e" * 64, 2)
    with pytest.raises(ValueError):  # "= NULL" would silently match nothing
        rows.update_statement(Tender, where={"pk": tender.pk, "opened_at": None}, values={"bid_count": 0})


def test_the_middleware_chain_is_entered_once_and_runs_synchronously():
    # Django's default ASGI handler would build an async chain that hops to a
    # thread and back around every synchronous middleware.
    chain = asgi.django_asgi_app._middleware_chain
    assert type(chain).__name__ == "SyncToAsync"
    assert not any(type(m).__name__ in ("SyncToAsync", "AsyncToSync") for m in asgi.django_asgi_app._view_middleware)


def test_statements_run_in_order_and_report_rows_and_counts(make_tender):
    tender = make_tender()
    table = Tender._meta.db_table
    first, second, third = rows.run([
        (f"SELECT id, bid_count FROM {table} WHERE id = %s", [tender.pk]),
        (f"UPDATE {table} SET bid_count = bid_count + %s WHERE id = %s", [5, tender.pk]),
        (f"SELECT bid_count FROM {table} WHERE id = %s", [tender.pk]),  # sees the update before it
    ])
    assert first.rows == [(tender.pk, 0)]
    assert second.rowcount == 1 and second.rows == []
    assert third.rows == [(5,)]


def test_a_batch_refuses_a_lost_compare_and_set(make_tender):
    tender = make_tender()
    batch = rows.Batch()
    batch.add(rows.update_statement(Tender, where={"pk": tender.pk, "audit_length": 999}, values={"bid_count": 3}),
              expect=1, error="moved")
    with pytest.raises(RuntimeError, match="moved"):
        batch.run()


def test_a_row_read_with_plain_sql_converts_like_the_orm(make_tender):
    tender = make_tender()
    names = ["pk", "submission_deadline", "public_key", "status"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rows.columns(Tender, names)} FROM {Tender._meta.db_table} WHERE id = %s",
                       [tender.pk])
        read = rows.instance(Tender, names, cursor.fetchone())
    assert (read.pk, read.submission_deadline, bytes(read.public_key), read.status) == (
        tender.pk, tender.submission_deadline, bytes(tender.public_key), tender.status)
    assert read.submission_deadline.tzinfo is not None
    assert "title" in read.get_deferred_fields()


def test_an_insert_can_take_a_value_computed_by_the_database(make_tender, supplier):
    tender = make_tender()
    now = timezone.now()
    bid = rows.insert(Bid(tender_id=tender.pk, supplier_id=supplier.organisation_id, created_at=now, updated_at=now))
    version_id = rows.Computed(f"SELECT id FROM {BidVersion._meta.db_table} WHERE bid_id = %s AND number = %s",
                               [bid.pk, 1])
    rows.run([
        rows.insert_statement(BidVersion(bid=bid, number=1, sealed=b"x", sha256="f" * 64, received_at=now,
                                         signature="0" * 128), returning=False),
        rows.update_statement(Bid, where={"pk": bid.pk}, values={"current": version_id}),
    ])
    assert Bid.objects.get(pk=bid.pk).current == BidVersion.objects.get(bid=bid, number=1)


def test_a_bid_is_stored_in_few_round_trips(make_tender, supplier):
    # given an active tender, and a supplier whose organisation is loaded (as the API's authentication does)
    tender = make_tender()
    content = bid_services.BidContent(amount=Decimal("10.00"), currency="KZT", answers={}, documents=[])
    # when a bid is submitted (inside the test's transaction: a savepoint stands in for BEGIN/COMMIT)
    with CaptureQueriesContext(connection) as queries:
        bid_services.submit_bid(tender.pk, by=supplier, content=content, idempotency_key="one-trip")
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # then PostgreSQL takes the lock and the reads in one message and every write in a second one;
    # SQLite runs the same statements one by one (lock, find, bid, version, bid's current, key, audit, head)
    assert len(statements) == (2 if connection.vendor == "postgresql" else 8), statements
    if connection.vendor == "postgresql":  # the clock is read by the statement after the lock, not with it
        assert "FOR UPDATE; SELECT clock_timestamp()" in statements[0]
    assert Bid.objects.get(tender=tender).current.number == 1


def test_token_authentication_reads_user_and_organisation_in_one_query(supplier, django_assert_num_queries):
    key = tokens.issue(supplier)
    token = AuthToken.objects.get(user=supplier)
    with django_assert_num_queries(1):
        user, auth = TokenAuthentication().authenticate_credentials(key)
        assert user.organisation.tax_id == supplier.organisation.tax_id
    fresh = User.objects.get(pk=supplier.pk)
    assert all(getattr(user, f.attname) == getattr(fresh, f.attname) for f in User._meta.concrete_fields)
    assert (auth.digest, auth.user_id, auth.created) == (token.digest, supplier.pk, token.created)


def test_token_authentication_of_a_user_without_organisation_and_of_an_inactive_user(staff, supplier):
    staff_user, _ = TokenAuthentication().authenticate_credentials(tokens.issue(staff))
    assert staff_user.organisation is None and staff_user.is_superuser
    supplier.is_active = False
    supplier.save()
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate_credentials(tokens.issue(supplier))
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate_credentials("not-a-token")
