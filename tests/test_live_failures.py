"""Socket handshakes that cannot be served are closed with a documented code
(docs/running.md), never answered with an HTTP 500: 4404 for a path that is
no socket of ours, 1013 ("try again later") while the channel layer (Redis)
is unreachable, so that clients back off and reconnect."""

import socket as sockets

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from live.consumers import CLOSE_NOT_FOUND, CLOSE_TRY_AGAIN_LATER
from procurement.asgi import application

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://127.0.0.1")


@pytest.fixture(autouse=True)
async def close_connections():
    yield
    await sync_to_async(connections.close_all)()


async def handshake(path: str) -> dict:
    """Connect and return what the server did after the handshake."""
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN])
    try:
        connected, code = await communicator.connect(timeout=5)
        if not connected:
            return {"type": "websocket.close", "code": code, "accepted": False}
        return await communicator.receive_output(timeout=5)
    finally:
        await communicator.disconnect()


@pytest.mark.parametrize("path", ["/ws/other/", "/ws/", "/ws/tenders/abc/", "/ws/tenders/1/extra/", "/"])
async def test_an_unknown_socket_path_is_closed_with_4404(path):
    assert await handshake(path) == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


@pytest.fixture
def redis_down(settings):
    """The production layer (Redis pub/sub), pointed at a port nothing listens on."""
    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "live.layers.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]}}}


@pytest.mark.parametrize("path", ["/ws/tenders/", "/ws/tenders/{pk}/"])
async def test_a_new_socket_while_redis_is_down_is_closed_with_1013(redis_down, path, make_tender):
    tender = await sync_to_async(make_tender)()
    assert await handshake(path.format(pk=tender.pk)) == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER}


async def test_a_new_socket_while_the_database_is_down_is_closed_with_1013(make_tender):
    from core import dbhealth

    tender = await sync_to_async(make_tender)()
    dbhealth.breaker.record_failure("test")
    try:
        for path in ["/ws/tenders/", f"/ws/tenders/{tender.pk}/"]:
            assert await handshake(path) == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER}
    finally:
        dbhealth.breaker.reset()
    assert (await handshake(f"/ws/tenders/{tender.pk}/"))["type"] == "websocket.send"  # the snapshot
