"""Clarifications: a supplier asks until the clarification deadline, the
owning buyer answers publicly. Each change locks the tender row, writes the
question and its audit entry in one transaction and announces it after commit.
The asker's identity stays out of the audit entry and the live event."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.models import User
from audit import services as audit
from core.db import db_now
from core.errors import Forbidden, Invalid, NotFound, WrongState
from core.isotime import iso
from live import events as live
from notifications import services as notifications
from tenders import methods
from tenders.models import Status
from tenders.services import lock_own_tender, lock_tender

from .models import Question
from .serializers import QuestionOut


class ClarificationClosed(WrongState):
    code = "clarification_closed"


@transaction.atomic
def ask_question(tender_id: int, *, by: User, text: str, now: datetime | None = None) -> Question:
    if not by.is_supplier:
        raise Forbidden("Only a supplier asks questions.", code="suppliers_only")
    tender = lock_tender(tender_id)
    if tender.status == Status.DRAFT:
        raise NotFound("No such tender.")
    if not methods.of(tender).questions:
        raise WrongState(f"A {tender.method} tender takes no questions.", code="questions_not_allowed",
                         method=tender.method)
    now = now or db_now()
    if not tender.accepts_questions(now):
        raise ClarificationClosed(
            f"Questions were accepted until {iso(tender.clarification_deadline)}."
            if tender.status == Status.ACTIVE else "This tender no longer accepts questions.",
            clarification_deadline=iso(tender.clarification_deadline), status=tender.status)
    text = text.strip()
    if not text:
        raise Invalid("A question needs some text.", code="question_empty", field="text")
    question = Question.objects.create(tender=tender, asked_by_organisation_id=by.organisation_id, asked_by=by,
                                       text=text, asked_at=now)
    audit.append(tender, "question_asked", by=by, hidden=True, now=now,
                 data={"question": question.pk, "text": text})
    live.emit(tender, "question_asked", now=now, question=QuestionOut.dump(question))
    return question


@transaction.atomic
def answer_question(tender_id: int, question_id: int, *, by: User, answer: str,
                    now: datetime | None = None) -> Question:
    """The owner's public answer, while the tender still accepts bids (an
    answer after the deadline could no longer inform any bid)."""
    tender = lock_own_tender(tender_id, by=by)
    question = Question.objects.select_for_update().filter(pk=question_id, tender=tender).first()
    if question is None:
        raise NotFound("No such question.")
    now = now or db_now()
    if question.is_answered:
        raise WrongState("This question is already answered.", code="already_answered")
    if not tender.accepts_bids(now):
        raise WrongState("Answers are given while the tender accepts bids.", code="answer_closed",
                         status=tender.status)
    answer = answer.strip()
    if not answer:
        raise Invalid("An answer needs some text.", code="answer_empty", field="answer")
    question.answer = answer
    question.answered_at = now
    question.answered_by = by
    question.save(update_fields=["answer", "answered_at", "answered_by"])
    audit.append(tender, "question_answered", by=by, now=now, data={"question": question.pk, "answer": answer})
    live.emit(tender, "question_answered", now=now, question=QuestionOut.dump(question))
    notifications.question_answered(tender, question, now=now)
    return question
