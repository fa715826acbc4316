from datetime import datetime

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q


class Status(models.TextChoices):
    DRAFT = "draft"
    ACTIVE = "active"
    EVALUATION = "evaluation"
    AWARDED = "awarded"
    COMPLETE = "complete"
    UNSUCCESSFUL = "unsuccessful"
    CANCELLED = "cancelled"


PUBLISHED_STATUSES = [s for s in Status.values if s != Status.DRAFT]


class AwardMethod(models.TextChoices):
    LOWEST_PRICE = "lowest_price"
    BEST_VALUE = "best_value"


class Method(models.TextChoices):
    """The procurement method (DESIGN.md "Procurement methods"): what differs
    between them lives in ``tenders.methods``, one class per method."""
    OPEN_TENDER = "open_tender"
    PRICE_QUOTATION = "price_quotation"
    AUCTION = "auction"
    SINGLE_SOURCE = "single_source"


class Ground(models.TextChoices):
    """Why a single-source purchase is lawful (DESIGN.md "Procurement methods")."""
    EMERGENCY = "emergency"
    SOLE_SUPPLIER = "sole_supplier"
    FAILED_PROCUREMENT = "failed_procurement"
    CONTINUATION = "continuation"


class Language(models.TextChoices):
    """The language a tender is written in (BCP47 / ISO 639-1): its OCDS releases say so."""
    KAZAKH = "kk", "Қазақша"
    RUSSIAN = "ru", "Русский"
    ENGLISH = "en", "English"


