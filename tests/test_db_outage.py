"""A database outage is answered at once with 503 ``service_unavailable``
and ``Retry-After``, not after the pool's 20 s timeout with a 500; and the
server recovers by itself when the database is back.

The real thing runs on PostgreSQL: a uvicorn process reaches the database
through a TCP proxy in this test, which is cut (every connection dropped,
nothing listening) and then restored. The breaker's gate is also checked
in process, on any database."""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection

from core import dbhealth

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def breaker():
    dbhealth.breaker.reset()
    yield dbhealth.breaker
    dbhealth.breaker.reset()


def get(path: str, **kwargs) -> httpx.Response:
    from procurement.asgi import application

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                     base_url="http://127.0.0.1") as http:
            return await http.get(path, **kwargs)
    return async_to_sync(go)()


# The outage page's heading in each language (core/templates/core/unavailable.html).
UNAVAILABLE = {"en": "Service unavailable", "ru": "Сервис временно недоступен", "kk": "Қызмет уақытша қолжетімсіз"}


def assert_outage_page(response: httpx.Response, lang: str) -> None:
    """The API's 503 and Retry-After, as a page in the reader's language."""
    assert response.status_code == 503, response.text[:500]
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in response.text
    assert UNAVAILABLE[lang] in response.text
    assert "Traceback" not in response.text and "OperationalError" not in response.text


@pytest.mark.django_db(transaction=True)
def test_while_the_breaker_is_open_requests_get_503_at_once_and_a_probe_closes_it(breaker, settings):
    settings.DB_OUTAGE_RETRY_SECONDS = 0.2
    assert get("/api/tenders/").status_code == 200  # the application loaded: the next request is quick
    # given an outage the process has seen
    breaker.record_failure("test")
    # when a request comes: 503 with Retry-After, without trying the database
    refused = get("/api/tenders/")
    assert refused.status_code == 503
    assert refused.json()["code"] == "service_unavailable"
    assert refused.headers["retry-after"] == "1"
    # then, once the retry interval passed, one request probes the database; it works, so all do
    time.sleep(0.25)
    assert get("/api/tenders/").status_code == 200
    assert not breaker.down
    assert get("/api/tenders/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_probe_asks_the_database_not_the_page_so_a_page_without_queries_does_not_close_the_breaker(
        breaker, settings, monkeypatch):
    import psycopg

    settings.DB_OUTAGE_RETRY_SECONDS = 0.2
    assert get("/account/").status_code == 200  # the sign-in form: a page that needs no query
    # given an outage the process has seen, and a database that still does not answer
    breaker.record_failure("test")

    def unreachable():
        raise psycopg.OperationalError("connection refused")
    monkeypatch.setattr(dbhealth, "_select_one", unreachable)
    time.sleep(0.25)
    # when the probe's turn comes on that page, then it is the 503, and the breaker stays open
    assert_outage_page(get("/account/", headers={"Accept-Language": "kk"}), "kk")
    assert breaker.down
    # and once the database answers, the next probe closes it and the page is served
    monkeypatch.undo()
    time.sleep(0.25)
    assert get("/account/").status_code == 200
    assert not breaker.down


@pytest.mark.django_db(transaction=True)
def test_while_the_breaker_is_open_a_page_is_the_503_in_the_readers_language(breaker, settings):
    settings.DB_OUTAGE_RETRY_SECONDS = 30
    breaker.record_failure("test")
    # the browser's language, then the switcher's cookie over it
    for lang in ("en", "ru", "kk"):
        assert_outage_page(get("/", headers={"Accept-Language": f"{lang},en;q=0.5"}), lang)
    assert_outage_page(get("/stats/", headers={"Accept-Language": "en", "Cookie": "django_language=kk"}), "kk")
    assert_outage_page(get("/tenders/1/", headers={"Accept-Language": "de-DE"}), "en")
    # the API keeps its JSON body
    assert get("/api/tenders/", headers={"Accept-Language": "kk"}).json()["code"] == "service_unavailable"


def test_only_connection_failures_count_as_an_outage():
    import sqlite3

    import psycopg
    from django.db import OperationalError
    from psycopg_pool import PoolTimeout

    def wrapped(cause):
        try:
            raise OperationalError(str(cause)) from cause
        except OperationalError as exc:
            return exc

    assert dbhealth.is_outage(wrapped(PoolTimeout("couldn't get a connection after 20.00 sec")))
    assert dbhealth.is_outage(wrapped(psycopg.OperationalError("connection failed: Connection refused")))
    assert not dbhealth.is_outage(wrapped(sqlite3.OperationalError("database is locked")))
    assert not dbhealth.is_outage(ValueError("x"))


# --- PostgreSQL, for real -------------------------------------------------------------------

