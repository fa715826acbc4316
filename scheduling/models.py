from django.db import models


class JobFailure(models.Model):
    """A scheduled item that failed (e.g. opening tender 12): it is retried
    with a growing delay, so one item that keeps failing never holds up the
    others nor spins the scheduler, and operators see it here, in the admin
    and in readiness, until it succeeds (then the row is deleted)."""

    job = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    attempts = models.PositiveIntegerField(default=0)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    retry_at = models.DateTimeField()
    # The exception's type and where it was raised, never its message: an
    # opening's error could quote decrypted content.
    error = models.CharField(max_length=500)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "object_id"], name="one_failure_per_job_item")]
        indexes = [models.Index(fields=["job", "retry_at"])]
        ordering = ["first_failed_at"]

    def __str__(self) -> str:
        return f"{self.job} {self.object_id}: {self.attempts} failed attempt(s)"


class Heartbeat(models.Model):
    """The last completed pass of one scheduler process (``host:pid``)."""

    name = models.CharField(max_length=200, unique=True)
    started_at = models.DateTimeField()
    last_pass_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_pass_at"]

    def __str__(self) -> str:
        return self.name