class Tender(models.Model):
    buyer = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="tenders")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, default="")
    cpv = models.CharField(max_length=10, db_index=True)
    estimated_amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3, default="KZT")
    clarification_deadline = models.DateTimeField()
    submission_deadline = models.DateTimeField()
    award_method = models.CharField(max_length=16, choices=AwardMethod.choices, default=AwardMethod.LOWEST_PRICE)
    price_weight = models.PositiveSmallIntegerField(default=100)
    min_bids = models.PositiveSmallIntegerField(default=1)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.RUSSIAN)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Set at drafting, fixed at publication (tenders.methods holds what it means).
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.OPEN_TENDER)
    # A single-source purchase: the supplier it names, its ground and public
    # justification, and (ground failed_procurement) the buyer's own
    # unsuccessful tender, or one lot of it, that came before.
    named_supplier = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="direct_awards")
    ground = models.CharField(max_length=24, choices=Ground.choices, blank=True, default="")
    justification = models.TextField(blank=True, default="")
    failed_tender = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="followed_by")
    failed_lot = models.ForeignKey("Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(blank=True, default="")

    # Sealing keys, made at publication: bids are sealed to public_key; the
    # private key is itself sealed under the platform key (core.sealing).
    public_key = models.BinaryField(null=True, blank=True, editable=False)
    sealed_private_key = models.BinaryField(null=True, blank=True, editable=False)

    # Kept by the bid services under the tender's row lock, so that the
    # register never counts bids row by row.
    bid_count = models.PositiveIntegerField(default=0)
    # How many lots the tender has (kept by the tender services): a bid's
    # check that a flat ``amount`` names the only lot costs no query.
    lot_count = models.PositiveSmallIntegerField(default=1)
    # What the register's CPV and value filters need of the lots, kept by the
    # tender services whenever lots change (``lot_match``): every lot's CPV
    # code once, each between spaces (" 33141000-0 45233140-2 "), and the
    # smallest and largest lot amounts. A tender matches ``cpv=45`` when its
    # own code or one of its lots' starts with 45: ``lot_cpvs`` contains
    # " 45". Filtering on the tender's own row keeps the register one scan of
    # one table (an ``EXISTS`` over lots cost 20-40 ms per request).
    lot_cpvs = models.TextField(blank=True, default="", editable=False)
    lot_amount_min = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True, editable=False)
    lot_amount_max = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True, editable=False)

    # Head of the audit hash chain (audit.services), so that a deleted last
    # entry is detected too.
    audit_length = models.PositiveIntegerField(default=0)
    audit_head = models.CharField(max_length=64, blank=True, default="")

    # Search: casefolded title + description + buyer (every backend) and a
    # tsvector over the same (PostgreSQL, GIN-indexed).
    search_text = models.TextField(blank=True, default="", editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "submission_deadline"], name="tender_status_deadline"),
            models.Index(fields=["status", "-published_at", "-id"], name="tender_status_published"),
            models.Index(fields=["buyer", "status"], name="tender_buyer_status"),
            models.Index(fields=["estimated_amount"], name="tender_amount"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(clarification_deadline__lte=F("submission_deadline")),
                                   name="tender_clarification_before_submission"),
            models.CheckConstraint(condition=Q(estimated_amount__gt=0), name="tender_amount_positive"),
            models.CheckConstraint(condition=Q(price_weight__lte=100), name="tender_price_weight_max_100"),
            models.CheckConstraint(condition=Q(min_bids__gte=1), name="tender_min_bids_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.title}"

    @property
    def is_published(self) -> bool:
        return self.status != Status.DRAFT

    def accepts_bids(self, now: datetime) -> bool:
        return self.status == Status.ACTIVE and now < self.submission_deadline

    def accepts_questions(self, now: datetime) -> bool:
        return self.status == Status.ACTIVE and now < self.clarification_deadline

    def is_opened(self) -> bool:
        return self.opened_at is not None


def lot_match(lots) -> dict:
    """The tender's ``lot_cpvs``, ``lot_amount_min`` and ``lot_amount_max``
    for its lots, given as (cpv, estimated_amount) pairs."""
    lots = list(lots)
    amounts = [amount for _, amount in lots]
    codes = sorted({code for code, _ in lots})
    return {"lot_cpvs": f" {' '.join(codes)} " if codes else "",
            "lot_amount_min": min(amounts, default=None), "lot_amount_max": max(amounts, default=None)}


class LotStatus(models.TextChoices):
    ACTIVE = "active"
    EVALUATION = "evaluation"
    AWARDED = "awarded"
    COMPLETE = "complete"
    UNSUCCESSFUL = "unsuccessful"
    CANCELLED = "cancelled"


MAX_LOTS = 200


class Lot(models.Model):
    """One thing bought under the tender's announcement, competed, evaluated
    and awarded on its own (DESIGN.md "Lots"). A tender created from its flat
    fields alone has exactly one lot made from them."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="lots")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, default="")
    cpv = models.CharField(max_length=10, db_index=True)
    estimated_amount = models.DecimalField(max_digits=18, decimal_places=2)
    quantity = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=50, blank=True, default="")
    # The live auction's least price reduction on this lot (method ``auction``
    # only: 0.5-3 % of its estimated amount, set at drafting).
    minimal_step = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=16, choices=LotStatus.choices, default=LotStatus.ACTIVE)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["tender_id", "position", "id"]
        indexes = [models.Index(fields=["estimated_amount"], name="lot_amount")]
        constraints = [
            models.CheckConstraint(condition=Q(estimated_amount__gt=0), name="lot_amount_positive"),
            models.CheckConstraint(condition=Q(quantity__isnull=True) | Q(quantity__gt=0),
                                   name="lot_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"lot {self.pk} of tender {self.tender_id}: {self.title}"


class Criterion(models.Model):
    """A non-price award criterion of a best-value tender; weight = max points."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="criteria")
    # A criterion of one lot only (scored per bid on that lot); null: of the
    # tender (scored once per bid, counted in every lot's ranking).
    lot = models.ForeignKey("Lot", null=True, blank=True, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=200)
    weight = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "name"], name="criterion_name_unique"),
            models.CheckConstraint(condition=Q(weight__gte=1) & Q(weight__lte=100), name="criterion_weight_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


def tender_document_path(instance: "TenderDocument", filename: str) -> str:
    return f"tenders/{instance.tender_id}/{instance.sha256[:16]}-{filename}"


class TenderDocument(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    document_type = models.CharField(max_length=64, default="tenderNotice")
    file = models.FileField(upload_to=tender_document_path, max_length=400)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["uploaded_at", "id"]


class Amendment(models.Model):
    """A change to an active tender's terms: what changed, why, and its effect."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="amendments")
    at = models.DateTimeField()
    rationale = models.TextField()
    # field -> {"from": ..., "to": ...}; an added document: "documents" -> {"from": None, "to": {document, title, sha256}}
    changes = models.JSONField(default=dict)
    deadline_extended = models.BooleanField(default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]
