"""What the browser tests share: Debian's chromium driven by Playwright (no
browser download), and uvicorn serving the ASGI application in a thread of
the test process (so it shares the test database and the in-memory layer)."""

import functools
import os
import re
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from django.db import connections

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

SHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
ZONE = "Asia/Almaty"  # the browsers' time zone
SUPPLIER_PASSWORD = "Steppe-wind-2026"  # the password_supplier fixture's
OFFICER_PASSWORD = "Str0ng-pass-phrase"  # the make_officer fixture's

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # WhiteNoise serves the page's script and stylesheet with a synchronous
    # iterator, which Django under ASGI reads in a thread and warns about.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]

# Several browsers writing at once lock SQLite's shared in-memory test database.
NEEDS_POSTGRES = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="several browsers writing at once lock SQLite's shared in-memory test database; "
           "the PostgreSQL + Redis run covers it")


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


# --- pages ---------------------------------------------------------------------------------------

def new_page(browser, lang="en", width=1280, storage_state=None, zone=ZONE):
    """A page in a context of its own (its own cookies: one user), in the
    language ``lang`` and the time zone ``zone`` (Asia/Almaty unless told);
    ``storage_state`` signs it in as another context's user."""
    context = browser.new_context(locale=lang, timezone_id=zone, viewport={"width": width, "height": 900},
                                  extra_http_headers={"Accept-Language": lang}, accept_downloads=True,
                                  storage_state=storage_state)
    return context.new_page()


def watch(page, problems: list[str] | None = None) -> list[str]:
    """Script errors and CSP violations on a page (expected API refusals,
    e.g. 409 not_opened, are part of the pages' normal reading), in a list
    that grows as they happen (``problems``, to watch several pages in one)."""
    problems = [] if problems is None else problems
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: m.type == "error" and "Failed to load resource" not in m.text
            and problems.append(m.text))
    return problems


def log_in(page, server, username, password=SUPPLIER_PASSWORD):
    page.goto(server + "/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/")


def log_in_officer(page, server, username, password=OFFICER_PASSWORD):
    page.goto(server + "/login/?next=/buyer/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(server + "/buyer/")
    page.wait_for_load_state("networkidle")


def local(dt: datetime) -> str:
    """The value of a datetime-local input in the browsers' zone."""
    return dt.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def bid_content(amount="1000.00"):
    from bids import services as bid_services

    return bid_services.BidContent(amount=Decimal(amount), currency="KZT", answers={}, documents=[])


def with_password(user):
    """The user can now sign in on the pages, with SUPPLIER_PASSWORD."""
    user.set_password(SUPPLIER_PASSWORD)
    user.save()
    return user


@pytest.fixture
def make_password_supplier(make_supplier):
    return lambda name: with_password(make_supplier(name))


@pytest.fixture
def password_supplier(make_supplier):
    return with_password(make_supplier("Qazaq Zhol Qurylys LLP"))


# --- what every page is checked for --------------------------------------------------------------

def english_interface_strings() -> set[str]:
    """The interface's English strings (the msgids of the catalogues), which
    a Kazakh or Russian page must not show."""
    from babel.messages.pofile import read_po

    from frontend.catalogues import LOCALE

    strings = set()
    for po in LOCALE.glob("ru/LC_MESSAGES/*.po"):
        for message in read_po(po.open("rb")):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            for text in ids:
                text = re.sub(r"%\(\w+\)s", "", text).strip(" .:…")
                # words the Kazakh and Russian pages legitimately show as they are
                if len(text) > 3 and text not in {"CPV", "API", "SHA-256", "Statistics"}:
                    strings.add(text)
    return strings


def english_left(text: str, english: set[str]) -> list[str]:
    return sorted(s for s in english if s in text and _whole(s).search(text))


@functools.cache
def _whole(string: str) -> re.Pattern:
    return re.compile(r"(?<![\w-])" + re.escape(string) + r"(?![\w-])")


def check_page(page, axe, english: set[str], lang: str, shot: str, width: int = 1280) -> list[str]:
    """Screenshot the page as ``SHOTS/<shot>.png``; then what is wrong with
    it: sideways scrolling, serious or critical axe violations (at both
    widths: a table that scrolls sideways at 390 px must be reachable by
    keyboard) and English interface strings on a Kazakh or Russian page."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
    failures = []
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        failures.append(f"{shot} at {width}px scrolls sideways ({scroll}px)")
    result = axe.run(page)
    failures += [f"{shot}: axe {v['id']}: {v['help']}" for v in result.response["violations"]
                 if v["impact"] in ("serious", "critical")]
    if width > 390:
        if lang != "en":
            left = english_left(page.inner_text("body"), english)
            failures += [f"{shot}: English interface string {s!r}" for s in left]
    return failures


# Elements the page hid (the ``hidden`` attribute) that still take up room
# or can be seen: a stylesheet rule giving them a display overrides the
# attribute (a "Withdraw the bid" button offered for no bid).
HIDDEN_BUT_SHOWN = """() => [...document.querySelectorAll('[hidden]')]
    .filter((el) => el.hidden && el.checkVisibility({ visibilityProperty: true }))
    .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
         + ' ' + JSON.stringify((el.textContent || '').trim().slice(0, 40)))"""


def hidden_but_shown(page, shot: str) -> list[str]:
    """What the page hid with ``hidden`` but the browser still shows."""
    return [f"{shot}: hidden but shown: {what}" for what in page.evaluate(HIDDEN_BUT_SHOWN)]


def check_in_three_languages(browser, server, sign_in, paths: dict[str, str], extra=None, zone=ZONE) -> list[str]:
    """Every page of ``paths`` (name -> path) in en, ru and kk, at 1280 and at
    390 px, in a fresh context per language and width signed in by
    ``sign_in(page)``: ``check_page`` on each (screenshot ``<lang>-<name>[-390]``),
    that nothing the page hid is shown (``hidden_but_shown``),
    ``extra(page, lang, width, name)`` for a test's own checks, and the
    context's script errors; the browsers in time zone ``zone``. Returns what is wrong."""
    from axe_playwright_python.sync_playwright import Axe

    english, axe, failures = english_interface_strings(), Axe(), []
    for lang in ("en", "ru", "kk"):
        for width in (1280, 390):
            page = new_page(browser, lang, width, zone=zone)
            problems = watch(page)
            sign_in(page)
            for name, path in paths.items():
                page.goto(server + path)
                page.wait_for_load_state("networkidle")
                time.sleep(0.2)
                suffix = "" if width == 1280 else "-390"
                failures += check_page(page, axe, english, lang, f"{lang}-{name}{suffix}", width)
                failures += hidden_but_shown(page, f"{lang}-{name}{suffix}")
                if extra is not None:
                    failures += extra(page, lang, width, name)
            page.context.close()
            failures += [f"{lang}: script error: {p}" for p in problems]
    return failures
