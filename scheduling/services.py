"""Running the scheduler's due items one by one, each failure backed off.

A job (``open_due``, ``complete_due``) selects its due items without
those ``waiting`` and hands each to ``run_item``. An item that raises is
recorded in ``JobFailure`` and not selected again until its ``retry_at``:
1 s after the first failure, doubling up to ``PROCUREMENT_SCHEDULER_RETRY_MAX``.
Its traceback is logged once (and again only if the error changes); its
success deletes the row and says so in the log."""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from .models import Heartbeat, JobFailure

logger = logging.getLogger("procurement.scheduler")

FIRST_RETRY = 1.0  # seconds


def waiting(job: str, now: datetime) -> QuerySet:
    """The ids of the job's items whose last failure's retry time is still
    ahead: a due-items query excludes them (``.exclude(pk__in=...)``)."""
    return JobFailure.objects.filter(job=job, retry_at__gt=now).values("object_id")


def next_retry(now: datetime) -> datetime | None:
    return JobFailure.objects.filter(retry_at__gt=now).order_by("retry_at").values_list("retry_at",
                                                                                        flat=True).first()


def run_item(job: str, pk: int, handle: Callable[[int], bool], now: datetime) -> bool:
    """``handle(pk)`` (which runs its own transaction); a failure is recorded
    and backed off instead of raised."""
    try:
        done = bool(handle(pk))
    except Exception as exc:
        _record_failure(job, pk, exc, now)
        return False
    if done:
        cleared, _ = JobFailure.objects.filter(job=job, object_id=pk).delete()
        if cleared:
            logger.info("Scheduler job %s succeeded for item %s after earlier failures", job, pk)
    return done


def run_due(job: str, due: Callable[..., list[int]], handle: Callable[[int], bool], now: datetime) -> int:
    """One scheduler pass of a job: ``handle`` every item ``due(now, skip=...)``
    lists, each in its own transaction (``run_item``), batch after batch, each
    item once; one that fails is backed off and the others go on in this same
    pass. How many were done."""
    done, tried = 0, set()
    while batch := due(now, skip=tried):
        for pk in batch:
            done += run_item(job, pk, handle, now)
        tried.update(batch)
    return done


def describe(exc: BaseException) -> str:
    """The exception's type and the innermost frame, without its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    return f"{type(exc).__module__}.{type(exc).__qualname__}{where}"[:500]


def _stack(exc: BaseException) -> str:
    frames = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return "".join(frames) + describe(exc)


def _record_failure(job: str, pk: int, exc: BaseException, now: datetime) -> None:
    error = describe(exc)
    failure = JobFailure.objects.filter(job=job, object_id=pk).first()
    attempts = (failure.attempts if failure else 0) + 1
    delay = min(settings.PROCUREMENT_SCHEDULER_RETRY_MAX, FIRST_RETRY * 2 ** (attempts - 1))
    if failure is None or failure.error != error:
        # Once per item and error, with the stack but not the exception's
        # message (an opening's error could quote sealed content).
        logger.error("Scheduler job %s failed for item %s; retrying in %.0f s, then backing off up to %.0f s:\n%s",
                     job, pk, delay, settings.PROCUREMENT_SCHEDULER_RETRY_MAX, _stack(exc))
    else:
        logger.debug("Scheduler job %s failed again for item %s (attempt %d)", job, pk, attempts)
    JobFailure.objects.update_or_create(job=job, object_id=pk, defaults={
        "attempts": attempts, "last_failed_at": now, "retry_at": now + timedelta(seconds=delay), "error": error,
    }, create_defaults={"attempts": attempts, "first_failed_at": now, "last_failed_at": now,
                        "retry_at": now + timedelta(seconds=delay), "error": error})


class Beat:
    """Records this process's completed passes, at most every few seconds."""

    EVERY = 5.0  # seconds

    def __init__(self) -> None:
        self.name = f"{socket.gethostname()}:{os.getpid()}"[:200]
        self.started_at: datetime | None = None
        self.written_at: datetime | None = None

    def passed(self, now: datetime) -> None:
        self.started_at = self.started_at or now
        if self.written_at and (now - self.written_at).total_seconds() < self.EVERY:
            return
        Heartbeat.objects.update_or_create(name=self.name, defaults={"last_pass_at": now},
                                           create_defaults={"started_at": self.started_at, "last_pass_at": now})
        self.written_at = now


def health(now: datetime) -> dict:
    """For readiness and operators: the newest pass of any scheduler, and the
    items that are failing."""
    last = Heartbeat.objects.order_by("-last_pass_at").values_list("last_pass_at", flat=True).first()
    failing = JobFailure.objects.count()
    stale_after = settings.PROCUREMENT_SCHEDULER_STALE_AFTER
    return {"last_pass_at": last, "stale": last is None or (now - last).total_seconds() > stale_after,
            "failing_items": failing}
