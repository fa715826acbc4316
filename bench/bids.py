"""Benchmark of sealed-bid submission at the deadline, and of the opening.

    python bench/bids.py                # see bench/README.md

In a throw-away PostgreSQL database (bench_bids):

1. Burst: 500 suppliers (organisations, users and API tokens made in bulk)
   each hold a keep-alive connection to uvicorn (ASGI, 1 worker, core 0) and
   all send ``POST /api/tenders/{id}/bids/`` at the same moment, ``--window``
   seconds before the submission deadline. The client (asyncio, raw HTTP/1.1)
   runs on core 1. Reported: accepted bids/s, p50/p99 latency, and the checks
   that nothing was lost: every request got 201 or 409 ``deadline_passed``;
   every 201 receipt's bid is in the database with that SHA-256 (its signature
   verifies, its receive time is before the deadline); no bid is stored
   without a receipt; the tender's bid count and audit chain agree; retries
   with the same Idempotency-Key return the same receipt.
2. Opening: 5,000 bids are submitted in-process through
   ``bids.services.submit_bid``, then ``bids.services.open_tender`` is timed
   (decrypt every bid, write the opened fields, publish the opening record,
   audit, move to evaluation), and the public opening record is fetched over
   HTTP.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (this file is "bids")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import datetime as dt  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

from bench import common  # noqa: E402
from bench.common import log  # noqa: E402

DB = common.bench_db("bids")
TARGET_ACCEPTED_PER_S = 200
TARGET_OPEN_S = 5.0
TARGET_RATIO = 0.5  # accepted bids/s over the baseline's (bench/views.py: baseline_bid)
PERIODS = {"PROCUREMENT_MIN_SUBMISSION_PERIOD": "1", "PROCUREMENT_MIN_AMENDMENT_PERIOD": "1"}


# --- data --------------------------------------------------------------------

def make_suppliers(n: int):
    """``n`` supplier organisations with a valid BIN, a user each and an API token."""
    from knox.models import AuthToken, get_digest_token
    from knox.settings import CONSTANTS

    from accounts import taxid
    from accounts.models import Organisation, User

    tax_ids, serial = [], 50_000_000_000
    while len(tax_ids) < n:
        serial += 1
        candidate = taxid.complete(f"{serial:011d}")
        if candidate:
            tax_ids.append(candidate)
    orgs = Organisation.objects.bulk_create(
        [Organisation(kind=Organisation.Kind.SUPPLIER, name=f"Bench Supplier {i:05d} LLP", tax_id=tax_id)
         for i, tax_id in enumerate(tax_ids)], batch_size=1000)
    users = User.objects.bulk_create(
        [User(username=f"bench-supplier-{i:05d}", organisation=org, password="!bench-unusable")
         for i, org in enumerate(orgs)], batch_size=1000)
    issued = [(u, *get_digest_token()) for u in users]  # (user, digest, key): knox stores the digest only
    AuthToken.objects.bulk_create([AuthToken(digest=digest, token_key=key[:CONSTANTS.TOKEN_KEY_LENGTH], user=u)
                                   for u, digest, key in issued], batch_size=1000)
    return users, [key for _, _, key in issued]


def make_tender(officer, *, deadline: dt.datetime, title: str, lots: int = 0):
    """A published tender; with ``lots``, that many lots (else the flat, single-lot form)."""
    from decimal import Decimal

    from django.utils import timezone

    from tenders import services

    now = timezone.now()
    shape = ({"lots": [{"title": f"Lot {i + 1}", "estimated_amount": Decimal("5000000.00")} for i in range(lots)]}
             if lots else {"estimated_amount": Decimal("950000000.00")})
    tender = services.create_draft(
        by=officer, title=title, description="Benchmark tender.", cpv="45233140-2", currency="KZT",
        clarification_deadline=min(now + dt.timedelta(seconds=2), deadline - dt.timedelta(seconds=1)),
        submission_deadline=deadline, **shape)
    return services.publish_tender(tender.pk, by=officer)


def amount_for(i: int) -> str:
    return f"{900_000_000 + i * 1_003 + 0.37:.2f}"


def offers_for(i: int, lot_ids: list[int], per_bid: int) -> list[dict]:
    """Supplier ``i``'s offers: ``per_bid`` consecutive lots from a place that depends on ``i``."""
    return [{"lot": lot_ids[(i * 7 + k) % len(lot_ids)], "amount": f"{1_000_000 + i * 13 + k + 0.37:.2f}"}
            for k in range(per_bid)]


