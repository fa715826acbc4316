"""Concurrency at the deadline, against a live server on real PostgreSQL.

Skipped on SQLite: its single writer lock serialises everything anyway, and
the in-memory test database cannot be shared by a threaded server."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from django.db import connection, connections
from django.utils import timezone
from accounts import tokens

from bids import services
from bids.models import Bid, BidVersion, Offer
from tenders.models import Status, Tender

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("lots", [0, 5], ids=["single-lot", "bids-by-lots"])
def test_many_bidders_in_the_last_second(live_server, make_tender, make_supplier, officer, lots):
    # given 40 bidders and a tender whose deadline is four seconds away
    # (single-lot, flat amounts; or 5 lots, each bid on 2 or 3 of them)
    keys = [tokens.issue(make_supplier()) for _ in range(40)]
    now = timezone.now()
    deadline = now + timedelta(seconds=4)
    shape = {"lots": [{"title": f"Lot {i}", "estimated_amount": Decimal(1000)} for i in range(lots)]} if lots else {}
    if lots:
        from tenders import services as tenders
        from tests.conftest import tender_fields

        fields = tender_fields(now - timedelta(hours=2), submission_deadline=deadline,
                               clarification_deadline=now - timedelta(hours=1))
        fields.pop("estimated_amount")
        draft = tenders.create_draft(by=officer, **shape, **fields)
        tender = tenders.publish_tender(draft.pk, by=officer, now=now - timedelta(hours=2))
    else:
        tender = make_tender(now=now - timedelta(hours=2), submission_deadline=deadline,
                             clarification_deadline=now - timedelta(hours=1))
    lot_ids = list(tender.lots.order_by("position").values_list("pk", flat=True))
    url = f"{live_server.url}/api/tenders/{tender.pk}/bids/"

    def body_for(i: int) -> dict:
        if not lots:
            return {"amount": f"{1000 + i}.00", "currency": "KZT"}
        return {"lots": [{"lot": lot_ids[(i + k) % lots], "amount": f"{1000 + i}.{k}0"} for k in range(2 + i % 2)],
                "currency": "KZT"}

    # and a scheduler opening the tender as soon as the deadline passes
    stop = threading.Event()

    def scheduler():
        try:
            while not stop.is_set() and not services.open_due():
                time.sleep(0.02)
        finally:
            connections.close_all()

    opener = threading.Thread(target=scheduler)
    opener.start()

    # when they submit spread over [deadline - 2 s, deadline + 1 s] (wide enough that a loaded
    # machine's slow first requests still leave bids on both sides)
    start = time.monotonic() + (deadline - timezone.now()).total_seconds() - 2

    def bid(i: int):
        time.sleep(max(0.0, start + i * 0.075 - time.monotonic()))
        response = httpx.post(url, json=body_for(i),
                              headers={"Authorization": f"Token {keys[i]}", "Idempotency-Key": f"race-{i}"},
                              timeout=30)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(bid, range(40)))
    opener.join(timeout=30)
    stop.set()

    # then every request was either accepted before the deadline or refused as late
    accepted = [body for status, body in results if status == 201]
    refused = [body for status, body in results if status != 201]
    assert all(body["code"] == "deadline_passed" for body in refused), refused
    assert accepted, "no bid was accepted: the race should straddle the deadline"
    assert refused, "no bid was refused: the race should straddle the deadline"
    assert all(parse(body["received_at"]) < deadline for body in accepted)
    # none lost, none stored twice
    stored = dict(BidVersion.objects.values_list("bid_id", "sha256"))
    assert stored == {body["bid"]: body["sha256"] for body in accepted}
    assert Bid.objects.count() == len(accepted)
    # and the opening, serialised with the bids on the tender's row lock, opened exactly them
    tender.refresh_from_db()
    assert tender.status == Status.EVALUATION
    opened = set(Bid.objects.filter(opened_at__isnull=False).values_list("pk", flat=True))
    assert opened == {body["bid"] for body in accepted}
    assert tender.bid_count == len(accepted)
    # every accepted offer, and only those, opened on its lot
    sent = {(body["bid"], lot): amount for body in accepted
            for lot, amount in ([(o["lot"], o["amount"]) for o in json.loads(body["content"])["lots"]]
                                if lots else [(lot_ids[0], json.loads(body["content"])["amount"])])}
    assert {(b, lot): f"{amount:.2f}" for b, lot, amount in Offer.objects.values_list("bid_id", "lot_id", "amount")} \
        == sent


def test_one_idempotency_key_sent_twice_at_once_creates_one_bid(make_tender, supplier):
    now = timezone.now()
    tender = make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=5),
                         clarification_deadline=now - timedelta(hours=1))
    content = services.BidContent(amount=Decimal("10.00"), currency="KZT", answers={}, documents=[])
    barrier = threading.Barrier(2)

    def submit():
        barrier.wait()
        try:
            return services.submit_bid(tender.pk, by=supplier, content=content, idempotency_key="same-key")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        receipts = list(pool.map(lambda _: submit(), range(2)))

    assert receipts[0].sha256 == receipts[1].sha256 and receipts[0].bid == receipts[1].bid
    assert BidVersion.objects.count() == 1
    assert Tender.objects.get(pk=tender.pk).bid_count == 1


def test_concurrent_schedulers_open_a_tender_once(make_tender, make_supplier):
    bidders = [make_supplier() for _ in range(5)]
    now = timezone.now()
    tender = make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(seconds=1),
                         clarification_deadline=now - timedelta(hours=1))
    for i, bidder in enumerate(bidders):
        services.submit_bid(tender.pk, by=bidder, content=services.BidContent(
            amount=Decimal(100 + i), currency="KZT", answers={}, documents=[]))
    time.sleep(max(0.0, (tender.submission_deadline - timezone.now()).total_seconds()) + 0.05)
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        try:
            return services.open_due()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        opened = list(pool.map(lambda _: run(), range(4)))

    assert sum(opened) == 1
    assert tender.audit_entries.filter(event="bids_opened").count() == 1
