"""Small helpers shared by the API tests (fixtures stay in conftest.py)."""

from datetime import timedelta

from django.utils import timezone

from tests.conftest import tender_fields


def iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def tender_json(now=None, **overrides) -> dict:
    """A `POST /api/tenders/` body: the conftest's tender fields as JSON."""
    fields = tender_fields(now, **overrides)
    return {key: iso(value) if hasattr(value, "isoformat") else str(value) if key == "estimated_amount" else value
            for key, value in fields.items()}


def soon(**delta):
    return timezone.now() + timedelta(**delta)
