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


def search(query: str, *, language: str = "en", limit: int = 20) -> list[dict]:
    """CPV codes whose code starts with the query's digits, or whose name (in
    ``language``, English where the Russian is missing) has every word of it."""
    query = query.strip()
    if not query:
        return []
    digits = query.replace("-", "")
    results = []
    if digits.isdigit():
        for code in names("en"):
            if code.replace("-", "").startswith(digits):
                results.append({"code": code, "name": name(code, language)})
                if len(results) >= limit:
                    break
        return results
    words = query.casefold().split()
    for code in names("en"):
        label = name(code, language)
        folded = label.casefold()
        if all(word in folded for word in words):
            results.append({"code": code, "name": label})
            if len(results) >= limit:
                break
    return results


def division_name(division: str, language: str = "en") -> str:
    """The name of a two-digit CPV division (its ``NN000000-c`` code)."""
    for code in names("en"):
        if code.startswith(f"{division}000000"):
            return name(code, language)
    return ""
