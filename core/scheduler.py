"""The deadline scheduler: opens tenders at their submission deadline (and
runs every other timed job) with no request needed.

Each job selects what is due and handles every item in its own transaction,
locking the row with SKIP LOCKED, so several schedulers can run at once (one
of them handles an item, the others skip it) and a scheduler that was down
catches up on its first pass. It sleeps until the next known deadline, at
most ``PROCUREMENT_SCHEDULER_INTERVAL`` seconds (0.25 s by default), so a
deadline fires well within a second.

Deadline *enforcement* never depends on the scheduler: a bid is checked
against the deadline on the locked tender row with the database clock.

The loop runs on an asyncio event loop (``serve``) and does its database
work in one worker thread. Events emitted on commit therefore go through
``async_to_sync`` to that loop: one channel-layer connection for the life of
the process, and, in the one-command run where the loop is the ASGI
server's own, straight to the in-memory layer the sockets listen on.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.module_loading import import_string

from scheduling import services as scheduling

logger = logging.getLogger("procurement.scheduler")

MIN_WAIT = 0.05


def jobs() -> list[Callable[[datetime], int]]:
    """The apps' timed jobs, named in ``PROCUREMENT_SCHEDULER_JOBS``: the
    project's configuration knows the apps, this loop does not."""
    return [import_string(path) for path in settings.PROCUREMENT_SCHEDULER_JOBS]


def run_once(now: datetime | None = None) -> int:
    """One pass over every job; returns how many items were handled."""
    done = 0
    for job in jobs():
        try:
            done += job(now or timezone.now())
        except Exception:
            logger.exception("Scheduler job %s failed; retrying on the next pass", job.__name__)
    return done


def next_wake(now: datetime) -> float:
    """Seconds until the next due item (``PROCUREMENT_SCHEDULER_NEXT_DUE``,
    one function or a list, e.g. the next submission deadline, the next auction stage of a tender not waiting for a retry) or
    the next retry of a failed item, capped at the interval. A tender whose
    opening failed waits for its retry time, not its (past) deadline: the
    loop does not spin on it."""
    interval = settings.PROCUREMENT_SCHEDULER_INTERVAL
    paths = settings.PROCUREMENT_SCHEDULER_NEXT_DUE
    due = [import_string(path)(now) for path in ([paths] if isinstance(paths, str) else paths)]
    retry = scheduling.next_retry(now)
    wakes = [t for t in (*due, retry) if t is not None]
    if not wakes:
        return interval
    return max(MIN_WAIT, min(interval, (min(wakes) - now).total_seconds()))


_beat = scheduling.Beat()


def step() -> float:
    """One pass, then how long to sleep before the next one."""
    close_old_connections()
    try:
        done = run_once()
        _beat.passed(timezone.now())
        if done:
            logger.info("Scheduler handled %d due item(s)", done)
            return 0.0  # there may be more than one batch due
        return next_wake(timezone.now())
    except Exception:
        logger.exception("Scheduler pass failed")
        return settings.PROCUREMENT_SCHEDULER_INTERVAL


async def serve(stop: asyncio.Event) -> None:
    """Run passes until ``stop`` is set, on the running event loop."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deadline-scheduler")
    in_thread = sync_to_async(step, thread_sensitive=False, executor=executor)
    logger.info("Deadline scheduler started (interval %.2fs)", settings.PROCUREMENT_SCHEDULER_INTERVAL)
    try:
        while not stop.is_set():
            wait = await in_thread()
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait + 0.005)
            except TimeoutError:
                pass
    finally:
        await sync_to_async(connections.close_all, thread_sensitive=False, executor=executor)()
        executor.shutdown()
        logger.info("Deadline scheduler stopped")


def run_forever() -> None:
    """The ``run_scheduler`` command: serve until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(stop)

    asyncio.run(main())
