"""Live e-auction benchmark: many auctions at once, a crowd watching one of
them, two server processes and the deadline scheduler, on PostgreSQL + Redis.

    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/auction.py

(run from the repository root; PostgreSQL on 127.0.0.1:5432 as ``postgres``:
a scratch database ``bench_<BENCH_DB_PREFIX>auction`` is created for the run
and dropped at its end). Options: ``--auctions
50 --participants 10 --watchers 1000 --turn 3 --pause 2``.

What it does
1. ``--auctions`` auction tenders, each with ``--participants`` admitted
   offers (through the services: sealed, opened, admitted), all starting
   together once every client is connected.
2. Two uvicorn processes and one ``run_scheduler`` process (the stages are
   announced by it, from the stored times); the Redis channel layer joins
   them.
3. ``--watchers`` WebSocket clients on the first auction's tender socket,
   half on each server; one more socket per auction (the participants'
   driver) on alternating servers.
4. In every turn the participant whose turn it is (the driver learns it from
   the auction's stage events) offers its highest allowed price at a random
   moment of the turn, and about one turn in four sends a second price in
   the turn's last 50 ms (by the server clock), to exercise the boundary.
   The auctions run concurrently with their starts spread over one turn
   (``--no-stagger``: all at the same instant, so that every stage of every
   auction changes at once). The watchers run in a process of their own.

What it reports
- event latency to every watcher of the watched auction, and to the drivers
  of all auctions: from the event's ``at`` (the server's time of the change:
  the price's receive time, or the scheduler's announcement) to its receipt,
  p50/p99/max, and events lost (a watcher without an event the others got);
- the scheduler's lag: from a stage's scheduled start to its announcement;
- prices: accepted, refused (by code), and against the stored protocol:
  accepted prices lost (a receipt without its stored price), misordered (a
  price stored outside its turn's window, or a participant's prices not
  falling over time), boundary requests decided wrongly (a request in the
  last 50 ms of a turn answered neither 201 within the turn nor 409
  ``not_your_turn``, or ``auction_finished`` after the last turn).

Target (issue 20): p99 < 250 ms to every watcher, 0 lost, 0 misordered, 0
decided wrongly at a boundary. One machine runs everything (servers,
PostgreSQL, Redis, 1,000 clients): the figures are an upper bound of what a
real deployment would see.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_database, bench_db, close_django_connections, database_url  # noqa: E402
from bench.ws_fanout import RawClient, free_port, raise_open_files, wait_until_serving  # noqa: E402

os.environ.setdefault("PROCUREMENT_MIN_SUBMISSION_PERIOD", "3600")


def parse_iso(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (f"n={len(values)} p50 {statistics.median(values):6.1f} ms  p99 {pct(values, 0.99):6.1f} ms  "
            f"max {max(values):6.1f} ms")


# --- data -------------------------------------------------------------------------------------

def make_auctions(count: int, participants: int) -> list[dict]:
    """Auction tenders with ``participants`` admitted offers each; returns, per
    auction, its tender, lot and the participants' API tokens by number."""
    from django.utils import timezone

    from accounts import tokens
    from accounts.models import User
    from accounts.services import create_officer
    from auctions.models import Auction
    from bids import services as bids
    from evaluation import services as evaluation
    from tenders import services as tenders
    from tests.factories import SupplierFactory

    officer = User.objects.filter(username="bench-auction-officer").first() or create_officer(
        buyer_name="Auction benchmark buyer", username="bench-auction-officer", password="Bench-pass-phrase-1")
    suppliers = [SupplierFactory() for _ in range(participants)]
    keys = [tokens.issue(s) for s in suppliers]
    made = []
    for _ in range(count):
        published = timezone.now() - timedelta(seconds=3600 + 120)
        draft = tenders.create_draft(
            by=officer, title="Auction benchmark", description="bench/auction.py", cpv="30197630-1",
            estimated_amount=Decimal("10000000.00"), currency="KZT", method="auction",
            minimal_step=Decimal("50000.00"), clarification_deadline=published + timedelta(seconds=30),
            submission_deadline=published + timedelta(seconds=3600 + 60), now=published)
        tender = tenders.publish_tender(draft.pk, by=officer, now=published)
        for i, supplier in enumerate(suppliers):
            amount = Decimal(9_000_000 + random.randrange(0, 900_000, 1000))
            bids.submit_bid(tender.pk, by=supplier, now=tender.submission_deadline - timedelta(seconds=50 - i),
                            content=bids.BidContent(amount=amount, currency="KZT", answers={}, documents=[]))
        bids.open_tender(tender.pk)
        for bid in tender.bids.order_by("pk"):
            evaluation.qualify_bid(tender.pk, bid.pk, by=officer, qualified=True, reason="Benchmark")
        auction = Auction.objects.get(tender=tender)
        numbers = {p.supplier_id: p.number for p in auction.participants.all()}
        made.append({"tender": tender.pk, "lot": auction.lot_id, "auction": auction.pk,
                     "keys": {numbers[s.organisation_id]: k for s, k in zip(suppliers, keys)}})
    return made


