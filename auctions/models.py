"""A lot's live reverse auction (DESIGN.md "Live e-auction"). The rows hold
what was decided and when; the timeline (which stage, whose turn) is derived
from them by ``auctions.schedule``, never kept by a timer."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class AuctionStatus(models.TextChoices):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    FINISHED = "finished"
    SKIPPED = "skipped"  # fewer than 2 admitted offers: no auction


class Auction(models.Model):
    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="auctions")
    lot = models.OneToOneField("tenders.Lot", on_delete=models.CASCADE, related_name="auction")
    status = models.CharField(max_length=16, choices=AuctionStatus.choices, default=AuctionStatus.SCHEDULED)
    # The schedule, fixed when the auction is scheduled (later setting changes do not move it).
    start_at = models.DateTimeField(null=True, blank=True)
    pause = models.PositiveIntegerField(default=120)  # seconds
    turn = models.PositiveIntegerField(default=120)  # seconds
    rounds = models.PositiveSmallIntegerField(default=3)
    minimal_step = models.DecimalField(max_digits=18, decimal_places=2)
    # The last stage the scheduler announced (auctions.schedule.Stage.index),
    # and when the next one begins: what the scheduler's query looks at.
    stage = models.PositiveIntegerField(default=0)
    next_change_at = models.DateTimeField(null=True, blank=True, db_index=True)
    scheduled_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start_at", "id"]
        indexes = [models.Index(fields=["status", "next_change_at"], name="auction_status_due")]
        constraints = [models.CheckConstraint(condition=Q(minimal_step__gte=0), name="auction_step_not_negative")]

    def __str__(self) -> str:
        return f"auction of lot {self.lot_id} ({self.status})"


class Participant(models.Model):
    """An admitted offer in the auction: "Participant N" until it ends."""
    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="participants")
    bid = models.ForeignKey("bids.Bid", on_delete=models.PROTECT, related_name="auction_entries")
    supplier = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    initial_amount = models.DecimalField(max_digits=18, decimal_places=2)
    received_at = models.DateTimeField()  # the initial offer's submission (the tie-break of the order)
    final_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["auction_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "number"], name="auction_participant_number"),
            models.UniqueConstraint(fields=["auction", "bid"], name="auction_participant_bid"),
        ]


class AuctionPrice(models.Model):
    """An accepted price, with its signed receipt (the bid receipt's scheme)."""
    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="prices")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="prices")
    round = models.PositiveSmallIntegerField()
    stage = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    received_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    content = models.TextField()  # the canonical JSON that was hashed

    class Meta:
        ordering = ["auction_id", "received_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="auction_price_positive")]
