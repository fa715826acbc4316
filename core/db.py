"""The database's clock, read inside the transaction after a lock is held."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone


def db_clock_sql() -> str:
    """SQL for the database's wall clock, to read it inside a statement that
    runs after a lock is held: on PostgreSQL ``clock_timestamp()`` (the real
    time now, not ``now()``, the transaction's start); ``NULL`` where the
    database has none (SQLite), for which ``timezone.now()`` stands in."""
    return "clock_timestamp()" if connection.vendor == "postgresql" else "NULL"


def db_now() -> datetime:
    """The database's wall clock (``db_clock_sql``). Read it after taking a
    lock so that time spent waiting for the lock counts."""
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {db_clock_sql()}")
        return cursor.fetchone()[0]
