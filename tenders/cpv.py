"""The CPV 2008 main vocabulary (code -> name in English and Russian), shipped
in ``tenders/data``. Codes are validated by membership, not by arithmetic: the
official check digits follow no single formula."""

import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@cache
def names(language: str) -> dict[str, str]:
    with open(DATA / f"cpv_{language}.json", encoding="utf-8") as fh:
        return json.load(fh)


def is_known(code: str) -> bool:
    return code in names("en")


def name(code: str, language: str = "en") -> str:
    table = names(language)
    value = table.get(code)
    if language != "en" and (value is None or value == code):  # a few Russian entries are untranslated
        return names("en").get(code, "")
    return value or ""
