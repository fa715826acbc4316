"""WebSocket fan-out benchmark: one uvicorn process, Redis channel layer, PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tender_bench REDIS_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python bench/ws_fanout.py

(run from the repository root; both variables are optional and default to the
values above; the database is created if missing and MUST be a scratch one:
the benchmark adds tenders to it). Options: ``--clients 1000 --rounds 5``;
``--client websockets`` uses the ``websockets`` library instead of the minimal
raw client (its parsing cost, which a browser pays on its own machine, then
lands in the figures); ``--ws auto`` uvicorn's default WebSocket protocol
instead of ``websockets-sansio``; ``--deflate`` permessage-deflate on in the
server, as uvicorn does by default (only library clients negotiate it).

What it measures
1. 1,000 WebSocket clients on ``ws/tenders/<id>/`` of one tender, then 1,000
   spread over 100 tenders (10 each). Each round: fresh active tenders, every
   client connected and past its snapshot, then each tender is cancelled in its
   own transaction (through the service, as a request would). Latency = from the
   commit of the status change (an on_commit hook registered before the
   service's own) to each client's receipt of ``status_changed``: p50/p99/max,
   and messages lost (clients without their message 5 s later).
2. The cost (median of 50) of one ``group_send`` to a group of 1,000 and
   2,000 members held by another process, for
   ``channels_redis.pubsub.RedisPubSubChannelLayer`` (the setting) and the
   classic ``channels_redis.core.RedisChannelLayer``.

The server is pinned to CPU 0 with ``taskset``; this process (clients and the
committing side) re-executes itself under ``taskset`` on CPU 1. PostgreSQL and
Redis are not pinned. Target: p99 < 250 ms with 100% delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "http://127.0.0.1"
SERVER_CPU, CLIENT_CPU = "0", "1"

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tender_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("PROCUREMENT_PLATFORM_KEY", base64.b64encode(b"bench-only-platform-key-32-bytes").decode())
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")
os.environ["PROCUREMENT_SCHEDULER_IN_PROCESS"] = "0"


def pin_self() -> None:
    """Re-execute under taskset on the client CPU (once)."""
    if os.environ.get("BENCH_PINNED") or not shutil.which("taskset"):
        return
    os.environ["BENCH_PINNED"] = "1"
    os.execvp("taskset", ["taskset", "-c", CLIENT_CPU, sys.executable, *sys.argv])


def raise_open_files(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def ensure_database() -> None:
    import psycopg
    from urllib.parse import urlsplit, urlunsplit

    url = urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = urlunsplit(url._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, deflate: bool, ws: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", "procurement.asgi:application", "--host", "127.0.0.1",
               "--port", str(port), "--lifespan", "off", "--log-level", "warning", "--no-access-log",
               "--ws", ws, "--ws-per-message-deflate", "true" if deflate else "false"]
    if shutil.which("taskset"):
        command = ["taskset", "-c", SERVER_CPU, *command]
    return subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())


def wait_until_serving(port: int) -> None:
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/tenders/?page_size=1", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start")


# --- data -------------------------------------------------------------------------------------

def officer():
    from accounts.services import create_officer
    from accounts.models import User

    return User.objects.filter(username="bench-officer").first() or create_officer(
        buyer_name="Benchmark buyer", username="bench-officer", password="Bench-pass-phrase-1")


def new_tenders(by, count: int) -> list[int]:
    from django.utils import timezone
    from tenders import services

    now = timezone.now()
    ids = []
    for _ in range(count):
        draft = services.create_draft(
            by=by, title="Benchmark tender", description="Fan-out benchmark", cpv="45233140-2",
            estimated_amount=Decimal("1000000.00"), currency="KZT",
            clarification_deadline=now + timedelta(days=20), submission_deadline=now + timedelta(days=30))
        ids.append(services.publish_tender(draft.pk, by=by).pk)
    return ids


def cancel_each(by, tender_ids: list[int]) -> dict[int, float]:
    """Cancel every tender in its own transaction; the commit time of each."""
    from django.db import transaction
    from tenders import services

    committed: dict[int, float] = {}
    for pk in tender_ids:
        with transaction.atomic():
            # Registered before the service's own hook, so it runs first after the commit.
            transaction.on_commit(lambda pk=pk: committed.__setitem__(pk, time.time()))
            services.cancel_tender(pk, by=by, reason="Benchmark")
    return committed


# --- clients ----------------------------------------------------------------------------------

class RawClient(asyncio.Protocol):
    """A minimal WebSocket client (RFC 6455 handshake and unmasked server frames),
    so that 1,000 of them in one process cost little and the figures are the
    server's: each browser parses its one frame on its own machine."""

    def __init__(self, path: str, port: int, on_message):
        self.request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}"
                        f"\r\nSec-WebSocket-Version: 13\r\nOrigin: {ORIGIN}\r\n\r\n").encode()
        self.on_message = on_message
        self.buffer = bytearray()
        self.upgraded = False
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data):
        at = time.time()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                raise ConnectionError(bytes(self.buffer[:end]).decode(errors="replace"))
            del self.buffer[:end + 4]
            self.upgraded = True
        while len(self.buffer) >= 2:
            opcode, length, offset = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < offset + length:
                return
            payload = bytes(self.buffer[offset:offset + length])
            del self.buffer[:offset + length]
            if opcode == 0x1:
                self.on_message(payload, at)
            elif opcode == 0x9:  # ping -> masked pong
                mask = os.urandom(4)
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + mask
                                     + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
            elif opcode == 0x8:
                self.transport.close()

    def connection_lost(self, exc):
        if not self.closed.done():
            self.closed.set_result(exc)


