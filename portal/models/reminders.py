"""Reminders the daily command has sent: one row per item and the date it is about, so an item is
reminded once, not every day.

An item is a person's training (``staff_user_id``), a case's consent review (``case_id``) or an
information request's deadline (``request_id``), and ``due_on`` is the date it falls due: when that
date moves (a review recorded, a request extended) the item is a new one and is reminded again.
Each row names its item by a foreign key that is deleted with it, so destroying a case or a request
destroys what was reminded about it. ``item_key`` ("case:12") names the same item as a string that
is never null, so one unique constraint keeps "once per item" under two processes on SQLite and
PostgreSQL alike (a unique constraint over nullable keys lets NULLs repeat).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.referrals import _one_of

# What is reminded about. A request is reminded when it comes within its warning (due soon) and
# again if it goes overdue: two kinds, so each is sent once.
REMINDER_KINDS = ("training", "consent_review", "request_due_soon", "request_overdue")


class ReminderSent(db.Model):
    __tablename__ = "reminders_sent"
    __table_args__ = (
        _one_of("kind", REMINDER_KINDS),
        CheckConstraint(
            "(CASE WHEN staff_user_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN case_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN request_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="about_one_item",
        ),
        UniqueConstraint("kind", "item_key", "due_on", name="uq_reminders_sent_once_per_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    item_key: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[dt.date] = mapped_column(Date)
    sent_on: Mapped[dt.date] = mapped_column(Date)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_requests.id", ondelete="CASCADE"), index=True
    )
