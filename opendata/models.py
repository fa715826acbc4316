from django.db import models


class Release(models.Model):
    """One OCDS release, written once in the transaction of the event it
    records and never changed (``opendata.releases.record``).

    ``text`` is the release's JSON exactly as published; it is stored as text,
    not as a JSON column, so that what a reader downloads is the same bytes
    forever (PostgreSQL's jsonb would reorder the keys).

    ``id`` is the bulk feed's order and cursor. On PostgreSQL a release
    numbered earlier can commit after a later one; the feed reads only up to
    a horizon below which every release has committed (``opendata.ocds``)."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="ocds_releases")
    seq = models.PositiveIntegerField(help_text="The tender's audit entry this release was made at")
    release_id = models.CharField(max_length=120, unique=True)
    date = models.DateTimeField()
    tag = models.CharField(max_length=32)
    text = models.TextField()
    # A partial release holds only what its event changed (a qualification
    # decision: that bid's status); the others are the whole state.
    partial = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["tender", "seq"], name="release_tender_seq_unique")]
        indexes = [models.Index(fields=["date", "id"], name="release_date_id")]

    def __str__(self) -> str:
        return self.release_id
