"""Browser budgets of the frontend, measured in Debian's Chromium on the demo
data (SQLite, as ``bin/run`` serves it, but with DEBUG off and WhiteNoise's
compressed static files, as production serves them):

- JS + CSS transferred per page (compressed bytes on the wire), budget 150 KB;
- first contentful paint of ``/`` and of a tender page, budget 1 s (median
  of 5 cold loads, each in a fresh browser context: nothing cached);
- Lighthouse 12.2.3 performance and accessibility scores, budget 95, for
  ``/`` and a tender page (desktop preset).

Run from the repository root after ``./bin/test`` has made ``.venv``:

    .venv/bin/python bench/frontend.py

Lighthouse comes from the npm registry: ``npm i -E lighthouse@12.2.3`` into
a scratch folder (``LIGHTHOUSE_DIR``, default ``/tmp/lighthouse-12.2.3``),
run with ``CHROME_PATH=/usr/bin/chromium``; set ``SKIP_LIGHTHOUSE=1`` to skip
it. Everything talks to 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LIGHTHOUSE_VERSION = "12.2.3"
LIGHTHOUSE_DIR = Path(os.environ.get("LIGHTHOUSE_DIR", f"/tmp/lighthouse-{LIGHTHOUSE_VERSION}"))
BUDGET_BYTES = 150 * 1024
BUDGET_FCP_MS = 1000
BUDGET_SCORE = 95


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(sqlite: Path) -> dict:
    return {**os.environ, "SQLITE_PATH": str(sqlite), "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production",
            "PROCUREMENT_PLATFORM_KEY": "YmVuY2gtb25seS1wbGF0Zm9ybS1rZXktMzItYnl0ZXMhIQ==",
            "DJANGO_SECURE_COOKIES": "0", "LOG_LEVEL": "ERROR", "MEDIA_ROOT": str(sqlite.parent / "media"),
            "PROCUREMENT_MIN_SUBMISSION_PERIOD": "120", "PROCUREMENT_MIN_AMENDMENT_PERIOD": "60",
            "PROCUREMENT_STANDSTILL_PERIOD": "300"}


def start_server(env: dict) -> tuple[subprocess.Popen, str]:
    for command in (["migrate", "--noinput"], ["seed_demo", "--if-empty"], ["collectstatic", "--noinput"]):
        subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([PY, "-m", "uvicorn", "procurement.asgi:application", "--host", "127.0.0.1",
                               "--port", str(port), "--lifespan", "on", "--log-level", "warning"],
                              cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/api/auth/me/", timeout=2)
            return server, base
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.3)


def a_tender_page(base: str) -> str:
    with urllib.request.urlopen(base + "/api/tenders/?status=awarded&page_size=1") as answer:
        tender = json.load(answer)["results"][0]
    return f"/tenders/{tender['id']}/"


def measure(browser, url: str) -> dict:
    """One cold load: compressed JS + CSS bytes, first contentful paint."""
    context = browser.new_context(viewport={"width": 1350, "height": 940})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    kinds: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda e: kinds.__setitem__(e["requestId"], e["type"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="networkidle")
    fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime")
    by_kind = {"Script": 0, "Stylesheet": 0}
    for request, size in sizes.items():
        if kinds.get(request) in by_kind:
            by_kind[kinds[request]] += size
    context.close()
    return {"js": by_kind["Script"], "css": by_kind["Stylesheet"], "fcp": fcp}


def lighthouse(url: str) -> dict | None:
    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        log(f"installing lighthouse@{LIGHTHOUSE_VERSION} into {LIGHTHOUSE_DIR} …")
        LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "i", "-E", f"lighthouse@{LIGHTHOUSE_VERSION}", "--no-audit", "--no-fund",
                        "--silent"], cwd=LIGHTHOUSE_DIR, check=True)
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        subprocess.run([str(binary), url, "--quiet", "--output=json", f"--output-path={report}",
                        "--only-categories=performance,accessibility", "--preset=desktop",
                        "--chrome-flags=" + " ".join(CHROMIUM_ARGS)],
                       env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True)
        data = json.loads(report.read_text())
    return {name: round(category["score"] * 100) for name, category in data["categories"].items()}


def main() -> int:
    from playwright.sync_api import sync_playwright

    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-frontend-") as scratch:
        env = environment(Path(scratch) / "demo.sqlite3")
        server, base = start_server(env)
        try:
            pages = {"/": "/", "tender": a_tender_page(base)}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for name, path in pages.items():
                    measure(browser, base + path)  # warm the server (templates, imports), not the browser
                    runs = [measure(browser, base + path) for _ in range(5)]
                    fcp = statistics.median(r["fcp"] for r in runs)
                    js, css = runs[-1]["js"], runs[-1]["css"]
                    ok &= js + css <= BUDGET_BYTES and fcp < BUDGET_FCP_MS
                    log(f"{name:7} {path:14} JS {js / 1024:6.1f} KB + CSS {css / 1024:5.1f} KB = "
                        f"{(js + css) / 1024:6.1f} KB (budget 150)   FCP median {fcp:5.0f} ms "
                        f"(min {min(r['fcp'] for r in runs):.0f}, max {max(r['fcp'] for r in runs):.0f}; budget 1000)")
                browser.close()
            if not os.environ.get("SKIP_LIGHTHOUSE"):
                for name, path in pages.items():
                    scores = lighthouse(base + path)
                    ok &= all(score >= BUDGET_SCORE for score in scores.values())
                    log(f"{name:7} {path:14} Lighthouse {LIGHTHOUSE_VERSION}: " +
                        ", ".join(f"{k} {v}" for k, v in scores.items()) + " (budget 95)")
        finally:
            server.terminate()
            server.wait(timeout=15)
    log("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