# --- the HTTP client -------------------------------------------------------------

async def _read_response(reader) -> tuple[int, dict, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


def _request(port: int, tender_id: int, token: str, key: str, body: bytes, prefix: str = "/api") -> bytes:
    return (f"POST {prefix}/tenders/{tender_id}/bids/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Token {token}\r\nIdempotency-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def burst(port: int, requests: list[bytes], fire_at: float) -> tuple[float, list[dict]]:
    """Open one connection per request, wait until ``fire_at`` (wall clock),
    send them all at once; each result has status, body and times."""
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in requests]
    go = asyncio.Event()

    async def one(index: int, reader, writer) -> dict:
        await go.wait()
        sent = time.perf_counter()
        writer.write(requests[index])
        await writer.drain()
        try:
            status, headers, body = await _read_response(reader)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            status, headers, body = 0, {}, repr(exc).encode()
        done = time.perf_counter()
        writer.close()
        return {"index": index, "status": status, "headers": headers, "body": body, "sent": sent, "done": done}

    tasks = [asyncio.create_task(one(i, r, w)) for i, (r, w) in enumerate(connections)]
    await asyncio.sleep(max(0.0, fire_at - time.time()))
    started = time.perf_counter()
    go.set()
    return started, list(await asyncio.gather(*tasks))


async def replay(port: int, requests: list[bytes]) -> list[tuple[int, dict, bytes]]:
    out = []
    for request in requests:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        out.append(await _read_response(reader))
        writer.close()
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


# --- phases ------------------------------------------------------------------------

def run_burst(server, officer, users, tokens, args, *, lots: int = 0, lots_per_bid: int = 0) -> dict:
    """The burst; with ``lots``, on a tender of that many lots, each supplier
    bidding on ``lots_per_bid`` of them."""
    from django.db import connection
    from django.utils import timezone

    from audit import services as audit
    from bids import receipts
    from bids.models import Bid, BidVersion
    from tenders.models import Tender

    n = args.suppliers
    deadline = timezone.now() + dt.timedelta(seconds=args.window + 4)
    tender = make_tender(officer, deadline=deadline, title="Bench: 500 suppliers at the deadline", lots=lots)
    lot_ids = list(tender.lots.order_by("position").values_list("pk", flat=True))
    # No "answers": this lowest-price tender has no criteria.
    sent = [{"lots": offers_for(i, lot_ids, lots_per_bid)} if lots else {"amount": amount_for(i)} for i in range(n)]
    bodies = [json.dumps({**sent[i], "currency": "KZT"}).encode() for i in range(n)]
    requests = [_request(server.port, tender.pk, tokens[i], f"bench-{tender.pk}-{i}", bodies[i]) for i in range(n)]
    fire_at = deadline.timestamp() - args.window
    connection.close()
    log(f"{n} suppliers connected; all send at deadline - {args.window:g} s")
    cpu_before = server.cpu_seconds()
    started, results = asyncio.run(burst(server.port, requests, fire_at))
    server_cpu = server.cpu_seconds() - cpu_before
    offset_deadline = deadline.timestamp() - fire_at  # seconds from the burst to the deadline

    accepted = [r for r in results if r["status"] == 201]
    late = [r for r in results if r["status"] == 409 and json.loads(r["body"]).get("code") == "deadline_passed"]
    other = [r for r in results if r not in accepted and r not in late]
    problems = []
    for r in other[:5]:
        problems.append(f"request {r['index']}: {r['status']} {r['body'][:200]!r}")

    # Every receipt is backed by a committed bid with that hash; nothing else was stored.
    receipts_by_bid = {}
    for r in accepted:
        receipt = json.loads(r["body"])
        receipts_by_bid[receipt["bid"]] = (r["index"], receipt)
        if hashlib.sha256(receipt["content"].encode()).hexdigest() != receipt["sha256"]:
            problems.append(f"receipt of request {r['index']}: sha256 does not match its content")
        content = json.loads(receipt["content"])
        expected = sent[r["index"]]
        if (content.get("amount") != expected.get("amount")
                or content.get("lots") != (sorted(expected["lots"], key=lambda o: o["lot"]) if lots else None)):
            problems.append(f"receipt of request {r['index']}: not the amount or offers that were sent")
        if not receipts.verify(tender_id=receipt["tender"], bid_id=receipt["bid"], sha256=receipt["sha256"],
                               received_at=receipt["received_at"], signature=receipt["signature"]):
            problems.append(f"receipt of request {r['index']}: signature does not verify")
        if dt.datetime.fromisoformat(receipt["received_at"]) >= deadline:
            problems.append(f"receipt of request {r['index']}: received at/after the deadline")
    stored = {b.pk: b for b in Bid.objects.filter(tender=tender).select_related("current", "supplier")}
    for bid_id, (index, receipt) in receipts_by_bid.items():
        bid = stored.get(bid_id)
        if bid is None or bid.current is None or bid.current.sha256 != receipt["sha256"]:
            problems.append(f"LOST: receipt for bid {bid_id} (request {index}) has no stored bid with that hash")
        elif bid.supplier_id != users[index].organisation_id:
            problems.append(f"bid {bid_id} belongs to the wrong supplier")
    unreceipted = set(stored) - set(receipts_by_bid)
    if unreceipted:
        problems.append(f"{len(unreceipted)} bids stored without a receipt having been sent")
    versions = BidVersion.objects.filter(bid__tender=tender).count()
    if versions != len(accepted):
        problems.append(f"{versions} bid versions stored for {len(accepted)} receipts")
    tender = Tender.objects.get(pk=tender.pk)
    if tender.bid_count != len(accepted):
        problems.append(f"tender.bid_count is {tender.bid_count}, {len(accepted)} accepted")
    for problem in audit.verify([tender.pk]):
        problems.append(f"audit chain: {problem}")

    # Retries after the deadline with the same Idempotency-Key: the same receipt, nothing stored twice.
    sample = accepted[:20]
    replayed = asyncio.run(replay(server.port, [requests[r["index"]] for r in sample]))
    for r, (status, headers, body) in zip(sample, replayed):
        first, again = json.loads(r["body"]), json.loads(body) if status == 201 else {}
        if status != 201 or any(first[k] != again.get(k) for k in ("bid", "sha256", "received_at", "signature")):
            problems.append(f"retry of request {r['index']}: {status} {body[:120]!r}")
    if BidVersion.objects.filter(bid__tender=tender).count() != len(accepted):
        problems.append("a retry stored a second version")

    accepted_done = [r["done"] - started for r in accepted]
    span = max(accepted_done) if accepted_done else float("nan")
    latencies = [(r["done"] - r["sent"]) * 1000 for r in results]
    accepted_latencies = [(r["done"] - r["sent"]) * 1000 for r in accepted] or [float("nan")]
    return {
        "requests": n, "accepted": len(accepted), "late": len(late), "other": len(other),
        "deadline_after_s": offset_deadline, "span_s": span,
        "accepted_per_s": len(accepted) / span if accepted else 0.0,
        "handled_per_s": len(results) / max(r["done"] - started for r in results),
        "p50": pct(latencies, 50), "p99": pct(latencies, 99),
        "p50_accepted": pct(accepted_latencies, 50), "p99_accepted": pct(accepted_latencies, 99),
        "last_accepted_received_at": max((json.loads(r["body"])["received_at"] for r in accepted), default="-"),
        "deadline": deadline.isoformat().replace("+00:00", "Z"),
        "replayed": len(sample), "problems": problems,
        "server_cpu_ms": server_cpu * 1000 / n,
        "server_busy": server_cpu / max(r["done"] - started for r in results),
    }


def run_baseline_burst(server, officer, tokens, args) -> dict:
    """The same burst against the baseline (``bench/views.py: baseline_bid``:
    token, lock the tender row, insert a bid row, commit), on a tender of its own."""
    from django.db import connection
    from django.utils import timezone

    from bids.models import Bid

    n = args.suppliers
    deadline = timezone.now() + dt.timedelta(seconds=args.window + 4)
    tender = make_tender(officer, deadline=deadline, title="Bench: the baseline's burst")
    requests = [_request(server.port, tender.pk, tokens[i], f"base-{tender.pk}-{i}",
                         json.dumps({"amount": amount_for(i), "currency": "KZT"}).encode(), prefix="/bench/baseline")
                for i in range(n)]
    fire_at = deadline.timestamp() - args.window
    connection.close()
    started, results = asyncio.run(burst(server.port, requests, fire_at))
    accepted = [r for r in results if r["status"] == 201]
    late = [r for r in results if r["status"] == 409]
    other = [r for r in results if r["status"] not in (201, 409)]
    stored = Bid.objects.filter(tender=tender).count()
    problems = [f"request {r['index']}: {r['status']} {r['body'][:200]!r}" for r in other[:5]]
    if stored != len(accepted):
        problems.append(f"baseline: {stored} bids stored for {len(accepted)} 201s")
    span = max((r["done"] - started for r in accepted), default=float("nan"))
    return {"accepted": len(accepted), "late": len(late), "other": len(other), "span_s": span,
            "accepted_per_s": len(accepted) / span if accepted else 0.0, "problems": problems}


def profile_bids(officer, users, tokens, n: int) -> None:
    """Where an accepted bid's server time goes: ``n`` bids through the
    product's view in-process (Django's test client: the same middleware,
    DRF, services and SQL, no HTTP server), under cProfile, grouped by area;
    then the baseline's view the same way, for its CPU per request."""
    import cProfile
    import pstats

    from django.test import Client
    from django.utils import timezone

    deadline = timezone.now() + dt.timedelta(hours=1)
    tenders = {name: make_tender(officer, deadline=deadline, title=f"Bench: profile, {name}")
               for name in ("product", "baseline")}
    client = Client()

    def send(name: str, i: int):
        prefix = "/api" if name == "product" else "/bench/baseline"
        response = client.post(f"{prefix}/tenders/{tenders[name].pk}/bids/",
                               data=json.dumps({"amount": amount_for(i), "currency": "KZT"}),
                               content_type="application/json", HTTP_AUTHORIZATION=f"Token {tokens[i]}",
                               HTTP_IDEMPOTENCY_KEY=f"profile-{name}-{i}")
        assert response.status_code == 201, (name, response.status_code, response.content[:200])

    cpu = {}
    for name in ("baseline", "product"):
        send(name, 0)  # warm: imports, first queries
        started = time.process_time()
        for i in range(1, n // 2):
            send(name, i)
        cpu[name] = (time.process_time() - started) * 1000 / (n // 2 - 1)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n // 2, n):
        send("product", i)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())  # tottime, all functions
    areas = {
        "sealing, hashing, signing (core.sealing, nacl, hashlib)": ("core/sealing", "nacl/", "bids/receipts",
                                                                    "hashlib", "cryptography"),
        "audit (audit/)": ("/audit/",),
        "live events (live/, channels)": ("/live/", "channels/"),
        "database driver (psycopg: send, wait, parse)": ("psycopg/",),
        "SQL compilation and rows (django/db)": ("django/db/",),
        "DRF (rest_framework)": ("rest_framework/",),
        "bid rules (bids/services, core/rows)": ("bids/services", "core/rows", "bids/content"),
    }
    spent = {area: 0.0 for area in areas}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
        for area, needles in areas.items():
            if any(needle in filename for needle in needles):
                spent[area] += tottime
                break
    log("")
    log(f"profile: {n - n // 2} accepted bids in-process (test client), product view")
    log(f"  CPU per accepted bid, in-process: product {cpu['product']:.1f} ms, baseline {cpu['baseline']:.1f} ms "
        f"(ratio {cpu['baseline'] / cpu['product']:.2f})")
    for area, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        log(f"  {seconds / total:5.1%}  {area}")
    log(f"  {1 - sum(spent.values()) / total:5.1%}  the rest (Django request handling, middleware, JSON, Python)")
    log("  top functions by own time:")
    stats.sort_stats("tottime")
    for func in stats.fcn_list[:12]:
        tottime = stats.stats[func][2]
        log(f"    {tottime / total:5.1%}  {func[0].split('site-packages/')[-1].replace(str(common.ROOT) + '/', '')}"
            f":{func[1]} {func[2]}")


def run_opening(server, officer, users, args) -> dict:
    from decimal import Decimal

    from django.utils import timezone

    from bids import services
    from bids.models import Bid
    from tenders.models import Tender

    n = args.open_bids
    deadline = timezone.now() + dt.timedelta(hours=1)
    tender = make_tender(officer, deadline=deadline, title="Bench: opening 5,000 bids")
    started = time.perf_counter()
    for i, user in enumerate(users[:n]):
        services.submit_bid(tender.pk, by=user, content=services.BidContent(
            amount=Decimal(amount_for(i)), currency="KZT", answers={}, documents=[]))
    submitted_s = time.perf_counter() - started
    log(f"{n} bids submitted in-process through submit_bid in {submitted_s:.1f} s "
        f"({n / submitted_s:.0f}/s, one transaction each)")

    # The deadline is a parameter: open as the scheduler would once it has passed.
    started = time.perf_counter()
    opened = services.open_tender(tender.pk, now=deadline + dt.timedelta(milliseconds=1))
    open_s = time.perf_counter() - started
    tender = Tender.objects.get(pk=tender.pk)
    problems = []
    if not opened or tender.status != "evaluation" or tender.opened_at is None:
        problems.append(f"tender not opened: {tender.status}")
    amounts = dict(Bid.objects.filter(tender=tender).values_list("supplier_id", "amount"))
    wrong = sum(1 for i, u in enumerate(users[:n]) if amounts.get(u.organisation_id) != Decimal(amount_for(i)))
    if wrong:
        problems.append(f"{wrong} opened amounts differ from what was sent")

    started = time.perf_counter()
    status, record = common.get_json(f"{server.base}/api/tenders/{tender.pk}/opening/")
    fetch_s = time.perf_counter() - started
    if status != 200 or len(record.get("bids", [])) != n:
        problems.append(f"opening record over HTTP: {status}, {len(record.get('bids', []))} bids")
    return {"bids": n, "open_s": open_s, "fetch_s": fetch_s, "submit_per_s": n / submitted_s,
            "problems": problems}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suppliers", type=int, default=500)
    parser.add_argument("--window", type=float, default=2.0,
                        help="seconds before the deadline at which every supplier sends")
    parser.add_argument("--open-bids", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn workers; more than 1 runs them on every core, unpinned from the client")
    parser.add_argument("--redis", action="store_true",
                        help="use the Redis channel layer (redis://127.0.0.1:6379/5) as in production")
    parser.add_argument("--no-opening", action="store_true", help="skip the opening phase")
    parser.add_argument("--profile", type=int, default=200, metavar="N",
                        help="profile N bids in-process after the bursts (0: no profile)")
    parser.add_argument("--floor", type=float, default=None,
                        help="exit 1 when accepted bids/s / the baseline's is below this (the CI guard)")
    args = parser.parse_args()
    extra = dict(PERIODS)
    if args.redis:
        extra["REDIS_URL"] = "redis://127.0.0.1:6379/5"

    log(f"== bids benchmark, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, channel layer: "
        f"{'Redis' if args.redis else 'in-memory'} ==")
    with common.bench_database(DB):
        common.django_setup(DB, "bench.settings", **extra)
        from accounts.services import create_officer

        started = time.perf_counter()
        officer = create_officer(buyer_name="Bench Akimat", username="bench-officer", password="Str0ng-pass-phrase")
        users, tokens = make_suppliers(max(args.suppliers, args.open_bids))
        log(f"{len(users)} suppliers with tokens made in {time.perf_counter() - started:.1f} s")
        common.close_django_connections()
        cores = common.SERVER_CORE if args.workers == 1 else f"0-{(os.cpu_count() or 1) - 1}"
        log(f"uvicorn: {args.workers} worker(s) on core(s) {cores}; client on core {common.CLIENT_CORE}")
        # bench.settings: the product's settings and URLs, plus the baseline's URL.
        with common.Server("uvicorn", common.server_env(DB, "bench.settings", **extra),
                           workers=args.workers, cores=cores) as server:
            if (os.cpu_count() or 1) >= 2:
                os.sched_setaffinity(0, {int(common.CLIENT_CORE)})  # the client side from here on
            burst_result = run_burst(server, officer, users, tokens, args)
            report_burst(burst_result)
            baseline = run_baseline_burst(server, officer, tokens, args)
            ratio = burst_result["accepted_per_s"] / baseline["accepted_per_s"] if baseline["accepted"] else 0.0
            report_baseline(baseline, ratio, args.floor)
            open_result = run_opening(server, officer, users, args) if not args.no_opening else {"problems": []}
            if not args.no_opening:
                report_opening(open_result)
        if args.profile:
            profile_bids(officer, users, tokens, args.profile)
    ok = not burst_result["problems"] and not open_result["problems"] and not baseline["problems"]
    if args.floor is not None and ratio < args.floor:
        log(f"FAIL: accepted bids/s is {ratio:.2f} of the baseline's, below the floor {args.floor:.2f}")
        ok = False
    sys.exit(0 if ok else 1)


def report_baseline(r: dict, ratio: float, floor: float | None) -> None:
    log("")
    log(f"baseline burst (token, lock the tender row, insert a bid row, commit): accepted {r['accepted']}, "
        f"409 {r['late']}, other {r['other']}; accepted bids/s: {r['accepted_per_s']:.0f}")
    log(f"accepted bids/s / baseline: {ratio:.2f}  (target >= {TARGET_RATIO:.2f}: "
        f"{'MET' if ratio >= TARGET_RATIO else 'NOT MET'})" + (f"; floor {floor:.2f}" if floor is not None else ""))
    for problem in r["problems"]:
        log(f"  PROBLEM: {problem}")


def report_burst(r: dict) -> None:
    log("")
    log(f"burst: {r['requests']} POST /api/tenders/{{id}}/bids/ sent together, deadline {r['deadline_after_s']:.1f} s later")
    log(f"  accepted (201): {r['accepted']}   refused 409 deadline_passed: {r['late']}   other: {r['other']}")
    log(f"  accepted bids/s: {r['accepted_per_s']:.0f}  ({r['accepted']} in {r['span_s']:.2f} s)  "
        f"(target >= {TARGET_ACCEPTED_PER_S}: {'MET' if r['accepted_per_s'] >= TARGET_ACCEPTED_PER_S else 'NOT MET'})")
    log(f"  all answers/s: {r['handled_per_s']:.0f}")
    log(f"  latency, all requests: p50 {r['p50']:.0f} ms, p99 {r['p99']:.0f} ms; accepted only: "
        f"p50 {r['p50_accepted']:.0f} ms, p99 {r['p99_accepted']:.0f} ms")
    log(f"  server CPU: {r['server_cpu_ms']:.1f} ms per request, core busy {r['server_busy']:.0%} during the burst")
    log(f"  last accepted received_at {r['last_accepted_received_at']} < deadline {r['deadline']}")
    if r["problems"]:
        log(f"  LOST / WRONG: {len(r['problems'])} problems:")
        for problem in r["problems"][:20]:
            log(f"    - {problem}")
    else:
        log(f"  zero lost: every request got 201 or 409 deadline_passed; every receipt's bid is stored with "
            f"its sha256 and a valid signature; no bid without a receipt; bid_count and audit chain agree; "
            f"{r['replayed']} retries returned the same receipt")


def report_opening(r: dict) -> None:
    log("")
    log(f"opening: open_tender on {r['bids']} bids took {r['open_s']:.2f} s  "
        f"(target < {TARGET_OPEN_S:g} s: {'MET' if r['open_s'] < TARGET_OPEN_S else 'NOT MET'})")
    log(f"  GET /api/tenders/{{id}}/opening/ ({r['bids']} bids) over HTTP: {r['fetch_s'] * 1000:.0f} ms")
    for problem in r["problems"]:
        log(f"  PROBLEM: {problem}")


if __name__ == "__main__":
    main()