def start_all(auctions: list[dict], at: datetime, spread: float) -> None:
    """Every auction starts at ``at``, the i-th ``i * spread`` seconds later."""
    from auctions.models import Auction

    for i, a in enumerate(auctions):
        start = at + timedelta(seconds=i * spread)
        Auction.objects.filter(pk=a["auction"]).update(start_at=start, next_change_at=start)


# --- clients ----------------------------------------------------------------------------------

async def socket(port: int, tender: int, on_message) -> RawClient:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(lambda: RawClient(f"/ws/tenders/{tender}/", port, on_message),
                                               "127.0.0.1", port)
    return protocol


class Driver:
    """One auction's participants: on each turn, the one in turn offers its
    highest allowed price; sometimes a second one in the last 50 ms."""

    def __init__(self, auction: dict, port: int, http, results: list, offsets: dict):
        self.auction, self.port, self.http, self.results = auction, port, http, results
        self.offsets = offsets  # server clock - local clock, s
        self.turns_seen: set[int] = set()
        self.latencies: list[float] = []
        self.stage_lags: list[float] = []
        self.done = asyncio.get_running_loop().create_future()
        self.tasks: list[asyncio.Task] = []

    def on_message(self, payload: bytes, at: float) -> None:
        message = json.loads(payload)
        if not message["type"].startswith("auction_") or message.get("lot") != self.auction["lot"]:
            return
        self.latencies.append((at - parse_iso(message["at"])) * 1000)
        state = message["auction"]
        stage = state["stage"] or {}
        if message["type"] == "auction_stage" and stage.get("starts"):
            self.stage_lags.append((parse_iso(message["at"]) - parse_iso(stage["starts"])) * 1000)
        if state["status"] == "finished" and not self.done.done():
            self.done.set_result(None)
        if stage.get("kind") == "turn" and stage["index"] not in self.turns_seen:
            self.turns_seen.add(stage["index"])
            self.tasks.append(asyncio.create_task(self.turn(stage, state)))

    async def turn(self, stage: dict, state: dict) -> None:
        number = stage["participant"]
        # its price before the turn: its current price as the turn begins (an event has no protocol)
        before = next(p["price"] for p in state["participants"] if p["number"] == number)
        step = Decimal(state["minimal_step"])
        starts, ends = parse_iso(stage["starts"]), parse_iso(stage["ends"])
        length = ends - starts
        await self.offer(number, Decimal(before) - step, starts + random.uniform(0.1, 0.6) * length, ends)
        if random.random() < 0.25:  # the boundary: the last 50 ms of the turn
            await self.offer(number, Decimal(before) - 2 * step, ends - random.uniform(0.0, 0.05), ends,
                             boundary=True)

    async def offer(self, number: int, amount: Decimal, when: float, ends: float, boundary: bool = False) -> None:
        local = when - self.offsets["server"]
        await asyncio.sleep(max(0.0, local - time.time()))
        sent = time.time() + self.offsets["server"]
        path = f"/api/tenders/{self.auction['tender']}/lots/{self.auction['lot']}/auction/bids/"
        try:
            response = await self.http.post(f"http://127.0.0.1:{self.port}{path}", json={"amount": f"{amount:.2f}"},
                                            headers={"Authorization": f"Token {self.auction['keys'][number]}"})
            body, status = response.json(), response.status_code
        except Exception as exc:  # noqa: BLE001 (a lost answer is reported, not raised)
            body, status = {"code": type(exc).__name__}, 0
        self.results.append({"auction": self.auction["auction"], "participant": number, "amount": f"{amount:.2f}",
                             "sent": sent, "ends": ends, "boundary": boundary, "status": status, "body": body})


# "type", "tender", "status", "at" lead every event (live.events.payload): a
# watcher reads them without parsing the whole body, as a browser's socket
# hands the frame to the page before anything else happens.
HEAD = re.compile(rb'^\{"type": "(\w+)", "tender": "\d+", "status": "\w+", "at": "([^"]+)"')
PARTICIPANT = re.compile(rb'"participant": (\d+), "round"')


