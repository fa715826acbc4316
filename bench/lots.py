"""Benchmark of lots (issue 15): the deadline burst with bids by lots, the
opening of a big multi-lot tender, and one lot's evaluation report.

    BENCH_DB_PREFIX=me_ .venv/bin/python bench/lots.py      # see bench/README.md

In a throw-away PostgreSQL database (bench_<prefix>lots):

1. Burst, twice in the same run, as in ``bench/bids.py``: 500 suppliers send
   ``POST /api/tenders/{id}/bids/`` together before the deadline, first on a
   single-lot tender with a flat ``amount`` (today's figures), then on a
   200-lot tender with 20 offers in each bid. Each reports accepted bids/s,
   latencies and the zero-lost checks (every receipt's bid stored with its
   hash, nothing stored without a receipt, count and audit chain agree,
   retries replay the receipt).
2. Opening: 500 bids of 20 lots each on a 200-lot tender (10,000 offers),
   submitted in-process, then ``bids.services.open_tender`` is timed (decrypt,
   write the bids and their offers, every lot's status and record, audit,
   the OCDS release); then the opening record is fetched over HTTP.
3. The evaluation report of one lot of that tender (every offer qualified):
   timed, and its SQL queries counted against a lot of a 2-lot tender with
   3 bids (the count must not depend on the size).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from bench import bids as bench_bids  # noqa: E402
from bench import common  # noqa: E402
from bench.common import log  # noqa: E402

DB = common.bench_db("lots")
TARGET_OPEN_S = 10.0
TARGET_REPORT_S = 0.5


def open_many_lots(server, officer, users, args) -> tuple[dict, int]:
    from django.utils import timezone

    from bids import services
    from bids.models import Offer
    from tenders.models import Lot

    deadline = timezone.now() + dt.timedelta(hours=1)
    tender = bench_bids.make_tender(officer, deadline=deadline, title="Bench: opening a 200-lot tender",
                                    lots=args.lots)
    lot_ids = list(tender.lots.order_by("position").values_list("pk", flat=True))
    started = time.perf_counter()
    for i, user in enumerate(users[:args.open_bids]):
        offers = [(o["lot"], __import__("decimal").Decimal(o["amount"]))
                  for o in bench_bids.offers_for(i, lot_ids, args.lots_per_bid)]
        services.submit_bid(tender.pk, by=user, content=services.BidContent(
            amount=None, currency="KZT", answers={}, documents=[], lots=offers))
    submitted_s = time.perf_counter() - started
    log(f"{args.open_bids} bids of {args.lots_per_bid} lots submitted in-process in {submitted_s:.1f} s "
        f"({args.open_bids / submitted_s:.0f}/s)")
    started = time.perf_counter()
    opened = services.open_tender(tender.pk, now=deadline + dt.timedelta(milliseconds=1))
    open_s = time.perf_counter() - started
    problems = []
    offers = Offer.objects.filter(tender=tender).count()
    if not opened or offers != args.open_bids * args.lots_per_bid:
        problems.append(f"opened={opened}, {offers} offers written")
    statuses = dict(Lot.objects.filter(tender=tender).values_list("status").annotate(
        n=__import__("django.db.models", fromlist=["Count"]).Count("id")))
    started = time.perf_counter()
    status, record = common.get_json(f"{server.base}/api/tenders/{tender.pk}/opening/")
    fetch_s = time.perf_counter() - started
    if status != 200 or len(record.get("lots", [])) != args.lots:
        problems.append(f"opening record over HTTP: {status}")
    return {"open_s": open_s, "fetch_s": fetch_s, "offers": offers, "statuses": statuses,
            "problems": problems}, tender.pk


def lot_report(officer, users, tender_id: int, args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bids import services
    from bids.models import Offer
    from evaluation import selectors
    from evaluation.models import Qualification
    from tenders.models import Lot, Tender

    tender = Tender.objects.get(pk=tender_id)
    now = timezone.now()
    Qualification.objects.bulk_create(
        [Qualification(bid_id=b, lot_id=lot, qualified=True, reason="Documents complete.", decided_at=now,
                       by=officer) for b, lot in Offer.objects.filter(tender=tender).values_list("bid_id", "lot_id")],
        batch_size=5000)
    lot = Lot.objects.filter(tender=tender).order_by("position").first()
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as big:
            report = selectors.report(tender, lot)
        timings.append(time.perf_counter() - started)
    # a small tender: 2 lots, 3 bids
    deadline = timezone.now() + dt.timedelta(hours=1)
    small = bench_bids.make_tender(officer, deadline=deadline, title="Bench: small", lots=2)
    small_lots = list(small.lots.order_by("position").values_list("pk", flat=True))
    for i, user in enumerate(users[-3:]):
        services.submit_bid(small.pk, by=user, content=services.BidContent(
            amount=None, currency="KZT", answers={}, documents=[],
            lots=[(small_lots[0], __import__("decimal").Decimal(100 + i))]))
    services.open_tender(small.pk, now=deadline + dt.timedelta(milliseconds=1))
    small = Tender.objects.get(pk=small.pk)
    small_lot = Lot.objects.get(pk=small_lots[0])
    selectors.report(small, small_lot)  # as for the big one: counted on a warm run
    with CaptureQueriesContext(connection) as few:
        selectors.report(small, small_lot)
    return {"bids": len(report["bids"]), "ranked": len(report["ranking"]), "best": min(timings),
            "median": statistics.median(timings), "queries": len(big), "queries_small": len(few)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suppliers", type=int, default=500)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--lots", type=int, default=200)
    parser.add_argument("--lots-per-bid", type=int, default=20)
    parser.add_argument("--open-bids", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    extra = dict(bench_bids.PERIODS)
    log(f"== lots benchmark, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC ==")
    problems = []
    with common.bench_database(DB):
        common.django_setup(DB, "procurement.settings", **extra)
        from accounts.services import create_officer

        officer = create_officer(buyer_name="Bench Akimat", username="bench-officer", password="Str0ng-pass-phrase")
        users, tokens = bench_bids.make_suppliers(max(args.suppliers, args.open_bids) + 3)
        common.close_django_connections()
        with common.Server("uvicorn", common.server_env(DB, "procurement.settings", **extra),
                           workers=1, cores=common.SERVER_CORE) as server:
            if (os.cpu_count() or 1) >= 2:
                os.sched_setaffinity(0, {int(common.CLIENT_CORE)})
            log("\n-- burst 1: single-lot tender, flat amount (today's form) --")
            flat = bench_bids.run_burst(server, officer, users, tokens, args)
            bench_bids.report_burst(flat)
            log(f"\n-- burst 2: {args.lots}-lot tender, {args.lots_per_bid} offers per bid --")
            by_lots = bench_bids.run_burst(server, officer, users, tokens, args, lots=args.lots,
                                           lots_per_bid=args.lots_per_bid)
            bench_bids.report_burst(by_lots)
            opening, tender_id = open_many_lots(server, officer, users, args)
            log("")
            log(f"opening: {args.lots}-lot tender, {args.open_bids} bids x {args.lots_per_bid} lots "
                f"({opening['offers']} offers): open_tender {opening['open_s']:.2f} s "
                f"(target < {TARGET_OPEN_S:g} s: {'MET' if opening['open_s'] < TARGET_OPEN_S else 'NOT MET'}); "
                f"lots by status {opening['statuses']}")
            log(f"  GET /api/tenders/{{id}}/opening/ over HTTP: {opening['fetch_s'] * 1000:.0f} ms")
            report = lot_report(officer, users, tender_id, args)
            log("")
            log(f"report of one lot ({report['bids']} offers, {report['ranked']} ranked): best {report['best']:.3f} s, "
                f"median {report['median']:.3f} s over {args.runs} runs "
                f"(target < {TARGET_REPORT_S:g} s: {'MET' if report['best'] < TARGET_REPORT_S else 'NOT MET'}); "
                f"{report['queries']} queries, {report['queries_small']} for a lot of a 2-lot tender with 3 bids "
                f"({'constant' if report['queries'] == report['queries_small'] else 'NOT CONSTANT'})")
            problems = flat["problems"] + by_lots["problems"] + opening["problems"]
            if report["queries"] != report["queries_small"]:
                problems.append("report query count depends on size")
    for problem in problems:
        log(f"PROBLEM: {problem}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
