"""Benchmark: the OCDS bulk feed and the daily bulk file for 10,000 tenders.

In a throw-away PostgreSQL database, inserts 10,000 published tenders
(``bench/seed.py``: every published state, kk/ru/en titles) and records their
releases with the real builder (``opendata.releases.record``: the notice for
each, then the opening, award, completion, unsuccessful or cancellation
release that its state implies), then

1. walks the whole feed ``GET /api/ocds/releases/`` through the Django test
   client (the full view: filters, cursor, package text), following
   ``links.next`` with ``page_size=1000`` and with the default 100;
2. writes the daily bulk file (``manage.py ocds_bulk``'s function: gzipped
   JSON lines, one release package per tender).

For each it prints the wall time and the memory: the peak of Python's heap
during the run (tracemalloc, in a separate pass so that it does not slow the
timed one). Streamed means that peak stays flat as the tenders grow: compare
``--tenders 2000`` with the default.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_opendata python bench/ocds_feed.py

The data goes to a separate database named after DATABASE_URL's with an
``_ocdsbench`` suffix, created and dropped by Django's test-database
utilities. Options: --tenders N --keepdb.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("PROCUREMENT_PLATFORM_KEY", "YmVuY2gtb25seS1wbGF0Zm9ybS1rZXktMzItYnl0ZXMhIQ==")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

# Events after publication that each state implies (the notice comes first for all).
LATER_EVENTS = {
    "active": [],
    "evaluation": ["bids_opened"],
    "awarded": ["bids_opened", "tender_awarded"],
    "complete": ["bids_opened", "tender_awarded", "tender_completed"],
    "unsuccessful": ["bids_opened", "tender_unsuccessful"],
    "cancelled": ["tender_cancelled"],
}


def record_releases() -> int:
    from django.db import transaction

    from opendata import releases
    from tenders.models import Tender

    count = 0
    with transaction.atomic():
        for tender in Tender.objects.select_related("buyer").order_by("pk").iterator(chunk_size=500):
            at = tender.published_at
            for seq, event in enumerate(["tender_published"] + LATER_EVENTS[tender.status], start=1):
                at = {"tender_cancelled": tender.cancelled_at, "bids_opened": tender.opened_at}.get(event) or at
                releases.record(tender, SimpleNamespace(seq=seq, at=at, event=event, data={}))
                count += 1
    return count


def measure(label: str, run) -> object:
    """Run once timed, then once under tracemalloc for the peak of the Python
    heap during the run (what holding the data in memory would show)."""
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label}: {elapsed:.2f} s; Python heap peak {peak / 1e6:.1f} MB")
    return result


def walk_feed(page_size: int) -> tuple[int, int, int]:
    from django.test import Client

    client = Client()
    url, pages, releases, size = f"/api/ocds/releases/?page_size={page_size}", 0, 0, 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        body = json.loads(response.content)
        pages += 1
        releases += len(body["releases"])
        size += len(response.content)
        url = body.get("links", {}).get("next")
    return pages, releases, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenders", type=int, default=10_000)
    parser.add_argument("--keepdb", action="store_true", help="keep the _ocdsbench database afterwards")
    args = parser.parse_args()
    if not common.postgres_url_set("wt_opendata"):
        return 2
    with common.scratch_copy("ocdsbench", keepdb=args.keepdb) as connection:
        from bench.seed import seed_register
        from opendata import ocds
        from opendata.models import Release

        started = time.perf_counter()
        seed_register(args.tenders)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        count = record_releases()
        recorded = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE opendata_release")
        stored = sum(len(t) for t in Release.objects.values_list("text", flat=True).iterator(chunk_size=5000))
        print(f"setup: {args.tenders} tenders in {seeded:.1f} s; {count} releases recorded with the real "
              f"builder in {recorded:.1f} s ({recorded / count * 1000:.2f} ms each, the cost added to an event); "
              f"{stored / 1e6:.1f} MB of release JSON")

        for size in (1000, 100):
            pages, releases, body = measure(f"feed, page_size={size}", lambda size=size: walk_feed(size))
            assert releases == count, (releases, count)
            print(f"  {pages} pages, {releases} releases, {body / 1e6:.1f} MB served")

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ocds-releases.jsonl.gz"
            written = measure("daily bulk file", lambda: ocds.write_bulk_file(path, uri="http://localhost/bulk"))
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                lines = sum(1 for _ in fh)
            assert written == lines == args.tenders, (written, lines)
            print(f"  {lines} packages (one per tender), {path.stat().st_size / 1e6:.1f} MB gzipped")
        return 0


if __name__ == "__main__":
    sys.exit(main())