async def raw_client(port: int, path: str, connected: asyncio.Semaphore, ready: list, received: dict,
                     key: int) -> None:
    loop = asyncio.get_running_loop()
    got = loop.create_future()

    def on_message(payload: bytes, at: float) -> None:
        message = json.loads(payload)
        if message["type"] == "snapshot" and not got.done():
            ready.append(key)
        elif message["type"] == "status_changed":
            received[key] = (int(message["tender"]), at)
            if not got.done():
                got.set_result(None)

    async with connected:
        transport, protocol = await loop.create_connection(lambda: RawClient(path, port, on_message),
                                                           "127.0.0.1", port)
        while key not in ready:
            if protocol.closed.done():
                raise ConnectionError(f"socket {key} closed before its snapshot")
            await asyncio.sleep(0.01)
    try:
        await got
    finally:
        transport.close()


async def library_client(port: int, path: str, connected: asyncio.Semaphore, ready: list, received: dict,
                         key: int) -> None:
    """The same with the ``websockets`` library (browser-like, but its parsing cost lands in the figures)."""
    import websockets

    async with connected:
        ws = await websockets.connect(f"ws://127.0.0.1:{port}{path}", origin=ORIGIN, open_timeout=60,
                                      max_queue=None)
        snapshot = json.loads(await ws.recv())
        assert snapshot["type"] == "snapshot", snapshot
    ready.append(key)
    try:
        while True:
            text = await ws.recv()
            at = time.time()
            message = json.loads(text)
            if message["type"] == "status_changed":
                received[key] = (int(message["tender"]), at)
                break
    finally:
        await ws.close()


async def fanout_round(port: int, tender_ids: list[int], clients: int, by, kind: str) -> tuple[list[float], int]:
    from asgiref.sync import sync_to_async

    connect = raw_client if kind == "raw" else library_client
    connected = asyncio.Semaphore(100)
    ready: list[int] = []
    received: dict[int, tuple[int, float]] = {}
    wanted = {key: tender_ids[key % len(tender_ids)] for key in range(clients)}
    tasks = [asyncio.create_task(connect(port, f"/ws/tenders/{wanted[key]}/", connected, ready, received, key))
             for key in range(clients)]
    while len(ready) < clients:
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise failed[0].exception()
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # let the connection burst settle
    committed = await sync_to_async(cancel_each)(by, tender_ids)
    _, pending = await asyncio.wait(tasks, timeout=5)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [(at - committed[tender]) * 1000 for key, (tender, at) in received.items()
                 if tender == wanted[key]]
    return latencies, clients - len(latencies)


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    if not ordered:
        return "no messages"
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"p50 {statistics.median(ordered):6.1f} ms   p99 {p99:6.1f} ms   max {ordered[-1]:6.1f} ms")


