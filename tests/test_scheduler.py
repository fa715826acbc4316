"""The deadline scheduler: opens tenders at their deadline with no request,
once however many copies run, catching up after downtime; and the deadline
holds even when no scheduler has run."""

import asyncio
import io
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from channels.testing import ApplicationCommunicator, WebsocketCommunicator
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from audit.models import AuditEntry
from bids import services as bid_services
from bids.models import Bid
from core import scheduler
from procurement.asgi import application
from tenders.models import Status, Tender
from tenders.services import DeadlinePassed


def content(amount="1500000.00"):
    return bid_services.BidContent(amount=Decimal(amount), currency="KZT", answers={}, documents=[])


@pytest.fixture
def tender_due_at(make_tender):
    """An active tender whose submission deadline is ``deadline`` (past or
    near future), published an hour before it as the test settings require."""
    def make(deadline, **overrides):
        published = deadline - timedelta(seconds=3600)
        return make_tender(now=published, clarification_deadline=published + timedelta(seconds=30),
                           submission_deadline=deadline, **overrides)
    return make


def bid_on(tender, supplier, amount="1500000.00"):
    return bid_services.submit_bid(tender.pk, by=supplier, content=content(amount),
                                   now=tender.submission_deadline - timedelta(seconds=5))


@pytest.mark.django_db
def test_a_scheduler_pass_opens_a_tender_whose_deadline_has_passed(tender_due_at, supplier):
    # given
    tender = tender_due_at(timezone.now() - timedelta(seconds=1))
    bid_on(tender, supplier)

    # when
    handled = scheduler.run_once()

    # then
    tender.refresh_from_db()
    assert handled == 1
    assert tender.status == Status.EVALUATION
    assert tender.opened_at is not None
    assert Bid.objects.get(tender=tender).amount == Decimal("1500000.00")


@pytest.mark.django_db
def test_a_pass_leaves_a_tender_before_its_deadline_alone(tender_due_at, supplier):
    tender = tender_due_at(timezone.now() + timedelta(seconds=30))

    assert scheduler.run_once() == 0
    tender.refresh_from_db()
    assert tender.status == Status.ACTIVE


@pytest.mark.django_db
def test_first_pass_after_downtime_catches_up_every_overdue_tender(tender_due_at, supplier):
    # given: three deadlines passed while no scheduler ran, one is still ahead
    now = timezone.now()
    overdue = [tender_due_at(now - timedelta(hours=hours)) for hours in (30, 2, 0.001)]
    for tender in overdue:
        bid_on(tender, supplier)
    ahead = tender_due_at(now + timedelta(hours=1))

    # when
    handled = scheduler.run_once()

    # then
    assert handled == 3
    statuses = dict(Tender.objects.values_list("pk", "status"))
    assert [statuses[t.pk] for t in overdue] == [Status.EVALUATION] * 3
    assert statuses[ahead.pk] == Status.ACTIVE


@pytest.mark.django_db
def test_too_few_bids_at_the_deadline_make_the_tender_unsuccessful(tender_due_at):
    tender = tender_due_at(timezone.now() - timedelta(seconds=1))

    scheduler.run_once()

    tender.refresh_from_db()
    assert tender.status == Status.UNSUCCESSFUL


@pytest.mark.django_db
def test_one_tender_that_cannot_be_opened_does_not_hold_up_the_others(tender_due_at, supplier):
    # given: the older tender's sealed key is corrupt
    now = timezone.now()
    broken = tender_due_at(now - timedelta(minutes=10))
    bid_on(broken, supplier)
    Tender.objects.filter(pk=broken.pk).update(sealed_private_key=b"garbage")
    fine = tender_due_at(now - timedelta(minutes=5))

    # when
    handled = scheduler.run_once()

    # then
    assert handled == 1
    assert Tender.objects.get(pk=fine.pk).status == Status.UNSUCCESSFUL
    assert Tender.objects.get(pk=broken.pk).status == Status.ACTIVE


