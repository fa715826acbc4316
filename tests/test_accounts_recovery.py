"""Account recovery and basics (issue 23): password reset by e-mail (Django's
token flow, sent by the task worker, no account enumeration, throttled),
password change (old password required, other sessions and every API token
signed out) and e-mail confirmation (notification e-mail only to a confirmed
address; a supplier may bid before confirming)."""

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import User
from notifications import services as notifications
from mail import tasks as mail_tasks
from notifications import tasks
from tenders import services as tender_services
from tests.factories import PASSWORD, valid_tax_id
from tests.helpers import send_account_emails

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Windy-Almaty-morning-7"
LINK = re.compile(r"http\S+/(password/reset/confirm|account/confirm-email)/#uid=([\w-]+)&token=([\w-]+)")


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(settings):
    def set_rates(**scopes):
        settings.PROCUREMENT_THROTTLE_RATES = {**settings.PROCUREMENT_THROTTLE_RATES, **scopes}
    return set_rates


@pytest.fixture
def member(make_supplier):
    """A supplier's user with a confirmed address."""
    user = make_supplier()
    user.email = user.confirmed_email = f"{user.username}@builders.kz"
    user.save(update_fields=["email", "confirmed_email"])
    return user


def link_in(message) -> tuple[str, str, str]:
    kind, uid, token = LINK.search(message.body).groups()
    return kind, uid, token


def session_of(user, password=PASSWORD) -> Client:
    client = Client()
    client.get("/api/auth/me/")  # the CSRF cookie
    response = client.post("/api/auth/login/", {"username": user.username, "password": password},
                           content_type="application/json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 200, response.content
    return client


def signed_in(client: Client) -> bool:
    return client.get("/api/auth/me/").json()["authenticated"]


def reset_link_for(user) -> tuple[str, str]:
    APIClient().post("/api/auth/password/reset/", {"email": user.email}, format="json")
    (message,) = send_account_emails()
    _, uid, token = link_in(message)
    return uid, token


# --- password reset -------------------------------------------------------------------

def test_a_reset_answers_the_same_for_a_known_and_an_unknown_address(api, member):
    known = api.post("/api/auth/password/reset/", {"email": member.email}, format="json")
    unknown = api.post("/api/auth/password/reset/", {"email": "nobody@nowhere.kz"}, format="json")

    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content == b""
    assert sorted(known.headers) == sorted(unknown.headers)


def test_a_reset_does_the_same_work_for_a_known_and_an_unknown_address(api, member):
    # the request only enqueues the task: who has the address is looked up by the worker,
    # so neither the answer nor the time the request takes depends on it
    def statements(email):
        with CaptureQueriesContext(connection) as queries:
            api.post("/api/auth/password/reset/", {"email": email}, format="json")
        return [q["sql"].split()[0] for q in queries.captured_queries]

    known, unknown = statements(member.email), statements("nobody@nowhere.kz")

    assert known == unknown
    assert [s for s in known if s not in ("SAVEPOINT", "RELEASE")] == ["INSERT"]  # the task's row, nothing read
    assert DBTaskResult.objects.count() == 2


def test_the_worker_mails_a_reset_link_only_to_a_known_address(api, member):
    api.post("/api/auth/password/reset/", {"email": member.email.upper()}, format="json")
    api.post("/api/auth/password/reset/", {"email": "nobody@nowhere.kz"}, format="json")

    assert mail.outbox == []  # not sent by the request
    (message,) = send_account_emails()
    assert message.to == [member.email]
    assert member.username in message.body
    kind, uid, token = link_in(message)
    assert kind == "password/reset/confirm"
    assert tokens.user_from_uid(uid) == member


def test_the_reset_e_mail_is_in_the_language_of_the_request(member):
    APIClient().post("/api/auth/password/reset/", {"email": member.email}, format="json", HTTP_ACCEPT_LANGUAGE="kk")
    (message,) = send_account_emails()
    assert "құпиясөзіңізді" in message.subject and "сілтеме" in message.body


def test_a_reset_link_sets_the_new_password(api, member):
    uid, token = reset_link_for(member)

    response = api.post("/api/auth/password/reset/confirm/", {"uid": uid, "token": token, "password": NEW_PASSWORD},
                        format="json")

    assert response.status_code == 204, response.content
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD) and not member.check_password(PASSWORD)


