"""The red flags raised on tenders, and the figures they are computed from.

Written only by ``integrity.services``, inside the transaction of the audit
event that changes them (``PROCUREMENT_AUDIT_RECORDERS``), or by the
``recompute_flags`` command, which gives the same rows."""

from django.db import models
from django.db.models import Q


class Flag(models.Model):
    """One indicator raised on a tender (``lot`` null: on the tender as a
    whole, e.g. R003) or on one of its lots, with the figures that raised it."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="flags")
    lot = models.ForeignKey("tenders.Lot", null=True, blank=True, on_delete=models.CASCADE, related_name="flags")
    # The tender's buyer, kept here so that the per-buyer figures group flags without a join.
    buyer = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=8)
    figures = models.JSONField(default=dict)

    class Meta:
        ordering = ["tender_id", "code", "lot_id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "code"], condition=Q(lot__isnull=True),
                                    name="flag_once_per_tender"),
            models.UniqueConstraint(fields=["lot", "code"], condition=Q(lot__isnull=False),
                                    name="flag_once_per_lot"),
        ]
        indexes = [models.Index(fields=["code", "tender"], name="flag_code_tender"),
                   models.Index(fields=["buyer", "code"], name="flag_buyer_code")]

    def __str__(self) -> str:
        return f"{self.code} on tender {self.tender_id}" + (f", lot {self.lot_id}" if self.lot_id else "")


class TenderFigures(models.Model):
    """A published tender's counts that the per-buyer indicators (R038) and
    the per-buyer figures add up: offers received (opened bid-lot pairs, and
    bids set aside at the opening) and offers disqualified."""

    tender = models.OneToOneField("tenders.Tender", primary_key=True, on_delete=models.CASCADE,
                                  related_name="risk_figures")
    buyer = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    offers = models.PositiveIntegerField(default=0)
    disqualified = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["buyer", "published_at"], name="figures_buyer_published")]


class PriceGap(models.Model):
    """A finished lot's relative gap between the winning bid and the
    second-lowest valid bid, ``(second - winning) / winning`` (R024, R058):
    the platform's own market, from which those two indicators' fences are
    computed."""

    lot = models.OneToOneField("tenders.Lot", primary_key=True, on_delete=models.CASCADE, related_name="price_gap")
    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    winning = models.DecimalField(max_digits=18, decimal_places=2)
    second = models.DecimalField(max_digits=18, decimal_places=2)
    gap = models.DecimalField(max_digits=24, decimal_places=6, db_index=True)


class MarketFence(models.Model):
    """The one row holding the fences of R024 and R058 computed from every
    ``PriceGap``. Locked while they are recomputed, so two awards at once
    cannot each write a fence that misses the other's lot."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    lots = models.PositiveIntegerField(default=0)
    q1 = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    q3 = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    lower = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    upper = models.DecimalField(max_digits=24, decimal_places=6, null=True)
