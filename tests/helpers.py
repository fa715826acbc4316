"""Small helpers shared by the API tests (fixtures stay in conftest.py)."""

from datetime import timedelta

from django.utils import timezone

from tests.conftest import tender_fields


def iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def tender_json(now=None, **overrides) -> dict:
    """A `POST /api/tenders/` body: the conftest's tender fields as JSON."""
    fields = tender_fields(now, **overrides)
    return {key: iso(value) if hasattr(value, "isoformat") else str(value) if key == "estimated_amount" else value
            for key, value in fields.items()}


def soon(**delta):
    return timezone.now() + timedelta(**delta)


def send_account_emails() -> list:
    """Run the queued account e-mail tasks as the worker would, then the
    outbox deliveries they queued; returns the messages sent."""
    from django.core import mail
    from django_tasks_db.models import DBTaskResult

    from mail import tasks as mail_tasks
    from notifications import tasks

    before = len(mail.outbox)
    for path, run in (("notifications.tasks.send_account_email", tasks.send_account_email),
                      ("mail.tasks.deliver_emails", mail_tasks.deliver_emails)):
        for task in DBTaskResult.objects.filter(task_path=path, status="READY"):
            run.call(*task.args_kwargs["args"])
            task.delete()
    return mail.outbox[before:]
