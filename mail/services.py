"""Outgoing e-mail, delivered at least once, shown once.

``queue()`` writes the message (with its Message-ID, fixed now) and enqueues
its delivery task, both in the caller's transaction: a rolled-back change
sends nothing, a committed one cannot lose its e-mail to a crash between the
commit and the enqueue.

``deliver()`` (the task worker) claims each message for
``EMAIL_SEND_LEASE_SECONDS``, hands it to the SMTP server, and only then
records ``sent_at``. A worker killed before that record leaves the message
unsent; once its claim and due time have passed, the scheduler's job
``hand_over_due`` gives it to a new task. So every message is sent at least
once; a message the killed worker had already handed over is sent again with
the same Message-ID, which mail clients show once. A refused message is
retried after ``NOTIFICATION_EMAIL_RETRY_DELAYS`` (by the same job), then
given up, its error recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from mail.models import OutgoingEmail

logger = logging.getLogger(__name__)

HANDOVER_BATCH = 200


class EmailNotSent(Exception):
    """Some messages of a delivery failed (retried if attempts remain)."""


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"


def _lease() -> timedelta:
    return timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)


def queue(messages: Sequence[tuple[Sequence[str], str, str]], *, now: datetime | None = None) -> list[OutgoingEmail]:
    """Queue ``(to, subject, body)`` messages for the task worker, in the
    caller's transaction (which must be open)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("e-mail is queued in the change's transaction")
    now = now or timezone.now()
    domain = _domain()
    emails = OutgoingEmail.objects.bulk_create(
        OutgoingEmail(message_id=make_msgid(domain=domain), to=sorted(to), subject=subject, body=body,
                      created_at=now, due_at=now + _lease())
        for to, subject, body in messages if to)
    if emails:
        from mail import tasks  # the task module imports this one

        tasks.deliver_emails.enqueue([email.pk for email in emails])
    return emails


def _claim(pk: int, now: datetime) -> OutgoingEmail | None:
    claimed = OutgoingEmail.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), pk=pk, sent_at__isnull=True,
    ).update(claimed_until=now + _lease(), attempts=F("attempts") + 1)
    return OutgoingEmail.objects.get(pk=pk) if claimed else None


def deliver(ids: Sequence[int]) -> int:
    """Send each unsent, unclaimed message of ``ids``; returns how many were
    sent. Raises ``EmailNotSent`` if any failed (each is retried after its
    delay, by ``hand_over_due``)."""
    delays = settings.NOTIFICATION_EMAIL_RETRY_DELAYS
    sent, errors = 0, []
    with get_connection(fail_silently=False) as connection:
        for pk in ids:
            email = _claim(pk, timezone.now())
            if email is None:  # sent already, or another worker has it
                continue
            message = EmailMessage(subject=email.subject, body=email.body, from_email=settings.DEFAULT_FROM_EMAIL,
                                   to=email.to, connection=connection, headers={"Message-ID": email.message_id})
            try:
                message.send()
            except Exception as exc:  # the mail server's refusal, a dropped connection, ...
                now = timezone.now()
                retry_at = now + timedelta(seconds=delays[email.attempts - 1]) if email.attempts <= len(delays) else None
                OutgoingEmail.objects.filter(pk=pk).update(due_at=retry_at, claimed_until=None, last_error=repr(exc))
                errors.append(f"{email.message_id}: {exc!r}")
                if retry_at is None:
                    logger.error("E-mail %s given up after %d attempts", email.message_id, email.attempts)
                continue
            # Only after the SMTP server took it: a crash before this line sends it again, same Message-ID.
            OutgoingEmail.objects.filter(pk=pk).update(sent_at=timezone.now(), claimed_until=None, last_error="")
            sent += 1
    if errors:
        raise EmailNotSent(f"{len(errors)} of {len(errors) + sent} failed: " + "; ".join(errors))
    return sent


@transaction.atomic
def hand_over_due(now: datetime) -> int:
    """Scheduler job: give every unsent message that is due (a retry after
    its delay, or one whose worker died mid-send) to a new delivery task."""
    due = list(OutgoingEmail.objects.select_for_update(skip_locked=True).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), sent_at__isnull=True, due_at__lte=now,
    ).order_by("due_at").values_list("pk", flat=True)[:HANDOVER_BATCH])
    if not due:
        return 0
    OutgoingEmail.objects.filter(pk__in=due).update(due_at=now + _lease())
    from mail import tasks

    tasks.deliver_emails.enqueue(due)
    logger.info("Handed %d due e-mail(s) to the task worker", len(due))
    return len(due)
