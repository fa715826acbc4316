"""A live auction survives SIGKILLs: the ASGI server runs as its own OS
process and is killed at random moments while the participants' clients
offer prices in their turns; the deadline scheduler (its own process) is
killed once as well. Clients that get no answer simply go on (an offline
participant keeps its price). At the end:

- every receipt a client received is an accepted price in the auction's
  protocol (same hash, time and signature) and verifies;
- the auction finished (the restarted scheduler picked it up from the
  stored times) and each participant's final price is the last price it
  holds a receipt for (or its initial one);
- the audit chain is intact.

PostgreSQL + Redis only (the CI's second run)."""

import os
import random
import subprocess
import threading
import time
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.db import connections
from django.utils import timezone

from accounts import tokens
from auctions.models import Auction, AuctionPrice, AuctionStatus
from audit import services as audit
from bids import receipts
from tests.auction_support import auction_tender
from tests.test_multiprocess import processes  # noqa: F401  (fixture)

pytestmark = [
    pytest.mark.live_server_pg,
    pytest.mark.skipif(not (os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
                            and os.environ.get("REDIS_URL")),
                       reason="needs DATABASE_URL on PostgreSQL and REDIS_URL"),
    pytest.mark.timeout(600),
    pytest.mark.django_db(transaction=True),
]

KILLS = int(os.environ.get("AUCTION_CRASH_KILLS", "4"))


class Participant(threading.Thread):
    """A participant's client: reads the auction, and in its turn offers its
    highest allowed price; keeps every receipt it gets."""

    def __init__(self, key: str, path: str, state: dict):
        super().__init__(daemon=True)
        self.key, self.path, self.state = key, path, state
        self.receipts: list[dict] = []
        self.no_answer = 0

    def run(self):
        headers = {"Authorization": f"Token {self.key}"}
        while not self.state["stop"].is_set():
            address = self.state["address"]
            if address is None:
                time.sleep(0.05)
                continue
            try:
                with httpx.Client(base_url=f"http://{address}", headers=headers, timeout=5) as client:
                    auction = client.get(self.path).json()
                    stage = auction.get("stage") or {}
                    if auction.get("status") == "running" and stage.get("participant") == auction.get("you"):
                        response = client.post(self.path + "bids/", json={"amount": auction["max_price"]})
                        if response.status_code == 201:
                            self.receipts.append(response.json())
            except (httpx.HTTPError, ValueError):
                self.no_answer += 1
            time.sleep(random.uniform(0.05, 0.3))


def test_no_receipted_auction_price_is_lost_across_kills(processes, officer, make_supplier, settings):  # noqa: F811
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 3600
    settings.PROCUREMENT_AUCTION_PAUSE = 1
    settings.PROCUREMENT_AUCTION_TURN = 2
    users = [make_supplier() for _ in range(3)]
    tender, _ = auction_tender(officer, [(u, f"{980000 - 10000 * i}.00") for i, u in enumerate(users)])
    auction = Auction.objects.get(tender=tender)
    start = timezone.now() + timedelta(seconds=3)  # (as if the delay had been waited for)
    Auction.objects.filter(pk=auction.pk).update(start_at=start, next_change_at=start)
    auction.refresh_from_db()
    path = f"/api/tenders/{tender.pk}/lots/{auction.lot_id}/auction/"
    state = {"address": None, "stop": threading.Event()}
    clients = [Participant(tokens.issue(u), path, state) for u in users]
    rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))

    def serve() -> subprocess.Popen:
        server, state["address"] = processes.serving(path)
        return server

    scheduler = processes("manage.py", "run_scheduler")
    for client in clients:
        client.start()
    end = auction.start_at + timedelta(seconds=3 * 1 + 3 * 3 * 2)
    try:
        server = serve()
        for kill in range(KILLS):
            time.sleep(rng.uniform(0.5, 2.5))
            server.kill()  # SIGKILL, mid-request or not
            server.wait()
            state["address"] = None
            if kill == KILLS // 2:  # the scheduler too: a new one resumes from the stored times
                scheduler.kill()
                scheduler.wait()
                scheduler = processes("manage.py", "run_scheduler")
            server = serve()
        give_up = time.monotonic() + max(0.0, (end - timezone.now()).total_seconds()) + 60
        while time.monotonic() < give_up:
            if Auction.objects.filter(pk=auction.pk, status=AuctionStatus.FINISHED).exists():
                break
            time.sleep(0.2)
        state["stop"].set()
        for client in clients:
            client.join(timeout=10)
        protocol = httpx.get(f"http://{state['address']}{path}", timeout=10).json()
    finally:
        state["stop"].set()
    connections.close_all()

    auction.refresh_from_db()
    assert auction.status == AuctionStatus.FINISHED, processes.output()
    got = [r for c in clients for r in c.receipts]
    assert got, "the clients should have had prices accepted"
    stored = {p.sha256: p for p in AuctionPrice.objects.filter(auction=auction)}
    in_protocol = {p["sha256"] for turn in protocol["protocol"] for p in turn["prices"]}
    for r in got:
        price = stored.get(r["sha256"])
        assert price is not None, f"a receipt without its price: {r}"
        assert (receipts.iso(price.received_at), price.signature, f"{price.amount:.2f}") == (
            r["received_at"], r["signature"], r["amount"])
        assert r["sha256"] in in_protocol
        assert receipts.verify(tender_id=tender.pk, bid_id=r["bid"], sha256=r["sha256"],
                               received_at=r["received_at"], signature=r["signature"])
    for client, participant in zip(clients, sorted(auction.participants.all(), key=lambda p: p.number)):
        last = max(client.receipts, key=lambda r: r["received_at"], default=None)
        held = Decimal(last["amount"]) if last else participant.initial_amount
        assert participant.final_amount <= held  # never above what it holds a receipt for
    assert audit.verify([tender.pk]) == []
