from django.urls import path

from . import api

urlpatterns = [
    path("tenders/<int:tender_id>/questions/", api.QuestionListView.as_view(), name="tender-questions"),
    path("tenders/<int:tender_id>/questions/<int:question_id>/answer/", api.AnswerView.as_view(),
         name="tender-question-answer"),
]
