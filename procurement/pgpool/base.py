"""Django's PostgreSQL backend, its connection pool failing fast while the
database is known to be down (procurement/dbhealth.py).

A request that asks the pool for a connection when none is idle waits up
to DB_POOL_TIMEOUT (20 s) while the pool tries to reconnect. When the
database went away, every request admitted before the breaker opened sat
there for the whole timeout. Here the wait is taken in short slices, and a
waiter gives up as soon as the breaker is open, unless it is the breaker's
probe (which waits the full timeout, so the pool keeps trying to reconnect).
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

from core import dbhealth

SLICE = 0.25  # seconds


def _failing_fast(getconn, default_timeout: float):
    def getconn_failing_fast(timeout: float | None = None):
        from psycopg_pool import PoolTimeout

        deadline = time.monotonic() + (default_timeout if timeout is None else timeout)
        while True:
            if dbhealth.breaker.down and not dbhealth.probing.get():
                raise PoolTimeout("the database is unavailable (failing fast)")
            remaining = deadline - time.monotonic()
            try:
                return getconn(timeout=max(0.001, min(SLICE, remaining)))
            except PoolTimeout:
                if time.monotonic() >= deadline:
                    raise
    return getconn_failing_fast


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        if pool is not None and "getconn" not in vars(pool):
            pool.getconn = _failing_fast(pool.getconn, pool.timeout)
        return pool
