"""Code lists the tender rules check against (copied from OCDS 1.1.5)."""

import csv
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@cache
def _codes(name: str) -> frozenset[str]:
    with open(DATA / f"{name}.csv", encoding="utf-8") as fh:
        return frozenset(row["Code"] for row in csv.DictReader(fh) if not row.get("Valid Until"))


def is_currency(code: str) -> bool:
    return code in _codes("currency")


def is_document_type(code: str) -> bool:
    return code in _codes("documentType")
