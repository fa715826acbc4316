"""Notification and account e-mail: who gets a notification (``addresses``),
the account e-mail built in the requester's language (``send_account_email``),
and the task that sent notifications before mail/services.py's outbox (kept so
that tasks queued by an older release still run: it queues their messages in
the outbox). Every message is delivered by the outbox, at least once and shown
once (``mail.services``).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import translation
from django_tasks import task

from accounts import emails as account_emails
from accounts.models import User
from mail import services as mail


def addresses(org_ids: list[int]) -> dict[int, list[str]]:
    """Each organisation's e-mail addresses: its active users' confirmed ones
    (an address nobody confirmed gets nothing; the organisation's own address
    is the one its first user gave at registration, so it arrives through
    that user once confirmed)."""
    found: dict[int, set[str]] = {}
    for org_id, email in (User.objects.filter(organisation_id__in=org_ids, is_active=True).exclude(email="")
                          .filter(email__iexact=F("confirmed_email")).values_list("organisation_id", "email")):
        found.setdefault(org_id, set()).add(email)
    return {org_id: sorted(to) for org_id, to in sorted(found.items())}


@task()
def send_notification_emails(org_ids: list[int], subject: str, body: str, attempt: int = 1) -> int:
    """A task of the previous release: its messages go to the outbox, and from there to the worker."""
    with transaction.atomic():
        return len(mail.queue([(to, subject, body) for to in addresses(org_ids).values()]))


@task()
def send_account_email(kind: str, target: str | int, language: str) -> int:
    """An account e-mail (``accounts.emails``: a password reset link for an
    address, a confirmation link for a user), built here in the language of
    the request that asked for it — the request only enqueues this task, so a
    known and an unknown address cost it the same — and handed to the outbox,
    which delivers it at least once. Returns how many messages were queued."""
    with translation.override(language):
        messages = account_emails.build(kind, target)
    with transaction.atomic():
        return len(mail.queue([([m.to], m.subject, m.body) for m in messages]))
