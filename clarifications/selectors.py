"""Reads of questions. The asker's identity never leaves this module: each row
says only whether the reader's own organisation asked it (``mine``)."""

from __future__ import annotations

from .models import Question
from .serializers import question_row


def questions_for(user, tender) -> list[dict]:
    org_id = user.organisation_id if getattr(user, "is_supplier", False) else None
    rows = (Question.objects.filter(tender=tender).order_by("asked_at", "id")
            .values("id", "text", "asked_at", "answer", "answered_at", "asked_by_organisation_id"))
    return [question_row(row, reader_org_id=org_id) for row in rows]
