"""Amounts and times in the page's language (Babel's CLDR data, the same data
the browser's Intl uses), for the server-rendered first paint."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.utils.translation import get_language

register = template.Library()


def _locale() -> str:
    return (get_language() or "en").split("-")[0]


@register.filter
def money(amount, currency="KZT"):
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, TypeError):
        return ""
    locale = Locale.parse(_locale())
    pattern = locale.currency_formats["standard"].pattern
    if value == value.to_integral_value():  # 2 400 000 000 ₸, as the browser's Intl writes it
        pattern = pattern.replace("0.00", "0")
    text = format_currency(value, currency or "KZT", locale=locale, format=pattern, currency_digits=False)
    return text.replace("KZT", "₸") if currency == "KZT" else text


def zone_label(moment: datetime, zone: str) -> str:
    """``UTC+5, Almaty``: the offset at that moment and the zone's city (as
    format.js writes it in the reader's zone)."""
    minutes = int(moment.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() // 60)
    offset = "UTC" if not minutes else (f"UTC{'−' if minutes < 0 else '+'}{abs(minutes) // 60}"
                                        + (f":{abs(minutes) % 60:02d}" if abs(minutes) % 60 else ""))
    if zone == "UTC" or zone.startswith("Etc/"):
        return offset
    return f"{offset}, {zone.rsplit('/', 1)[-1].replace('_', ' ')}"


@register.filter
def when(value):
    """The first paint's time (the page's script then writes it in the
    reader's zone): in the buyer's legal time zone, named."""
    if not value:
        return ""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    zone = settings.PROCUREMENT_LEGAL_TIME_ZONE
    text = format_datetime(moment, "medium", tzinfo=ZoneInfo(zone), locale=_locale())
    return f"{text} ({zone_label(moment, zone)})"


@register.filter
def status_label(status):
    from frontend.labels import STATUSES

    return STATUSES.get(status, status)


@register.filter
def field_label(field):
    from frontend.labels import AMENDED_FIELDS

    return AMENDED_FIELDS.get(field, field)


@register.filter
def ground_label(ground):
    from frontend.labels import GROUNDS

    return GROUNDS.get(ground, ground)


@register.filter
def make_list_of_words(value: str) -> list[str]:
    return value.split()
