"""The register's query string as the page keeps it, and as the API takes it:
the same names; only the deadline range is a date in the page's URL and a
time in the API's: the day in the buyer's legal time zone (a deadline is a
legal moment there), from its first to its last second."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import QueryDict

KEYS = ["q", "cpv", "status", "buyer", "method", "flag", "value_min", "value_max", "deadline_after", "deadline_before",
        "ordering", "page"]


def api_query(query: QueryDict) -> dict:
    params = {}
    for key in KEYS:
        value = query.get(key, "").strip()
        if not value:
            continue
        if key in ("deadline_after", "deadline_before") and len(value) == 10:
            value = legal_day_bound(value, end=key == "deadline_before")
        params[key] = value
    return params


def legal_day_bound(day: str, *, end: bool) -> str:
    """``2026-12-25`` -> its first (or last) second in the legal time zone,
    as ISO 8601 with that zone's offset; anything else as it is (the API
    refuses it with its own 400)."""
    try:
        moment = datetime.combine(date.fromisoformat(day), time(23, 59, 59) if end else time(0),
                                  ZoneInfo(settings.PROCUREMENT_LEGAL_TIME_ZONE))
    except ValueError:
        return day
    return moment.isoformat()
