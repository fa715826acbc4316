"""The one place that knows the sealed-bid visibility rule.

Before a tender's opening a bid's content exists only sealed: a supplier sees
its own bid's receipts (never a decrypted price), everyone else sees only the
tender's bid count. After the opening, opened bids are public."""

from django.db.models import QuerySet

from core import sealing
from core.errors import Forbidden, NotFound

from .models import Bid, BidVersion, SealedDocument


def opened_bids(tender) -> QuerySet[Bid]:
    """The bids whose content is public: those decrypted at the opening (none
    before it). Every public read of bid content starts here."""
    return Bid.objects.filter(tender=tender, opened_at__isnull=False)


def bids_visible_to(user, tender) -> QuerySet[Bid]:
    if tender.opened_at is not None:
        return opened_bids(tender).select_related("supplier", "current").prefetch_related("offers").order_by("pk")
    base = Bid.objects.filter(tender=tender).select_related("supplier", "current").order_by("pk")
    if getattr(user, "is_supplier", False):
        return base.filter(supplier_id=user.organisation_id)
    return Bid.objects.none()


def bid_visible_to(user, tender, bid_id: int) -> Bid:
    bid = bids_visible_to(user, tender).filter(pk=bid_id).first()
    if bid is None:
        raise NotFound("No such bid.")
    return bid


def bid_document(user, tender, bid_id: int, position: int) -> tuple[dict, bytes]:
    """An opened bid's document: its metadata and its decrypted bytes. Before
    the opening the bidder itself gets 403 ``sealed`` (the server cannot
    decrypt it yet); everyone else does not see the bid at all (404)."""
    bid = bid_visible_to(user, tender, bid_id)
    if bid.opened_at is None:
        raise Forbidden("Bid documents are sealed until the opening.", code="sealed")
    stored = SealedDocument.objects.filter(version=bid.current, position=position).first()
    if stored is None or position >= len(bid.documents or []):
        raise NotFound("No such document.")
    with stored.file.open("rb") as fh:
        content = sealing.Opener(tender.sealed_private_key).open(fh.read())
    return bid.documents[position], content


def own_bids(user) -> QuerySet[Bid]:
    """Every bid of the user's own (supplier) organisation, newest first, with
    its tender and all its sealed versions' receipts prefetched."""
    from django.db.models import Prefetch

    return (Bid.objects.filter(supplier_id=user.organisation_id)
            .select_related("supplier", "current", "tender")
            .prefetch_related(Prefetch("versions", queryset=BidVersion.objects.order_by("number")))
            .order_by("-updated_at", "-pk"))
