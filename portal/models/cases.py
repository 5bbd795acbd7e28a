"""Cases (opened when a referral is accepted) and the contact log of referrals and cases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import EncryptedText
from portal.extensions import db
from portal.models.referrals import Referral, _one_of, utcnow

CASE_STATUSES = ("open", "inactive", "closed")
CONTACT_METHODS = ("call", "email", "letter", "meeting")
CONTACT_DIRECTIONS = ("incoming", "outgoing")


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        _one_of("status", CASE_STATUSES),
        Index("ix_cases_status_opened_at", "status", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    referral: Mapped[Referral] = relationship()


class ContactEntry(db.Model):
    """One contact with the family: a call, e-mail, letter or meeting, on a referral or a case."""

    __tablename__ = "contact_entries"
    __table_args__ = (
        _one_of("method", CONTACT_METHODS),
        _one_of("direction", CONTACT_DIRECTIONS),
        CheckConstraint("(referral_id IS NULL) <> (case_id IS NULL)", name="on_referral_or_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(8))
    summary: Mapped[str] = mapped_column(EncryptedText)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
