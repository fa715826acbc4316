"""Crash safety, for real: the ASGI server as its own OS process, SIGKILLed
at random moments while concurrent clients submit and replace bids, on
PostgreSQL (once PostgreSQL itself is stopped with ``-m immediate`` mid-burst
and started again).

Each client keeps its own log (a JSON-lines file): every request it sent,
with its ``Idempotency-Key``, and what came back — a receipt, a refusal, or
nothing (the server died). A request that got nothing is retried with the
same key and body once a server is back, before the client does anything
else, as a careful client would. At the end, against the clients' log:

- every receipt a client received is a stored bid version (same bid,
  number, hash, time, signature), and it verifies;
- no bid is half-written: each has a current version, versions are numbered
  without gaps, every idempotency record points at a version of its bid;
- a request stored without its client seeing the answer returned the same
  receipt to its retry (``Idempotent-Replayed: true``, matching the row);
- the deadline passes while no scheduler runs; a scheduler started
  afterwards opens the tender, and each bid opens to the amount of the last
  receipt its bidder holds;
- ``verify_audit`` finds every hash chain intact.

PostgreSQL + Redis only (the CI's second run); ``CRASH_KILLS`` (default 20)
sets the number of SIGKILLs, ``CRASH_STOP_POSTGRES=0`` skips the PostgreSQL
stop (for a shared development server)."""

import json
import os
import random
import shutil
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import F
from django.utils import timezone
from accounts import tokens

from audit import services as audit
from bids import receipts
from bids.models import Bid, BidVersion, IdempotencyRecord
from tenders.models import Status, Tender
from tests.test_multiprocess import processes  # noqa: F401  (fixture)

pytestmark = [
    pytest.mark.live_server_pg,
    pytest.mark.skipif(not (os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
                            and os.environ.get("REDIS_URL")),
                       reason="needs DATABASE_URL on PostgreSQL and REDIS_URL"),
    pytest.mark.timeout(900),
]

KILLS = int(os.environ.get("CRASH_KILLS", "20"))
STOP_POSTGRES = os.environ.get("CRASH_STOP_POSTGRES", "1") != "0"
CLIENTS = 8
SUPPLIERS_PER_CLIENT = 3


def _cluster() -> str | None:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    return versions[-1] if versions and shutil.which("pg_ctlcluster") else None


def _pg(action: str, *extra: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", _cluster(), "main", action, *extra],
                   check=True, capture_output=True, timeout=120)


def _wait_for_postgres(timeout: float = 120) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0:
            connections.close_all()
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                return
            except Exception:
                connections.close_all()
        time.sleep(0.5)
    raise AssertionError("PostgreSQL did not come back")


