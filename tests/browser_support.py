"""What the browser tests share: Debian's chromium driven by Playwright (no
browser download), and uvicorn serving the ASGI application in a thread of
the test process (so it shares the test database and the in-memory layer)."""

import os
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import uvicorn
from django.db import connections

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # WhiteNoise serves the page's script and stylesheet with a synchronous
    # iterator, which Django under ASGI reads in a thread and warns about.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]


def in_thread(fn, *args, **kwargs):
    """Database work off the test's thread: Playwright's sync API keeps an
    event loop on it, and Django refuses synchronous queries there."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: _closing(fn, *args, **kwargs)).result()


def _closing(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    finally:
        connections.close_all()


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def server():
    """uvicorn serving procurement.asgi on a free port of 127.0.0.1, with its
    lifespan (the live-event outbox), in a thread of this process: it shares
    the test database and the in-memory channel layer."""
    import asyncio

    from django.conf import settings

    from procurement import asgi
    from procurement.asgi import application

    # The process-wide request slots bind to the first event loop that waits on
    # them; each test's server runs a loop of its own (a real process has one).
    asgi._http_slots = asyncio.Semaphore(settings.HTTP_CONCURRENCY)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uvicorn_server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="on",
                                                   log_level="warning"))
    thread = threading.Thread(target=uvicorn_server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=15)
    for connection in connections.all():  # the pool's connections, so the test database can be dropped
        if getattr(connection, "pool", None) is not None:
            connection.close_pool()
