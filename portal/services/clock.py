"""The service's calendar is Europe/London's (design section 1), whatever the server's zone."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london_today() -> dt.date:
    return dt.datetime.now(LONDON).date()


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment with its zone: SQLite hands them back without one, and every one is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def london_datetime(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LONDON)


def long_date(day: dt.date | None) -> str:
    """GOV.UK style: 3 November 2026."""
    return f"{day.day} {day:%B %Y}" if day else ""


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the last day of that month when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def london_date(moment: dt.datetime | None) -> str:
    """A stored UTC moment as its date in London, GOV.UK style."""
    if moment is None:
        return ""
    return long_date(as_utc(moment).astimezone(LONDON).date())


def london_time(moment: dt.datetime | None) -> str:
    """A stored UTC moment as London date and time: 3 November 2026, 2:05pm."""
    if moment is None:
        return ""
    local = as_utc(moment).astimezone(LONDON)
    return f"{long_date(local.date())}, {local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
