"""The e-mail delivery task, run by ``python manage.py db_worker``
(django-tasks' database backend): see mail/services.py."""

from __future__ import annotations

from django_tasks import task

from mail import services


@task()
def deliver_emails(ids: list[int]) -> int:
    """Send the queued messages ``ids`` that are still unsent; returns how many were sent."""
    return services.deliver(ids)
