"""Notification e-mail, sent by a worker process, never by the request.

The task is enqueued in the same database transaction as the change it
announces (django-tasks' database backend writes a row): a rolled-back change
sends nothing, a committed one cannot lose its e-mail to a crash between the
commit and the enqueue. ``python manage.py db_worker`` runs it (``bin/run``
starts one next to the server).

Retries: each attempt sends one message per organisation; the organisations
whose message failed get a new task (``attempt + 1``) to run after a backoff
(``NOTIFICATION_EMAIL_RETRY_DELAYS``), and the failed attempt is recorded as
failed (its traceback is in the task results table). After the last delay,
nothing more is tried and the failure stays recorded.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F
from django.utils import timezone, translation
from django_tasks import task

from accounts import emails as account_emails
from accounts.models import User

logger = logging.getLogger(__name__)


class EmailNotSent(Exception):
    """Some messages of an attempt failed (retried if attempts remain)."""


def addresses(org_ids: list[int]) -> dict[int, list[str]]:
    """Each organisation's e-mail addresses: its active users' confirmed ones
    (an address nobody confirmed gets nothing; the organisation's own address
    is the one its first user gave at registration, so it arrives through
    that user once confirmed)."""
    found: dict[int, set[str]] = {}
    for org_id, email in (User.objects.filter(organisation_id__in=org_ids, is_active=True).exclude(email="")
                          .filter(email=F("confirmed_email")).values_list("organisation_id", "email")):
        found.setdefault(org_id, set()).add(email)
    return {org_id: sorted(to) for org_id, to in sorted(found.items())}


@task()
def send_notification_emails(org_ids: list[int], subject: str, body: str, attempt: int = 1) -> int:
    """Send one message per organisation; returns how many were sent."""
    delays = settings.NOTIFICATION_EMAIL_RETRY_DELAYS
    sent, failed, errors = 0, [], []
    with get_connection(fail_silently=False) as connection:
        for org_id, to in addresses(org_ids).items():
            message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to,
                                   connection=connection)
            try:
                message.send()
                sent += 1
            except Exception as exc:  # the mail server's refusal, a dropped connection, ...
                failed.append(org_id)
                errors.append(f"{org_id}: {exc!r}")
    if not failed:
        return sent
    if attempt <= len(delays):
        send_notification_emails.using(run_after=timezone.now() + timedelta(seconds=delays[attempt - 1])).enqueue(
            failed, subject, body, attempt + 1)
        logger.warning("Notification e-mail attempt %d failed for %d organisation(s); retrying in %ss",
                       attempt, len(failed), delays[attempt - 1])
    else:
        logger.error("Notification e-mail given up after %d attempts for organisations %s", attempt, failed)
    raise EmailNotSent(f"attempt {attempt}: {len(failed)} of {len(failed) + sent} failed: " + "; ".join(errors))


@task()
def send_account_email(kind: str, target: str | int, language: str, attempt: int = 1) -> int:
    """An account e-mail (``accounts.emails``: a password reset link for an
    address, a confirmation link for a user), built here in the language of
    the request that asked for it, and sent and retried as the notifications
    are (``NOTIFICATION_EMAIL_RETRY_DELAYS``). Returns how many were sent."""
    delays = settings.NOTIFICATION_EMAIL_RETRY_DELAYS
    with translation.override(language):
        messages = account_emails.build(kind, target)
    sent, errors = 0, []
    with get_connection(fail_silently=False) as connection:
        for message in messages:
            try:
                EmailMessage(subject=message.subject, body=message.body, from_email=settings.DEFAULT_FROM_EMAIL,
                             to=[message.to], connection=connection).send()
                sent += 1
            except Exception as exc:  # the mail server's refusal, a dropped connection, ...
                errors.append(repr(exc))
    if not errors:
        return sent
    if attempt <= len(delays):  # a new link is made on the retry; the unsent one never left
        send_account_email.using(run_after=timezone.now() + timedelta(seconds=delays[attempt - 1])).enqueue(
            kind, target, language, attempt + 1)
        logger.warning("Account e-mail (%s) attempt %d failed; retrying in %ss", kind, attempt, delays[attempt - 1])
    else:
        logger.error("Account e-mail (%s) given up after %d attempts", kind, attempt)
    raise EmailNotSent(f"{kind} attempt {attempt}: " + "; ".join(errors))
