"""The portal's one clock (design rule 11), and its calendar: Europe/London's, whatever the
server's zone.

``now`` is the only place the portal reads the wall clock. The web layer reads it once per request
(``portal.request_time``) and the command line once per command; services are handed the moment
and never read it themselves, so a deadline, a timeout or a destruction date is a function of what
it was given, and tests set the time with ``time-machine`` rather than wait for the calendar.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now() -> dt.datetime:
    """This moment, in UTC: the one reading of the wall clock."""
    return dt.datetime.now(dt.UTC)


def london_day(moment: dt.datetime) -> dt.date:
    """The date in London at ``moment`` (a stored moment without a zone is UTC)."""
    return as_utc(moment).astimezone(LONDON).date()


def london_today() -> dt.date:
    """Today in London, for the command line and tests; a request uses ``request_today``."""
    return london_day(now())


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment with its zone: SQLite hands them back without one, and every one is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def london_midnight(day: dt.date) -> dt.datetime:
    """The moment ``day`` begins in London, in UTC: the bound for "stored on or after that day"."""
    return dt.datetime.combine(day, dt.time.min, LONDON).astimezone(dt.UTC)


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
    return long_date(london_day(moment))


def london_time(moment: dt.datetime | None) -> str:
    """A stored UTC moment as London date and time: 3 November 2026, 2:05pm."""
    if moment is None:
        return ""
    local = as_utc(moment).astimezone(LONDON)
    return f"{long_date(local.date())}, {local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
