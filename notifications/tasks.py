"""Notification e-mail: who gets it (``addresses``), and the task that sent
it before mail/services.py's outbox (kept so that tasks queued by an older
release still run: it queues their messages in the outbox).
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from accounts.models import Organisation, User
from mail import services as mail


def addresses(org_ids: list[int]) -> dict[int, list[str]]:
    """Each organisation's e-mail addresses: its own and its active users'."""
    found: dict[int, set[str]] = {}
    for org_id, email in Organisation.objects.filter(pk__in=org_ids).exclude(email="").values_list("pk", "email"):
        found.setdefault(org_id, set()).add(email)
    for org_id, email in (User.objects.filter(organisation_id__in=org_ids, is_active=True).exclude(email="")
                          .values_list("organisation_id", "email")):
        found.setdefault(org_id, set()).add(email)
    return {org_id: sorted(to) for org_id, to in sorted(found.items())}


@task()
def send_notification_emails(org_ids: list[int], subject: str, body: str, attempt: int = 1) -> int:
    """A task of the previous release: its messages go to the outbox, and from there to the worker."""
    with transaction.atomic():
        return len(mail.queue([(to, subject, body) for to in addresses(org_ids).values()]))
