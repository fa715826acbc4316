"""Kazakhstan's 12-digit business / individual identification number (BIN/IIN).

The 12th digit is a check digit: the weighted sum of the first eleven digits
with weights 1..11, modulo 11; if that gives 10, again with weights
3..11,1,2; a second 10 means the number cannot be valid.
"""

_FIRST = tuple(range(1, 12))
_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first_eleven: str) -> int | None:
    digits = [int(c) for c in first_eleven]
    for weights in (_FIRST, _SECOND):
        remainder = sum(d * w for d, w in zip(digits, weights)) % 11
        if remainder != 10:
            return remainder
    return None


def is_well_formed(value: str) -> bool:
    return len(value) == 12 and value.isascii() and value.isdigit()


def is_valid(value: str) -> bool:
    return is_well_formed(value) and check_digit(value[:11]) == int(value[11])


def complete(first_eleven: str) -> str | None:
    """The valid 12-digit number starting with these eleven digits, if any."""
    digit = check_digit(first_eleven)
    return None if digit is None else f"{first_eleven}{digit}"