class ClientLog:
    """What the clients saw, one JSON line per event, in a file."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def write(self, **event) -> None:
        with self._lock, self.path.open("a") as fh:
            fh.write(json.dumps(event) + "\n")

    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.path.read_text().splitlines()]


class Client(threading.Thread):
    """Submits, then replaces, bids for its suppliers, against whichever
    server is up; a request without an answer is retried with its key."""

    def __init__(self, n: int, suppliers: list[tuple[int, str]], tender_id: int, log: ClientLog, state):
        super().__init__(daemon=True)
        self.n, self.suppliers, self.tender_id, self.log, self.state = n, suppliers, tender_id, log, state
        self.bid: dict[int, int] = {}
        self.pending: dict[int, dict] = {}  # supplier -> the request that got no answer
        self.rng = random.Random(n)

    def request_for(self, supplier: int) -> dict:
        if supplier in self.pending:
            return self.pending[supplier]
        amount = f"{self.rng.randint(1000, 9_999_999)}.{self.rng.randint(0, 99):02d}"
        bid = self.bid.get(supplier)
        return {"supplier": supplier, "key": uuid.uuid4().hex, "amount": amount,
                "method": "PUT" if bid else "POST",
                "path": f"/api/tenders/{self.tender_id}/bids/" + (f"{bid}/" if bid else "")}

    def run(self) -> None:
        with httpx.Client(timeout=15) as http:
            i = 0
            while not self.state["stop"].is_set():
                address = self.state["address"]
                if address is None:
                    time.sleep(0.02)
                    continue
                supplier, token = self.suppliers[i % len(self.suppliers)]
                i += 1
                if self.state["drain"].is_set() and supplier not in self.pending:
                    if not self.pending:
                        time.sleep(0.05)
                    continue
                req = self.request_for(supplier)
                self.log.write(event="sent", client=self.n, **req, retry=supplier in self.pending)
                try:
                    response = http.request(req["method"], f"http://{address}{req['path']}",
                                            json={"amount": req["amount"], "currency": "KZT"},
                                            headers={"Authorization": f"Token {token}", "Idempotency-Key": req["key"]})
                except httpx.HTTPError as exc:
                    self.pending[supplier] = req
                    self.log.write(event="no_answer", client=self.n, key=req["key"], supplier=supplier,
                                   error=type(exc).__name__)
                    continue
                if response.status_code >= 500:  # the database went away under it: unknown outcome
                    self.pending[supplier] = req
                    self.log.write(event="no_answer", client=self.n, key=req["key"], supplier=supplier,
                                   error=f"HTTP {response.status_code}")
                    continue
                self.pending.pop(supplier, None)
                body = response.json()
                if response.status_code == 201:
                    self.bid[supplier] = body["bid"]
                    self.log.write(event="receipt", client=self.n, key=req["key"], supplier=supplier,
                                   amount=req["amount"], receipt=body,
                                   replayed=response.headers.get("Idempotent-Replayed") == "true")
                else:
                    self.log.write(event="refused", client=self.n, key=req["key"], supplier=supplier,
                                   status=response.status_code, body=body)


@pytest.mark.django_db(transaction=True)
def test_no_receipted_bid_is_lost_across_kills(processes, make_tender, make_supplier, tmp_path):  # noqa: F811
    if STOP_POSTGRES and _cluster() is None:
        pytest.fail("CRASH_STOP_POSTGRES is on but there is no local PostgreSQL cluster to stop")
    now = timezone.now()
    tender = make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(hours=1),
                         clarification_deadline=now - timedelta(hours=1))
    users = [make_supplier() for _ in range(CLIENTS * SUPPLIERS_PER_CLIENT)]
    issued = [(u.organisation_id, tokens.issue(u)) for u in users]
    log = ClientLog(tmp_path / "clients.jsonl")
    state = {"address": None, "stop": threading.Event(), "drain": threading.Event()}
    clients = [Client(n, issued[n::CLIENTS], tender.pk, log, state) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    postgres_stop_at = KILLS // 2 if STOP_POSTGRES else None

    def serve() -> subprocess.Popen:
        server, state["address"] = processes.serving("/api/receipts/public-key/")
        return server

    kills = 0
    try:
        # when the server is killed at a random moment of a burst, again and again
        for round_ in range(KILLS):
            server = serve()
            time.sleep(rng.uniform(0.3, 1.5))
            if round_ == postgres_stop_at:
                # PostgreSQL dies mid-burst (no checkpoint, no goodbye to clients) and the server with it
                _pg("stop", "-m", "immediate")
                time.sleep(rng.uniform(0.1, 0.5))
                server.kill()
                server.wait()
                state["address"] = None
                _pg("start")
                _wait_for_postgres()
            else:
                server.kill()  # SIGKILL
                server.wait()
                state["address"] = None
            kills += 1
        # then, with a server back, every client retries what got no answer
        server = serve()
        state["drain"].set()
        give_up = time.monotonic() + 120
        while any(c.pending for c in clients) and time.monotonic() < give_up:
            time.sleep(0.1)
        state["stop"].set()
        for client in clients:
            client.join(timeout=30)
        assert not any(c.pending for c in clients), "retries did not all get an answer"
        server.kill()
        server.wait()
        state["address"] = None
        kills += 1
    finally:
        state["stop"].set()
        if STOP_POSTGRES and _cluster() is not None:
            if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode != 0:
                _pg("start")
                _wait_for_postgres()
    connections.close_all()
    assert kills >= KILLS + 1

    events = log.events()
    receipts_seen = [e for e in events if e["event"] == "receipt"]
    no_answer = [e for e in events if e["event"] == "no_answer"]
    refused = [e for e in events if e["event"] == "refused"]
    assert receipts_seen and no_answer, "the kills should have interrupted requests"
    assert not refused, refused[:5]  # a retry with its key is never refused

    # every receipt a client received is a stored version, and verifies
    versions = {(v.bid_id, v.number): v for v in BidVersion.objects.filter(bid__tender=tender)}
    for e in receipts_seen:
        r = e["receipt"]
        stored = versions.get((r["bid"], r["version"]))
        assert stored is not None, f"receipt without a stored bid: {r}"
        assert (stored.sha256, stored.signature, receipts.iso(stored.received_at)) == \
            (r["sha256"], r["signature"], r["received_at"])
        assert receipts.verify(tender_id=tender.pk, bid_id=r["bid"], sha256=r["sha256"],
                               received_at=r["received_at"], signature=r["signature"])
    # a request stored without its client seeing the answer got the same receipt on its retry
    unanswered = {e["key"] for e in no_answer}
    replayed = [e for e in receipts_seen if e["replayed"]]
    assert all(e["key"] in unanswered for e in replayed)
    for e in replayed:
        record = IdempotencyRecord.objects.select_related("version").get(supplier_id=e["supplier"], key=e["key"])
        assert (record.version.bid_id, record.version.number) == (e["receipt"]["bid"], e["receipt"]["version"])

    # no bid is half-written
    bids = list(Bid.objects.filter(tender=tender).select_related("current"))
    assert len(bids) == len({e["supplier"] for e in receipts_seen})
    numbers = defaultdict(list)
    for (bid_id, number) in versions:
        numbers[bid_id].append(number)
    for bid in bids:
        assert bid.current is not None and bid.current.bid_id == bid.pk
        assert sorted(numbers[bid.pk]) == list(range(1, len(numbers[bid.pk]) + 1))
        assert bid.current.number == max(numbers[bid.pk])
    assert not IdempotencyRecord.objects.filter(version__bid__tender=tender).exclude(
        version__bid__supplier_id=F("supplier_id")).exists()
    # each stored version was answered to its client (first time or on a retry): none stored unseen
    seen_versions = {(e["receipt"]["bid"], e["receipt"]["version"]) for e in receipts_seen}
    assert set(versions) == seen_versions
    tender.refresh_from_db()
    assert tender.bid_count == len(bids)

    # the deadline passes while no scheduler runs; one started later opens the tender
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        db_now = cursor.fetchone()[0]
    Tender.objects.filter(pk=tender.pk).update(submission_deadline=db_now + timedelta(seconds=1))
    time.sleep(2.5)
    assert Tender.objects.get(pk=tender.pk).opened_at is None
    processes("manage.py", "run_scheduler")
    give_up = time.monotonic() + 60
    while Tender.objects.get(pk=tender.pk).opened_at is None and time.monotonic() < give_up:
        time.sleep(0.2)
    tender.refresh_from_db()
    assert tender.opened_at is not None and tender.status == Status.EVALUATION, processes.output()
    last = {}
    for e in receipts_seen:  # one request at a time per supplier: log order is version order
        last[e["receipt"]["bid"]] = (e["receipt"]["version"], e["amount"])
    for bid in Bid.objects.filter(tender=tender).select_related("current"):
        version, amount = last[bid.pk]
        assert bid.current.number == version
        assert bid.opened_at is not None and f"{bid.amount:.2f}" == amount, (bid.pk, bid.amount, amount)
    # and every hash chain is intact
    assert audit.verify() == []
    call_command("verify_audit")
    print(f"\ncrash safety: {kills} SIGKILLs{' + 1 PostgreSQL immediate stop' if STOP_POSTGRES else ''}, "
          f"{len(receipts_seen)} receipts, {len(no_answer)} unanswered requests retried, "
          f"{len(replayed)} stored-but-unanswered replayed, {len(bids)} bids opened")

