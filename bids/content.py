"""What a bid's content may hold, checked on arrival and again at the opening.

A bid is sealed the moment it arrives and read only at the opening, inside the
opening's transaction: anything in it that cannot be stored there would make
the tender impossible to open. So the content is plain JSON with finite
numbers (no ``NaN`` or ``Infinity``, which PostgreSQL's jsonb refuses) and
text that is valid UTF-8 without NUL, whatever parser it came through."""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation

AMOUNT_DIGITS = 18  # Bid.amount's max_digits
AMOUNT_PLACES = 2


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def strict_loads(text: str | bytes):
    """``json.loads`` that refuses ``NaN``, ``Infinity`` and numbers that only
    overflow to infinity (``1e400``)."""
    value = json.loads(text, parse_constant=_refuse_constant)
    if json_problem(value):
        raise ValueError(json_problem(value))
    return value


def json_problem(value) -> str | None:
    """Why ``value`` cannot be sealed and later stored, or None. Iterative:
    nesting depth is the client's choice."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, bool) or item is None or isinstance(item, int):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                return "numbers must be finite (no NaN or Infinity)"
        elif isinstance(item, str):
            if "\x00" in item or any("\ud800" <= ch <= "\udfff" for ch in item):
                return "text may not contain NUL or unpaired surrogate characters"
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        else:
            return f"{type(item).__name__} is not a JSON value"
    return None


def amount_problem(amount) -> str | None:
    """Why ``amount`` is not a storable price, or None."""
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return "the price is not a number"
    if not amount.is_finite() or amount <= 0:
        return "the price must be a positive, finite number"
    whole_digits = AMOUNT_DIGITS - AMOUNT_PLACES
    if amount.adjusted() >= whole_digits or amount != amount.quantize(Decimal(1).scaleb(-AMOUNT_PLACES)):
        return f"the price has at most {whole_digits} digits and {AMOUNT_PLACES} decimals"
    return None
