from django.db import models
from django.db.models import Q


class Subscription(models.Model):
    """A supplier organisation's interest: tenders whose CPV code starts with
    ``cpv_prefix`` (2 to 8 digits, trailing zeros dropped), optionally only
    from one buyer."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE,
                                     related_name="subscriptions")
    cpv_prefix = models.CharField(max_length=8)
    buyer = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["organisation_id", "cpv_prefix", "id"]
        indexes = [models.Index(fields=["cpv_prefix"], name="subscription_cpv_prefix")]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "cpv_prefix", "buyer"], name="subscription_unique"),
            models.UniqueConstraint(fields=["organisation", "cpv_prefix"], condition=Q(buyer__isnull=True),
                                    name="subscription_unique_any_buyer"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.cpv_prefix}*" + (f" from {self.buyer_id}" if self.buyer_id else "")


class Notification(models.Model):
    """An in-app notification to a supplier organisation about a tender."""

    class Kind(models.TextChoices):
        TENDER_PUBLISHED = "tender_published"
        TENDER_AMENDED = "tender_amended"
        QUESTION_ANSWERED = "question_answered"

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE,
                                     related_name="notifications")
    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at", "-id"], name="notification_org_recent")]

    def __str__(self) -> str:
        return f"{self.kind} on tender {self.tender_id} for {self.organisation_id}"
