"""The public register page in a real browser: Debian's chromium, driven by
Playwright, against the ASGI application served by uvicorn in this process.
The page lists tenders from the API and follows the public live feed (a
tender published, an amendment), under its Content-Security-Policy, and never
shows a price before the opening."""

import os
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import uvicorn
from django.db import connections

from bids import services as bid_services
from tenders import services as tender_services

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PRICE = "73519864.21"

pytestmark = [
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
    from procurement.asgi import application

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


def test_the_register_page_follows_the_live_feed(make_tender, officer, supplier, server, browser):
    # given an active tender with a draft beside it, and the register page open in a browser
    tender = in_thread(make_tender, title="Road repair, Kabanbay Batyr avenue")
    draft = in_thread(make_tender, publish=False, title="School meals, district 4")
    page = browser.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda answer: answer.status >= 400 and problems.append(f"{answer.status} {answer.url}"))
    response = page.goto(server + "/")
    assert response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(f"#tender-{tender.pk}").wait_for(timeout=10_000)
    assert page.locator(f"#tender-{draft.pk}").count() == 0
    bid_count = f"() => document.querySelector('#tender-{tender.pk} td:last-child')?.textContent"
    assert page.evaluate(bid_count) == "0"
    time.sleep(0.5)  # the page's socket connects after its first load

    # when the officer publishes the draft
    in_thread(tender_services.publish_tender, draft.pk, by=officer)
    # then the feed announces it and the page lists it
    page.locator("#live", has_text="status_changed").wait_for(timeout=10_000)
    page.locator(f"#tender-{draft.pk}").wait_for(timeout=10_000)

    # when a supplier submits a sealed bid, and later an amendment is announced on the feed
    in_thread(bid_services.submit_bid, tender.pk, by=supplier, content=bid_services.BidContent(
        amount=Decimal(PRICE), currency="KZT", answers={}, documents=[]))
    in_thread(tender_services.amend_tender, tender.pk, by=officer, rationale="Scope clarified",
              description="Resurfacing of 2.6 km of road, including markings.")
    # then the page shows the new count, and no price anywhere
    page.locator("#live", has_text="tender_amended").wait_for(timeout=10_000)
    page.wait_for_function(f"() => ({bid_count})() === '1'", timeout=10_000)
    assert PRICE not in page.content() and PRICE.split(".")[0] not in page.content()
    assert problems == []  # no script error, no Content-Security-Policy violation


def test_browser_javascript_authenticates_a_socket_with_its_token_as_a_subprotocol(make_tender, supplier, server,
                                                                                   browser):
    from rest_framework.authtoken.models import Token

    tender = in_thread(make_tender)
    key = in_thread(lambda: Token.objects.create(user=supplier).key)
    page = browser.new_page()
    page.goto(server + "/")
    # when the page's script opens a tender socket the way the README says
    opened = page.evaluate("""([path, key]) => new Promise((resolve, reject) => {
        const ws = new WebSocket('ws://' + location.host + path, ['token', key]);
        ws.onmessage = e => { resolve({protocol: ws.protocol, type: JSON.parse(e.data).type}); ws.close(); };
        ws.onerror = () => reject(new Error('the socket failed'));
    })""", [f"/ws/tenders/{tender.pk}/", key])
    # then Chromium accepted the server's answer and the snapshot arrived
    assert opened == {"protocol": "token", "type": "snapshot"}
