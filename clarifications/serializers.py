"""Shapes in and out of the clarification endpoints."""

from rest_framework import serializers

from core.isotime import iso


class QuestionIn(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class AnswerIn(serializers.Serializer):
    answer = serializers.CharField(max_length=10000)


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    asked_at = serializers.DateTimeField()
    answer = serializers.CharField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    mine = serializers.BooleanField(help_text="True when the reader's own organisation asked it "
                                              "(the asker is never shown to anyone else)")


def question_row(row: dict, *, reader_org_id: int | None = None) -> dict:
    """One public row from a ``.values()`` dict (or a Question's fields);
    no asker identity, only ``mine`` for the asker's own organisation."""
    return {
        "id": row["id"],
        "text": row["text"],
        "asked_at": iso(row["asked_at"]),
        "answer": row["answer"] if row["answered_at"] else None,
        "answered_at": iso(row["answered_at"]),
        "mine": reader_org_id is not None and row["asked_by_organisation_id"] == reader_org_id,
    }


def question_data(question, *, reader_org_id: int | None = None) -> dict:
    return question_row({"id": question.pk, "text": question.text, "asked_at": question.asked_at,
                         "answer": question.answer, "answered_at": question.answered_at,
                         "asked_by_organisation_id": question.asked_by_organisation_id},
                        reader_org_id=reader_org_id)
