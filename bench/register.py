"""Benchmark of the public register, GET /api/tenders/, over HTTP on PostgreSQL.

    python bench/register.py            # see bench/README.md

Seeds 10,000 published tenders in a throw-away database (bench_register),
starts uvicorn (ASGI, 1 worker) and gunicorn (WSGI, 1 sync worker) pinned to
core 0, and drives them with wrk pinned to core 1 (8 keep-alive connections).
Four variants alternate in short rounds, the order rotating each round:

    asgi-api        GET /api/tenders/?<filters>            the product, under uvicorn
    asgi-baseline   GET /bench/baseline/tenders/?<filters> JsonResponse(.values()), under uvicorn
    wsgi-api        the product, under gunicorn
    wsgi-baseline   the baseline, under gunicorn
    asgi-cached     GET /api/tenders/?<filters>            the product with the public cache on (anonymous)

and the median of the per-round ratios is reported against the targets.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench import common  # noqa: E402
from bench.common import log  # noqa: E402

DB = common.bench_db("register")
TARGET_API_RATIO = 0.70
TARGET_ASGI_WSGI = 0.65
TARGET_P99_MS = 100.0
TARGET_CACHED = 3.0  # the public cache's variant over the plain API


def default_query() -> str:
    """A supplier looking for construction work (CPV division 45) still open
    for bids, worth at least 10 million KZT, closing soonest first."""
    return urlencode({"status": "active", "cpv": "45", "value_min": "10000000",
                      "ordering": "submission_deadline", "page_size": "20"})


def check_same_rows(api_url: str, baseline_url: str) -> dict:
    status, api = common.get_json(api_url)
    assert status == 200, (status, api)
    status, baseline = common.get_json(baseline_url)
    assert status == 200, (status, baseline)
    api_ids = [row["id"] for row in api["results"]]
    assert api_ids == [row["id"] for row in baseline["results"]], "the API and the baseline disagree"
    assert len(api_ids) == 20, f"the filter should fill a page, got {len(api_ids)} rows"
    return {"count": api["count"], "rows": len(api_ids), "bytes_api": len(str(api))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4, help="length of one measurement")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--query", default=default_query(), help="query string of the measured request")
    parser.add_argument("--no-wsgi", action="store_true", help="skip gunicorn")
    parser.add_argument("--no-cached", action="store_true", help="skip the cached variant")
    parser.add_argument("--cache-redis", metavar="URL", default="",
                        help="the cached variant's cache (and channel layer) in this Redis; default: its memory")
    parser.add_argument("--floor", type=float, default=None,
                        help="exit 1 when API / baseline throughput (ASGI) is below this (the CI guard)")
    args = parser.parse_args()

    log(f"== register benchmark, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC ==")
    with common.bench_database(DB):
        common.django_setup(DB, "bench.settings")
        from bench.seed import seed_register

        started = time.perf_counter()
        facts = seed_register(args.tenders)
        log(f"seeded {facts['tenders']} published tenders ({facts['buyers']} buyers) "
            f"in {time.perf_counter() - started:.1f} s")
        common.close_django_connections()

        # The plain variants without the public cache (core.public_cache); the
        # cached variant is a second uvicorn with it on (anonymous requests).
        env = common.server_env(DB, "bench.settings", PUBLIC_CACHE_SECONDS="0")
        servers = {"asgi": common.Server("uvicorn", env)}
        if not args.no_wsgi:
            servers["wsgi"] = common.Server("gunicorn", env)
        if not args.no_cached:
            redis = {"REDIS_URL": args.cache_redis} if args.cache_redis else {}
            servers["cached"] = common.Server("uvicorn", common.server_env(
                DB, "bench.settings", PUBLIC_CACHE_SECONDS="300", **redis))
        for server in servers.values():
            server.__enter__()
        try:
            urls = {}
            for name, server in servers.items():
                if name == "cached":
                    urls["asgi-cached"] = f"{server.base}/api/tenders/?{args.query}"
                    check_same_rows(urls["asgi-cached"], urls["asgi-baseline"])
                    continue
                urls[f"{name}-api"] = f"{server.base}/api/tenders/?{args.query}"
                urls[f"{name}-baseline"] = f"{server.base}/bench/baseline/tenders/?{args.query}"
                facts = check_same_rows(urls[f"{name}-api"], urls[f"{name}-baseline"])
            log(f"query: ?{args.query}  -> count={facts['count']}, {facts['rows']} rows per page "
                "(API and baseline return the same rows)")
            log(f"server: core {common.SERVER_CORE}; wrk: core {common.CLIENT_CORE}, 1 thread, "
                f"{args.connections} connections; {args.rounds} rounds x {args.seconds:g} s per variant")
            for url in urls.values():  # warm-up: imports, connections, caches
                common.wrk(url, seconds=2, connections=args.connections)
            results = run_rounds(urls, args)
        finally:
            for server in servers.values():
                server.__exit__(None, None, None)
    api_ratio = report(results, args)
    if args.floor is not None and api_ratio < args.floor:
        log(f"FAIL: API / baseline throughput {api_ratio:.2f} is below the floor {args.floor:.2f}")
        sys.exit(1)


def run_rounds(urls: dict, args) -> dict[str, list[dict]]:
    names = list(urls)
    results: dict[str, list[dict]] = {name: [] for name in names}
    log("")
    log(f"{'round':>5}  " + "  ".join(f"{name:>22}" for name in names))
    for round_no in range(args.rounds):
        order = names[round_no % len(names):] + names[:round_no % len(names)]
        for name in order:
            result = common.wrk(urls[name], seconds=args.seconds, connections=args.connections)
            if result["non2xx"] or result["socket_errors"]:
                log(f"WARNING {name}: {result['non2xx']} non-2xx answers, {result['socket_errors']} socket errors")
            results[name].append(result)
        log(f"{round_no + 1:>5}  " + "  ".join(
            f"{results[n][-1]['rps']:7.0f}/s p99 {results[n][-1]['p99']:5.1f}ms" for n in names))
    return results


def report(results: dict[str, list[dict]], args) -> float:
    med = {name: {key: common.median([r[key] for r in rounds]) for key in ("rps", "p50", "p90", "p99")}
           for name, rounds in results.items()}
    log("")
    log(f"{'variant':<15} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}   (medians over rounds)")
    for name, m in med.items():
        log(f"{name:<15} {m['rps']:8.0f} {m['p50']:8.1f} {m['p90']:8.1f} {m['p99']:8.1f}")
    rounds = range(args.rounds)

    def ratio(a: str, b: str) -> float:
        return common.median([results[a][i]["rps"] / results[b][i]["rps"] for i in rounds])

    api_ratio = ratio("asgi-api", "asgi-baseline")
    p99 = med["asgi-api"]["p99"]
    log("")
    log(f"API / baseline throughput (ASGI), median of per-round ratios: {api_ratio:.2f}  "
        f"(target >= {TARGET_API_RATIO:.2f}: {'MET' if api_ratio >= TARGET_API_RATIO else 'NOT MET'})")
    log(f"API p99 latency (ASGI, {args.connections} clients): {p99:.1f} ms  "
        f"(target < {TARGET_P99_MS:.0f} ms: {'MET' if p99 < TARGET_P99_MS else 'NOT MET'})")
    if "asgi-cached" in results:
        cached = ratio("asgi-cached", "asgi-api")
        log(f"cached / plain API throughput (ASGI, anonymous): {cached:.1f}  "
            f"(target >= {TARGET_CACHED:.0f}: {'MET' if cached >= TARGET_CACHED else 'NOT MET'}); "
            f"cached p99 {med['asgi-cached']['p99']:.1f} ms")
    if "wsgi-api" in results:
        wsgi_ratio = ratio("wsgi-api", "wsgi-baseline")
        asgi_wsgi = ratio("asgi-api", "wsgi-api")
        log(f"API / baseline throughput (WSGI): {wsgi_ratio:.2f}")
        log(f"ASGI / WSGI throughput of the API: {asgi_wsgi:.2f}  "
            f"(target >= {TARGET_ASGI_WSGI:.2f}: {'MET' if asgi_wsgi >= TARGET_ASGI_WSGI else 'NOT MET'})")
        if asgi_wsgi < TARGET_ASGI_WSGI:
            log("-> below target: serve HTTP from a WSGI server (gunicorn) and keep the ASGI server for "
                "WebSockets only (split topology, see bench/README.md)")
    return api_ratio


if __name__ == "__main__":
    main()
