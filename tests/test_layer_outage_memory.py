"""While Redis is down, the channel layer keeps nothing per failed attempt
(live/layers.py): across a 30 s outage under clients reconnecting every 0.1 s,
the layer's channels, groups and subscriptions and the process's traced
memory stay flat, and after Redis is back the clients reconnect and receive
events, with no dead channel subscribed again.

Runs a throwaway ``redis-server`` of its own (never the shared one) and kills
and restarts that. Skipped without the ``redis-server`` binary."""

import asyncio
import logging
import shutil
import socket
import subprocess
import time
import tracemalloc

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections

from live import events
from live.consumers import CLOSE_TRY_AGAIN_LATER
from procurement.asgi import application

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary"),
]

ORIGIN = (b"origin", b"http://127.0.0.1")
OUTAGE_SECONDS = 30
CLIENTS = 10


class ThrowawayRedis:
    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = None

    def start(self):
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--daemonize", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        give_up = time.monotonic() + 10
        while time.monotonic() < give_up:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def own_redis(settings):
    server = ThrowawayRedis()
    server.start()
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "live.layers.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": [f"redis://127.0.0.1:{server.port}/0"],
                                                      "prefix": "outage."}}}
    yield server
    server.kill()


async def handshake() -> tuple[str, WebsocketCommunicator | None]:
    """One client's attempt: 'refused' (1013), or 'open' with its communicator."""
    communicator = WebsocketCommunicator(application, "/ws/tenders/", headers=[ORIGIN])
    connected, code = await communicator.connect(timeout=30)  # a memory snapshot may hold the loop a while
    if connected:
        if await communicator.receive_nothing(timeout=0.5):  # the feed sends nothing until an event
            return "open", communicator
        output = await communicator.receive_output(timeout=5)
        assert output == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER}, output
    else:
        assert code == CLOSE_TRY_AGAIN_LATER, code
    await communicator.disconnect()
    return "refused", None


def held(layer) -> dict:
    """What the layer keeps in this process, per kind."""
    return {"channels": len(layer.channels), "groups": sum(len(m) for m in layer.groups.values()),
            "subscribed": sum(len(s._subscribed_to) for s in layer._shards),
            "redis-py": sum(len(s._pubsub.channels) for s in layer._shards if s._pubsub is not None)}


# What the test harness itself keeps (pytest holds every log record of a test) is not the server's.
HARNESS = [tracemalloc.Filter(False, pattern) for pattern in
           ("*/logging/__init__.py", "*/_pytest/*", "*/traceback.py", "*/linecache.py", "*/tracemalloc.py",
            "*/procurement/logs.py", "*/json/encoder.py")]


def kept(snapshot: tracemalloc.Snapshot) -> tracemalloc.Snapshot:
    return snapshot.filter_traces(HARNESS)


async def test_memory_stays_flat_across_an_outage_under_reconnecting_clients(own_redis):
    layer = get_channel_layer()._get_layer()
    # given two open sockets, and one more that will close during the outage
    staying = [(await handshake())[1] for _ in range(2)]
    leaving = (await handshake())[1]
    assert all(staying) and leaving is not None
    before = held(layer)
    # when Redis dies and clients keep reconnecting for 30 s
    own_redis.kill()
    await leaving.disconnect()
    give_up = time.monotonic() + 20
    while held(layer)["channels"] != before["channels"] - 1 and time.monotonic() < give_up:
        await asyncio.sleep(0.1)  # its channel is dropped once the failed UNSUBSCRIBE returns
    outcomes = []

    async def reconnecting_client(until: float):
        while time.monotonic() < until:
            outcome, communicator = await handshake()
            outcomes.append(outcome)
            if communicator is not None:
                await communicator.disconnect()
            await asyncio.sleep(0.1)

    async def clients_reconnecting(seconds: float):
        """Clients reconnecting for ``seconds``; returns once none is in flight
        (an attempt in flight holds its queue until its SUBSCRIBE fails)."""
        until = time.monotonic() + seconds
        await asyncio.gather(*(reconnecting_client(until) for _ in range(CLIENTS)))

    logging.disable(logging.CRITICAL)  # a warning per refused socket: pytest would keep every record
    tracemalloc.start()
    try:
        await clients_reconnecting(5)  # let the outage's own allocations (reconnect state) settle
        early, early_held = kept(tracemalloc.take_snapshot()), held(layer)
        await clients_reconnecting(OUTAGE_SECONDS - 5)
        late, late_held = kept(tracemalloc.take_snapshot()), held(layer)
    finally:
        tracemalloc.stop()
        logging.disable(logging.NOTSET)
    # then every attempt was refused, and nothing was kept for any of them
    assert len(outcomes) > 500 and set(outcomes) == {"refused"}
    assert early_held == late_held
    assert late_held["channels"] == before["channels"] - 1 and late_held["groups"] == before["groups"] - 1
    assert late_held["subscribed"] <= before["subscribed"] - 1  # the closed socket's channel is let go
    grown = late.compare_to(early, "lineno")
    assert sum(stat.size_diff for stat in grown) < 256 * 1024, (len(outcomes), grown[:10])

    # when Redis is back
    own_redis.start()
    give_up, outcome, fresh = time.monotonic() + 20, "refused", None
    while outcome != "open" and time.monotonic() < give_up:
        outcome, fresh = await handshake()
        await asyncio.sleep(0.2)
    # then a client connects again and every open socket gets the next event
    assert outcome == "open"
    await asyncio.sleep(1)  # the staying sockets' subscriptions are renewed on the receiver's reconnection
    await layer.group_send(events.FEED_GROUP, {"type": events.MESSAGE_TYPE, "text": '{"type":"ping"}'})
    for communicator in [*staying, fresh]:
        assert (await communicator.receive_output(timeout=5))["text"] == '{"type":"ping"}'
        await communicator.disconnect()
    await sync_to_async(connections.close_all)()
