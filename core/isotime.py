from datetime import datetime, timezone


def iso(value: datetime | None) -> str | None:
    """The platform's one time format: ISO 8601 in UTC with a ``Z``.

    Normalising to UTC matters beyond looks: the database hands times back in
    UTC, so a hash or signature over a time (audit chain, receipts) must be
    made over the UTC form to check out when the time is read back."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def legal(value: datetime) -> str:
    """A deadline for people to read (notification texts): in the buyer's
    legal time zone (``PROCUREMENT_LEGAL_TIME_ZONE``), named, with the UTC
    form beside it: ``2026-12-25 13:00 (UTC+5, Asia/Almaty; 2026-12-25T08:00:00Z)``."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    zone = settings.PROCUREMENT_LEGAL_TIME_ZONE
    local = value.astimezone(ZoneInfo(zone))
    minutes = int(local.utcoffset().total_seconds() // 60)
    offset = "UTC" if not minutes else (f"UTC{'-' if minutes < 0 else '+'}{abs(minutes) // 60}"
                                        + (f":{abs(minutes) % 60:02d}" if abs(minutes) % 60 else ""))
    return f"{local:%Y-%m-%d %H:%M} ({offset}, {zone}; {iso(value)})"
