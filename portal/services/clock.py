"""The service's calendar is Europe/London's (design section 1), whatever the server's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london_today() -> dt.date:
    return dt.datetime.now(LONDON).date()


def london_datetime(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LONDON)


def long_date(day: dt.date | None) -> str:
    """GOV.UK style: 3 November 2026."""
    return f"{day.day} {day:%B %Y}" if day else ""
