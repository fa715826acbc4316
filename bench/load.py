"""A realistic mixed load with locust (issue 22 item 4): citizens, suppliers
and officers against 2 uvicorn worker processes, the deadline scheduler and
the task worker, on PostgreSQL + Redis, with tenders reaching their
deadlines during the run.

    python bench/load.py                     # 1,000 users, 10 minutes (see bench/README.md)
    python bench/load.py --users 200 --minutes 2

In a throw-away database (bench_<BENCH_DB_PREFIX>load): the register's 2,000
tenders (bench/seed.py), one buyer officer with an API token, 500 suppliers
with tokens, and ``--live`` published tenders whose deadlines fall during
the run. Users (bench/locustfile.py): 85 % citizens (the register with
filters, tender bodies, the pages, a tender's socket), 10 % suppliers (bid,
replace, read their receipts), 5 % officers (draft and publish, read an
evaluation). Reported: p50/p95/p99 and errors per route (locust), the
servers' RSS over time (growth after warm-up), and the database connections
the run held (pg_stat_activity), sampled every 5 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import psutil  # noqa: E402

from bench import common  # noqa: E402
from bench.common import log  # noqa: E402

DB = common.bench_db("load")
PERIODS = {"PROCUREMENT_MIN_SUBMISSION_PERIOD": "1", "PROCUREMENT_MIN_AMENDMENT_PERIOD": "1"}


def prepare(args) -> dict:
    from django.utils import timezone

    from accounts import tokens as api_tokens
    from accounts.services import create_officer
    from bench.bids import make_suppliers, make_tender
    from bench.seed import seed_register

    facts = seed_register(args.tenders)
    officer = create_officer(buyer_name="Load Akimat", username="load-officer", password="Str0ng-pass-phrase")
    _, tokens = make_suppliers(args.suppliers)
    start = timezone.now() + dt.timedelta(seconds=60)  # after the set-up and the ramp-up
    # Spread over the run, the last one at least 30 s before it ends (the
    # run starts some seconds after this, once the servers are up).
    span = max(args.minutes * 60 - 90, 30)
    live = [make_tender(officer, deadline=start + dt.timedelta(seconds=span * (i + 1) / args.live),
                        title=f"Load: tender {i} closing during the run").pk for i in range(args.live)]
    from tenders.models import Tender

    return {"tenders": list(Tender.objects.filter(status__in=["active", "evaluation", "awarded", "complete"])
                            .values_list("pk", flat=True)[:2000]) + live,
            "live_tenders": live, "supplier_tokens": tokens,
            "officer_token": api_tokens.issue(officer), "seeded": facts["tenders"]}


class Sampler(threading.Thread):
    """Every 5 s: the RSS of each server process tree, and the run's database connections."""

    def __init__(self, processes: dict[str, subprocess.Popen]):
        super().__init__(daemon=True)
        self.processes, self.samples, self.stop = processes, [], threading.Event()

    def run(self):
        import psycopg

        with psycopg.connect(**{"host": common.PG["host"], "port": common.PG["port"], "user": common.PG["user"],
                                "dbname": "postgres"}, autocommit=True) as conn:
            started = time.monotonic()
            while not self.stop.wait(5):
                rss = {}
                for name, process in self.processes.items():
                    try:
                        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
                        rss[name] = sum(p.memory_info().rss for p in tree) / 2**20
                    except psutil.NoSuchProcess:
                        rss[name] = 0.0
                connections = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                           [DB]).fetchone()[0]
                self.samples.append({"t": time.monotonic() - started, "rss": rss, "db": connections})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--tenders", type=int, default=2000)
    parser.add_argument("--suppliers", type=int, default=500)
    parser.add_argument("--live", type=int, default=20, help="tenders whose deadlines pass during the run")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5", help="Redis (channel layer and cache)")
    parser.add_argument("--keep-alive", type=int, default=None,
                        help="uvicorn's --timeout-keep-alive in seconds (its default: 5)")
    args = parser.parse_args()
    extra = {**PERIODS, "REDIS_URL": args.redis}

    log(f"== mixed load, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: {args.users} users, {args.minutes:g} min ==")
    with common.bench_database(DB), tempfile.TemporaryDirectory() as tmp:
        common.django_setup(DB, "procurement.settings", **extra)
        data = prepare(args)
        common.close_django_connections()
        data_path = Path(tmp) / "load.json"
        data_path.write_text(json.dumps(data))
        log(f"seeded {data['seeded']} register tenders, {len(data['live_tenders'])} closing during the run, "
            f"{len(data['supplier_tokens'])} suppliers")
        env = common.server_env(DB, "procurement.settings", **extra)
        cores = "0-1"
        server = common.Server("uvicorn", env, workers=2, cores=cores)
        if args.keep_alive is not None:
            server.argv += ["--timeout-keep-alive", str(args.keep_alive)]
        with server:
            helpers = {name: subprocess.Popen([common.PY, "manage.py", *argv], cwd=common.ROOT, env=env,
                                              stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/{name}.log", "wb"))
                       for name, argv in {"scheduler": ["run_scheduler"],
                                          "worker": ["db_worker", "--no-reload", "--interval", "1"]}.items()}
            sampler = Sampler({"uvicorn (2 workers)": server.process, **helpers})
            sampler.start()
            try:
                prefix = f"{tmp}/locust"
                command = [common.PY, "-m", "locust", "-f", str(common.ROOT / "bench" / "locustfile.py"),
                           "--headless", "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
                           "--run-time", f"{int(args.minutes * 60)}s", "--host", server.base, "--csv", prefix,
                           "--only-summary", "--loglevel", "WARNING"]
                log("locust: " + " ".join(command[2:]))
                with open(f"{tmp}/locust.log", "wb") as locust_log:
                    try:
                        subprocess.run(command, cwd=common.ROOT, env={**env, "LOAD_DATA": str(data_path)},
                                       check=False, stdout=locust_log, stderr=subprocess.STDOUT,
                                       timeout=args.minutes * 60 + 90)
                    except subprocess.TimeoutExpired:
                        # Seen once: one simulated user still blocked after --run-time kept locust
                        # running; its CSV files (written every 2 s) hold the run's figures.
                        log("WARNING: locust did not stop 90 s after its run time: killed; "
                            "figures from its last CSV")
            finally:
                sampler.stop.set()
                sampler.join()
                for process in helpers.values():
                    process.terminate()
                    process.wait(timeout=15)
            from tenders.models import Tender

            opened = Tender.objects.filter(pk__in=data["live_tenders"]).exclude(status="active").count()
            report(prefix, sampler.samples, args, opened, len(data["live_tenders"]))


def report(prefix: str, samples: list[dict], args, opened: int, live: int) -> None:
    log("")
    log(f"{'route':<48} {'requests':>8} {'errors':>6} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    errors = 0
    with open(f"{prefix}_stats.csv") as f:
        for row in csv.DictReader(f):
            log(f"{row['Name'] if row['Name'] != 'Aggregated' else 'all routes':<48} {row['Request Count']:>8} "
                f"{row['Failure Count']:>6} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}")
            if row["Name"] == "Aggregated":
                errors = int(row["Failure Count"])
    try:
        with open(f"{prefix}_failures.csv") as f:
            for row in list(csv.DictReader(f))[:10]:
                log(f"  error: {row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error'][:150]}")
    except FileNotFoundError:
        pass
    log(f"errors: {errors} (target 0)")
    if samples:
        warm = [s for s in samples if s["t"] >= 0.2 * args.minutes * 60] or samples
        for name in samples[0]["rss"]:
            first, last, peak = warm[0]["rss"][name], warm[-1]["rss"][name], max(s["rss"][name] for s in warm)
            growth = (last - first) / first if first else 0.0
            log(f"RSS {name}: {first:.0f} MB after warm-up -> {last:.0f} MB at the end (peak {peak:.0f} MB), "
                f"growth {growth:+.1%} (target <= +10%)")
        log("RSS over time (MB, every 5 s): " + "; ".join(
            f"{s['t']:.0f}s " + "/".join(f"{v:.0f}" for v in s["rss"].values()) for s in samples[::6]))
        log(f"database connections: max {max(s['db'] for s in samples)}, median "
            f"{common.median([s['db'] for s in samples]):.0f} (pg_stat_activity of {DB})")
    log(f"tenders whose deadline passed during the run and were opened by the scheduler: {opened} of {live}")


if __name__ == "__main__":
    main()
