"""Retention (design section 8): manual holds on records, the destruction log and the daily run.

A hold names the root record it protects (a referral, with its case if one was opened, or an
information request) and is destroyed with it: nothing about a family outlives their records.
The destruction log is the opposite: it outlives everything, so it holds counts only, never a
reference, hash, id, name or a date finer than a month.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.crypto import EncryptedText
from portal.extensions import db
from portal.models.referrals import _one_of

# Why a person kept a record beyond its date. Codes, never labels: the labels live in
# portal.services.retention.HOLD_REASONS.
MANUAL_HOLD_REASONS = (
    "ico_complaint",
    "information_tribunal",
    "send_tribunal_or_mediation",
    "litigation_or_claim",
    "safeguarding_review",
    "data_protection_complaint",
)
ROOT_TYPES = ("referral", "information_request")


class RetentionHold(db.Model):
    """A hold placed by the dpo or a manager: the record is kept, whatever its date, until the
    hold is lifted. Lifted holds stay (with who lifted them and why) until the record goes."""

    __tablename__ = "retention_holds"
    __table_args__ = (
        _one_of("reason", MANUAL_HOLD_REASONS),
        CheckConstraint("(referral_id IS NULL) <> (request_id IS NULL)", name="holds_one_record"),
        CheckConstraint(
            "(lifted_at IS NULL AND lifted_by_id IS NULL AND lift_reason IS NULL)"
            " OR (lifted_at IS NOT NULL AND lifted_by_id IS NOT NULL AND lift_reason IS NOT NULL)",
            name="lifting_says_who_and_why",
        ),
        Index("ix_retention_holds_lifted_review", "lifted_at", "review_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A hold on a case is a hold on its referral: the two are destroyed together.
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_requests.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(EncryptedText)
    review_on: Mapped[dt.date] = mapped_column(Date)
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    placed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    lift_reason: Mapped[str | None] = mapped_column(EncryptedText)

    @property
    def root_type(self) -> str:
        return "referral" if self.referral_id is not None else "information_request"

    @property
    def root_id(self) -> int:
        return self.referral_id if self.referral_id is not None else self.request_id  # type: ignore[return-value]


class DestructionLogEntry(db.Model):
    """What one run of the purge destroyed and kept, for one kind of root record closed in one
    month: counts only (see the module's docstring)."""

    __tablename__ = "destruction_log"
    __table_args__ = (
        _one_of("root_type", ROOT_TYPES),
        CheckConstraint("length(closure_month) = 7", name="closure_month_like_2023_04"),
        CheckConstraint("roots_destroyed >= 0 AND roots_held >= 0", name="counts_not_negative"),
        Index("ix_destruction_log_run", "run_number", "root_type", "closure_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Rows of one run share its number; the numbers only count runs.
    run_number: Mapped[int] = mapped_column(Integer)
    ran_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # "daily", or the operating-system account that ran ``retention purge``.
    ran_by: Mapped[str] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    root_type: Mapped[str] = mapped_column(String(24))
    closure_month: Mapped[str] = mapped_column(String(7))  # 2023-04
    roots_destroyed: Mapped[int] = mapped_column(Integer)
    roots_held: Mapped[int] = mapped_column(Integer)
    # JSON objects of counts: rows destroyed by table, and roots held by reason code.
    rows_by_table: Mapped[str] = mapped_column(Text)
    held_by_reason: Mapped[str] = mapped_column(Text)


class DailyStep(db.Model):
    """A step of ``flask daily`` that finished on a day: a second run that day skips it."""

    __tablename__ = "daily_steps"
    __table_args__ = (UniqueConstraint("ran_on", "step", name="uq_daily_steps_day_step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_on: Mapped[dt.date] = mapped_column(Date)
    step: Mapped[str] = mapped_column(String(24))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    summary: Mapped[str] = mapped_column(String(200))
