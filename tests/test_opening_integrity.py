"""A bidder cannot block an opening: no non-finite number gets into a sealed
bid by any parser, an opening sets aside a bid it cannot process instead of
failing, and a tender whose opening fails is backed off so that it holds up
neither the other tenders nor the scheduler."""

import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bids import receipts
from bids import services as bid_services
from bids.models import Bid, BidVersion
from core import scheduler, sealing
from core.errors import Invalid
from scheduling.models import Heartbeat, JobFailure
from tenders.models import Status, Tender

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_tender(make_tender):
    """Active, deadline in ten minutes, with one non-price criterion."""
    now = timezone.now()
    return make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=10),
                       clarification_deadline=now + timedelta(minutes=5), award_method="best_value",
                       price_weight=60, criteria=[{"name": "Warranty", "weight": 40}])


@pytest.fixture
def tender_due_at(make_tender):
    def make(deadline, **overrides):
        published = deadline - timedelta(seconds=3600)
        return make_tender(now=published, clarification_deadline=published + timedelta(seconds=30),
                           submission_deadline=deadline, **overrides)
    return make


def bid_on(tender, supplier, amount="1500000.00", answers=None):
    content = bid_services.BidContent(amount=Decimal(amount), currency="KZT", answers=answers or {}, documents=[])
    return bid_services.submit_bid(tender.pk, by=supplier, content=content,
                                   now=tender.submission_deadline - timedelta(seconds=5))


@pytest.mark.parametrize("answer", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "[1, 1e999]",
                                    '{"nested": [NaN]}'])
def test_multipart_answers_with_a_non_finite_number_are_refused(answer, open_tender, supplier, as_user):
    # given
    criterion = open_tender.criteria.get()
    body = {"amount": "90.00", "currency": "KZT", "answers": f'{{"{criterion.pk}": {answer}}}'}

    # when
    response = as_user(supplier).post(f"/api/tenders/{open_tender.pk}/bids/", body, format="multipart")

    # then
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "answers_invalid"
    assert not Bid.objects.filter(tender=open_tender).exists()


def test_the_service_refuses_non_finite_answers_and_amounts(open_tender, supplier):
    criterion = open_tender.criteria.get()
    with pytest.raises(Invalid) as answers:
        bid_on(open_tender, supplier, answers={str(criterion.pk): float("inf")})
    with pytest.raises(Invalid) as amount:
        bid_on(open_tender, supplier, amount="Infinity")
    assert (answers.value.code, amount.value.code) == ("answers_invalid", "amount_invalid")


def test_canonical_json_refuses_non_finite_numbers():
    with pytest.raises(ValueError):
        receipts.canonical({"answers": {"1": float("nan")}})


def _reseal(tender, bid, content: bytes) -> None:
    """What a row sealed before these checks (or altered in the database) holds."""
    BidVersion.objects.filter(pk=bid.current_id).update(sealed=sealing.seal(tender.public_key, content),
                                                        sha256=receipts.digest(content))


def test_an_opening_sets_aside_a_bid_it_cannot_store_and_opens_the_others(tender_due_at, make_supplier, api):
    # given: one bid whose sealed content holds Infinity, one good bid
    tender = tender_due_at(timezone.now() + timedelta(seconds=30))
    bad_supplier, good_supplier = make_supplier(), make_supplier()
    bid_on(tender, bad_supplier)
    bid_on(tender, good_supplier, amount="1200000.00")
    bad = Bid.objects.get(tender=tender, supplier=bad_supplier.organisation)
    _reseal(tender, bad, b'{"amount":"90.00","answers":{"17":Infinity},"currency":"KZT","documents":[],'
                         b'"nonce":"00","supplier":"x","tender":1}')

    # when
    opened = bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))

    # then: the tender opened with the good bid; the bad one is set aside, publicly
    assert opened
    tender.refresh_from_db()
    assert tender.status == Status.EVALUATION
    bad.refresh_from_db()
    assert (bad.opened_at, bad.amount, bad.set_aside) == (None, None, "content_invalid")
    record = api.get(f"/api/tenders/{tender.pk}/opening/").json()
    assert [row["amount"] for row in record["bids"]] == ["1200000.00"]
    assert [(row["bid"], row["reason"]) for row in record["set_aside"]] == [(bad.pk, "content_invalid")]
    assert record["set_aside"][0]["sha256"] == bad.current.sha256