def test_a_reset_link_works_once(api, member):
    uid, token = reset_link_for(member)
    assert api.post("/api/auth/password/reset/confirm/", {"uid": uid, "token": token, "password": NEW_PASSWORD},
                    format="json").status_code == 204

    again = api.post("/api/auth/password/reset/confirm/", {"uid": uid, "token": token, "password": "Another-one-99"},
                     format="json")

    assert again.status_code == 400 and again.json()["code"] == "reset_link_invalid"
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(api, member, settings):
    class MadeTwoDaysAgo(PasswordResetTokenGenerator):  # Django's generator, its clock two days back
        def _now(self):
            return datetime.now() - timedelta(days=2)

    settings.PASSWORD_RESET_TIMEOUT = 24 * 3600
    token = MadeTwoDaysAgo().make_token(member)

    response = api.post("/api/auth/password/reset/confirm/",
                        {"uid": tokens.uid(member), "token": token, "password": NEW_PASSWORD}, format="json")

    assert response.status_code == 400 and response.json()["code"] == "reset_link_invalid"


@pytest.mark.parametrize("uid, token", [("MQ", "nonsense-token"), ("%%%", "x"), ("OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "x"),
                                        ("", "x")])
def test_a_forged_reset_link_is_a_400(api, member, uid, token):
    response = api.post("/api/auth/password/reset/confirm/", {"uid": uid, "token": token, "password": NEW_PASSWORD},
                        format="json")
    assert response.status_code == 400
    assert response.json()["code"] in ("reset_link_invalid", "blank")


def test_a_confirmation_token_is_not_a_reset_token(api, member):
    response = api.post("/api/auth/password/reset/confirm/",
                        {"uid": tokens.uid(member), "token": tokens.email_confirmation.make_token(member),
                         "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "reset_link_invalid"


def test_a_reset_refuses_a_weak_password_at_its_field_in_the_request_language(member):
    uid, token = reset_link_for(member)

    response = APIClient().post("/api/auth/password/reset/confirm/", {"uid": uid, "token": token, "password": "12345"},
                                format="json", HTTP_ACCEPT_LANGUAGE="kk")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "password_too_weak"
    details = [e["detail"] for e in body["errors"]["password"]]
    assert any("тым қысқа" in d for d in details) and any("цифрлардан" in d for d in details), details
    # the link is not spent by a refused password
    assert APIClient().post("/api/auth/password/reset/confirm/", {"uid": uid, "token": token,
                                                                 "password": NEW_PASSWORD},
                            format="json").status_code == 204


def test_a_reset_signs_out_every_session_and_revokes_every_token(api, member):
    browser = session_of(member)
    key = tokens.issue(member)
    uid, reset_token = reset_link_for(member)

    api.post("/api/auth/password/reset/confirm/", {"uid": uid, "token": reset_token, "password": NEW_PASSWORD},
             format="json")

    assert not signed_in(browser)
    assert not AuthToken.objects.filter(user=member).exists()
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/auth/me/").status_code == 401


def test_a_completed_reset_confirms_the_address_it_reached(api, member):
    member.confirmed_email = ""
    member.save(update_fields=["confirmed_email"])
    uid, token = reset_link_for(member)

    api.post("/api/auth/password/reset/confirm/", {"uid": uid, "token": token, "password": NEW_PASSWORD},
             format="json")

    member.refresh_from_db()
    assert member.email_confirmed


def test_reset_requests_are_throttled_per_address_known_or_not(api, member, rates):
    rates(password_reset_email="2/hour")
    for email in (member.email, "nobody@nowhere.kz"):
        for n in range(2):
            assert api.post("/api/auth/password/reset/", {"email": email}, format="json",
                            REMOTE_ADDR=f"198.51.100.{n}").status_code == 202
        refused = api.post("/api/auth/password/reset/", {"email": email.upper()}, format="json",
                           REMOTE_ADDR="198.51.100.9")
        assert refused.status_code == 429 and refused.json()["code"] == "throttled"
        assert int(refused["Retry-After"]) > 0


def test_reset_requests_are_throttled_per_client_address(api, rates):
    rates(password_reset_address="3/hour")
    for n in range(3):
        assert api.post("/api/auth/password/reset/", {"email": f"a{n}@nowhere.kz"}, format="json",
                        REMOTE_ADDR="203.0.113.5").status_code == 202
    refused = api.post("/api/auth/password/reset/", {"email": "z@nowhere.kz"}, format="json",
                       REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429
    assert api.post("/api/auth/password/reset/", {"email": "z@nowhere.kz"}, format="json",
                    REMOTE_ADDR="203.0.113.6").status_code == 202


def test_reset_links_are_throttled_per_client_address(api, member, rates):
    rates(password_reset_confirm_address="2/hour")
    for _ in range(2):
        assert api.post("/api/auth/password/reset/confirm/", {"uid": "MQ", "token": "guess", "password": NEW_PASSWORD},
                        format="json").status_code == 400
    refused = api.post("/api/auth/password/reset/confirm/", {"uid": "MQ", "token": "guess", "password": NEW_PASSWORD},
                       format="json")
    assert refused.status_code == 429


def test_a_reset_request_needs_an_e_mail_address(api):
    response = api.post("/api/auth/password/reset/", {"email": "not an address"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    # what the schema's pattern calls an address is taken (it just matches no account)
    assert api.post("/api/auth/password/reset/", {"email": "0@0.a"}, format="json").status_code == 202


# --- password change --------------------------------------------------------------------

def test_a_signed_in_user_changes_its_password_and_stays_signed_in(member):
    browser = session_of(member)

    response = browser.post("/api/auth/password/change/", {"old_password": PASSWORD, "password": NEW_PASSWORD},
                            content_type="application/json", HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)

    assert response.status_code == 204, response.content
    assert signed_in(browser)
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_a_password_change_signs_out_the_other_sessions_and_revokes_every_token(member):
    here, elsewhere = session_of(member), session_of(member)
    key = tokens.issue(member)

    here.post("/api/auth/password/change/", {"old_password": PASSWORD, "password": NEW_PASSWORD},
              content_type="application/json", HTTP_X_CSRFTOKEN=here.cookies["csrftoken"].value)

    assert signed_in(here) and not signed_in(elsewhere)
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/auth/me/").status_code == 401


def test_a_token_client_changes_its_password_and_takes_a_new_token(member):
    key = tokens.issue(member)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.post("/api/auth/password/change/", {"old_password": PASSWORD, "password": NEW_PASSWORD},
                       format="json").status_code == 204

    assert client.get("/api/auth/me/").status_code == 401
    assert APIClient().post("/api/auth/token/", {"username": member.username, "password": NEW_PASSWORD},
                            format="json").status_code == 200


def test_a_wrong_old_password_is_refused_at_its_field(member, as_user):
    response = as_user(member).post("/api/auth/password/change/",
                                    {"old_password": "not-my-password", "password": NEW_PASSWORD}, format="json",
                                    HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "wrong_password"
    assert body["errors"]["old_password"][0]["code"] == "wrong_password"
    assert "пароль" in body["detail"].lower()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_a_password_change_checks_the_validators(member, as_user):
    response = as_user(member).post("/api/auth/password/change/", {"old_password": PASSWORD,
                                                                    "password": member.username},
                                    format="json")
    assert response.status_code == 400 and response.json()["code"] == "password_too_weak"
    assert "password" in response.json()["errors"]


def test_a_password_change_needs_a_sign_in(api):
    response = api.post("/api/auth/password/change/", {"old_password": PASSWORD, "password": NEW_PASSWORD},
                        format="json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_password_changes_are_throttled_per_user(member, as_user, rates):
    rates(password_change_user="3/hour")
    client = as_user(member)
    for _ in range(3):
        assert client.post("/api/auth/password/change/", {"old_password": "guess", "password": NEW_PASSWORD},
                           format="json").status_code == 400
    refused = client.post("/api/auth/password/change/", {"old_password": PASSWORD, "password": NEW_PASSWORD},
                          format="json")
    assert refused.status_code == 429


# --- e-mail confirmation --------------------------------------------------------------------

def register(api, email="office@qazaqstroy.kz", **headers) -> dict:
    data = {"organisation_name": "Qazaq Stroy LLP", "tax_id": valid_tax_id(), "username": "qazaqstroy",
            "password": "Sunny-steppe-2026", **({"email": email} if email else {})}
    response = api.post("/api/auth/register/", data, format="json", **headers)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_registration_mails_a_confirmation_link(api):
    body = register(api)

    assert body["email"] == "office@qazaqstroy.kz" and body["email_confirmed"] is False
    (message,) = send_account_emails()
    assert message.to == ["office@qazaqstroy.kz"]
    kind, uid, token = link_in(message)
    assert kind == "account/confirm-email"

    assert api.post("/api/auth/email/confirm/", {"uid": uid, "token": token}, format="json").status_code == 204
    user = User.objects.get(username="qazaqstroy")
    assert user.email_confirmed
    me = APIClient(HTTP_AUTHORIZATION=f"Token {body['token']}").get("/api/auth/me/").json()
    assert me["email_confirmed"] is True


def test_a_registration_without_an_address_mails_nothing(api):
    register(api, email="")
    assert not DBTaskResult.objects.exists()


def test_a_confirmation_link_works_once(api):
    register(api)
    (message,) = send_account_emails()
    _, uid, token = link_in(message)
    api.post("/api/auth/email/confirm/", {"uid": uid, "token": token}, format="json")

    again = api.post("/api/auth/email/confirm/", {"uid": uid, "token": token}, format="json")

    assert again.status_code == 400 and again.json()["code"] == "confirmation_link_invalid"


def test_a_confirmation_link_is_void_once_the_address_changes(api):
    register(api)
    (message,) = send_account_emails()
    _, uid, token = link_in(message)
    User.objects.filter(username="qazaqstroy").update(email="new@qazaqstroy.kz")

    response = api.post("/api/auth/email/confirm/", {"uid": uid, "token": token}, format="json")

    assert response.status_code == 400 and response.json()["code"] == "confirmation_link_invalid"
    assert not User.objects.get(username="qazaqstroy").email_confirmed


def test_a_reset_token_is_not_a_confirmation_token(api, member):
    member.confirmed_email = ""
    member.save(update_fields=["confirmed_email"])
    response = api.post("/api/auth/email/confirm/", {"uid": tokens.uid(member),
                                                     "token": tokens.password_reset.make_token(member)},
                        format="json")
    assert response.status_code == 400 and response.json()["code"] == "confirmation_link_invalid"


def test_the_confirmation_link_is_sent_again_on_request(api, as_user):
    body = register(api)
    send_account_emails()
    user = User.objects.get(pk=body["id"])

    assert as_user(user).post("/api/auth/email/confirm/resend/").status_code == 202
    (message,) = send_account_emails()
    _, uid, token = link_in(message)
    assert api.post("/api/auth/email/confirm/", {"uid": uid, "token": token}, format="json").status_code == 204

    again = as_user(User.objects.get(pk=user.pk)).post("/api/auth/email/confirm/resend/")
    assert again.status_code == 409 and again.json()["code"] == "email_already_confirmed"


def test_no_confirmation_without_an_address(make_supplier, as_user):
    response = as_user(make_supplier()).post("/api/auth/email/confirm/resend/")
    assert response.status_code == 409 and response.json()["code"] == "no_email"


def test_confirmation_resends_are_throttled(member, as_user, rates):
    rates(email_confirmation_user="1/hour")
    client = as_user(member)
    assert client.post("/api/auth/email/confirm/resend/").status_code == 409
    assert client.post("/api/auth/email/confirm/resend/").status_code == 429


def test_an_officer_made_by_staff_has_a_confirmed_address(make_officer):
    from accounts.services import create_officer

    officer = create_officer(buyer_name="Akimat of Almaty", username="almaty1", password=PASSWORD,
                             email="procurement@almaty.gov.kz")
    assert officer.email_confirmed


def test_notification_e_mail_waits_for_the_confirmation_but_bids_do_not(api, make_tender):
    # given a supplier registered with an address it has not confirmed, subscribed to CPV 45
    body = register(api)
    confirmation = send_account_emails()
    user = User.objects.get(pk=body["id"])
    notifications.subscribe(by=user, cpv_prefix="45")
    supplier_api = APIClient(HTTP_AUTHORIZATION=f"Token {body['token']}")

    # when a matching tender is published
    tender = make_tender()
    # then it is notified in the app, and may bid, but no e-mail goes to the unconfirmed address
    assert supplier_api.get("/api/notifications/").json()["count"] == 1
    bid = supplier_api.post(f"/api/tenders/{tender.pk}/bids/", {"amount": "1000.00", "currency": "KZT",
                                                                 "answers": {}}, format="json")
    assert bid.status_code == 201, bid.content
    assert tasks.addresses([user.organisation_id]) == {}

    # and once it confirms, the next notification is e-mailed
    _, uid, token = link_in(confirmation[0])
    api.post("/api/auth/email/confirm/", {"uid": uid, "token": token}, format="json")
    assert tasks.addresses([user.organisation_id]) == {user.organisation_id: ["office@qazaqstroy.kz"]}
    tender_services.publish_tender(make_tender(publish=False, estimated_amount=Decimal("5000.00")).pk,
                                   by=tender.created_by)
    delivery = DBTaskResult.objects.filter(task_path="mail.tasks.deliver_emails").last()
    assert mail_tasks.deliver_emails.call(*delivery.args_kwargs["args"]) == 1
    assert mail.outbox[-1].to == ["office@qazaqstroy.kz"]


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_sends_the_reset_e_mail(api, member):
    from django.core.management import call_command

    api.post("/api/auth/password/reset/", {"email": member.email}, format="json")
    assert mail.outbox == []

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)

    assert [m.to for m in mail.outbox] == [[member.email]]
    # the account task, then the outbox's delivery it queued
    assert sorted(DBTaskResult.objects.values_list("task_path", "status")) == [
        ("mail.tasks.deliver_emails", "SUCCESSFUL"), ("notifications.tasks.send_account_email", "SUCCESSFUL")]
