"""Consent during casework (design 6.3, 6.4): what the family agreed to, each third party they
named, reviews of that consent, and every disclosure made to a third party."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import EncryptedText
from portal.extensions import db
from portal.models.referrals import CONSENT_GIVERS, CONSENT_METHODS, _one_of

if TYPE_CHECKING:
    from portal.models.cases import Case
    from portal.models.staff import StaffUser

REVIEW_OUTCOMES = ("confirmed", "changed", "withdrawn")
DISCLOSURE_BASES = ("consent", "child_protection", "court_order", "legal_duty")
DISCLOSURE_STATUSES = ("pending", "approved", "declined")


class ConsentRecord(db.Model):
    __tablename__ = "consent_records"
    __table_args__ = (
        _one_of("given_by", CONSENT_GIVERS),
        _one_of("method", CONSENT_METHODS),
        CheckConstraint("(withdrawn_on IS NULL) = (withdrawn_by IS NULL)", name="withdrawal_says_who"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    given_by: Mapped[str] = mapped_column(String(16))
    given_on: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(8))
    keeps_contact_information: Mapped[bool] = mapped_column(Boolean)
    privacy_notice_version: Mapped[str] = mapped_column(ForeignKey("privacy_notice_versions.version"))
    # Where a parent or carer gives consent for a child over 12: was the child's view sought,
    # and what was it (design 6.5 and the policy on children's own say).
    child_view_sought: Mapped[bool | None] = mapped_column(Boolean)
    child_view: Mapped[str | None] = mapped_column(EncryptedText)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_by: Mapped[str | None] = mapped_column(String(16))
    withdrawn_method: Mapped[str | None] = mapped_column(String(8))
    withdrawal_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    parties: Mapped[list[ConsentParty]] = relationship(
        back_populates="consent", cascade="all, delete-orphan", order_by="ConsentParty.id"
    )
    recorded_by: Mapped[StaffUser] = relationship(foreign_keys=[recorded_by_id])

    @property
    def current(self) -> bool:
        return self.withdrawn_on is None


class ConsentParty(db.Model):
    """A third party the family agreed their information may be shared with."""

    __tablename__ = "consent_parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent_records.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(EncryptedText)

    consent: Mapped[ConsentRecord] = relationship(back_populates="parties")


class ConsentReview(db.Model):
    __tablename__ = "consent_reviews"
    __table_args__ = (_one_of("outcome", REVIEW_OUTCOMES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewed_on: Mapped[dt.date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))
    next_due: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Disclosure(db.Model):
    """Personal data given to a third party: on a current consent naming them (shared as soon as
    it is recorded), or on a recorded safeguarding or legal basis with its justification, which
    waits as ``pending`` until a manager other than the recorder approves or declines it. Only an
    approved disclosure counts as shared (``shared``)."""

    __tablename__ = "disclosures"
    __table_args__ = (
        _one_of("basis", DISCLOSURE_BASES),
        _one_of("status", DISCLOSURE_STATUSES),
        CheckConstraint(
            "(basis = 'consent' AND consent_party_id IS NOT NULL)"
            " OR (basis <> 'consent' AND justification IS NOT NULL)",
            name="has_its_basis",
        ),
        # Consent needs no second person; without consent, a decision names who took it and when.
        # (Not refusing decided_by_id = recorded_by_id here: rows from before this rule, when the
        # recorder named the approver and could name themselves, are kept as they were recorded.
        # The service refuses self-approval from now on.)
        CheckConstraint(
            "(basis = 'consent' AND status = 'approved' AND decided_by_id IS NULL AND decided_at IS NULL)"
            " OR (basis <> 'consent' AND status = 'pending' AND decided_by_id IS NULL AND decided_at IS NULL)"
            " OR (basis <> 'consent' AND status <> 'pending' AND decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
            name="decision_says_who",
        ),
        CheckConstraint("(status = 'declined') = (decline_reason IS NOT NULL)", name="declined_says_why"),
        Index("ix_disclosures_case_disclosed_on", "case_id", "disclosed_on"),
        Index("ix_disclosures_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    disclosed_on: Mapped[dt.date] = mapped_column(Date)
    recipient: Mapped[str] = mapped_column(EncryptedText)
    what_was_shared: Mapped[str] = mapped_column(EncryptedText)
    basis: Mapped[str] = mapped_column(String(16))
    # Indexed: deleting a consent party (the purge) checks this column, and a scan of every
    # disclosure per party made destroying 100,000 bundles twenty times slower.
    consent_party_id: Mapped[int | None] = mapped_column(ForeignKey("consent_parties.id"), index=True)
    justification: Mapped[str | None] = mapped_column(EncryptedText)
    status: Mapped[str] = mapped_column(String(16))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decline_reason: Mapped[str | None] = mapped_column(EncryptedText)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    case: Mapped[Case] = relationship()

    @hybrid_property
    def shared(self) -> bool:
        """Approved: on the timeline, in the list of disclosures and in a subject access response.
        Works in a query too (``where(Disclosure.shared)``)."""
        return self.status == "approved"
