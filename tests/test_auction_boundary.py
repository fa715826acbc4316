"""Turn edges of a live auction against a live server on real PostgreSQL:
prices sent around the end of a turn are decided by the database clock
under the auction's row lock — each one either accepted in the turn it
arrived in, or refused with ``not_your_turn`` naming the turn it fell into;
never both, never neither, and every accepted price is in the protocol.

Skipped on SQLite (its single writer lock serialises everything, and the
in-memory test database cannot be shared by a threaded server)."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from accounts import tokens
from auctions.models import Auction, AuctionPrice
from tests.auction_support import auction_tender, move_to

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 3600
    settings.PROCUREMENT_AUCTION_TURN = 120


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_prices_at_the_end_of_a_turn_fall_on_one_side_of_it(live_server, officer, make_supplier):
    first, second = make_supplier("Alma LLP"), make_supplier("Baiterek LLP")
    # Alma's 980000 is the highest: its turn is round 1's first, Baiterek's the second
    tender, _ = auction_tender(officer, [(first, "980000.00"), (second, "950000.00")])
    auction = Auction.objects.get(tender=tender)
    keys = {1: tokens.issue(first), 2: tokens.issue(second)}
    url = f"{live_server.url}/api/tenders/{tender.pk}/lots/{auction.lot_id}/auction/bids/"
    for number in keys:  # warm the server up (its first requests import and connect)
        httpx.get(url[:-len("bids/")], headers={"Authorization": f"Token {keys[number]}"}, timeout=10)
    turn = move_to(auction, "turn", 1, 0, into=120 - 2.5)  # Alma's turn ends 2.5 s from now
    edge = turn.ends

    def send(number: int, amount: str, at: datetime) -> tuple[int, int, dict]:
        delay = (at - timezone.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)
        with httpx.Client(timeout=10) as client:
            response = client.post(url, json={"amount": amount}, headers={"Authorization": f"Token {keys[number]}"})
        return number, response.status_code, response.json()

    # Alma sends in the last 600 ms of its turn and just after; Baiterek just before its own begins and in
    # it (wide enough that a loaded machine's request latency still puts some on each side of the edge)
    plan = [(1, f"{970000 - i}.00", edge - timedelta(milliseconds=600) + timedelta(milliseconds=40 * i))
            for i in range(18)]
    plan += [(2, f"{940000 - i}.00", edge - timedelta(milliseconds=120) + timedelta(milliseconds=40 * i))
             for i in range(18)]
    with ThreadPoolExecutor(max_workers=len(plan)) as pool:
        results = list(pool.map(lambda p: send(*p), plan))

    accepted = {1: [], 2: []}
    for number, status, body in results:
        if status == 201:
            accepted[number].append(body)
            at = parse(body["received_at"])
            # accepted in the turn it arrived in
            assert (at < edge) if number == 1 else (at >= edge), (number, body)
        else:
            assert (status, body["code"]) == (409, "not_your_turn"), body
            # refused because the clock had it in the other participant's turn
            assert body["turn"] == (2 if number == 1 else 1), (number, body)
    # both sides of the edge were exercised
    assert accepted[1] and accepted[2]
    # every receipt is in the protocol, exactly once, in its turn
    stored = {(p.sha256, p.round, p.stage) for p in AuctionPrice.objects.filter(auction=auction)}
    assert {r["sha256"] for r in accepted[1] + accepted[2]} == {s for s, _, _ in stored}
    assert len(stored) == len(accepted[1]) + len(accepted[2])
    assert {stage for _, _, stage in stored} == {turn.index, turn.index + 1}


def test_two_schedulers_announce_each_stage_once(officer, make_supplier):
    import threading

    from django.db import connections

    from audit.models import AuditEntry
    from auctions import services as auctions

    tender, _ = auction_tender(officer, [(make_supplier(), "980000.00"), (make_supplier(), "950000.00")])
    auction = Auction.objects.get(tender=tender)
    move_to(auction, "finished", 3)
    done, barrier = [], threading.Barrier(2)

    def scheduler():
        try:
            barrier.wait()
            done.append(auctions.advance_due(timezone.now()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(done) == [0, 1]
    assert AuditEntry.objects.filter(tender=tender, event="auction_started").count() == 1
    assert AuditEntry.objects.filter(tender=tender, event="auction_finished").count() == 1
