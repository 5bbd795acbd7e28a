"""Information requests (design 6.5, 6.6): subject access requests, Freedom of Information requests
and complaints about how the service handled personal data, with the events that move their
deadlines and the records a subject access response is made from.

``due_on`` is stored (worked out by the kind's rules in ``portal.services.deadlines`` on receipt and
again whenever a clock event or an extension changes it) so the queue can find what is due or
overdue with an index rather than by working every request's deadline out again.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import EncryptedDate, EncryptedText, LookupHash
from portal.extensions import db
from portal.models.referrals import _one_of
from portal.services.deadlines import CLOCK_EVENTS, FreedomOfInformation, SubjectAccess

if TYPE_CHECKING:
    from portal.models.staff import StaffUser

REQUEST_KINDS = ("sar", "foi", "complaint")
REQUEST_STATUSES = ("open", "paused", "closed")
ACTING_AS = ("self", "parent_carer", "authorised")
REPLY_METHODS = ("email", "letter", "phone")
IDENTITY_CHECKS = ("documents", "in_person", "known_to_service")
IDENTITY_VERIFIED_BY = ("photo_id_and_address", "seen_in_person", "known_to_service", "authority_document")
CHILD_CONFIRMATION_OUTCOMES = ("not_needed", "agreed", "refused", "not_sought")
CHOSEN_RECORD_TYPES = ("referral",)
OUTCOMES = (
    "records_sent",
    "no_records_held",
    "information_provided",
    "partly_withheld",
    "withheld",
    "not_held",
    "upheld",
    "partly_upheld",
    "not_upheld",
    "withdrawn",
    "identity_not_verified",
)


class InformationRequest(db.Model):
    __tablename__ = "information_requests"
    __table_args__ = (
        _one_of("kind", REQUEST_KINDS),
        _one_of("status", REQUEST_STATUSES),
        CheckConstraint(f"acting_as IS NULL OR acting_as IN {ACTING_AS}", name="acting_as_known"),
        CheckConstraint(f"reply_by IN {REPLY_METHODS}", name="reply_by_known"),
        CheckConstraint(f"identity_check IS NULL OR identity_check IN {IDENTITY_CHECKS}", name="identity_check_known"),
        CheckConstraint(
            f"identity_verified_how IS NULL OR identity_verified_how IN {IDENTITY_VERIFIED_BY}",
            name="identity_verified_how_known",
        ),
        CheckConstraint(
            "(identity_verified_on IS NULL) = (identity_verified_by_id IS NULL)", name="identity_verified_says_who"
        ),
        CheckConstraint(
            f"child_confirmation IS NULL OR child_confirmation IN {CHILD_CONFIRMATION_OUTCOMES}",
            name="child_confirmation_known",
        ),
        CheckConstraint(f"outcome IS NULL OR outcome IN {OUTCOMES}", name="outcome_known"),
        CheckConstraint(
            "(status = 'closed') = (closed_on IS NOT NULL AND outcome IS NOT NULL)", name="closed_has_outcome"
        ),
        CheckConstraint(
            f"extension_months BETWEEN 0 AND {SubjectAccess.MAX_EXTENSION_MONTHS}", name="extension_at_most_two_months"
        ),
        CheckConstraint("extension_months = 0 OR extension_reason IS NOT NULL", name="extension_has_reason"),
        CheckConstraint(
            f"extension_working_days BETWEEN 0 AND {FreedomOfInformation.MAX_EXTENSION_WORKING_DAYS}",
            name="public_interest_extension_limit",
        ),
        CheckConstraint(
            "extension_working_days = 0 OR (extension_exemption IS NOT NULL AND extension_notice_sent_on IS NOT NULL)",
            name="public_interest_extension_says_why",
        ),
        # A subject access request is extended by months, an FOI request by working days.
        CheckConstraint("kind = 'sar' OR extension_months = 0", name="only_sar_extends_by_months"),
        CheckConstraint("kind = 'foi' OR extension_working_days = 0", name="only_foi_extends_by_working_days"),
        CheckConstraint("kind = 'sar' OR acting_as IS NULL", name="only_sar_acts_for_someone"),
        # The queue: a kind's open requests by due date, and the newest received first.
        Index("ix_information_requests_kind_status_due", "kind", "status", "due_on"),
        Index("ix_information_requests_kind_received", "kind", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(EncryptedText)
    reference_hash: Mapped[str] = mapped_column(LookupHash, unique=True)
    # As for referrals: a double click or a resent check page finds the request already made.
    submission_key_hash: Mapped[str] = mapped_column(LookupHash, unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    received_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)

    # The person asking, and how to reply to them.
    requester_name: Mapped[str] = mapped_column(EncryptedText)
    email: Mapped[str | None] = mapped_column(EncryptedText)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    address: Mapped[str | None] = mapped_column(EncryptedText)
    postcode: Mapped[str | None] = mapped_column(EncryptedText)
    reply_by: Mapped[str] = mapped_column(String(8))
    # What they asked: the records wanted, the FOI question, or the complaint.
    details: Mapped[str] = mapped_column(EncryptedText)
    # A complaint's "what would put it right"; an earlier reference the person quoted.
    remedy_wanted: Mapped[str | None] = mapped_column(EncryptedText)
    reference_given: Mapped[str | None] = mapped_column(EncryptedText)

    # Subject access only: for whom, and how their identity can be checked.
    acting_as: Mapped[str | None] = mapped_column(String(16))
    authority: Mapped[str | None] = mapped_column(EncryptedText)
    subject_name: Mapped[str | None] = mapped_column(EncryptedText)
    subject_other_names: Mapped[str | None] = mapped_column(EncryptedText)
    subject_date_of_birth: Mapped[dt.date | None] = mapped_column(EncryptedDate)
    identity_check: Mapped[str | None] = mapped_column(String(20))

    identity_verified_on: Mapped[dt.date | None] = mapped_column(Date)
    identity_verified_how: Mapped[str | None] = mapped_column(String(24))
    identity_verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    identity_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    child_confirmation: Mapped[str | None] = mapped_column(String(16))
    child_confirmation_note: Mapped[str | None] = mapped_column(EncryptedText)
    child_confirmation_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    extension_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    extension_reason: Mapped[str | None] = mapped_column(EncryptedText)
    extension_notice_sent_on: Mapped[dt.date | None] = mapped_column(Date)
    # FOI only: a public interest extension (FOIA s.10(3)), its length and the exemption considered;
    # the date the requester was told is ``extension_notice_sent_on``.
    extension_working_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    extension_exemption: Mapped[str | None] = mapped_column(EncryptedText)

    # A complaint's acknowledgement (due within 30 days of receipt; the answer is expected within
    # 30 more, or the complaint shows as stalled).
    acknowledged_on: Mapped[dt.date | None] = mapped_column(Date)

    # The response: what was decided, any exemption relied on, and when.
    outcome: Mapped[str | None] = mapped_column(String(24))
    response: Mapped[str | None] = mapped_column(EncryptedText)
    exemptions: Mapped[str | None] = mapped_column(EncryptedText)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    clock_events: Mapped[list[RequestClockEvent]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestClockEvent.id"
    )
    chosen_records: Mapped[list[ChosenRecord]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="ChosenRecord.id"
    )
    withheld_names: Mapped[list[WithheldName]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="WithheldName.id"
    )
    identity_verified_by: Mapped[StaffUser | None] = relationship(foreign_keys=[identity_verified_by_id])


class RequestClockEvent(db.Model):
    """Something that moved a request's clock: for subject access, the clock starting (on receipt,
    or again on receipt of identity evidence), pausing (waiting for a clarification the service
    asked for) or resuming; for FOI, a clarification asked for and received, a fees notice and the
    fee paid. Each kind's events and their words are in ``portal.services.deadlines``."""

    __tablename__ = "request_clock_events"
    __table_args__ = (_one_of("event", CLOCK_EVENTS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_requests.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(24))
    on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(EncryptedText)
    # Empty for the start made on receipt, which no member of staff recorded.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    request: Mapped[InformationRequest] = relationship(back_populates="clock_events")


class ChosenRecord(db.Model):
    """A referral (with its case, if one was opened) the data protection team chose as the
    requester's records, to go into the response."""

    __tablename__ = "request_chosen_records"
    __table_args__ = (_one_of("record_type", CHOSEN_RECORD_TYPES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_requests.id", ondelete="CASCADE"), index=True)
    record_type: Mapped[str] = mapped_column(String(16), default="referral")
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    chosen_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    chosen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    request: Mapped[InformationRequest] = relationship(back_populates="chosen_records")


class WithheldName(db.Model):
    """Another person's name (or other identifying words) the data protection team found in the
    records and withholds from the response, beyond those the portal knows of itself."""

    __tablename__ = "request_withheld_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_requests.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(EncryptedText)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    request: Mapped[InformationRequest] = relationship(back_populates="withheld_names")
