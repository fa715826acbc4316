"""Benchmark: the red flags of 10,000 tenders with bids, and the per-buyer figures.

Builds, in a throw-away database, the register benchmark's 10,000 published
tenders (``bench/seed.py``: 22 buyers, real statuses and dates, one lot each)
and gives every opened one its bids as the opening leaves them: opened bids
with prices (about one in twenty repeating another bid's price), one offer
per bid on the lot, a qualification decision per offer once the tender is
past its opening (about one in eight disqualified), and, on awarded and
complete tenders, the active award to the best qualified bid. Then times:

- ``integrity.services.recompute_all()``: every flag, figure and price gap
  from scratch, and the market fences (the ``recompute_flags`` command);
- ``integrity.services.recompute(tender)``: one tender's flags, as an audit
  event recomputes them in its transaction (median over opened tenders);
- ``GET /api/flags/`` (JSON and CSV) through Django's test client: the
  per-buyer figures, shares per indicator, trend and R038.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_flags python bench/flags.py

The data goes to a separate database named after DATABASE_URL's with a
``_flagsbench`` suffix, created and dropped by Django's test-database utilities.
Options: --tenders N --runs N --keepdb.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("PROCUREMENT_PLATFORM_KEY", "YmVuY2gtb25seS1wbGF0Zm9ybS1rZXktMzItYnl0ZXMhIQ==")
os.environ.setdefault("LOG_LEVEL", "WARNING")

DECIDED = ("evaluation", "awarded", "complete", "unsuccessful")


def add_bids(*, seed: int = 21) -> dict:
    """Opened bids, offers, decisions and awards for the seeded tenders."""
    from django.db import transaction

    from accounts.models import Organisation, User
    from bids.models import Bid, Offer
    from evaluation.models import Award, Qualification
    from tenders.models import Lot, Tender

    rng = random.Random(seed)
    with transaction.atomic():
        suppliers = Organisation.objects.bulk_create(
            Organisation(kind=Organisation.Kind.SUPPLIER, name=f"Bench supplier {i}", tax_id=f"{i + 1:012d}")
            for i in range(400))
        officers = {u.organisation_id: u for u in User.objects.filter(organisation__kind="buyer")}
        lots = dict(Lot.objects.values_list("tender_id", "pk"))
        tenders = list(Tender.objects.filter(opened_at__isnull=False).values(
            "pk", "status", "bid_count", "estimated_amount", "opened_at", "award_method", "buyer_id"))
        bids, plan = [], []
        for t in tenders:
            n = t["bid_count"]
            if t["status"] == "unsuccessful" and n == 0:
                n = rng.randint(1, 3)  # decided out of the running at the qualification
            prices = []
            for supplier in rng.sample(suppliers, n):
                if prices and rng.random() < 0.05:
                    price = rng.choice(prices)
                else:
                    price = (t["estimated_amount"] * Decimal(rng.uniform(0.6, 1.0))).quantize(Decimal("0.01"))
                prices.append(price)
                bids.append(Bid(tender_id=t["pk"], supplier=supplier, created_at=t["opened_at"] - timedelta(days=2),
                                updated_at=t["opened_at"] - timedelta(days=2), opened_at=t["opened_at"],
                                amount=price, currency="KZT", answers={}, documents=[]))
            plan.append((t, n))
        Bid.objects.bulk_create(bids, batch_size=5000)
        offers, decisions, awards = [], [], []
        at = 0
        for t, n in plan:
            mine = bids[at:at + n]
            at += n
            lot = lots[t["pk"]]
            offers += [Offer(tender_id=t["pk"], bid=b, lot_id=lot, amount=b.amount) for b in mine]
            if t["status"] not in DECIDED or not mine:
                continue
            verdicts = {b.pk: t["status"] == "unsuccessful" or rng.random() < 0.125 for b in mine}
            if t["status"] in ("awarded", "complete") and all(verdicts.values()):
                verdicts[mine[0].pk] = False
            decisions += [Qualification(bid=b, lot_id=lot, qualified=not verdicts[b.pk], reason="Bench.",
                                        decided_at=t["opened_at"] + timedelta(days=1), by=officers[t["buyer_id"]])
                          for b in mine]
            if t["status"] in ("awarded", "complete"):
                valid = sorted((b for b in mine if not verdicts[b.pk]), key=lambda b: (b.amount, b.pk))
                winner = valid[0] if t["award_method"] == "lowest_price" else rng.choice(valid)
                awards.append(Award(tender_id=t["pk"], lot_id=lot, bid=winner, awarded_at=t["opened_at"] + timedelta(days=2),
                                    by=officers[t["buyer_id"]], top_ranked=True,
                                    standstill_ends_at=t["opened_at"] + timedelta(days=12)))
        Offer.objects.bulk_create(offers, batch_size=5000)
        Qualification.objects.bulk_create(decisions, batch_size=5000)
        Award.objects.bulk_create(awards, batch_size=5000)
    return {"bids": len(bids), "offers": len(offers), "decisions": len(decisions), "awards": len(awards)}


def timed(fn, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenders", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keepdb", action="store_true", help="keep the _flagsbench database afterwards")
    args = parser.parse_args()
    if not common.postgres_url_set("h_flags"):
        return 2
    with common.scratch_copy("flagsbench", keepdb=args.keepdb) as connection:
        from django.db import transaction
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from bench.seed import seed_register
        from integrity import services
        from integrity.models import Flag
        from tenders.models import Tender

        started = time.perf_counter()
        made = seed_register(args.tenders)
        made.update(add_bids())
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"setup: {made} in {time.perf_counter() - started:.1f} s")

        times, count = timed(services.recompute_all, args.runs)
        fences = services.current_fences()
        by_code = Counter(Flag.objects.values_list("code", flat=True))
        print(f"recompute_all ({count} tenders): median {statistics.median(times):.2f} s, "
              f"best {min(times):.2f} s over {args.runs} runs")
        print(f"flags: {dict(sorted(by_code.items()))}; market fences from {fences.count} lots: "
              f"Q1 {fences.q1}, Q3 {fences.q3}, lower {fences.lower}, upper {fences.upper}")

        opened = list(Tender.objects.filter(status__in=["awarded", "complete"]).order_by("?")
                      .values_list("pk", flat=True)[:200])
        single = []
        with CaptureQueriesContext(connection) as queries:
            for pk in opened:
                with transaction.atomic():
                    started = time.perf_counter()
                    services.recompute(pk)
                    single.append(time.perf_counter() - started)
        print(f"recompute(one awarded tender), as an event does: median {statistics.median(single) * 1000:.1f} ms, "
              f"p95 {sorted(single)[int(len(single) * 0.95)] * 1000:.1f} ms, "
              f"{len(queries) / len(opened):.1f} queries each ({len(opened)} tenders)")

        client = Client()
        for label, path in (("JSON", "/api/flags/"), ("CSV", "/api/flags/?format=csv")):
            def get():
                response = client.get(path)
                assert response.status_code == 200, response.content[:300]
                return response
            with CaptureQueriesContext(connection) as queries:
                times, response = timed(get, args.runs + 2)
            print(f"GET {path} ({label}, {len(response.content) / 1e3:.0f} kB): median "
                  f"{statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms, "
                  f"{len(queries) // (args.runs + 2)} queries")
        body = client.get("/api/flags/").json()
        raised = Counter(code for row in body["suppliers"]["flagged"] for code in row["codes"])
        r038 = sum(row["r038"] for row in body["results"])
        print(f"per buyer: R038 on {r038} of {len(body['results'])} buyers (fence {body['buyers_fence']['upper_fence']}); "
              f"per supplier: {dict(sorted(raised.items()))} (R025 fence {body['suppliers']['r025']['fence']}, "
              f"R048 fence {body['suppliers']['r048']['fence']})")
        return 0


if __name__ == "__main__":
    sys.exit(main())
