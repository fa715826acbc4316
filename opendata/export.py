"""The public register as CSV, streamed row by row (no page is ever held in
memory), with the register's own filters."""

from __future__ import annotations

import csv
from typing import Iterable, Iterator

from core.isotime import iso
from tenders import cpv
from tenders.serializers import LIST_VALUES

COLUMNS = ["id", "status", "title", "cpv", "cpv_name", "buyer_id", "buyer", "estimated_amount", "currency",
           "clarification_deadline", "submission_deadline", "award_method", "min_bids", "bid_count",
           "published_at", "url"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _text(value: str) -> str:
    """Free text that a spreadsheet would run as a formula is quoted (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def row(values: dict, base_url: str) -> list:
    return [values["id"], values["status"], _text(values["title"]), values["cpv"], cpv.name(values["cpv"]),
            values["buyer_id"], _text(values["buyer__name"]), f"{values['estimated_amount']:.2f}",
            values["currency"], iso(values["clarification_deadline"]), iso(values["submission_deadline"]),
            values["award_method"], values["min_bids"], values["bid_count"], iso(values["published_at"]),
            f"{base_url}/api/tenders/{values['id']}/"]


def stream(queryset, *, base_url: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(COLUMNS)  # BOM: spreadsheets then read UTF-8 (Cyrillic, Kazakh) right
    rows: Iterable[dict] = queryset.values(*LIST_VALUES).iterator(chunk_size=2000)
    for values in rows:
        yield writer.writerow(row(values, base_url.rstrip("/")))
