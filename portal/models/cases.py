"""Cases (opened when a referral is accepted) and the contact log of referrals and cases."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import EncryptedText
from portal.extensions import db
from portal.models.referrals import Referral, _one_of
from portal.services.case_codes import INTERVENTION_LEVELS, TOPICS

if TYPE_CHECKING:
    from portal.models.staff import StaffUser

CASE_STATUSES = ("open", "inactive", "closed")
CONTACT_METHODS = ("call", "email", "letter", "meeting")
CONTACT_DIRECTIONS = ("incoming", "outgoing")


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        _one_of("status", CASE_STATUSES),
        # Codes, never labels: a reworded label leaves every stored row (and a year's series) as it was.
        _one_of("topic", tuple(TOPICS)),
        _one_of("intervention_level", tuple(INTERVENTION_LEVELS)),
        Index("ix_cases_status_opened_at", "status", "opened_at"),
        Index("ix_cases_status_review_due", "status", "consent_review_due"),
        # The cases list is newest first, for everyone or for one worker: both orders indexed, so a
        # page is read off the index instead of sorting every case (measured at 20,000).
        Index("ix_cases_opened_at_id", "opened_at", "id"),
        Index("ix_cases_assigned_opened", "assigned_to_id", "opened_at", "id"),
        CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name="closed_has_a_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Optimistic locking: every save says which version it edited; a stale one is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)
    topic: Mapped[str | None] = mapped_column(String(32))  # a code of case_codes.TOPICS
    intervention_level: Mapped[str | None] = mapped_column(String(16))  # a code of case_codes.INTERVENTION_LEVELS
    consent_review_due: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(EncryptedText)

    referral: Mapped[Referral] = relationship()
    assigned_to: Mapped[StaffUser | None] = relationship(foreign_keys=[assigned_to_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own mapping


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
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CaseNote(db.Model):
    """A case note, kept as written: an edit moves the earlier text into a revision (which
    managers can read) and bumps ``version``, so two people editing at once cannot silently
    overwrite each other."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(EncryptedText)
    version: Mapped[int] = mapped_column(Integer, default=1)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    written_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    edited_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    revisions: Mapped[list[CaseNoteRevision]] = relationship(
        cascade="all, delete-orphan", order_by="CaseNoteRevision.version.desc()"
    )


class CaseNoteRevision(db.Model):
    __tablename__ = "case_note_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("case_notes.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(EncryptedText)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    written_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
