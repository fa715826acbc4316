"""Proactive notifications: a supplier subscribes to CPV prefixes (and,
optionally, buyers); when a matching tender is published, amended or a
question on it answered, each subscribed organisation gets one in-app
notification (written in the same transaction as the change, pushed to its
own socket after commit) and an email, queued in that transaction (one
message per organisation, mail/services.py) and sent by the task worker once
it has committed.

Called explicitly by the services that make those changes, with the tender
row already locked."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation, User
from core.errors import Invalid, NotFound, WrongState
from core.isotime import legal
from core.validators import CPV_PREFIX
from live import events as live
from mail import services as mail

from . import tasks
from .models import Notification, Subscription
from .serializers import NotificationOut

logger = logging.getLogger(__name__)


def normalise_prefix(value: str) -> str:
    """``45``, ``4523``, ``45230000`` or ``45233140-2`` -> the significant
    digits (trailing zeros dropped, at least the two-digit division), the same
    reading as the register's ``cpv`` filter."""
    match = CPV_PREFIX.match(value.strip())
    if not match:
        raise Invalid("Give 2 to 8 digits of a CPV code.", code="cpv_prefix_invalid", field="cpv_prefix")
    digits = match.group(1)
    prefix = digits.rstrip("0")
    return prefix if len(prefix) >= 2 else digits[:2]


def cpv_prefixes(cpv: str) -> list[str]:
    """Every prefix a subscription matching ``cpv`` can hold."""
    digits = cpv.split("-")[0]
    return [digits[:n] for n in range(2, len(digits) + 1)]


# --- subscriptions ------------------------------------------------------------

@transaction.atomic
def subscribe(*, by: User, cpv_prefix: str, buyer_id: int | None = None, now: datetime | None = None) -> Subscription:
    now = now or timezone.now()
    prefix = normalise_prefix(cpv_prefix)
    if buyer_id is not None and not Organisation.objects.filter(pk=buyer_id, kind=Organisation.Kind.BUYER).exists():
        raise Invalid("No such buyer.", code="buyer_unknown", field="buyer")
    try:
        with transaction.atomic():
            return Subscription.objects.create(organisation_id=by.organisation_id, cpv_prefix=prefix,
                                               buyer_id=buyer_id, created_at=now)
    except IntegrityError:
        raise WrongState("Your organisation already has this subscription.", code="already_subscribed") from None


@transaction.atomic
def unsubscribe(subscription_id: int, *, by: User) -> None:
    deleted, _ = Subscription.objects.filter(pk=subscription_id, organisation_id=by.organisation_id).delete()
    if not deleted:
        raise NotFound("No such subscription.")


@transaction.atomic
def mark_read(notification_id: int, *, by: User, now: datetime | None = None) -> Notification:
    now = now or timezone.now()
    notification = (Notification.objects.select_for_update()
                    .filter(pk=notification_id, organisation_id=by.organisation_id).first())
    if notification is None:
        raise NotFound("No such notification.")
    if notification.read_at is None:
        notification.read_at = now
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_read(*, by: User, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Notification.objects.filter(organisation_id=by.organisation_id, read_at__isnull=True).update(read_at=now)


# --- fan-out --------------------------------------------------------------------

def subscribers(tender) -> set[int]:
    """Organisations with a subscription matching the tender's CPV code, or
    one of its lots' (reached through the relation ``tender.lots``: the
    tenders app depends on this one), and its buyer."""
    codes = {tender.cpv, *tender.lots.values_list("cpv", flat=True)}
    prefixes = sorted({prefix for code in codes for prefix in cpv_prefixes(code)})
    return set(Subscription.objects.filter(cpv_prefix__in=prefixes)
               .filter(Q(buyer__isnull=True) | Q(buyer_id=tender.buyer_id))
               .values_list("organisation_id", flat=True).distinct())


def tender_published(tender, *, now: datetime) -> int:
    return _notify(tender, Notification.Kind.TENDER_PUBLISHED, org_ids=subscribers(tender), now=now,
                   subject=f"New tender: {tender.title}",
                   body=(f"{tender.buyer.name} published tender {tender.pk} \"{tender.title}\" "
                         f"(CPV {tender.cpv}, {tender.estimated_amount:.2f} {tender.currency}). "
                         f"Questions until {legal(tender.clarification_deadline)}, "
                         f"bids until {legal(tender.submission_deadline)}."))


def tender_amended(tender, amendment, *, now: datetime, bidders: set[int] = frozenset()) -> int:
    """Subscribers; and, whether subscribed or not, each organisation whose
    bid the amendment flagged, told privately that its bid must be confirmed
    (an unconfirmed bid is not opened)."""
    changed = ", ".join(sorted(amendment.changes))
    subject = f"Tender amended: {tender.title}"
    body = (f"Tender {tender.pk} \"{tender.title}\" was amended ({changed}): {amendment.rationale}\n"
            f"Bids are now accepted until {legal(tender.submission_deadline)}.")
    sent = _notify(tender, Notification.Kind.TENDER_AMENDED, org_ids=subscribers(tender) - set(bidders), now=now,
                   subject=subject, body=body)
    return sent + _notify(tender, Notification.Kind.TENDER_AMENDED, org_ids=set(bidders), now=now,
                          subject=f"Confirm your bid: {tender.title}",
                          body=(f"{body}\nYour organisation's bid must be confirmed again "
                                f"(POST /api/tenders/{tender.pk}/bids/<your bid>/confirm/) before the deadline, "
                                "or it will not be opened."))


def question_answered(tender, question, *, now: datetime) -> int:
    """Subscribers, and the asking organisation whether subscribed or not."""
    return _notify(tender, Notification.Kind.QUESTION_ANSWERED, now=now,
                   org_ids=subscribers(tender) | {question.asked_by_organisation_id},
                   subject=f"Question answered: {tender.title}",
                   body=f"Q: {question.text}\nA: {question.answer}")


def _notify(tender, kind: str, *, org_ids: set[int], subject: str, body: str, now: datetime) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notifications are written in the change's transaction")
    if not org_ids:
        return 0
    org_ids = sorted(org_ids)
    notifications = Notification.objects.bulk_create(
        Notification(organisation_id=org_id, tender_id=tender.pk, kind=kind, subject=subject, body=body,
                     created_at=now) for org_id in org_ids)
    for notification in notifications:
        live.emit(tender, "notification", now=now, org_id=notification.organisation_id, org_wide=True,
                  notification=NotificationOut.dump(notification))
    # In this transaction: the e-mail is sent by the task worker only if the change commits.
    mail.queue([(to, subject, body) for to in tasks.addresses(org_ids).values()], now=now)
    return len(notifications)
