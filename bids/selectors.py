"""The one place that knows the sealed-bid visibility rule.

Before a tender's opening a bid's content exists only sealed: a supplier sees
its own bid's receipts (never a decrypted price), everyone else sees only the
tender's bid count. After the opening, opened bids are public."""

from django.db.models import QuerySet

from procurement.errors import NotFound

from .models import Bid, BidVersion


def bids_visible_to(user, tender) -> QuerySet[Bid]:
    base = Bid.objects.filter(tender=tender).select_related("supplier", "current").order_by("pk")
    if tender.opened_at is not None:
        return base.filter(opened_at__isnull=False)
    if getattr(user, "is_supplier", False):
        return base.filter(supplier_id=user.organisation_id)
    return Bid.objects.none()


def bid_visible_to(user, tender, bid_id: int) -> Bid:
    bid = bids_visible_to(user, tender).filter(pk=bid_id).first()
    if bid is None:
        raise NotFound("No such bid.")
    return bid


def own_versions(bid: Bid) -> QuerySet[BidVersion]:
    return bid.versions.order_by("number")
