"""Shapes in and out of the clarification endpoints."""

from rest_framework import serializers

from core.fields import IsoDateTime
from core.shapes import Shape


class QuestionIn(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class AnswerIn(serializers.Serializer):
    answer = serializers.CharField(max_length=10000)


# A question, public: never who asked it, only ``mine`` for the asker's own
# organisation (context={"reader_org_id": <the reader's>}). Also the socket's
# question_asked / question_answered events.
class QuestionOut(Shape):
    id = serializers.IntegerField()
    text = serializers.CharField()
    asked_at = IsoDateTime()
    answer = serializers.SerializerMethodField()
    answered_at = IsoDateTime(allow_null=True)
    mine = serializers.SerializerMethodField(help_text="True when the reader's own organisation asked it "
                                                       "(the asker is never shown to anyone else)")

    def get_answer(self, question) -> str | None:
        return question.answer if question.answered_at else None

    def get_mine(self, question) -> bool:
        reader = self.context.get("reader_org_id")
        return reader is not None and question.asked_by_organisation_id == reader
