"""The academic year, 1 September to 31 August, named like ``2025-26`` (design section 9): the unit of
every statistic the service publishes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

NAME = re.compile(r"^(\d{4})-(\d{2})$")


class NotAnAcademicYear(ValueError):
    """A name that is not of the form 2025-26 (the second part the year after the first)."""


@dataclass(frozen=True, order=True)
class AcademicYear:
    starts: int  # the calendar year of its 1 September

    @classmethod
    def named(cls, name: str) -> AcademicYear:
        match = NAME.match(name.strip())
        if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
            raise NotAnAcademicYear(f"Give the academic year as 2025-26, not {name!r}.")
        return cls(int(match.group(1)))

    @classmethod
    def of(cls, day: dt.date) -> AcademicYear:
        """The year ``day`` falls in: 31 August is the last day of one, 1 September the first of the next."""
        return cls(day.year if day.month >= 9 else day.year - 1)

    @property
    def name(self) -> str:
        return f"{self.starts}-{(self.starts + 1) % 100:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.starts, 9, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.starts + 1, 8, 31)

    def __contains__(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day

    def previous(self) -> AcademicYear:
        return AcademicYear(self.starts - 1)

    def __str__(self) -> str:
        return self.name
