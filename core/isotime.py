from datetime import datetime, timezone


def iso(value: datetime | None) -> str | None:
    """The platform's one time format: ISO 8601 in UTC with a ``Z``.

    Normalising to UTC matters beyond looks: the database hands times back in
    UTC, so a hash or signature over a time (audit chain, receipts) must be
    made over the UTC form to check out when the time is read back."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
