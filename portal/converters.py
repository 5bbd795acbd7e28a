"""Numbers that arrive from outside (a URL, a query string, a form) made safe to hand to a query.

Every id (and every other whole-number column) is an INTEGER: 32 bits on PostgreSQL, 64 on
SQLite. Both refuse a bound parameter they cannot hold (PostgreSQL with NumericValueOutOfRange,
SQLite with OverflowError), so an id of 2^31 in a URL would otherwise surface as a 500 on
PostgreSQL. Anything outside 1..2^31-1, the narrower of the two, is therefore
treated as no id at all: a URL with one matches no route (404), and a query or form field with one
is as if it were left empty (a filter ignored, or the service's own "choose one" error).
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

LARGEST_ID = 2**31 - 1  # PostgreSQL's INTEGER
# The digits of LARGEST_ID: a longer string is out of range without being converted, which also
# keeps Python's int() from ever seeing the huge digit strings it refuses (over 4300 digits).
MOST_DIGITS = len(str(LARGEST_ID))


def record_id(text: str | None) -> int | None:
    """The id typed in ``text`` (ASCII digits only), or None when it is not one any row can have:
    empty, signed, "1e5", other scripts' digits, 0, or 2^31 and more. Other positive whole numbers
    from a form (a version, a number of months) are read the same way."""
    text = (text or "").strip()
    if not text or len(text) > MOST_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= LARGEST_ID else None


def requested_page(text: str | None) -> int:
    """The page number asked for in a list's query string: 1 unless a usable number is given (the
    service then brings it within the pages there are)."""
    return record_id(text) or 1


def numbers_up_to(largest: int) -> str:
    """A regular expression matching exactly the numbers 1 to ``largest`` written in ASCII digits
    without leading zeros: any shorter number, or one of the same length that keeps to the
    largest's digits up to some position and is smaller at it, or the largest itself."""
    digits = str(largest)
    forms = [rf"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for position, digit in enumerate(digits):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = len(digits) - position - 1
            forms.append(f"{digits[:position]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    forms.append(digits)
    return f"(?:{'|'.join(forms)})"


class RecordIdConverter(IntegerConverter):
    """Flask's ``int`` URL converter, bounded to the ids a row can have, in ASCII digits (the
    default's ``\\d`` would also take other scripts' digits). The bound is in the pattern itself,
    not only in ``to_python``: Werkzeug picks a rule by its pattern and method before converting,
    so an id refused only on conversion would answer 405 where a page has a GET and a POST rule."""

    regex = numbers_up_to(LARGEST_ID)

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=LARGEST_ID)
