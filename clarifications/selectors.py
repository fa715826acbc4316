"""Reads of questions. The asker's identity never leaves the server:
``QuestionOut`` says only whether the reader's own organisation asked it."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Question


def reader_org_id(user) -> int | None:
    """The organisation whose own questions ``user`` sees as ``mine``: a supplier's."""
    return user.organisation_id if getattr(user, "is_supplier", False) else None


def questions_for(tender) -> QuerySet[Question]:
    return (Question.objects.filter(tender=tender).order_by("asked_at", "id")
            .only("id", "text", "asked_at", "answer", "answered_at", "asked_by_organisation_id"))
