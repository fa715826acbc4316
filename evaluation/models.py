"""Evaluation of an opened tender: the committee, conflict declarations,
qualification decisions, scores, the award and complaints against it.

Rows here are written only by ``evaluation.services`` under the tender's row
lock; every write is also recorded in the tender's audit chain."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Evaluator(models.Model):
    """A member of a tender's evaluation committee (an officer of the buyer)."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="evaluators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["tender_id", "id"]
        constraints = [models.UniqueConstraint(fields=["tender", "user"], name="evaluator_unique")]


class ConflictDeclaration(models.Model):
    """An evaluator's declaration of no conflict of interest; needed before
    they see bid content through evaluation or score."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="conflict_declarations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField()
    statement = models.TextField()

    class Meta:
        ordering = ["tender_id", "declared_at", "id"]
        constraints = [models.UniqueConstraint(fields=["tender", "user"], name="conflict_declaration_unique")]


class Qualification(models.Model):
    """The officer's decision on one opened bid's offer for one lot, with its
    public reason. The latest decision counts; every decision is in the
    audit chain."""

    bid = models.ForeignKey("bids.Bid", on_delete=models.CASCADE, related_name="qualifications")
    lot = models.ForeignKey("tenders.Lot", on_delete=models.CASCADE, related_name="qualifications")
    qualified = models.BooleanField()
    reason = models.TextField()
    decided_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bid", "lot"], name="one_qualification_per_offer")]


class Score(models.Model):
    """One evaluator's points for one qualified bid on one quality criterion
    (0..criterion weight). ``tender`` is the bid's, kept for the report's
    single range scan."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="scores")
    bid = models.ForeignKey("bids.Bid", on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey("tenders.Criterion", on_delete=models.PROTECT, related_name="scores")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(max_digits=5, decimal_places=2)
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["bid_id", "criterion_id", "evaluator_id"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "criterion", "evaluator"], name="score_unique"),
            models.CheckConstraint(condition=Q(points__gte=0), name="score_points_not_negative"),
        ]
        indexes = [models.Index(fields=["tender", "bid"], name="score_tender_bid")]


class Award(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        CANCELLED = "cancelled"  # annulled by an upheld complaint

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="awards")
    lot = models.ForeignKey("tenders.Lot", on_delete=models.PROTECT, related_name="awards")
    bid = models.ForeignKey("bids.Bid", on_delete=models.PROTECT, related_name="awards")
    awarded_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField(blank=True, default="")  # required unless the bid ranked first
    top_ranked = models.BooleanField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    standstill_ends_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender_id", "awarded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lot"], condition=Q(status="active"), name="one_active_award_per_lot"),
        ]
        indexes = [models.Index(fields=["status", "standstill_ends_at"], name="award_status_standstill")]


class Complaint(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        UPHELD = "upheld"
        DISMISSED = "dismissed"

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="complaints")
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="complaints")
    supplier = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="complaints")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True, default="")
    filed_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["tender_id", "filed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["award", "supplier"], condition=Q(status="open"),
                                    name="one_open_complaint_per_supplier_and_award"),
        ]
