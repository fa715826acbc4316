"""Fail fast while the database is down.

Without this, a database outage made every request wait for the connection
pool's timeout (DB_POOL_TIMEOUT, 20 s) behind the process's HTTP_CONCURRENCY
slots, then answered 500. Now:

- a database error that means "no database" (the pool timed out, a
  connection could not be made or was cut, the server is shutting down) is
  answered ``503 service_unavailable`` with ``Retry-After`` (``response()``,
  used by the API's exception handler and Django's 500 handler), and opens
  the breaker;
- the pool's own connection attempts (``OutageAwareConnection``, given to
  psycopg_pool as its connection class) open the breaker when they fail and
  close it when one succeeds;
- while the breaker is open, ``procurement.asgi`` answers every HTTP request
  with that 503 at once, before it takes a slot, except one probe request at
  a time every ``DB_OUTAGE_RETRY_SECONDS``: the probe asks the database
  itself (``probe()``, one ``SELECT 1``) before the request is served; when
  the database answers, the breaker closes and the request goes on, else it
  is the 503 too. (The request's own answer proves nothing: a page that
  needs no query, such as the sign-in form, is a 200 with the database down.) Requests already waiting for a pool
  connection give up as soon as it opens (``procurement.pgpool``). So the
  process recovers by itself, without a restart, as soon as the database is
  back.

Pages (every path outside ``/api/``) get the same 503 and ``Retry-After``
with an HTML page in the reader's language (the language cookie, else
Accept-Language) instead of the JSON body: ``OutageMiddleware`` answers an
outage met in a page's view — before Django's handlers, so ``DJANGO_DEBUG``
shows no technical 500 —, Django's 500 handler one met anywhere else, and
``procurement.asgi`` the requests it refuses while the breaker is open.

SQLite's "database is locked" is an OperationalError too, but not an outage:
only connection failures count.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

# SQLSTATE classes and codes that mean the server went away.
_OUTAGE_SQLSTATE_PREFIXES = ("08",)  # connection exception
_OUTAGE_SQLSTATES = {"57P01", "57P02", "57P03"}  # admin/crash shutdown, cannot connect now


class Breaker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down = False
        self._next_probe = 0.0
        self._probing = False

    def record_failure(self, reason: object = "") -> None:
        with self._lock:
            if not self.down:
                logger.warning("Database unavailable (%s): answering 503 until it is back", reason)
                self.down = True
                # Later failures (the pool's reconnect attempts, the probe) leave
                # the next probe where admit() put it: probes are never starved.
                self._next_probe = time.monotonic() + settings.DB_OUTAGE_RETRY_SECONDS

    def record_success(self) -> None:
        with self._lock:
            if self.down:
                logger.warning("Database available again")
            self.down = False
            self._probing = False

    def admit(self) -> str:
        """"open" when the database is thought up; "probe" for the one request
        that may try it while it is down; "refuse" for the others."""
        with self._lock:
            if not self.down:
                return "open"
            now = time.monotonic()
            if not self._probing and now >= self._next_probe:
                self._probing = True
                self._next_probe = now + settings.DB_OUTAGE_RETRY_SECONDS
                return "probe"
            return "refuse"

    def refusing(self) -> bool:
        """What admit() would say, without taking the probe."""
        with self._lock:
            return self.down and (self._probing or time.monotonic() < self._next_probe)

    def probe_done(self, reached: bool) -> None:
        """The probe that admit() gave is over: ``reached`` when the database answered it."""
        if reached:
            self.record_success()
        with self._lock:
            self._probing = False

    def reset(self) -> None:
        with self._lock:
            self.down, self._probing, self._next_probe = False, False, 0.0


breaker = Breaker()

# True in the context of the breaker's probe request: only it may wait for the
# pool while the breaker is open (procurement/pgpool/base.py).
probing: contextvars.ContextVar[bool] = contextvars.ContextVar("db_probing", default=False)


def _select_one() -> None:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # back to the pool: this thread serves no request


async def probe() -> bool:
    """The breaker's probe, for the request admit() called "probe": one query,
    allowed to wait for the pool's reconnection. Closes the breaker and returns
    True when the database answered; otherwise it stays open."""
    from asgiref.sync import sync_to_async

    token = probing.set(True)
    reached = False
    try:
        # not in the thread that serves the sync views: the wait may be the pool's whole timeout
        await sync_to_async(_select_one, thread_sensitive=False)()
        reached = True
    except Exception as exc:
        if not is_outage(exc):
            logger.exception("The database probe failed")
    finally:
        probing.reset(token)
        breaker.probe_done(reached)
    return reached


class DatabaseUnavailable(Exception):
    """Raised by code that learnt of an outage from an answer rather than an
    error (a page that called an API view and got its 503)."""


def is_outage(exc: BaseException | None) -> bool:
    """True for an error that means the database cannot be reached."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DatabaseUnavailable):
            return True
        module = type(exc).__module__ or ""
        if module.startswith("psycopg_pool"):  # PoolTimeout, PoolClosed, TooManyRequests
            return True
        if module.startswith("psycopg"):
            sqlstate = getattr(exc, "sqlstate", None)
            if type(exc).__name__ in ("OperationalError", "InterfaceError") and sqlstate is None:
                return True  # could not connect, or the connection was lost
            if sqlstate and (sqlstate.startswith(_OUTAGE_SQLSTATE_PREFIXES) or sqlstate in _OUTAGE_SQLSTATES):
                return True
        exc = exc.__cause__ or exc.__context__
    return False


