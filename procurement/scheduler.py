"""The deadline scheduler: opens tenders at their submission deadline (and
runs every other timed job) with no request needed.

Each job selects what is due and handles every item in its own transaction,
locking the row with SKIP LOCKED, so several schedulers can run at once and a
scheduler that was down catches up on its first pass. It sleeps until the
next known deadline, at most ``PROCUREMENT_SCHEDULER_INTERVAL`` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger("procurement.scheduler")


def jobs() -> list[Callable[[datetime], int]]:
    from bids.services import open_due

    found = [open_due]
    try:
        from evaluation.services import complete_due
    except ImportError:  # evaluation app not installed
        pass
    else:
        found.append(complete_due)
    return found


def run_once(now: datetime | None = None) -> int:
    done = 0
    for job in jobs():
        try:
            done += job(now or timezone.now())
        except Exception:
            logger.exception("Scheduler job %s failed; retrying on the next pass", job.__name__)
    return done


def next_wake(now: datetime) -> float:
    from tenders.models import Status, Tender

    interval = settings.PROCUREMENT_SCHEDULER_INTERVAL
    deadline = (Tender.objects.filter(status=Status.ACTIVE).order_by("submission_deadline")
                .values_list("submission_deadline", flat=True).first())
    if deadline is None:
        return interval
    return max(0.05, min(interval, (deadline - now).total_seconds()))


def loop(stop: threading.Event) -> None:
    logger.info("Deadline scheduler started (interval %.2fs)", settings.PROCUREMENT_SCHEDULER_INTERVAL)
    while not stop.is_set():
        close_old_connections()
        try:
            done = run_once()
            if done:
                logger.info("Scheduler handled %d due item(s)", done)
            wait = 0.0 if done else next_wake(timezone.now())
        except Exception:
            logger.exception("Scheduler pass failed")
            wait = settings.PROCUREMENT_SCHEDULER_INTERVAL
        stop.wait(wait + 0.005)
    close_old_connections()


def start_in_thread() -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=loop, args=(stop,), name="deadline-scheduler", daemon=True)
    thread.start()
    return thread, stop


def run_forever() -> None:
    stop = threading.Event()
    try:
        loop(stop)
    except KeyboardInterrupt:
        stop.set()
        time.sleep(0)
