"""Statutory deadlines for information requests (design 6.5 and 6.6), each with its working.

Subject access: one calendar month from the day the clock starts (receipt, or receipt of what is
needed to verify identity): the same date next month, or that month's last day when it has no such
date; extendable once by up to two further months; days the clock stood paused (waiting for a
clarification the service asked for) are added back; a deadline on a non-working day moves to the
next working day, as the ICO's guidance says.

Freedom of Information: 20 working days, where day one is the first working day after receipt and
a working day is any day but a Saturday, a Sunday, Christmas Day, Good Friday or a bank holiday in
any part of the United Kingdom (FOIA s.10(6)). Bank holidays come from the ``holidays`` package's
own data for England, Wales, Scotland and Northern Ireland: nothing is fetched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import holidays

from portal.services.clock import add_months

UK_PARTS = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
FOI_WORKING_DAYS = 20
SAR_MAX_EXTENSION_MONTHS = 2


class DeadlineError(ValueError):
    """The deadline cannot be worked out as asked; the message says why."""


@lru_cache(maxsize=32)
def _non_working_days(year: int) -> dict[dt.date, str]:
    """Every bank holiday of ``year`` in any part of the UK, named with the parts that keep it."""
    kept: dict[dt.date, dict[str, list[str]]] = {}
    for code, part in UK_PARTS.items():
        for day, name in holidays.country_holidays("GB", subdiv=code, years=year).items():
            kept.setdefault(day, {}).setdefault(name, []).append(part)
    return {
        day: "; ".join(f"{name} ({', '.join(parts)})" for name, parts in names.items()) for day, names in kept.items()
    }


def holiday_name(day: dt.date) -> str | None:
    """The bank holiday (in any part of the UK) on ``day``, named with where it is kept."""
    return _non_working_days(day.year).get(day)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


@dataclass
class Working:
    """How a deadline was reached, in words a requester or an auditor can follow."""

    due_on: dt.date
    steps: list[str] = field(default_factory=list)
    skipped_holidays: list[tuple[dt.date, str]] = field(default_factory=list)


def _long(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def foi_deadline(received_on: dt.date, working_days: int = FOI_WORKING_DAYS) -> Working:
    """The 20th working day after receipt, and how it was counted."""
    day, counted, weekend_days = received_on, 0, 0
    skipped: list[tuple[dt.date, str]] = []
    while counted < working_days:
        day += dt.timedelta(days=1)
        if day.weekday() >= 5:
            weekend_days += 1
        elif (name := holiday_name(day)) is not None:
            skipped.append((day, name))
        else:
            counted += 1
    steps = [
        f"Received on {_long(received_on)}.",
        f"Day one is the first working day after that; {working_days} working days were counted.",
        f"{weekend_days} Saturdays and Sundays were not counted.",
    ]
    steps += [f"{_long(holiday)} was not counted: {name}." for holiday, name in skipped]
    steps.append(f"The reply is due by {_long(day)}.")
    return Working(day, steps, skipped)


def sar_deadline(started_on: dt.date, extension_months: int = 0, paused_days: int = 0) -> Working:
    """One calendar month from the day the clock started, extended and paused as recorded."""
    if not 0 <= extension_months <= SAR_MAX_EXTENSION_MONTHS:
        raise DeadlineError(f"A subject access request can be extended by up to {SAR_MAX_EXTENSION_MONTHS} months")
    if paused_days < 0:
        raise DeadlineError("A pause cannot last fewer than 0 days")
    month_later = add_months(started_on, 1)
    steps = [f"The clock started on {_long(started_on)}."]
    if month_later.day != started_on.day:
        steps.append(
            f"{month_later:%B %Y} has no day {started_on.day}, so one calendar month ends on its last day, "
            f"{_long(month_later)}."
        )
    else:
        steps.append(f"One calendar month later is {_long(month_later)}.")
    due = month_later
    if extension_months:
        due = add_months(started_on, 1 + extension_months)
        steps.append(f"Extended by {extension_months} month{'s' if extension_months > 1 else ''}, to {_long(due)}.")
    if paused_days:
        due += dt.timedelta(days=paused_days)
        steps.append(
            f"The clock stood paused for {paused_days} days while we waited for a clarification: {_long(due)}."
        )
    skipped: list[tuple[dt.date, str]] = []
    while not is_working_day(due):
        name = holiday_name(due) or ("a Saturday" if due.weekday() == 5 else "a Sunday")
        skipped.append((due, name))
        steps.append(f"{_long(due)} is not a working day ({name}), so the deadline moves to the next day.")
        due += dt.timedelta(days=1)
    steps.append(f"The response is due by {_long(due)}.")
    return Working(due, steps, skipped)