def watch_process(ports: list[int], tender: int, count: int, ready, stop, out) -> None:
    """The watchers, in a process of their own (so that the participants'
    clients and the watchers do not share one Python loop): the latency of
    every auction event to every watcher, written to ``out`` at the end."""
    events: dict[int, dict[str, float]] = defaultdict(dict)
    snapshots: set[int] = set()

    def watcher(key: int):
        def on_message(payload: bytes, at: float) -> None:
            head = HEAD.match(payload)
            if head and head.group(1) == b"snapshot":
                snapshots.add(key)
            elif head and head.group(1).startswith(b"auction_"):
                participant = PARTICIPANT.search(payload[:400])
                name = f"{head.group(1).decode()}:{head.group(2).decode()}:{participant.group(1).decode() if participant else ''}"
                events[key][name] = (at - parse_iso(head.group(2).decode())) * 1000
        return on_message

    async def main():
        connected = asyncio.Semaphore(100)

        async def open_watcher(key: int):
            async with connected:
                return await socket(ports[key % 2], tender, watcher(key))

        sockets = await asyncio.gather(*(open_watcher(k) for k in range(count)))
        while len(snapshots) < count:  # every watcher past its snapshot: the servers are idle again
            await asyncio.sleep(0.05)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for s in sockets:
            s.transport.close()

    asyncio.run(main())
    Path(out).write_text(json.dumps({str(k): v for k, v in events.items()}))


