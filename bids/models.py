from django.db import models
from django.db.models import Q


class Bid(models.Model):
    """A supplier organisation's one bid on a tender. Its content lives only in
    sealed BidVersions until the opening fills the ``opened`` fields."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted"
        WITHDRAWN = "withdrawn"

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="bids")
    supplier = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="bids")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    # Set when an amendment changed the terms after this bid was sealed.
    needs_confirmation = models.BooleanField(default=False)
    current = models.ForeignKey("BidVersion", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    # Filled at the opening, from the decrypted current version.
    opened_at = models.DateTimeField(null=True, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    answers = models.JSONField(null=True, blank=True)
    documents = models.JSONField(null=True, blank=True)  # [{"name", "sha256", "size", "content_type"}]
    # The canonical content's nonce, published with the rest at the opening:
    # with it anyone can recompute each opened bid's receipt hash.
    nonce = models.CharField(max_length=32, blank=True, default="")
    # Set at the opening instead of the opened fields when the sealed content
    # could not be read or is not valid bid content (a code from
    # ``bids.services.SET_ASIDE``): the bid is not opened and the tender goes on.
    set_aside = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["tender_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "supplier"], name="one_bid_per_supplier"),
            models.CheckConstraint(condition=Q(opened_at__isnull=False) | Q(amount__isnull=True),
                                   name="bid_amount_only_after_opening"),
            # In clear the nonce would let a guesser test prices against the receipt hash.
            models.CheckConstraint(condition=Q(opened_at__isnull=False) | Q(nonce=""),
                                   name="bid_nonce_only_after_opening"),
        ]

    def __str__(self) -> str:
        return f"bid {self.pk} on tender {self.tender_id}"


class BidVersion(models.Model):
    """One sealed submission. Never changed; a replacement adds a version."""

    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    sealed = models.BinaryField()  # NaCl sealed box of the canonical content, to the tender's key
    sha256 = models.CharField(max_length=64)  # of the canonical content, the receipt's hash
    received_at = models.DateTimeField()
    signature = models.CharField(max_length=128)  # Ed25519 over the receipt, hex

    class Meta:
        ordering = ["bid_id", "number"]
        constraints = [models.UniqueConstraint(fields=["bid", "number"], name="bid_version_unique")]


def sealed_document_path(instance: "SealedDocument", filename: str) -> str:
    return f"sealed/{instance.version.bid.tender_id}/{filename}"


class SealedDocument(models.Model):
    """A bid document, stored encrypted to the tender's key under a random name."""

    version = models.ForeignKey(BidVersion, on_delete=models.PROTECT, related_name="sealed_documents")
    position = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=sealed_document_path, max_length=300)

    class Meta:
        ordering = ["version_id", "position"]


class IdempotencyRecord(models.Model):
    """A retried submission with the same key returns the first receipt."""

    supplier = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)  # keyed BLAKE2b of the request (services.fingerprint)
    version = models.ForeignKey(BidVersion, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["supplier", "key"], name="idempotency_key_unique")]


class Offer(models.Model):
    """An opened bid's offer for one lot. Until the opening the lots a bid
    covers exist only in its sealed content; the opening writes these rows
    (all of a tender's, in bulk)."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="offers")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="offers")
    lot = models.ForeignKey("tenders.Lot", on_delete=models.PROTECT, related_name="offers")
    amount = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        ordering = ["bid_id", "lot_id"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "lot"], name="one_offer_per_bid_and_lot"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="offer_amount_positive"),
        ]
        indexes = [models.Index(fields=["lot", "bid"], name="offer_lot_bid")]