# --- group_send cost ---------------------------------------------------------------------------

def _layer(backend: str, prefix: str):
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    kind = RedisPubSubChannelLayer if backend == "pubsub" else RedisChannelLayer
    return kind(hosts=[os.environ["REDIS_URL"]], prefix=prefix)


def _members(backend: str, prefix: str, members: int, ready, stop) -> None:
    """In another process: ``members`` channels in the group, as a server would hold them."""
    async def run():
        layer = _layer(backend, prefix)
        for _ in range(members):
            await layer.group_add("tender.bench", await layer.new_channel())
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await layer.flush()

    asyncio.run(run())


async def group_send_cost(backend: str, members: int, sends: int = 50) -> float:
    """Median time of one group_send, the members being held by another process
    (so only the sender's cost is timed)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    prefix = f"bench.{os.getpid()}.{backend}.{members}."
    ready, stop = context.Event(), context.Event()
    holder = context.Process(target=_members, args=(backend, prefix, members, ready, stop))
    holder.start()
    layer = _layer(backend, prefix)
    try:
        await asyncio.get_running_loop().run_in_executor(None, ready.wait, 120)
        message = {"type": "event.message", "text": json.dumps({"type": "status_changed", "tender": "1",
                                                               "status": "cancelled", "at": "now"})}
        await layer.group_send("tender.bench", message)  # warm the connection
        timings = []
        for _ in range(sends):
            started = time.perf_counter()
            await layer.group_send("tender.bench", message)
            timings.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.01)  # let Redis and the holder drain between sends
        return statistics.median(timings)
    finally:
        stop.set()
        holder.join(timeout=30)
        await layer.flush()


# --- main -------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--deflate", action="store_true", help="permessage-deflate on in the server")
    parser.add_argument("--client", choices=["raw", "websockets"], default="raw",
                        help="raw: minimal frame parser (default); websockets: the library")
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn --ws implementation (as in production)")
    args = parser.parse_args()

    pin_self()
    raise_open_files(4 * args.clients + 256)
    ensure_database()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from asgiref.sync import sync_to_async
    from django.conf import settings
    from django.core.management import call_command

    assert settings.REDIS_URL, "the benchmark measures the Redis channel layer"
    call_command("migrate", verbosity=0)
    by = officer()
    port = free_port()
    server = start_server(port, args.deflate, args.ws)
    try:
        wait_until_serving(port)
        print(f"uvicorn pid {server.pid} on CPU {SERVER_CPU}, clients on CPU {CLIENT_CPU}; "
              f"layer {settings.CHANNEL_LAYERS['default']['BACKEND']}; "
              f"--ws {args.ws}; permessage-deflate {'on' if args.deflate else 'off'}; {args.client} clients")

        async def scenarios():
            for label, tenders in ((f"{args.clients} clients on 1 tender", 1),
                                   (f"{args.clients} clients over 100 tenders", 100)):
                everything, lost = [], 0
                for _ in range(args.rounds):
                    ids = await sync_to_async(new_tenders)(by, tenders)
                    latencies, missing = await fanout_round(port, ids, args.clients, by, args.client)
                    everything += latencies
                    lost += missing
                total = args.clients * args.rounds
                print(f"{label:32s} {summary(everything)}   lost {lost}/{total} "
                      f"({args.rounds} rounds)")
            print("group_send cost (median of 50, sender side; members held by another process):")
            for members in (1000, 2000):
                pubsub = await group_send_cost("pubsub", members)
                core = await group_send_cost("core", members)
                print(f"  {members} members: pubsub {pubsub:7.2f} ms   core {core:7.2f} ms")

        asyncio.run(scenarios())
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