def start_watchers(args, auctions: list[dict], ports: list[int]):
    """The watchers' process (forked before this process runs an event loop)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    ready, stop = context.Event(), context.Event()
    out = f"/tmp/bench-auction-watchers-{os.getpid()}.json"
    watching = context.Process(target=watch_process, args=(ports, auctions[0]["tender"], args.watchers, ready,
                                                           stop, out))
    watching.start()
    while not ready.wait(0.1):
        assert watching.is_alive(), "the watchers' process failed"
    return watching, stop, out


async def run(args, auctions: list[dict], ports: list[int], watching) -> dict:
    import httpx
    from asgiref.sync import sync_to_async

    offsets = {"server": 0.0}
    watched = auctions[0]
    watching, stop, out = watching
    results: list[dict] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        date = (await http.get(f"http://127.0.0.1:{ports[0]}/api/receipts/public-key/")).headers["date"]
        drivers = [Driver(a, ports[i % 2], http, results, offsets) for i, a in enumerate(auctions)]
        sockets = [await socket(d.port, d.auction["tender"], d.on_message) for d in drivers]
        await asyncio.sleep(1.0)  # every snapshot in
        start = datetime.now().astimezone() + timedelta(seconds=2)
        spread = args.turn / len(auctions) if args.stagger else 0.0
        await sync_to_async(start_all)(auctions, start, spread)
        print(f"{len(auctions)} auctions x {args.participants} participants start at {start:%H:%M:%S}; "
              f"{args.watchers} watchers on auction {watched['auction']}; servers {ports}; Date {date}", flush=True)
        length = 3 * args.pause + 3 * args.participants * args.turn + args.turn
        await asyncio.wait([d.done for d in drivers], timeout=length + 60)
        await asyncio.gather(*(t for d in drivers for t in d.tasks), return_exceptions=True)
        await asyncio.sleep(1.0)
    for s in sockets:
        s.transport.close()
    stop.set()
    watching.join(timeout=60)
    watcher_events = {int(k): v for k, v in json.loads(Path(out).read_text()).items()}
    Path(out).unlink()
    return {"watchers": watcher_events, "drivers": drivers, "results": results}


def check(results: list[dict]) -> dict:
    """The answers against the stored protocol."""
    from auctions import schedule, selectors
    from auctions.models import Auction, AuctionPrice

    stored = {p.sha256: p for p in AuctionPrice.objects.all()}
    accepted = [r for r in results if r["status"] == 201]
    lost = [r for r in accepted if r["body"]["sha256"] not in stored]
    misordered = 0
    for auction in Auction.objects.all():
        loaded = selectors.load(auction)
        timeline = {s.index: s for s in loaded.timeline()}
        numbers = {p.pk: p.number for p in loaded.participants}
        previous = None
        for price in sorted(loaded.prices, key=lambda p: p.pk):  # in commit order
            turn = timeline[price.stage]
            number = numbers[price.participant_id]
            before = schedule.prices_before(loaded.entrants, [x for x in loaded.accepted if x.round < turn.round],
                                            turn.round)[number]
            in_turn = (turn.kind == schedule.TURN and turn.starts <= price.received_at < turn.ends
                       and schedule.whose_turn(turn, loaded.entrants, loaded.accepted) == number)
            # outside its turn, above its price before the turn less the step, or stored out of time order
            if (not in_turn or price.amount > before - auction.minimal_step
                    or (previous is not None and price.received_at < previous)):
                misordered += 1
            previous = price.received_at
    wrong = []
    for r in results:
        # a boundary request: sent in the last 50 ms of its turn by the server clock (one the client
        # sent later, having heard of the turn late, is an ordinary request into whatever turn it is)
        r["boundary"] = r["boundary"] and r["ends"] - 0.05 <= r["sent"] < r["ends"]
        if not r["boundary"]:
            continue
        if r["status"] == 201:
            if parse_iso(r["body"]["received_at"]) >= r["ends"]:
                wrong.append(r)
        elif (r["status"], r["body"].get("code")) not in ((409, "not_your_turn"), (409, "auction_finished")):
            wrong.append(r)  # (after the last turn the auction has finished: the same refusal, by its own code)
    for r in wrong[:5]:
        print("  decided wrongly:", r["status"], r["body"], flush=True)
    codes = defaultdict(int)
    for r in results:
        codes[r["body"].get("code", "accepted") if r["status"] != 201 else "accepted"] += 1
    return {"accepted": len(accepted), "lost": len(lost), "misordered": misordered, "wrong": len(wrong),
            "boundary": sum(r["boundary"] for r in results), "codes": dict(codes),
            "finished": Auction.objects.filter(status="finished").count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--auctions", type=int, default=50)
    parser.add_argument("--participants", type=int, default=10)
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--turn", type=int, default=3, help="seconds of a turn")
    parser.add_argument("--pause", type=int, default=2, help="seconds of a pause")
    parser.add_argument("--no-stagger", dest="stagger", action="store_false",
                        help="start every auction at the same moment (default: the starts spread over one turn)")
    args = parser.parse_args()
    os.environ["PROCUREMENT_AUCTION_TURN"] = str(args.turn)
    os.environ["PROCUREMENT_AUCTION_PAUSE"] = str(args.pause)
    raise_open_files(4 * args.watchers + 1024)
    with bench_database(bench_db("auction")) as name:
        os.environ["DATABASE_URL"] = database_url(name)
        measure(args)


def measure(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    assert settings.REDIS_URL, "the benchmark measures the Redis channel layer"
    call_command("migrate", verbosity=0)
    print(f"making {args.auctions} auctions...", flush=True)
    auctions = make_auctions(args.auctions, args.participants)
    env = {**os.environ, "PROCUREMENT_SCHEDULER_IN_PROCESS": "0", "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING",
           **{f"THROTTLE_{s}": "1000000/hour" for s in ("BID_ADDRESS", "BID_USER", "LOGIN_ADDRESS")}}
    ports = [free_port(), free_port()]
    processes = [subprocess.Popen([sys.executable, "-m", "uvicorn", "procurement.asgi:application", "--host",
                                   "127.0.0.1", "--port", str(p), "--lifespan", "on", "--log-level", "warning",
                                   "--no-access-log", "--ws", "websockets-sansio", "--ws-per-message-deflate",
                                   "false"], cwd=ROOT, env=env) for p in ports]
    processes.append(subprocess.Popen([sys.executable, "manage.py", "run_scheduler"], cwd=ROOT, env=env))
    try:
        for port in ports:
            wait_until_serving(port)
        close_django_connections()  # not shared with the forked watchers
        outcome = asyncio.run(run(args, auctions, ports, start_watchers(args, auctions, ports)))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    everything = set().union(*(set(e) for e in outcome["watchers"].values()))
    watcher_latency = [ms for events in outcome["watchers"].values() for ms in events.values()]
    missing = sum(len(everything - set(events)) for events in outcome["watchers"].values())
    drivers = outcome["drivers"]
    print(f"events to the {args.watchers} watchers ({len(everything)} events): {summary(watcher_latency)}; "
          f"lost {missing}")
    per_event = defaultdict(list)
    for events in outcome["watchers"].values():
        for name, ms in events.items():
            per_event[name].append(ms)
    slowest = sorted(per_event.items(), key=lambda kv: -statistics.median(kv[1]))[:4]
    print("  slowest events (median over the watchers): " + "; ".join(
        f"{name} {statistics.median(v):.0f} ms" for name, v in slowest))
    print(f"events to the drivers of all auctions: {summary([ms for d in drivers for ms in d.latencies])}")
    print(f"scheduler lag, stage start -> announcement: {summary([ms for d in drivers for ms in d.stage_lags])}")
    figures = check(outcome["results"])
    print(f"prices: {figures['accepted']} accepted, answers {figures['codes']}; finished auctions "
          f"{figures['finished']}/{args.auctions}")
    print(f"lost {figures['lost']}, misordered {figures['misordered']}, boundary requests decided wrongly "
          f"{figures['wrong']} of {figures['boundary']}")


if __name__ == "__main__":
    main()