class Proxy:
    """A TCP forwarder 127.0.0.1:port -> the database; ``cut()`` drops every
    connection and stops listening, ``restore()`` listens again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener = None

    def restore(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.live_server_pg
@pytest.mark.django_db(transaction=True)
def test_a_database_outage_is_503_at_once_and_the_server_recovers():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    # given a server process whose database is reached through a proxy we control
    db = connection.settings_dict
    proxy = Proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.restore()
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"postgres://{auth}@127.0.0.1:{proxy.port}/{db['NAME']}",
           "DJANGO_SECRET_KEY": settings.SECRET_KEY, "PROCUREMENT_PLATFORM_KEY": settings.PROCUREMENT_PLATFORM_KEY,
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING",
           "PROCUREMENT_SCHEDULER_IN_PROCESS": "0", "DB_POOL_TIMEOUT": "20", "DB_OUTAGE_RETRY_SECONDS": "1",
           # the database's outage, not what the public cache still holds (it serves the anonymous
           # register on through an outage, fresh: no change can be made meanwhile)
           "PUBLIC_CACHE_SECONDS": "0"}
    env.pop("REDIS_URL", None)
    log = tempfile.TemporaryFile()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "procurement.asgi:application", "--host", "127.0.0.1",
                               "--port", str(port), "--lifespan", "on", "--log-level", "warning"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/tenders/"
    try:
        give_up = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < give_up and server.poll() is None, "the server did not start"
            time.sleep(0.2)

        # when the database goes away, and 12 clients ask at once (3 times the concurrency slots)
        proxy.cut()

        def ask(_):
            started = time.monotonic()
            response = httpx.get(url, timeout=60)
            return response, time.monotonic() - started

        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(ask, range(12)))

        # then each gets a 503 with Retry-After, far sooner than the pool's 20 s timeout
        for response, took in answers:
            assert response.status_code == 503, response.text
            assert response.json()["code"] == "service_unavailable"
            assert int(response.headers["retry-after"]) >= 1
            assert took < 5, f"took {took:.1f} s"

        # and when the database is back, the same process serves again
        proxy.restore()
        give_up = time.monotonic() + 30
        while (status := httpx.get(url, timeout=30).status_code) != 200:
            assert status == 503 and time.monotonic() < give_up, status
            time.sleep(0.5)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        proxy.cut()
        log.seek(0)
        output = log.read().decode(errors="replace")
        log.close()
    assert "Traceback" not in output.replace("Database unavailable", ""), output[-3000:]


@pytest.mark.live_server_pg
@pytest.mark.django_db(transaction=True)
def test_with_debug_on_an_outage_on_a_page_is_the_503_page_in_the_readers_language_not_a_traceback():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    # given a server with DJANGO_DEBUG on, whose database is reached through a proxy we control
    db = connection.settings_dict
    proxy = Proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.restore()
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"postgres://{auth}@127.0.0.1:{proxy.port}/{db['NAME']}",
           "DJANGO_SECRET_KEY": settings.SECRET_KEY, "PROCUREMENT_PLATFORM_KEY": settings.PROCUREMENT_PLATFORM_KEY,
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_DEBUG": "1", "LOG_LEVEL": "WARNING",
           "PROCUREMENT_SCHEDULER_IN_PROCESS": "0", "DB_POOL_TIMEOUT": "20", "DB_OUTAGE_RETRY_SECONDS": "1",
           # the database's outage, not what the public cache still holds (it serves the anonymous
           # register on through an outage, fresh: no change can be made meanwhile)
           "PUBLIC_CACHE_SECONDS": "0"}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "procurement.asgi:application", "--host", "127.0.0.1",
                               "--port", str(port), "--lifespan", "on", "--log-level", "warning"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        give_up = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < give_up and server.poll() is None, "the server did not start"
            time.sleep(0.2)
        # when the database goes away
        proxy.cut()
        # then each page, met by Django while the breaker is still closed and then by the
        # breaker itself, is the 503 page in the reader's language, never Django's debug page
        for path in ("/", "/tenders/1/", "/stats/", "/account/"):
            for lang in ("kk", "ru", "en"):
                started = time.monotonic()
                assert_outage_page(httpx.get(base + path, headers={"Accept-Language": lang}, timeout=30), lang)
                assert time.monotonic() - started < 5
        # and the breaker's probe, which Django serves (with DEBUG on), once the retry interval is over
        time.sleep(1.2)
        assert_outage_page(httpx.get(base + "/tenders/1/", headers={"Accept-Language": "ru"}, timeout=30), "ru")
        api = httpx.get(base + "/api/tenders/", timeout=30)
        assert api.status_code == 503 and api.json()["code"] == "service_unavailable"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        proxy.cut()
