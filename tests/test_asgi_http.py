"""HTTP through the ASGI application that uvicorn serves (procurement.asgi):
the middleware chain and the view run synchronously in one thread per
request, and every middleware still applies."""

import asyncio
import json

import httpx
import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections
from accounts import tokens

from bids import receipts
from bids.models import Bid
from live import events
from procurement.asgi import application

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://127.0.0.1")


@pytest.fixture(autouse=True)
async def close_the_sync_threads_connection():
    yield
    # sync_to_async below runs in one shared thread that keeps its connection:
    # close it so that the test database can be dropped at the end.
    await sync_to_async(connections.close_all)()


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://127.0.0.1")


async def test_every_middleware_applies_to_an_api_response(make_tender):
    await sync_to_async(make_tender)()
    async with client() as http:
        response = await http.get("/api/tenders/")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.headers["x-frame-options"] == "DENY"  # XFrameOptionsMiddleware
    assert response.headers["x-content-type-options"] == "nosniff"  # SecurityMiddleware


async def test_an_error_keeps_its_json_body_and_code():
    async with client() as http:
        response = await http.get("/api/tenders/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_a_bid_through_the_asgi_server_gets_a_valid_receipt(make_tender, supplier):
    # given an active tender and a supplier's API token
    tender = await sync_to_async(make_tender)()
    token = await sync_to_async(lambda: tokens.issue(supplier))()
    # when the supplier submits over HTTP to the ASGI application
    async with client() as http:
        response = await http.post(f"/api/tenders/{tender.pk}/bids/",
                                   content=json.dumps({"amount": "1234.50", "currency": "KZT"}),
                                   headers={"Authorization": f"Token {token}", "Content-Type": "application/json",
                                            "Idempotency-Key": "asgi-1"})
    # then the receipt verifies and the bid is stored sealed
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipts.verify(tender_id=receipt["tender"], bid_id=receipt["bid"], sha256=receipt["sha256"],
                           received_at=receipt["received_at"], signature=receipt["signature"])
    bid = await sync_to_async(Bid.objects.select_related("current").get)(pk=receipt["bid"])
    assert bid.current.sha256 == receipt["sha256"] and bid.amount is None


async def test_while_the_server_runs_a_bids_live_events_go_out_through_its_loop(make_tender, supplier):
    # given a running server (lifespan started) and a socket watching the tender
    tender = await sync_to_async(make_tender)()
    token = await sync_to_async(lambda: tokens.issue(supplier))()
    lifespan = ApplicationCommunicator(application, {"type": "lifespan", "asgi": {"version": "3.0"}})
    await lifespan.send_input({"type": "lifespan.startup"})
    assert await lifespan.receive_output(timeout=5) == {"type": "lifespan.startup.complete"}
    socket = WebsocketCommunicator(application, f"/ws/tenders/{tender.pk}/", headers=[ORIGIN])
    try:
        assert (await socket.connect())[0]
        assert (await socket.receive_json_from())["type"] == "snapshot"
        assert events._outbox[0] is asyncio.get_running_loop()
        # when a bid is submitted over HTTP
        async with client() as http:
            response = await http.post(f"/api/tenders/{tender.pk}/bids/",
                                       content=json.dumps({"amount": "99.00", "currency": "KZT"}),
                                       headers={"Authorization": f"Token {token}",
                                                "Content-Type": "application/json"})
        assert response.status_code == 201
        # then the count reaches the socket, handed to the server's loop by the request thread
        message = await socket.receive_json_from(timeout=5)
        assert (message["type"], message["bid_count"]) == ("bid_count_changed", 1)
        assert "99.00" not in json.dumps(message)
    finally:
        await socket.disconnect()
        await lifespan.send_input({"type": "lifespan.shutdown"})
        assert await lifespan.receive_output(timeout=10) == {"type": "lifespan.shutdown.complete"}
    assert events._outbox is None


async def test_the_outbox_sends_a_threads_events_in_order_and_flushes_at_shutdown():
    # given a socket-like channel in a tender's group and a started outbox
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("tender.987654", channel)
    outbox = events.start_outbox()
    try:
        # when a request thread sends 30 events and the server shuts down right after
        def send_all():
            for n in range(30):
                events.send(["tender.987654"], json.dumps({"n": n}))
        await sync_to_async(send_all, thread_sensitive=False)()
    finally:
        await events.stop_outbox(outbox, timeout=5)
    try:
        # then every event was sent, in the order the thread sent them
        received = [json.loads((await asyncio.wait_for(layer.receive(channel), 5))["text"])["n"] for _ in range(30)]
    finally:
        await layer.group_discard("tender.987654", channel)
    assert received == list(range(30))
