"""Clarifications: suppliers ask until the clarification deadline, the owner
answers publicly, the asker stays anonymous to everyone else."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from clarifications import services
from clarifications.models import Question
from live.events import tender_group
from tenders.models import Tender
from tests.transparency_helpers import Listener, answer, ask


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def test_a_supplier_asks_a_question(make_tender, supplier, as_user):
    tender = make_tender()

    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/questions/", {"text": "Is night work allowed?"},
                                      format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["text"] == "Is night work allowed?" and body["mine"] is True
    assert body["answer"] is None and body["answered_at"] is None


def test_a_question_after_the_clarification_deadline_is_refused(make_tender, supplier):
    tender = make_tender()

    with pytest.raises(services.ClarificationClosed) as refused:
        services.ask_question(tender.pk, by=supplier, text="Too late?",
                              now=tender.clarification_deadline + timedelta(seconds=1))

    assert refused.value.code == "clarification_closed"
    assert not Question.objects.exists()


def test_the_api_answers_409_clarification_closed_after_the_deadline(make_tender, supplier, as_user):
    # given: a tender whose clarification deadline has just passed
    tender = make_tender()
    Tender.objects.filter(pk=tender.pk).update(clarification_deadline=timezone.now() - timedelta(seconds=1))

    # when
    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/questions/", {"text": "Still open?"}, format="json")

    # then
    assert response.status_code == 409
    assert response.json()["code"] == "clarification_closed"


def test_a_cancelled_tender_takes_no_questions(make_tender, officer, supplier, as_user):
    from tenders.services import cancel_tender

    tender = make_tender()
    cancel_tender(tender.pk, by=officer, reason="Budget withdrawn.")

    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/questions/", {"text": "Why?"}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "clarification_closed"


@pytest.mark.parametrize("who", ["officer", None])
def test_only_suppliers_ask(make_tender, officer, as_user, who):
    tender = make_tender()

    response = as_user(officer if who else None).post(f"/api/tenders/{tender.pk}/questions/", {"text": "Q?"},
                                                      format="json")

    assert response.status_code in (401, 403)


def test_a_draft_has_no_questions(make_tender, supplier, as_user):
    draft = make_tender(publish=False)

    assert as_user(supplier).post(f"/api/tenders/{draft.pk}/questions/", {"text": "Q?"},
                                  format="json").status_code == 404
    assert as_user(None).get(f"/api/tenders/{draft.pk}/questions/").status_code == 404


def test_a_blank_question_is_a_400(make_tender, supplier, as_user):
    tender = make_tender()

    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/questions/", {"text": ""}, format="json")

    assert response.status_code == 400 and response.json()["code"] == "blank"


@pytest.mark.parametrize("reader", ["public", "other_supplier", "owner"])
def test_the_asker_is_hidden_from_everyone_else(make_tender, make_supplier, officer, as_user, reader):
    # given
    asker = make_supplier(name="Curious Builders LLP")
    tender = make_tender()
    ask(tender, asker)
    user = {"public": None, "other_supplier": make_supplier(), "owner": officer}[reader]

    # when
    response = as_user(user).get(f"/api/tenders/{tender.pk}/questions/")

    # then
    assert response.status_code == 200
    assert [q["mine"] for q in response.json()] == [False]
    text = response.content.decode()
    assert "Curious" not in text and asker.organisation.tax_id not in text and asker.username not in text


def test_the_asker_sees_its_own_questions_marked(make_tender, make_supplier, as_user):
    asker, other = make_supplier(), make_supplier()
    tender = make_tender()
    ask(tender, other, "Other's question")
    ask(tender, asker, "My question")

    rows = as_user(asker).get(f"/api/tenders/{tender.pk}/questions/").json()

    assert [(q["text"], q["mine"]) for q in rows] == [("Other's question", False), ("My question", True)]


def test_the_owner_answers_publicly(make_tender, officer, supplier, as_user):
    tender = make_tender()
    question = ask(tender, supplier)

    response = as_user(officer).post(f"/api/tenders/{tender.pk}/questions/{question.pk}/answer/",
                                     {"answer": "Yes, at night."}, format="json")

    assert response.status_code == 200, response.json()
    public = as_user(None).get(f"/api/tenders/{tender.pk}/questions/").json()
    assert public[0]["answer"] == "Yes, at night." and public[0]["answered_at"]


def test_another_buyer_cannot_answer(make_tender, other_officer, supplier, as_user):
    tender = make_tender()
    question = ask(tender, supplier)

    response = as_user(other_officer).post(f"/api/tenders/{tender.pk}/questions/{question.pk}/answer/",
                                           {"answer": "Not mine to say."}, format="json")

    assert response.status_code == 403 and response.json()["code"] == "not_your_tender"
    assert Question.objects.get().answered_at is None


def test_a_supplier_cannot_answer(make_tender, supplier, as_user):
    tender = make_tender()
    question = ask(tender, supplier)

    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/questions/{question.pk}/answer/",
                                      {"answer": "Self-service"}, format="json")

    assert response.status_code == 403


def test_a_question_is_answered_once(make_tender, officer, supplier, as_user):
    tender = make_tender()
    question = ask(tender, supplier)
    answer(tender, officer, question)

    response = as_user(officer).post(f"/api/tenders/{tender.pk}/questions/{question.pk}/answer/",
                                     {"answer": "Changed my mind."}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "already_answered"


def test_a_question_of_another_tender_is_not_found(make_tender, officer, supplier, as_user):
    tender, other = make_tender(), make_tender()
    question = ask(other, supplier)

    response = as_user(officer).post(f"/api/tenders/{tender.pk}/questions/{question.pk}/answer/",
                                     {"answer": "?"}, format="json")

    assert response.status_code == 404


def test_no_answer_after_the_submission_deadline(make_tender, officer, supplier):
    tender = make_tender()
    question = ask(tender, supplier)

    with pytest.raises(services.WrongState) as refused:
        services.answer_question(tender.pk, question.pk, by=officer, answer="Late",
                                 now=tender.submission_deadline)

    assert refused.value.code == "answer_closed"


def test_the_audit_records_the_answerer_but_not_the_asker(make_tender, officer, make_supplier):
    asker = make_supplier(name="Anonymous Asker LLP")
    tender = make_tender()
    answer(tender, officer, ask(tender, asker))

    asked = AuditEntry.objects.get(tender=tender, event="question_asked")
    answered = AuditEntry.objects.get(tender=tender, event="question_answered")

    assert (asked.actor, asked.role) == ("", "supplier")
    assert "Anonymous" not in json.dumps(asked.data) and asker.organisation.tax_id not in json.dumps(asked.data)
    assert (answered.actor, answered.role) == (officer.organisation.name, "officer")


def test_questions_and_answers_are_live_events_after_commit(make_tender, officer, make_supplier, in_memory_layer,
                                                            django_capture_on_commit_callbacks):
    # given
    asker = make_supplier(name="Live Asker LLP")
    tender = make_tender()
    listener = Listener(tender_group(tender.pk))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        question = ask(tender, asker)
    with django_capture_on_commit_callbacks(execute=True):
        answer(tender, officer, question, "Yes.")

    # then
    messages = listener.messages()
    assert [m["type"] for m in messages] == ["question_asked", "question_answered"]
    assert messages[0]["question"]["text"] == question.text and messages[0]["question"]["mine"] is False
    assert messages[1]["question"]["answer"] == "Yes."
    assert "Live Asker" not in json.dumps(messages)


def test_no_live_event_for_a_refused_question(make_tender, supplier, in_memory_layer,
                                              django_capture_on_commit_callbacks):
    tender = make_tender()
    listener = Listener(tender_group(tender.pk))

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.ClarificationClosed):
        services.ask_question(tender.pk, by=supplier, text="Late", now=tender.clarification_deadline)

    assert listener.messages() == []


def test_the_service_itself_refuses_a_question_from_an_officer(make_tender, officer):
    tender = make_tender()

    with pytest.raises(services.Forbidden) as refused:
        services.ask_question(tender.pk, by=officer, text="Asking my own tender?")

    assert refused.value.code == "suppliers_only"
