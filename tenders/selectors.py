"""Every read of tenders that depends on who asks."""

from django.db.models import Q, QuerySet

from core.errors import NotFound

from .models import PUBLISHED_STATUSES, Status, Tender


def tenders_public() -> QuerySet[Tender]:
    return Tender.objects.filter(status__in=PUBLISHED_STATUSES)


def tenders_visible_to(user) -> QuerySet[Tender]:
    """Published tenders, plus the drafts of the officer's own buyer."""
    if getattr(user, "is_officer", False):
        return Tender.objects.filter(Q(status__in=PUBLISHED_STATUSES) | Q(buyer_id=user.organisation_id))
    return tenders_public()


def tender_visible_to(user, tender_id: int) -> Tender:
    tender = tenders_visible_to(user).select_related("buyer").filter(pk=tender_id).first()
    if tender is None:
        raise NotFound("No such tender.")
    return tender


def is_owner(user, tender: Tender) -> bool:
    return getattr(user, "is_officer", False) and user.organisation_id == tender.buyer_id


def drafts_of(user) -> QuerySet[Tender]:
    return Tender.objects.filter(buyer_id=user.organisation_id, status=Status.DRAFT)


def buyers_with_published_tenders() -> list[dict]:
    from accounts.models import Organisation

    return list(Organisation.objects.filter(tenders__status__in=PUBLISHED_STATUSES).distinct()
                .order_by("name").values("id", "name"))

