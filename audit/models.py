from django.db import models


class AuditEntry(models.Model):
    """One link of a tender's hash chain. Never updated, never deleted."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="audit_entries")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.CharField(max_length=300, blank=True, default="")  # organisation name, or "" when hidden
    role = models.CharField(max_length=32)  # officer | supplier | evaluator | staff | system | public
    event = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["tender_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["tender", "seq"], name="audit_seq_unique")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.tender_id}#{self.seq} {self.event}"
