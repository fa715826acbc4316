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
  a time every ``DB_OUTAGE_RETRY_SECONDS``: when a probe gets through (any
  answer but a 503), the breaker closes. Requests already waiting for a pool
  connection give up as soon as it opens (``procurement.pgpool``). So the
  process recovers by itself, without a restart, as soon as the database is
  back.

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

    def probe_done(self, status: int | None) -> None:
        if status is not None and status != 503:
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


def is_outage(exc: BaseException | None) -> bool:
    """True for an error that means the database cannot be reached."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
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


def outage_response(exc: BaseException | None):
    """A 503 for an outage (and the breaker opened), or None."""
    if not is_outage(exc):
        return None
    breaker.record_failure(exc)
    from django.http import JsonResponse

    response = JsonResponse(body(), status=503)
    response["Retry-After"] = retry_after()
    return response


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