@pytest.mark.django_db
def test_deadline_holds_when_no_scheduler_has_run(tender_due_at, supplier, as_user):
    # given: the deadline passed, the tender is still "active" in the database
    tender = tender_due_at(timezone.now() - timedelta(seconds=1))

    # when / then: the service and the API refuse the bid
    with pytest.raises(DeadlinePassed):
        bid_services.submit_bid(tender.pk, by=supplier, content=content())
    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/bids/",
                                      {"amount": "100.00", "currency": "KZT"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "deadline_passed"
    assert Tender.objects.get(pk=tender.pk).status == Status.ACTIVE
    assert not Bid.objects.filter(tender=tender).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_schedulers_open_each_tender_exactly_once(tender_due_at, supplier):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED need PostgreSQL (SQLite serialises all writers)")
    # given: several overdue tenders with bids, four schedulers starting together
    tenders = [tender_due_at(timezone.now() - timedelta(seconds=1 + i)) for i in range(6)]
    for tender in tenders:
        bid_on(tender, supplier)
    start = threading.Barrier(4)
    handled, errors = [], []

    def run():
        try:
            start.wait()
            handled.append(scheduler.run_once())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then: six openings in all, one audit entry and one evaluation per tender
    assert errors == []
    assert sum(handled) == 6
    for tender in tenders:
        events = list(AuditEntry.objects.filter(tender=tender).values_list("event", flat=True))
        assert events.count("bids_opened") == 1
        assert events.count("evaluation_started") == 1
    assert set(Tender.objects.filter(pk__in=[t.pk for t in tenders]).values_list("status", flat=True)) == {
        Status.EVALUATION}


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_running_scheduler_fires_the_opening_within_a_second_of_the_deadline(tender_due_at, supplier):
    # given: a tender due in 1.5 s, a socket watching it, the scheduler running
    deadline = timezone.now() + timedelta(seconds=1.5)
    tender = await sync_to_async(tender_due_at)(deadline)
    await sync_to_async(bid_on)(tender, supplier)
    socket = WebsocketCommunicator(application, f"/ws/tenders/{tender.pk}/",
                                   headers=[(b"origin", b"http://127.0.0.1")])
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from())["type"] == "snapshot"
    stop = asyncio.Event()
    running = asyncio.create_task(scheduler.serve(stop))
    try:
        # when
        status = await socket.receive_json_from(timeout=5)
        arrived = time.time()
        opening = await socket.receive_json_from()
    finally:
        stop.set()
        await running
        await socket.disconnect()
        await sync_to_async(connections.close_all)()

    # then
    assert (status["type"], status["status"]) == ("status_changed", "evaluation")
    assert opening["type"] == "opening"
    assert 0 <= arrived - deadline.timestamp() < 1.0


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_one_command_run_opens_on_time_from_inside_the_server(settings, tender_due_at, supplier):
    """PROCUREMENT_SCHEDULER_IN_PROCESS=1 (bin/run): the ASGI lifespan starts the
    scheduler on the server's own loop, so its events reach sockets on the
    in-memory layer."""
    # given
    settings.PROCUREMENT_SCHEDULER_IN_PROCESS = True
    deadline = timezone.now() + timedelta(seconds=1.5)
    tender = await sync_to_async(tender_due_at)(deadline)
    socket = WebsocketCommunicator(application, f"/ws/tenders/{tender.pk}/",
                                   headers=[(b"origin", b"http://127.0.0.1")])
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from())["type"] == "snapshot"
    lifespan = ApplicationCommunicator(application, {"type": "lifespan", "asgi": {"version": "3.0"}})
    try:
        # when: the server starts
        await lifespan.send_input({"type": "lifespan.startup"})
        assert await lifespan.receive_output(timeout=5) == {"type": "lifespan.startup.complete"}
        message = await socket.receive_json_from(timeout=5)
        arrived = time.time()
        await lifespan.send_input({"type": "lifespan.shutdown"})
        assert await lifespan.receive_output(timeout=10) == {"type": "lifespan.shutdown.complete"}
    finally:
        await socket.disconnect()
        await sync_to_async(connections.close_all)()

    # then: no bids, so the tender went to evaluation on its way to unsuccessful
    assert (message["type"], message["status"]) == ("status_changed", "evaluation")
    assert 0 <= arrived - deadline.timestamp() < 1.0


@pytest.mark.django_db
def test_run_scheduler_once_handles_what_is_due(tender_due_at):
    tender_due_at(timezone.now() - timedelta(seconds=1))
    out = io.StringIO()

    call_command("run_scheduler", "--once", stdout=out)

    assert out.getvalue().strip() == "1 due item(s) handled."
