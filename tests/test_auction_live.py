"""The live auction on the tender's socket: every stage change and accepted
price reaches a watcher with the server's time; a reconnecting socket gets
the auction in its snapshot; the scheduler announces each stage once, from
the stored times, whatever it missed while down."""

from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.utils import timezone

from auctions import services as auctions
from auctions.models import Auction, AuctionStatus
from procurement.asgi import application
from tests.auction_support import auction_tender, move_to

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://127.0.0.1")


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 3600


@pytest.fixture
async def watch():
    opened = []

    async def open_(tender_id):
        socket = WebsocketCommunicator(application, f"/ws/tenders/{tender_id}/", headers=[ORIGIN])
        opened.append(socket)
        connected, _ = await socket.connect()
        assert connected
        socket.snapshot = await socket.receive_json_from()
        return socket

    yield open_
    for socket in opened:
        await socket.disconnect()
    await sync_to_async(connections.close_all)()


async def test_prices_and_stages_reach_a_watcher_and_a_reconnect_catches_up(officer, make_supplier, watch):
    a, b = await sync_to_async(lambda: [make_supplier("Alma LLP"), make_supplier("Baiterek LLP")])()
    tender, bids = await sync_to_async(auction_tender)(officer, [(a, "950000.00"), (b, "900000.00")])
    auction = await sync_to_async(Auction.objects.get)(tender=tender)
    watcher = await watch(tender.pk)
    [state] = watcher.snapshot["auctions"]
    assert (state["status"], state["lot"]) == ("scheduled", auction.lot_id)

    # the scheduler announces the first turn (it missed the opening pause: one event, the stage now)
    await sync_to_async(move_to)(auction, "turn", 1, 0)
    assert await sync_to_async(auctions.advance_due)(timezone.now()) == 1
    event = await watcher.receive_json_from()
    assert (event["type"], event["auction"]["stage"]["kind"], event["auction"]["stage"]["participant"]) == (
        "auction_stage", "turn", 1)
    assert event["at"] == event["auction"]["server_time"]

    # a price: to every watcher, with the server's time
    receipt = await sync_to_async(auctions.place_price)(tender.pk, auction.lot_id, by=a, amount=Decimal("940000"))
    event = await watcher.receive_json_from()
    assert (event["type"], event["participant"], event["amount"]) == ("auction_price", 1, "940000.00")
    assert event["at"] == receipt.received_at.isoformat().replace("+00:00", "Z")
    assert "Alma" not in str(event)

    # reconnecting: the snapshot holds the price
    again = await watch(tender.pk)
    [state] = again.snapshot["auctions"]
    assert [p["price"] for p in state["participants"]] == ["940000.00", "900000.00"]

    # the end: one finishing event, with names
    await sync_to_async(move_to)(auction, "finished", 3)
    assert await sync_to_async(auctions.advance_due)(timezone.now()) == 1
    event = await watcher.receive_json_from()
    assert (event["type"], event["auction"]["status"]) == ("auction_stage", "finished")
    assert [p["name"] for p in event["auction"]["participants"]] == ["Alma LLP", "Baiterek LLP"]
    assert await sync_to_async(auctions.advance_due)(timezone.now()) == 0


async def test_a_scheduler_that_was_down_resumes_from_the_stored_times(officer, make_supplier, watch):
    a, b = await sync_to_async(lambda: [make_supplier(), make_supplier()])()
    tender, _ = await sync_to_async(auction_tender)(officer, [(a, "950000.00"), (b, "900000.00")])
    auction = await sync_to_async(Auction.objects.get)(tender=tender)
    await sync_to_async(move_to)(auction, "turn", 1, 0)
    await sync_to_async(auctions.advance_due)(timezone.now())
    await sync_to_async(auctions.place_price)(tender.pk, auction.lot_id, by=a, amount=Decimal("900000"))
    # down for the rest of the auction: its first pass finishes it, and no accepted price is lost
    await sync_to_async(move_to)(auction, "finished", 3, into=3600)
    assert await sync_to_async(auctions.advance_due)(timezone.now()) == 1
    auction = await sync_to_async(Auction.objects.get)(pk=auction.pk)
    finals = await sync_to_async(lambda: sorted(auction.participants.values_list("number", "final_amount")))()
    assert auction.status == AuctionStatus.FINISHED
    assert finals == [(1, Decimal("900000.00")), (2, Decimal("900000.00"))]
    assert auction.finished_at == auction.start_at + timedelta(seconds=auction.pause * 3 + auction.turn * 6)
