"""The production topology for real: two uvicorn processes and one
``run_scheduler`` process on PostgreSQL + Redis, each its own OS process
sharing only the database and the Redis channel layer.

A WebSocket client on server 2 must receive, within 1 s, the status change
caused by an HTTP request to server 1, and the opening fired by the
scheduler process at the deadline. Needs DATABASE_URL (PostgreSQL) and
REDIS_URL; skipped otherwise."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import websockets
from django.conf import settings
from django.db import connection
from django.utils import timezone
from accounts import tokens

from bids import services as bid_services

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "http://127.0.0.1"

pytestmark = [
    pytest.mark.live_server_pg,
    pytest.mark.skipif(not (os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
                            and os.environ.get("REDIS_URL")),
                       reason="needs DATABASE_URL on PostgreSQL and REDIS_URL"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_of_this_run() -> str:
    """DATABASE_URL pointing at pytest-django's test database (test_<name>)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def processes():
    """Start subprocesses with the test database and Redis; always terminated."""
    started, logs = [], []
    env = {**os.environ, "DATABASE_URL": database_url_of_this_run(), "REDIS_URL": settings.REDIS_URL,
           "DJANGO_SECRET_KEY": settings.SECRET_KEY, "PROCUREMENT_PLATFORM_KEY": settings.PROCUREMENT_PLATFORM_KEY,
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "DJANGO_DEBUG": "0", "DB_CONN_MAX_AGE": "0",
           "PROCUREMENT_SCHEDULER_IN_PROCESS": "0", "LOG_LEVEL": "WARNING"}

    def start(*args: str, **extra_env: str) -> subprocess.Popen:
        log = tempfile.TemporaryFile()
        logs.append(log)
        process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**env, **extra_env}, stdout=log,
                                   stderr=subprocess.STDOUT)
        started.append(process)
        return process

    def server() -> str:
        port = free_port()
        start("-m", "uvicorn", "procurement.asgi:application", "--host", "127.0.0.1", "--port", str(port),
              "--lifespan", "on", "--log-level", "warning", "--ws", "websockets-sansio",
              "--ws-per-message-deflate", "false", "--no-proxy-headers")  # as docs/running.md runs it
        return f"127.0.0.1:{port}"

    def output() -> str:
        text = []
        for log in logs:
            log.seek(0)
            text.append(log.read().decode(errors="replace")[-3000:])
        return "\n---\n".join(text)

    def serving(path: str) -> tuple[subprocess.Popen, str]:
        """A plain uvicorn server (the crash tests kill it), once ``path`` answers 200: (process, address)."""
        port = free_port()
        process = start("-m", "uvicorn", "procurement.asgi:application", "--host", "127.0.0.1", "--port", str(port),
                        "--lifespan", "on", "--log-level", "warning")
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            try:
                if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code == 200:
                    return process, f"127.0.0.1:{port}"
            except httpx.HTTPError:
                pass
            assert process.poll() is None, output()
            time.sleep(0.1)
        raise AssertionError("the server did not start:\n" + output())

    start.server, start.output, start.serving = server, output, serving
    try:
        yield start
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def wait_until_serving(address: str, timeout: float = 60) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        try:
            if httpx.get(f"http://{address}/api/tenders/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{address} did not start serving")


async def next_message(ws, timeout: float) -> tuple[dict, float]:
    text = await asyncio.wait_for(ws.recv(), timeout)
    return json.loads(text), time.time()


