"""Live status over WebSockets, through the real ASGI application (origin
validation, auth middleware, routing) and the configured channel layer
(in-memory, or Redis when REDIS_URL is set). Changes are made through the
services, so every event is the one they send after commit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections, transaction
from django.utils import timezone
from accounts import tokens

from bids import services as bid_services
from live.consumers import CLOSE_NOT_FOUND
from procurement.asgi import application
from tenders import services as tender_services

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://127.0.0.1")
PRICE = Decimal("98765.43")


@pytest.fixture
async def sockets():
    """``await sockets.open(path, user=...)`` connects (and reads the snapshot
    of a tender socket); every socket is closed after the test."""
    opened = []

    class Sockets:
        async def open(self, path, *, user=None, origin=ORIGIN, snapshot=True):
            headers = [origin] if origin else []
            if user is not None:
                key = await sync_to_async(lambda: tokens.issue(user))()
                headers.append((b"authorization", f"Token {key}".encode()))
            socket = WebsocketCommunicator(application, path, headers=headers)
            opened.append(socket)
            connected, code = await socket.connect()
            socket.close_code = code
            if connected and snapshot:
                first = await socket.receive_json_from()
                assert first["type"] == "snapshot"
                socket.snapshot = first
            socket.connected = connected
            return socket

    yield Sockets()
    for socket in opened:
        await socket.disconnect()
    # The consumers' and the test's database thread keeps a connection open;
    # close it so the test database can be dropped at the end.
    await sync_to_async(connections.close_all)()


def content(amount=PRICE):
    return bid_services.BidContent(amount=amount, currency="KZT", answers={}, documents=[])


@sync_to_async
def submit(tender, supplier, amount=PRICE, now=None):
    return bid_services.submit_bid(tender.pk, by=supplier, content=content(amount), now=now)


def overdue_tender(make_tender, **overrides):
    """An active tender whose deadline passed a few seconds ago and that
    nothing has opened yet (published in the past, as the rules allow)."""
    published = timezone.now() - timedelta(seconds=3600 + 65)
    return make_tender(now=published, clarification_deadline=published + timedelta(seconds=30),
                       submission_deadline=published + timedelta(seconds=3600 + 60), **overrides)


# --- connecting ------------------------------------------------------------------------------

async def test_tender_socket_starts_with_the_current_state(make_tender, sockets):
    tender = await sync_to_async(make_tender)()

    socket = await sockets.open(f"/ws/tenders/{tender.pk}/")

    assert socket.snapshot["tender"] == str(tender.pk)
    assert socket.snapshot["status"] == "active"
    assert socket.snapshot["bid_count"] == 0
    assert "bids" not in socket.snapshot


async def test_unknown_tender_socket_is_closed_with_4404(sockets):
    socket = await sockets.open("/ws/tenders/987654/", snapshot=False)

    assert socket.connected
    assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


async def test_draft_tender_socket_is_closed_with_4404_even_for_its_owner(make_tender, officer, sockets):
    draft = await sync_to_async(make_tender)(publish=False)

    socket = await sockets.open(f"/ws/tenders/{draft.pk}/", user=officer, snapshot=False)

    assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


async def test_socket_from_a_foreign_origin_is_refused(make_tender, sockets):
    tender = await sync_to_async(make_tender)()

    socket = await sockets.open(f"/ws/tenders/{tender.pk}/", origin=(b"origin", b"https://evil.example"))

    assert not socket.connected


async def test_socket_without_origin_is_refused(sockets):
    socket = await sockets.open("/ws/tenders/", origin=None, snapshot=False)

    assert not socket.connected


async def test_ping_gets_pong(sockets):
    feed = await sockets.open("/ws/tenders/", snapshot=False)

    await feed.send_to(text_data="ping")

    assert await feed.receive_json_from() == {"type": "pong"}


# --- public feed -------------------------------------------------------------------------------

async def test_feed_announces_a_publication(make_tender, officer, sockets):
    draft = await sync_to_async(make_tender)(publish=False)
    feed = await sockets.open("/ws/tenders/", snapshot=False)

    await sync_to_async(tender_services.publish_tender)(draft.pk, by=officer)

    message = await feed.receive_json_from()
    assert message["type"] == "status_changed"
    assert (message["tender"], message["previous"], message["status"]) == (str(draft.pk), "draft", "active")
    assert message["title"] == draft.title
    assert message["at"].endswith("Z")


async def test_feed_and_tender_socket_announce_a_cancellation(make_tender, officer, sockets):
    tender = await sync_to_async(make_tender)()
    feed = await sockets.open("/ws/tenders/", snapshot=False)
    watcher = await sockets.open(f"/ws/tenders/{tender.pk}/")

    await sync_to_async(tender_services.cancel_tender)(tender.pk, by=officer, reason="Budget withdrawn")

    for socket in (feed, watcher):
        message = await socket.receive_json_from()
        assert (message["type"], message["status"], message["previous"]) == ("status_changed", "cancelled",
                                                                               "active")
        assert message["reason"] == "Budget withdrawn"


async def test_rolled_back_change_is_never_announced(make_tender, officer, sockets):
    draft = await sync_to_async(make_tender)(publish=False)
    feed = await sockets.open("/ws/tenders/", snapshot=False)

    @sync_to_async
    def publish_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            tender_services.publish_tender(draft.pk, by=officer)
            raise RuntimeError("something later in the request failed")

    await publish_then_fail()

    assert await feed.receive_nothing(timeout=0.3)


# --- one tender --------------------------------------------------------------------------------

async def test_bid_count_change_carries_the_count_only(make_tender, supplier, sockets):
    tender = await sync_to_async(make_tender)()
    watcher = await sockets.open(f"/ws/tenders/{tender.pk}/")

    await submit(tender, supplier)

    message = await watcher.receive_json_from()
    assert message["type"] == "bid_count_changed"
    assert set(message) == {"type", "tender", "status", "at", "bid_count"}
    assert message["bid_count"] == 1


async def test_receipt_goes_only_to_the_bidders_own_sockets(make_tender, supplier, make_supplier, sockets):
    tender = await sync_to_async(make_tender)()
    rival = await sync_to_async(make_supplier)()
    own = await sockets.open(f"/ws/tenders/{tender.pk}/", user=supplier)
    rivals = await sockets.open(f"/ws/tenders/{tender.pk}/", user=rival)
    public = await sockets.open(f"/ws/tenders/{tender.pk}/")
    feed = await sockets.open("/ws/tenders/", user=supplier, snapshot=False)

    receipt = await submit(tender, supplier)

    assert (await own.receive_json_from())["type"] == "bid_count_changed"
    message = await own.receive_json_from()
    assert message["type"] == "receipt"
    assert message["receipt"]["sha256"] == receipt.sha256
    assert message["receipt"]["signature"] == receipt.signature
    for other in (rivals, public):
        assert (await other.receive_json_from())["type"] == "bid_count_changed"
        assert await other.receive_nothing(timeout=0.2)
    # the public feed carries the count (the register shows it live), never the receipt
    counted = await feed.receive_json_from()
    assert (counted["type"], counted["tender"], counted["bid_count"]) == ("bid_count_changed", str(tender.pk), 1)
    assert set(counted) == {"type", "tender", "status", "at", "bid_count"}
    assert await feed.receive_nothing(timeout=0.1)


async def test_token_in_the_query_string_also_authenticates(make_tender, supplier, sockets):
    tender = await sync_to_async(make_tender)()
    key = await sync_to_async(lambda: tokens.issue(supplier))()
    own = await sockets.open(f"/ws/tenders/{tender.pk}/?token={key}")

    await submit(tender, supplier)

    assert [(await own.receive_json_from())["type"] for _ in range(2)] == ["bid_count_changed", "receipt"]


async def test_amendment_announces_the_change_and_the_new_deadline(make_tender, officer, sockets):
    tender = await sync_to_async(make_tender)()
    feed = await sockets.open("/ws/tenders/", snapshot=False)
    watcher = await sockets.open(f"/ws/tenders/{tender.pk}/")
    later = tender.submission_deadline + timedelta(days=3)

    await sync_to_async(tender_services.amend_tender)(tender.pk, by=officer, rationale="More time for site visits",
                                                      submission_deadline=later)

    amended = await watcher.receive_json_from()
    assert amended["type"] == "tender_amended"
    assert amended["changes"]["submission_deadline"]["to"] == later.isoformat().replace("+00:00", "Z")
    deadline = await watcher.receive_json_from()
    assert deadline["type"] == "deadline_changed"
    assert deadline["submission_deadline"] == amended["submission_deadline"]
    assert (await feed.receive_json_from())["type"] == "tender_amended"


async def test_new_document_is_announced(make_tender, officer, sockets):
    tender = await sync_to_async(make_tender)()
    watcher = await sockets.open(f"/ws/tenders/{tender.pk}/")
    upload = SimpleUploadedFile("specification.pdf", b"%PDF-1.4 road works", content_type="application/pdf")

    document = await sync_to_async(tender_services.add_document)(tender.pk, by=officer, upload=upload,
                                                                 title="Specification")

    message = await watcher.receive_json_from()
    assert (message["type"], message["document"], message["title"]) == ("document_added", document.pk,
                                                                        "Specification")


async def test_opening_publishes_the_record_after_the_status_change(make_tender, supplier, sockets):
    tender = await sync_to_async(overdue_tender)(make_tender)
    receipt = await submit(tender, supplier, now=tender.submission_deadline - timedelta(seconds=10))
    watcher = await sockets.open(f"/ws/tenders/{tender.pk}/")

    assert await sync_to_async(bid_services.open_tender)(tender.pk)

    status = await watcher.receive_json_from()
    assert (status["type"], status["previous"], status["status"]) == ("status_changed", "active", "evaluation")
    opening = await watcher.receive_json_from()
    assert (opening["type"], opening["status"]) == ("opening", "evaluation")
    [row] = opening["bids"]
    assert (row["amount"], row["sha256"]) == ("98765.43", receipt.sha256)


async def test_snapshot_after_opening_holds_the_opening_record(make_tender, supplier, sockets):
    tender = await sync_to_async(overdue_tender)(make_tender)
    await submit(tender, supplier, now=tender.submission_deadline - timedelta(seconds=10))
    await sync_to_async(bid_services.open_tender)(tender.pk)

    socket = await sockets.open(f"/ws/tenders/{tender.pk}/")

    assert socket.snapshot["status"] == "evaluation"
    assert [row["amount"] for row in socket.snapshot["bids"]] == ["98765.43"]


# --- order -------------------------------------------------------------------------------------

async def test_snapshot_comes_before_the_deltas_that_follow_it(make_tender, supplier, make_supplier, sockets):
    tender = await sync_to_async(make_tender)()
    await submit(tender, supplier)
    socket = await sockets.open(f"/ws/tenders/{tender.pk}/", snapshot=False)

    await submit(tender, await sync_to_async(make_supplier)())

    first, second = await socket.receive_json_from(), await socket.receive_json_from()
    assert (first["type"], first["bid_count"]) == ("snapshot", 1)
    assert (second["type"], second["bid_count"]) == ("bid_count_changed", 2)


async def test_deltas_arrive_in_commit_order(make_tender, supplier, make_supplier, officer, sockets):
    tender = await sync_to_async(make_tender)()
    watcher = await sockets.open(f"/ws/tenders/{tender.pk}/")
    rival = await sync_to_async(make_supplier)()

    await submit(tender, supplier)
    await submit(tender, rival)
    await sync_to_async(tender_services.cancel_tender)(tender.pk, by=officer, reason="Error in the terms")

    received = [await watcher.receive_json_from() for _ in range(3)]
    assert [(m["type"], m.get("bid_count"), m["status"]) for m in received] == [
        ("bid_count_changed", 1, "active"), ("bid_count_changed", 2, "active"),
        ("status_changed", 2, "cancelled")]


# --- sealed bids -------------------------------------------------------------------------------

async def test_no_socket_sees_a_price_before_the_opening(make_tender, supplier, officer, sockets):
    tender = await sync_to_async(overdue_tender)(make_tender)
    deadline = tender.submission_deadline
    watchers = [await sockets.open(f"/ws/tenders/{tender.pk}/", user=user) for user in (None, supplier, officer)]
    feed = await sockets.open("/ws/tenders/", user=supplier, snapshot=False)

    receipt = await submit(tender, supplier, now=deadline - timedelta(seconds=20))
    await sync_to_async(bid_services.replace_bid)(tender.pk, receipt.bid, by=supplier,
                                                  content=content(PRICE + 1),
                                                  now=deadline - timedelta(seconds=10))
    # two count messages to each watcher and to the feed, and the bidder's two receipts on its own socket
    before = []
    for socket, expected in zip(watchers + [feed], (2, 4, 2, 2)):
        before += [await socket.receive_from(timeout=3) for _ in range(expected)]
        assert await socket.receive_nothing(timeout=0.2)
    await sync_to_async(bid_services.open_tender)(tender.pk)
    after = [await watchers[0].receive_from(timeout=3) for _ in range(2)]

    assert len(before) == 3 * 2 + 2 + 2
    for price in ("98765", "98766"):
        assert not any(price in text for text in before)
    assert "98766.43" in after[1]  # the same check does find the price once it is public


async def test_a_suppliers_feed_socket_gets_its_own_notifications_only(make_tender, officer, make_supplier, sockets):
    from notifications.models import Subscription

    subscriber, stranger = await sync_to_async(make_supplier)(), await sync_to_async(make_supplier)()
    await sync_to_async(Subscription.objects.create)(organisation=subscriber.organisation, cpv_prefix="45",
                                                     created_at=timezone.now())
    mine = await sockets.open("/ws/tenders/", user=subscriber, snapshot=False)
    theirs = await sockets.open("/ws/tenders/", user=stranger, snapshot=False)

    draft = await sync_to_async(make_tender)(publish=False)
    await sync_to_async(tender_services.publish_tender)(draft.pk, by=officer)

    received = [await mine.receive_json_from(timeout=2) for _ in range(2)]
    assert sorted(m["type"] for m in received) == ["notification", "status_changed"]
    assert (await theirs.receive_json_from(timeout=2))["type"] == "status_changed"
    assert await theirs.receive_nothing(timeout=0.3)


async def test_a_browser_sends_its_token_as_a_subprotocol(make_tender, supplier):
    # given a supplier's token, sent the way browser JavaScript can: new WebSocket(url, ["token", key])
    tender = await sync_to_async(make_tender)()
    key = await sync_to_async(lambda: tokens.issue(supplier))()
    socket = WebsocketCommunicator(application, f"/ws/tenders/{tender.pk}/", headers=[ORIGIN],
                                   subprotocols=["token", key])
    try:
        # then the server chooses the "token" subprotocol (a browser drops the socket otherwise)
        connected, subprotocol = await socket.connect()
        assert connected and subprotocol == "token"
        assert (await socket.receive_json_from())["type"] == "snapshot"
        # and the socket is the supplier's: its own receipt arrives
        await submit(tender, supplier)
        assert [(await socket.receive_json_from())["type"] for _ in range(2)] == ["bid_count_changed", "receipt"]
    finally:
        await socket.disconnect()


async def test_a_malformed_socket_token_leaves_the_socket_anonymous(make_tender, sockets):
    tender = await sync_to_async(make_tender)()
    socket = await sockets.open(f"/ws/tenders/{tender.pk}/?token=abc%00def")
    assert socket.snapshot["type"] == "snapshot"


async def test_a_users_sockets_close_when_its_credentials_change_and_no_one_elses_do(sockets, make_tender,
                                                                                   make_supplier):
    from accounts import services as account_services
    from live.consumers import CLOSE_SIGNED_OUT

    tender = await sync_to_async(make_tender)()
    supplier, other = await sync_to_async(make_supplier)(), await sync_to_async(make_supplier)()
    # given the supplier's sockets (its feed, a tender), another supplier's and a citizen's
    mine = [await sockets.open("/ws/tenders/", user=supplier, snapshot=False),
            await sockets.open(f"/ws/tenders/{tender.pk}/", user=supplier)]
    theirs = await sockets.open("/ws/tenders/", user=other, snapshot=False)
    citizen = await sockets.open(f"/ws/tenders/{tender.pk}/")
    # when the supplier changes its password
    await sync_to_async(account_services.change_password)(supplier, old_password="Str0ng-pass-phrase",
                                                          password="An0ther-pass-phrase")
    # then each of its sockets is closed with 4401 (the client reconnects with what still holds)...
    for socket in mine:
        assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_SIGNED_OUT}
    # ...and the others stay open, hearing events
    await submit(tender, supplier)
    assert (await citizen.receive_json_from(timeout=5))["type"] == "bid_count_changed"
    assert (await theirs.receive_json_from(timeout=5))["type"] == "bid_count_changed"
    # and revoking a token closes the sockets opened with it too
    again = await sockets.open("/ws/tenders/", user=other, snapshot=False)
    token_id = (await sync_to_async(lambda: tokens.of(other)[0].token_key)())
    await sync_to_async(tokens.revoke)(other, token_id=token_id)
    assert await again.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_SIGNED_OUT}
