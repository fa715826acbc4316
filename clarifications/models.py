from django.conf import settings
from django.db import models
from django.db.models import Q


class Question(models.Model):
    """A supplier's public question on an active tender, and the buyer's public
    answer. The asking organisation is kept for the asker's own view only: it
    is never shown to the public, to other suppliers or to the buyer."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="questions")
    asked_by_organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    asked_at = models.DateTimeField()
    answer = models.TextField(blank=True, default="")
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["tender_id", "asked_at", "id"]
        indexes = [models.Index(fields=["tender", "asked_at"], name="question_tender_asked")]
        constraints = [
            models.CheckConstraint(condition=Q(answered_at__isnull=True) | ~Q(answer=""),
                                   name="question_answered_has_text"),
        ]

    def __str__(self) -> str:
        return f"question {self.pk} on tender {self.tender_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