@pytest.mark.parametrize("tamper, reason", [
    ("box", "unreadable"),
    ("hash", "hash_mismatch"),
    ("shape", "content_invalid"),
])
def test_an_opening_sets_aside_unreadable_or_altered_bids(tamper, reason, tender_due_at, supplier):
    # given
    tender = tender_due_at(timezone.now() + timedelta(seconds=30))
    bid_on(tender, supplier)
    bid = Bid.objects.get(tender=tender)
    if tamper == "box":
        BidVersion.objects.filter(pk=bid.current_id).update(sealed=b"\x00" * 120)
    elif tamper == "hash":
        BidVersion.objects.filter(pk=bid.current_id).update(sha256="0" * 64)
    else:
        _reseal(tender, bid, json.dumps({"amount": -5, "currency": "KZT"}).encode())

    # when
    bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))

    # then: too few bids left, so the tender ends unsuccessful rather than stuck
    tender.refresh_from_db()
    bid.refresh_from_db()
    assert (tender.status, bid.set_aside, bid.opened_at) == (Status.UNSUCCESSFUL, reason, None)


def _break(tender) -> None:
    Tender.objects.filter(pk=tender.pk).update(sealed_private_key=b"garbage")


def test_a_failing_opening_is_backed_off_logged_once_and_recorded(tender_due_at, supplier, caplog):
    # given
    tender = tender_due_at(timezone.now() - timedelta(seconds=1))
    bid_on(tender, supplier)
    _break(tender)

    # when: passes in a row, as the loop would make them
    with caplog.at_level(logging.DEBUG, logger="procurement.scheduler"):
        for _ in range(5):
            scheduler.run_once()

    # then: tried once (the retry is a second away), one error line, a row for operators
    failure = JobFailure.objects.get(job="open_tender", object_id=tender.pk)
    assert failure.attempts == 1
    assert failure.retry_at > timezone.now()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "nacl.exceptions" in errors[0].getMessage()
    assert scheduler.next_wake(timezone.now()) > scheduler.MIN_WAIT  # no spinning on the overdue tender


def test_a_retry_after_the_backoff_that_succeeds_clears_the_failure(tender_due_at, supplier):
    # given
    tender = tender_due_at(timezone.now() - timedelta(seconds=1))
    bid_on(tender, supplier)
    key = Tender.objects.get(pk=tender.pk).sealed_private_key
    _break(tender)
    scheduler.run_once()

    # when: fixed, and the retry time has come
    Tender.objects.filter(pk=tender.pk).update(sealed_private_key=key)
    scheduler.run_once(timezone.now() + timedelta(seconds=2))

    # then
    assert Tender.objects.get(pk=tender.pk).status == Status.EVALUATION
    assert not JobFailure.objects.exists()


def test_more_failing_tenders_than_a_batch_do_not_hold_up_a_good_one(tender_due_at, supplier):
    # given: 51 older tenders that cannot be opened, then a good one
    now = timezone.now()
    for minutes in range(51):
        _break(tender_due_at(now - timedelta(minutes=60 - minutes)))
    good = tender_due_at(now - timedelta(minutes=1))

    # when
    handled = scheduler.run_once()

    # then: in the same pass
    assert handled == 1
    assert Tender.objects.get(pk=good.pk).status == Status.UNSUCCESSFUL
    assert JobFailure.objects.filter(job="open_tender").count() == 51


@pytest.mark.django_db(transaction=True)
def test_each_pass_records_the_schedulers_heartbeat():
    scheduler.step()
    beat = Heartbeat.objects.get()
    assert (timezone.now() - beat.last_pass_at).total_seconds() < 5


def test_operators_see_failing_items_in_the_admin(tender_due_at, staff, client):
    tender = tender_due_at(timezone.now() - timedelta(seconds=1))
    _break(tender)
    scheduler.run_once()
    client.force_login(staff)

    page = client.get("/admin/scheduling/jobfailure/")

    assert page.status_code == 200
    assert b"open_tender" in page.content