@pytest.mark.django_db(transaction=True)
def test_events_cross_processes_within_a_second(processes, make_tender, officer, supplier):
    # given: two servers and a scheduler, each its own process
    server1, server2 = processes.server(), processes.server()
    processes("manage.py", "run_scheduler")
    for address in (server1, server2):
        wait_until_serving(address)
    token = tokens.issue(officer)
    cancelled = make_tender()
    published = timezone.now() - timedelta(seconds=3600)
    opening = make_tender(now=published, clarification_deadline=published + timedelta(seconds=30),
                          submission_deadline=timezone.now() + timedelta(seconds=2.5))
    bid_services.submit_bid(opening.pk, by=supplier, content=bid_services.BidContent(
        amount=Decimal("4200000.00"), currency="KZT", answers={}, documents=[]))
    deadline = opening.submission_deadline.timestamp()

    async def scenario():
        async with (websockets.connect(f"ws://{server2}/ws/tenders/{cancelled.pk}/", origin=ORIGIN) as first,
                    websockets.connect(f"ws://{server2}/ws/tenders/{opening.pk}/", origin=ORIGIN) as second):
            assert (await next_message(first, 5))[0]["type"] == "snapshot"
            assert (await next_message(second, 5))[0]["type"] == "snapshot"

            # when: a request to server 1 cancels a tender
            async with httpx.AsyncClient(base_url=f"http://{server1}") as http:
                sent = time.time()
                response = await http.post(f"/api/tenders/{cancelled.pk}/cancel/", json={"reason": "Budget cut"},
                                           headers={"Authorization": f"Token {token}"})
            assert response.status_code == 200, response.text
            status, status_at = await next_message(first, 2)

            # and the scheduler process reaches the other tender's deadline
            changed, changed_at = await next_message(second, deadline - time.time() + 5)
            record, record_at = await next_message(second, 2)
            return (status, status_at - sent), (changed, changed_at - deadline), (record, record_at - deadline)

    try:
        (status, status_delay), (changed, changed_delay), (record, record_delay) = asyncio.run(scenario())
    except Exception:
        print(processes.output())
        raise

    # then: server 2's socket saw both within a second
    assert (status["type"], status["status"]) == ("status_changed", "cancelled")
    assert status_delay < 1.0
    assert (changed["type"], changed["status"]) == ("status_changed", "evaluation")
    assert record["type"] == "opening"
    assert [row["amount"] for row in record["bids"]] == ["4200000.00"]
    assert 0 <= changed_delay < 1.0 and record_delay < 1.0
    print(f"cross-process delays: request->socket {status_delay * 1000:.0f} ms, "
          f"deadline->status {changed_delay * 1000:.0f} ms, deadline->opening {record_delay * 1000:.0f} ms")


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_process_sends_the_email_the_change_enqueued(processes, make_tender, make_supplier,
                                                                    tmp_path):
    # given a subscriber and a worker process (as bin/run and production run it)
    from notifications import services as notifications
    user = make_supplier()
    user.email = user.confirmed_email = "worker@builders.kz"  # notifications go to confirmed addresses only
    user.save(update_fields=["email", "confirmed_email"])
    notifications.subscribe(by=user, cpv_prefix="45")
    processes("manage.py", "db_worker", "--interval", "0.2", "--no-reload", "--no-startup-delay",
              EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(tmp_path))
    # when a matching tender is published (committed)
    tender = make_tender()
    # then the worker process sends its e-mail
    give_up, sent = time.monotonic() + 30, ""
    while time.monotonic() < give_up and tender.title not in sent:
        time.sleep(0.2)
        sent = "".join(p.read_text() for p in tmp_path.iterdir())
    assert "worker@builders.kz" in sent and tender.title in sent, processes.output()


@pytest.mark.django_db(transaction=True)
def test_a_forged_forwarded_for_does_not_escape_the_lockout(processes, officer):
    # given a server started as docs/running.md starts it, reached from 127.0.0.1 (uvicorn's
    # own --proxy-headers would have believed this address's X-Forwarded-For)
    address = processes.server()
    wait_until_serving(address)
    limit = settings.AXES_FAILURE_LIMIT
    # when one client sends wrong passwords for one username, a new forged header each time
    statuses = [httpx.post(f"http://{address}/api/auth/token/", json={"username": officer.username, "password": "x"},
                           headers={"X-Forwarded-For": f"198.51.100.{i}"}, timeout=10).status_code
                for i in range(limit + 3)]
    # then it is locked out at the limit, as if it had sent no header
    assert statuses == [400] * (limit - 1) + [429] * 4, processes.output()
