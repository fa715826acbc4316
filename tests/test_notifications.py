"""Proactive notifications: CPV (and buyer) subscriptions, in-app
notifications pushed to the supplier's own socket, emails sent by the task
worker once the change has committed."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from live.events import org_group
from mail import services as mail_services
from mail import tasks as mail_tasks
from mail.models import OutgoingEmail
from notifications import services, tasks
from notifications.models import Notification, Subscription
from tenders import services as tender_services
from tests.transparency_helpers import Listener, amend, answer, ask


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def subscriber(make_supplier):
    """A supplier with a confirmed email address, subscribed to construction work (CPV 45)."""
    def make(prefix: str = "45", buyer=None, email: str | None = None):
        user = make_supplier()
        user.email = user.confirmed_email = email or f"{user.username}@example.kz"
        user.save(update_fields=["email", "confirmed_email"])
        services.subscribe(by=user, cpv_prefix=prefix, buyer_id=buyer.organisation_id if buyer else None)
        return user
    return make


def publish(make_tender, officer=None, **fields):
    draft = make_tender(publish=False, **({"by": officer} if officer else {}), **fields)
    return tender_services.publish_tender(draft.pk, by=draft.created_by)


def notified(user) -> list[str]:
    return list(Notification.objects.filter(organisation_id=user.organisation_id).values_list("kind", flat=True))


# --- subscriptions API ----------------------------------------------------------

def test_a_supplier_subscribes_to_a_cpv_prefix(supplier, as_user):
    response = as_user(supplier).post("/api/subscriptions/", {"cpv_prefix": "45230000"}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["cpv_prefix"] == "4523" and response.json()["buyer"] is None


def test_a_subscription_can_name_a_buyer(supplier, officer, as_user):
    response = as_user(supplier).post("/api/subscriptions/", {"cpv_prefix": "45", "buyer": officer.organisation_id},
                                      format="json")

    assert response.status_code == 201
    assert response.json()["buyer"] == {"id": officer.organisation_id, "name": officer.organisation.name}


@pytest.mark.parametrize("payload, code", [
    ({"cpv_prefix": "4"}, "cpv_prefix_invalid"),
    ({"cpv_prefix": "45abc"}, "cpv_prefix_invalid"),
    ({"cpv_prefix": "45", "buyer": 999999}, "buyer_unknown"),
    ({}, "required"),
])
def test_a_bad_subscription_is_a_400(supplier, as_user, payload, code):
    response = as_user(supplier).post("/api/subscriptions/", payload, format="json")

    assert response.status_code == 400 and response.json()["code"] == code


def test_a_supplier_cannot_be_subscribed_as_a_buyer(supplier, make_supplier, as_user):
    other = make_supplier()

    response = as_user(supplier).post("/api/subscriptions/", {"cpv_prefix": "45", "buyer": other.organisation_id},
                                      format="json")

    assert response.status_code == 400 and response.json()["code"] == "buyer_unknown"


def test_the_same_subscription_twice_is_a_409(supplier, as_user):
    as_user(supplier).post("/api/subscriptions/", {"cpv_prefix": "45"}, format="json")

    response = as_user(supplier).post("/api/subscriptions/", {"cpv_prefix": "450"}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "already_subscribed"


def test_only_suppliers_subscribe(officer, as_user):
    assert as_user(officer).post("/api/subscriptions/", {"cpv_prefix": "45"}, format="json").status_code == 403
    assert as_user(None).get("/api/subscriptions/").status_code in (401, 403)


def test_a_supplier_lists_and_deletes_only_its_own_subscriptions(subscriber, as_user):
    mine, theirs = subscriber("45"), subscriber("33")
    own = Subscription.objects.get(organisation_id=mine.organisation_id)
    other = Subscription.objects.get(organisation_id=theirs.organisation_id)

    assert [s["id"] for s in as_user(mine).get("/api/subscriptions/").json()] == [own.pk]
    assert as_user(mine).delete(f"/api/subscriptions/{other.pk}/").status_code == 404
    assert as_user(mine).delete(f"/api/subscriptions/{own.pk}/").status_code == 204
    assert list(Subscription.objects.values_list("pk", flat=True)) == [other.pk]


# --- matching -------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["45", "4523", "45233", "45233140-2"])
def test_a_matching_prefix_is_notified_of_a_publication(make_tender, subscriber, prefix):
    user = subscriber(prefix)

    publish(make_tender)

    assert notified(user) == ["tender_published"]


@pytest.mark.parametrize("prefix", ["33", "4524", "452332"])
def test_a_non_matching_prefix_is_not_notified(make_tender, subscriber, prefix):
    user = subscriber(prefix)

    publish(make_tender)

    assert notified(user) == []


def test_a_buyer_subscription_matches_only_that_buyer(make_tender, subscriber, officer, other_officer):
    follows_officer = subscriber("45", buyer=officer)
    follows_other = subscriber("45", buyer=other_officer)

    publish(make_tender, officer)

    assert notified(follows_officer) == ["tender_published"]
    assert notified(follows_other) == []


def test_two_matching_subscriptions_give_one_notification(make_tender, subscriber, officer):
    user = subscriber("45")
    services.subscribe(by=user, cpv_prefix="4523", buyer_id=officer.organisation_id)

    publish(make_tender)

    assert notified(user) == ["tender_published"]


def test_a_draft_notifies_nobody(make_tender, subscriber):
    user = subscriber("45")

    make_tender(publish=False)

    assert notified(user) == []


def test_an_amendment_notifies_subscribers(make_tender, subscriber, officer):
    tender = make_tender()
    user = subscriber("45")

    amend(tender, officer)

    assert notified(user) == ["tender_amended"]


def test_an_amendment_tells_each_bidder_privately_to_confirm_its_bid(make_tender, subscriber, make_supplier,
                                                                     officer):
    from decimal import Decimal

    from bids import services as bid_services

    # given a bidder that subscribed to nothing, a subscriber without a bid, and a stranger
    tender = make_tender()
    bidder, watcher, stranger = make_supplier(), subscriber("45"), make_supplier()
    bid_services.submit_bid(tender.pk, by=bidder, content=bid_services.BidContent(
        amount=Decimal("10.00"), currency="KZT", answers={}, documents=[]))
    # when the terms change
    amend(tender, officer)
    # then the bidder is told to confirm (and the subscriber only of the change); the stranger hears nothing
    confirm = Notification.objects.get(organisation_id=bidder.organisation_id)
    assert confirm.subject.startswith("Confirm your bid") and "/confirm/" in confirm.body
    assert Notification.objects.get(organisation_id=watcher.organisation_id).subject.startswith("Tender amended")
    assert notified(stranger) == []


def test_an_answer_notifies_subscribers_and_the_asker(make_tender, subscriber, make_supplier, officer):
    tender = make_tender()
    follower, outsider, asker = subscriber("45"), subscriber("33"), make_supplier()

    answer(tender, officer, ask(tender, asker))

    assert notified(follower) == ["question_answered"]
    assert notified(asker) == ["question_answered"]
    assert notified(outsider) == []


# --- email through the task worker --------------------------------------------------

def deliver() -> None:
    """Run the real task worker (``manage.py db_worker``) until the queue is
    empty. Transactional tests: the worker checks its connection between
    tasks, which a test's wrapping transaction would not survive."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_email_is_enqueued_with_the_change_and_sent_by_the_worker(make_tender, subscriber):
    user = subscriber("45", email="bids@builders.kz")
    draft = make_tender(publish=False)

    tender_services.publish_tender(draft.pk, by=draft.created_by)

    assert mail.outbox == []  # not sent by the request
    task = DBTaskResult.objects.get()
    assert task.status == "READY" and task.task_path == "mail.tasks.deliver_emails"
    queued = OutgoingEmail.objects.get()
    deliver()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["bids@builders.kz"]
    assert draft.title in mail.outbox[0].subject
    # with the Message-ID fixed when it was queued, and recorded as sent
    assert mail.outbox[0].extra_headers["Message-ID"] == queued.message_id
    queued.refresh_from_db()
    assert queued.sent_at is not None and queued.attempts == 1
    assert notified(user) == ["tender_published"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_no_email_and_leaves_no_notification(make_tender, subscriber):
    user = subscriber("45")
    draft = make_tender(publish=False)

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            tender_services.publish_tender(draft.pk, by=draft.created_by)
            raise RuntimeError("something later in the request failed")

    assert not DBTaskResult.objects.exists() and not OutgoingEmail.objects.exists()
    deliver()
    assert mail.outbox == []
    assert notified(user) == []


@pytest.mark.django_db(transaction=True)
def test_a_non_matching_subscriber_gets_no_email(make_tender, subscriber):
    subscriber("33")
    publish(make_tender)
    deliver()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_an_amendment_email_names_the_change(make_tender, subscriber, officer):
    tender = make_tender()
    subscriber("45")
    amend(tender, officer)
    deliver()
    assert len(mail.outbox) == 1 and "title" in mail.outbox[0].body


class FlakyBackend(locmem.EmailBackend):
    """Refuses the next ``failures[address]`` messages to an address."""
    failures: dict[str, int] = {}

    def send_messages(self, messages):
        for message in messages:
            for address in message.to:
                if self.failures.get(address, 0) > 0:
                    self.failures[address] -= 1
                    raise smtplib.SMTPRecipientsRefused({address: (451, b"try again later")})
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    settings.NOTIFICATION_EMAIL_RETRY_DELAYS = [0, 0]
    FlakyBackend.failures = {}
    yield FlakyBackend.failures
    FlakyBackend.failures = {}


@pytest.mark.django_db(transaction=True)
def test_a_refused_email_is_retried_for_that_organisation_only(make_tender, subscriber, flaky_mail):
    subscriber("45", email="ok@builders.kz")
    subscriber("45", email="flaky@builders.kz")
    flaky_mail["flaky@builders.kz"] = 1
    publish(make_tender)

    deliver()
    assert [m.to[0] for m in mail.outbox] == ["ok@builders.kz"]
    # when the scheduler's job hands the due retry to the worker
    assert mail_services.hand_over_due(timezone.now()) == 1
    deliver()

    # one message each: the healthy address once, the flaky one on its retry
    assert sorted(m.to[0] for m in mail.outbox) == ["flaky@builders.kz", "ok@builders.kz"]
    attempts = list(DBTaskResult.objects.order_by("enqueued_at").values_list("status", "args_kwargs"))
    assert [status for status, _ in attempts] == ["FAILED", "SUCCESSFUL"]
    assert len(attempts[1][1]["args"][0]) == 1
    assert sorted(OutgoingEmail.objects.values_list("attempts", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_retries_stop_after_the_last_delay_and_the_failure_stays_recorded(make_tender, subscriber, flaky_mail):
    subscriber("45", email="down@builders.kz")
    flaky_mail["down@builders.kz"] = 99
    publish(make_tender)

    for _ in range(4):
        deliver()
        mail_services.hand_over_due(timezone.now())

    assert mail.outbox == []
    failed = DBTaskResult.objects.order_by("enqueued_at")
    assert [t.status for t in failed] == ["FAILED"] * 3  # the first attempt and two retries
    assert "SMTPRecipientsRefused" in failed.last().traceback
    given_up = OutgoingEmail.objects.get()
    assert given_up.due_at is None and given_up.sent_at is None and "SMTPRecipientsRefused" in given_up.last_error


def test_a_retry_waits_for_its_delay(make_tender, subscriber, flaky_mail, settings):
    settings.NOTIFICATION_EMAIL_RETRY_DELAYS = [300]
    subscriber("45", email="later@builders.kz")
    flaky_mail["later@builders.kz"] = 1
    publish(make_tender)
    task = DBTaskResult.objects.get()

    with pytest.raises(mail_services.EmailNotSent):
        mail_tasks.deliver_emails.call(*task.args_kwargs["args"])

    assert mail_services.hand_over_due(timezone.now()) == 0
    assert mail_services.hand_over_due(timezone.now() + timedelta(seconds=290)) == 0
    assert mail_services.hand_over_due(timezone.now() + timedelta(seconds=301)) == 1
    assert DBTaskResult.objects.exclude(pk=task.pk).get().task_path == "mail.tasks.deliver_emails"


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_the_previous_release_is_still_delivered(subscriber):
    subscriber("45", email="old@builders.kz")
    org_id = User.objects.get(email="old@builders.kz").organisation_id
    tasks.send_notification_emails.enqueue([org_id], "Subject", "Body")
    deliver()
    assert [m.to for m in mail.outbox] == [["old@builders.kz"]]


# --- live push and the in-app inbox -------------------------------------------------------

def test_the_notification_is_pushed_to_the_suppliers_own_socket(make_tender, subscriber, make_supplier,
                                                                in_memory_layer, django_capture_on_commit_callbacks):
    user, stranger = subscriber("45"), make_supplier()
    mine, theirs = Listener(org_group(user.organisation_id)), Listener(org_group(stranger.organisation_id))

    with django_capture_on_commit_callbacks(execute=True):
        tender = publish(make_tender)

    messages = mine.messages()
    assert [m["type"] for m in messages] == ["notification"]
    assert messages[0]["tender"] == str(tender.pk)
    assert messages[0]["notification"]["kind"] == "tender_published"
    assert theirs.messages() == []


def test_a_supplier_reads_its_notifications(make_tender, subscriber, as_user):
    user, other = subscriber("45"), subscriber("45")
    tender = publish(make_tender)

    body = as_user(user).get("/api/notifications/").json()

    assert body["count"] == 1
    row = body["results"][0]
    assert row["tender"] == tender.pk and row["kind"] == "tender_published" and row["read"] is False
    assert Notification.objects.filter(organisation_id=other.organisation_id).count() == 1


def test_a_supplier_marks_a_notification_read(make_tender, subscriber, as_user):
    user = subscriber("45")
    publish(make_tender)
    note = Notification.objects.get(organisation_id=user.organisation_id)

    response = as_user(user).post(f"/api/notifications/{note.pk}/read/")

    assert response.status_code == 200 and response.json()["read"] is True
    assert as_user(user).get("/api/notifications/?unread=true").json()["count"] == 0


def test_another_suppliers_notification_is_not_found(make_tender, subscriber, as_user):
    user, other = subscriber("45"), subscriber("45")
    publish(make_tender)
    theirs = Notification.objects.get(organisation_id=other.organisation_id)

    assert as_user(user).post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(make_tender, subscriber, officer, as_user):
    user = subscriber("45")
    tender = publish(make_tender)
    amend(tender, officer)

    assert as_user(user).post("/api/notifications/read-all/").json() == {"marked": 2}
    assert as_user(user).get("/api/notifications/?unread=1").json()["count"] == 0


def test_the_inbox_is_one_query_per_page(make_tender, subscriber, officer, as_user, django_assert_max_num_queries):
    user = subscriber("45")
    for _ in range(5):
        publish(make_tender)
    client = as_user(user)

    with django_assert_max_num_queries(4):
        body = client.get("/api/notifications/").json()

    assert body["count"] == 5
