"""Benchmark: the public evaluation report of a big best-value tender.

Builds, in a throw-away database, one tender in evaluation with 5,000
qualified opened bids, a committee of 5 declared evaluators and 5 quality
criteria, each evaluator scoring every bid on every criterion (125,000
scores), then times ``evaluation.selectors.report()`` (the queries, the
scoring, the ranking and the dict the API renders) and counts its SQL queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_eval python bench/evaluation_report.py

The data goes to a separate database named after DATABASE_URL's with a
``_bench`` suffix, created and dropped by Django's test-database utilities.
Options: --bids N --evaluators N --criteria N --runs N --keepdb.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("PROCUREMENT_PLATFORM_KEY", "YmVuY2gtb25seS1wbGF0Zm9ybS1rZXktMzItYnl0ZXMhIQ==")
os.environ.setdefault("LOG_LEVEL", "WARNING")

TARGET_SECONDS = 2.0


def build(*, bids: int, evaluators: int, criteria: int, prefix: str = "bench", tax_offset: int = 0):
    """One tender in evaluation, filled with bulk_create; returns it."""
    import random

    from django.utils import timezone

    from accounts.models import Organisation, User
    from bids.models import Bid, BidVersion, Offer
    from evaluation.models import ConflictDeclaration, Evaluator, Qualification, Score
    from tenders.models import Criterion, Lot, LotStatus, Status, Tender

    rng = random.Random(4)
    now = timezone.now()
    buyer = Organisation.objects.create(kind=Organisation.Kind.BUYER, name=f"{prefix} buyer")
    users = User.objects.bulk_create(User(username=f"{prefix}-officer-{i}", organisation=buyer, password="!")
                                     for i in range(evaluators + 1))
    officer, members = users[0], users[1:]
    price_weight = 100 - 5 * criteria
    tender = Tender.objects.create(
        buyer=buyer, created_by=officer, title="Benchmark tender", cpv="45233140-2",
        estimated_amount=Decimal("1000000000.00"), clarification_deadline=now - timedelta(days=2),
        submission_deadline=now - timedelta(days=1), award_method="best_value", price_weight=price_weight,
        status=Status.EVALUATION, published_at=now - timedelta(days=30), opened_at=now - timedelta(days=1),
        bid_count=bids)
    lot = Lot.objects.create(tender=tender, title=tender.title, cpv=tender.cpv,
                             estimated_amount=tender.estimated_amount, status=LotStatus.EVALUATION)
    crits = Criterion.objects.bulk_create(Criterion(tender=tender, name=f"Criterion {i}", weight=5, position=i)
                                          for i in range(criteria))
    Evaluator.objects.bulk_create(Evaluator(tender=tender, user=m, added_at=now, added_by=officer) for m in members)
    ConflictDeclaration.objects.bulk_create(ConflictDeclaration(tender=tender, user=m, declared_at=now,
                                                                statement="No conflict.") for m in members)
    suppliers = Organisation.objects.bulk_create(
        (Organisation(kind=Organisation.Kind.SUPPLIER, name=f"{prefix} supplier {i}", tax_id=f"{tax_offset + i + 1:012d}")
         for i in range(bids)), batch_size=2000)
    received = now - timedelta(days=3)
    bid_rows = Bid.objects.bulk_create(
        (Bid(tender=tender, supplier=s, created_at=received, updated_at=received, opened_at=tender.opened_at,
             amount=Decimal(rng.randrange(50_000_000, 100_000_000)) / 100, currency="KZT", answers={},
             documents=[]) for s in suppliers), batch_size=2000)
    versions = BidVersion.objects.bulk_create(
        (BidVersion(bid=b, number=1, sealed=b"", sha256=f"{i:064x}", received_at=received + timedelta(seconds=i),
                    signature="0" * 128) for i, b in enumerate(bid_rows)), batch_size=2000)
    for b, v in zip(bid_rows, versions):
        b.current = v
    Bid.objects.bulk_update(bid_rows, ["current"], batch_size=2000)
    Offer.objects.bulk_create((Offer(tender=tender, bid=b, lot=lot, amount=b.amount) for b in bid_rows),
                              batch_size=2000)
    Qualification.objects.bulk_create(
        (Qualification(bid=b, lot=lot, qualified=True, reason="Documents complete.", decided_at=now, by=officer)
         for b in bid_rows), batch_size=2000)
    Score.objects.bulk_create(
        (Score(tender=tender, bid=b, criterion=c, evaluator=m, points=Decimal(rng.randrange(0, 501)) / 100,
               scored_at=now) for b in bid_rows for c in crits for m in members), batch_size=5000)
    return tender


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bids", type=int, default=5000)
    parser.add_argument("--evaluators", type=int, default=5)
    parser.add_argument("--criteria", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keepdb", action="store_true", help="keep the _bench database afterwards")
    args = parser.parse_args()
    if not common.postgres_url_set("h_eval"):
        return 2
    with common.scratch_copy("bench", keepdb=args.keepdb) as connection:
        from django.test.utils import CaptureQueriesContext

        from evaluation import selectors

        started = time.perf_counter()
        tender = build(bids=args.bids, evaluators=args.evaluators, criteria=args.criteria)
        small = build(bids=1, evaluators=args.evaluators, criteria=args.criteria, prefix="small",
                      tax_offset=args.bids)
        print(f"setup: {args.bids} bids x {args.evaluators} evaluators x {args.criteria} criteria "
              f"({args.bids * args.evaluators * args.criteria} scores) in {time.perf_counter() - started:.1f} s")

        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                report = selectors.report(tender)
                timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        body = json.dumps(report)
        render = time.perf_counter() - started
        with CaptureQueriesContext(connection) as small_queries:
            selectors.report(small)

        assert len(report["ranking"]) == args.bids, "every qualified bid is ranked"
        best = min(timings)
        print(f"report(): best {best:.3f} s, median {statistics.median(timings):.3f} s, "
              f"worst {max(timings):.3f} s over {args.runs} runs (target < {TARGET_SECONDS:.0f} s)")
        print(f"SQL queries: {len(queries)} for {args.bids} bids, {len(small_queries)} for 1 bid")
        print(f"JSON rendering of the report: {render:.3f} s, {len(body) / 1e6:.1f} MB")
        print(f"top 3: {report['ranking'][:3]}")
        ok = best < TARGET_SECONDS and len(queries) == len(small_queries)
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
