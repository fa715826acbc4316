from django.db import models
from django.db.models import Q


class OutgoingEmail(models.Model):
    """One e-mail to send, written in the transaction of the change it
    announces (mail/services.py). ``message_id`` is fixed here, so a message
    sent twice (a worker killed after the SMTP hand-off, before ``sent_at``
    was recorded) reaches the reader as one: mail clients and servers merge
    copies with one Message-ID."""

    message_id = models.CharField(max_length=255, unique=True)
    to = models.JSONField()
    subject = models.CharField(max_length=998)
    body = models.TextField()
    created_at = models.DateTimeField()
    # When a delivery task should next take it: the queued task's own moment,
    # then the retry delay after a failure; null once given up. The scheduler
    # hands due, unsent ones to a new task (mail.services.hand_over_due).
    due_at = models.DateTimeField(null=True, blank=True)
    # A worker sending it holds it until then; a worker killed mid-send lets go when it passes.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["due_at"], condition=Q(sent_at__isnull=True), name="outgoing_email_unsent_due")]

    def __str__(self) -> str:
        return f"{self.message_id} to {', '.join(self.to)}"
