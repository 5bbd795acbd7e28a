"""The small-number rule (design section 9), the one every published figure passes through: the
reports page, its CSV downloads, the Annual Report PDF and ``report annual`` alike, so no two
outputs can be set side by side (or subtracted) to recover a count one of them hid.

- 0 shows as 0: knowing nobody is in a category identifies nobody.
- 1 to 7 show as ``*``: a count that small could point to a family.
- Every other count is rounded to the nearest 5 (half up), so a figure near a suppressed one
  cannot be used to work it out by difference.
- Totals are worked out from the raw counts and then rounded, never summed from rounded cells.
- A percentage is shown only where the rounded denominator is 20 or more, and is worked out from
  the rounded figures shown beside it, never from raw counts (a percentage of raw counts would give
  back the exact numbers the rounding hid).
"""

from __future__ import annotations

SUPPRESSED = "*"
SMALLEST_SHOWN = 8
ROUND_TO = 5
SMALLEST_DENOMINATOR = 20

RULE_IN_WORDS = (
    "To protect the families we support, no figure here can identify anyone. A count of 0 is shown "
    "as 0. A count from 1 to 7 is shown as *. Every other count is rounded to the nearest 5, and "
    "totals are worked out from the exact counts before they are rounded, so a total may differ "
    "from the sum of the rounded figures above it. A percentage is shown only where the rounded "
    "total it is taken from is 20 or more, and is worked out from the rounded figures. The same "
    "rule is applied to every copy of these figures, whoever receives them."
)


def rounded(count: int) -> int | None:
    """The count as it may be published: None where it is suppressed."""
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    if count == 0:
        return 0
    if count < SMALLEST_SHOWN:
        return None
    # Integers never fall exactly half-way between multiples of 5, so this is "half up" too.
    return (count + ROUND_TO // 2) // ROUND_TO * ROUND_TO


def shown(count: int) -> str:
    """The count as the reader sees it: "0", "*" or a multiple of 5."""
    published = rounded(count)
    return SUPPRESSED if published is None else str(published)


def percentage(part: int, whole: int) -> str:
    """``part`` as a whole-number percentage of ``whole`` (both raw counts), or "" where the rule
    allows none: the rounded whole is under 20, or the part is suppressed."""
    published_whole = rounded(whole)
    published_part = rounded(part)
    if published_whole is None or published_whole < SMALLEST_DENOMINATOR or published_part is None:
        return ""
    # Half up, in whole numbers: 12.5% shows as 13%.
    return f"{(200 * published_part + published_whole) // (2 * published_whole)}%"
