"""Frozen statistics (design section 9): a year's raw counts, kept after the records they were
counted from are destroyed, so every later output of that year reads the same.

Nothing here identifies anyone: a row is a year, a measure, one or two category codes and a count.
No id, reference or date finer than the year is stored.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

# One dimension's measures store "" as their second category, so the unique constraint holds for them too.
NO_SECOND_CATEGORY = ""


class FrozenYear(db.Model):
    """A year whose statistics are frozen: the year is the key, so a year is frozen once."""

    __tablename__ = "frozen_statistics_years"
    __table_args__ = (CheckConstraint("length(year) = 7", name="year_named_like_2025_26"),)

    year: Mapped[str] = mapped_column(String(7), primary_key=True)
    frozen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Who froze it; empty when it was frozen from the command line (``report freeze``).
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class FrozenCount(db.Model):
    """One cell of one measure of a frozen year, as counted (before the small-number rule, which
    every output applies when it shows the count)."""

    __tablename__ = "frozen_statistics_counts"
    __table_args__ = (
        UniqueConstraint("year", "measure", "category", "second_category", name="uq_frozen_counts_cell"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[str] = mapped_column(ForeignKey("frozen_statistics_years.year"))
    measure: Mapped[str] = mapped_column(String(48))
    category: Mapped[str] = mapped_column(String(48))
    second_category: Mapped[str] = mapped_column(String(48), default=NO_SECOND_CATEGORY)
    count: Mapped[int] = mapped_column(Integer)