def retry_after() -> str:
    return str(max(1, round(settings.DB_OUTAGE_RETRY_SECONDS)))


def body() -> dict:
    return {"code": "service_unavailable",
            "detail": "The database is unavailable; try again shortly."}


def is_page(path: str) -> bool:
    """A page (HTML for people) rather than the API (JSON for programs)."""
    return not path.startswith("/api/")


def page_language(cookie_header: str, accept_language: str) -> str:
    """The reader's language as Django's LocaleMiddleware would choose it
    (the switcher's cookie, else Accept-Language, else LANGUAGE_CODE),
    from the raw headers alone: no session, no database."""
    from http.cookies import SimpleCookie

    from django.utils.translation import get_supported_language_variant
    from django.utils.translation.trans_real import parse_accept_lang_header

    cookies = SimpleCookie()
    try:
        cookies.load(cookie_header)
    except Exception:  # a malformed Cookie header: as if there were none
        cookies = SimpleCookie()
    wanted = [cookies[settings.LANGUAGE_COOKIE_NAME].value] if settings.LANGUAGE_COOKIE_NAME in cookies else []
    wanted += [code for code, _ in parse_accept_lang_header(accept_language) if code != "*"]
    for code in wanted:
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def unavailable_page(language: str) -> str:
    """The outage page in ``language``: a template of its own that needs
    nothing but the translations (no user, no session, no database)."""
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(language):
        return render_to_string("core/unavailable.html", {"language": language,
                                                          "retry_after": retry_after()})


# The outage page's Content-Security-Policy: its stylesheet, nothing else.
PAGE_CSP = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def outage_response(exc: BaseException | None, request=None):
    """A 503 for an outage (and the breaker opened), or None: the API's JSON
    body, or for a page (``request`` outside /api/) the page in the
    reader's language."""
    if not is_outage(exc):
        return None
    breaker.record_failure(exc)
    from django.http import HttpResponse, JsonResponse

    if request is not None and is_page(request.path):
        language = page_language(request.META.get("HTTP_COOKIE", ""), request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        response = HttpResponse(unavailable_page(language), status=503, content_type="text/html; charset=utf-8")
        response["Content-Language"] = language
        response["Content-Security-Policy"] = PAGE_CSP
        response["Cache-Control"] = "no-store"
    else:
        response = JsonResponse(body(), status=503)
    response["Retry-After"] = retry_after()
    return response


class OutageMiddleware:
    """A database outage met in a view is the 503 of ``outage_response``
    (Django's handlers are not reached: with DEBUG on they would show the
    technical 500 page). Other errors go on to Django as before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return outage_response(exception, request)


try:
    import psycopg
except ImportError:  # SQLite-only installs
    OutageAwareConnection = None
else:
    class OutageAwareConnection(psycopg.Connection):
        """The pool's connections: each attempt to connect tells the breaker."""

        @classmethod
        def connect(cls, *args, **kwargs):
            try:
                conn = super().connect(*args, **kwargs)
            except psycopg.OperationalError as exc:
                breaker.record_failure(exc)
                raise
            breaker.record_success()
            return conn
