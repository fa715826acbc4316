from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsOfficer, IsSupplier
from core import throttling
from tenders.selectors import tender_visible_to

from . import selectors, services
from .serializers import AnswerIn, QuestionIn, QuestionOut


class QuestionListView(APIView):
    throttle_classes = throttling.QUESTIONS  # POST only

    def get_permissions(self):
        return [IsSupplier()] if self.request.method == "POST" else []

    @extend_schema(responses={200: QuestionOut(many=True)}, tags=["clarifications"],
                   summary="Questions and answers (the asker is never shown)")
    def get(self, request, tender_id: int):
        tender = tender_visible_to(request.user, tender_id)
        return Response(QuestionOut(selectors.questions_for(tender), many=True,
                                    context={"reader_org_id": selectors.reader_org_id(request.user)}).data)

    @extend_schema(request=QuestionIn, responses={201: QuestionOut}, tags=["clarifications"],
                   summary="Ask a question (supplier, until the clarification deadline; 409 clarification_closed)")
    def post(self, request, tender_id: int):
        data = QuestionIn(data=request.data)
        data.is_valid(raise_exception=True)
        question = services.ask_question(tender_id, by=request.user, text=data.validated_data["text"])
        return Response(QuestionOut(question, context={"reader_org_id": request.user.organisation_id}).data,
                        status=status.HTTP_201_CREATED)


class AnswerView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(request=AnswerIn, responses={200: QuestionOut}, tags=["clarifications"],
                   summary="Answer a question publicly (owner officer)")
    def post(self, request, tender_id: int, question_id: int):
        data = AnswerIn(data=request.data)
        data.is_valid(raise_exception=True)
        question = services.answer_question(tender_id, question_id, by=request.user,
                                            answer=data.validated_data["answer"])
        return Response(QuestionOut(question).data)
