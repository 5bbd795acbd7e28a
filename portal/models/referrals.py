"""Referrals, the people in them, the privacy notice agreed to and consent attestations.

Every column holding personal data is ``EncryptedText``/``EncryptedDate``; columns that are searched
by equality have a keyed-hash twin (``*_hash``). Enumerations are checked by the database so no
code path can store a value the service does not know.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import (
    EncryptedDate,
    EncryptedText,
    LookupHash,
    identity_key,
    keyring,
    name_letters,
    postcode_letters,
)
from portal.extensions import db

if TYPE_CHECKING:
    from portal.models.staff import StaffUser


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_known")


ROUTES = ("self", "professional")
REFERRAL_STATUSES = ("new", "accepted", "declined", "withdrawn", "lapsed")
# Statuses that close a referral by themselves; an accepted referral closes when its case does.
CLOSING_STATUSES = ("declined", "withdrawn", "lapsed")
# How the family told the service they no longer want its help.
WITHDRAWAL_METHODS = ("phone", "email", "letter", "in_person", "via_referrer")
# The child's age at the date of referral, in the bands the statistics count (design section 9).
AGE_BANDS = ("0-4", "5-10", "11-15", "16-19", "20-25", "over-25")
COMPLETED_BY = ("parent_carer", "young_person", "professional")
CONTACT_METHODS = ("email", "phone", "letter")
PERSON_ROLES = ("child", "parent_carer", "referrer")
CONSENT_GIVERS = ("parent_carer", "young_person")
CONSENT_METHODS = ("written", "verbal", "email")
ATTESTATION_SOURCES = ("referral_form", "staff")


class PrivacyNoticeVersion(db.Model):
    """A published version of the privacy notice. The text's digest pins what people agreed to."""

    __tablename__ = "privacy_notice_versions"

    version: Mapped[str] = mapped_column(String(16), primary_key=True)
    published_on: Mapped[dt.date] = mapped_column(Date)
    content_sha256: Mapped[str] = mapped_column(String(64))


class Referral(db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        _one_of("route", ROUTES),
        _one_of("completed_by", COMPLETED_BY),
        _one_of("preferred_contact", CONTACT_METHODS),
        _one_of("status", REFERRAL_STATUSES),
        _one_of("withdrawal_method", WITHDRAWAL_METHODS),
        _one_of("child_age_band", AGE_BANDS),
        CheckConstraint("(route = 'professional') = (completed_by = 'professional')", name="route_matches_completer"),
        # Which accepted referrals are closed depends on their case, another table; what one row
        # can say is said here: a closing status always has its date, a new referral never has one.
        CheckConstraint(
            "(status NOT IN ('declined', 'withdrawn', 'lapsed') OR closed_on IS NOT NULL)"
            " AND (status <> 'new' OR closed_on IS NULL)",
            name="closed_on_matches_status",
        ),
        CheckConstraint("(status = 'withdrawn') = (withdrawal_method IS NOT NULL)", name="withdrawn_says_how"),
        Index("ix_referrals_status_submitted_at", "status", "submitted_at"),
        # The queue's commonest filter (new professional referrals) and the dashboard's counts:
        # without it SQLite walks every row of a route to count one status (measured at 100,000).
        Index("ix_referrals_status_route_submitted_at", "status", "route", "submitted_at"),
        Index("ix_referrals_route_submitted_at", "route", "submitted_at"),
        Index("ix_referrals_submitted_at", "submitted_at"),
        # Retention (what falls due) and the statistics (what closed in a year) ask by this date.
        Index("ix_referrals_closed_on", "closed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(EncryptedText)
    reference_hash: Mapped[str] = mapped_column(LookupHash, unique=True)
    # Hash of the one-time key sealed with the journey's answers: a double click or a second Send
    # finds the referral it already made instead of making a second one.
    submission_key_hash: Mapped[str] = mapped_column(LookupHash, unique=True)
    route: Mapped[str] = mapped_column(String(16))
    completed_by: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="new")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    decline_reason: Mapped[str | None] = mapped_column(EncryptedText)
    # The London date the referral closed (design section 8): declined, withdrawn or lapsed, or,
    # once accepted, the day its case closed (cleared when the case reopens). Retention counts
    # from it and the statistics read it.
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawal_method: Mapped[str | None] = mapped_column(String(16))
    # The child's age band on the day of referral, worked out from the encrypted date of birth
    # when the referral is made, so statistics count by SQL without decrypting anyone. A band
    # of years says nothing that identifies a child; empty when no date of birth was given.
    child_age_band: Mapped[str | None] = mapped_column(String(8))
    school_or_setting: Mapped[str] = mapped_column(EncryptedText)
    needs: Mapped[str] = mapped_column(EncryptedText)
    preferred_contact: Mapped[str] = mapped_column(String(8))
    privacy_notice_version: Mapped[str] = mapped_column(ForeignKey("privacy_notice_versions.version"))
    privacy_agreed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    assigned_to: Mapped[StaffUser | None] = relationship(foreign_keys=[assigned_to_id])
    people: Mapped[list[Person]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="Person.id"
    )
    attestations: Mapped[list[ConsentAttestation]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="ConsentAttestation.id"
    )

    def person(self, role: str) -> Person | None:
        return next((person for person in self.people if person.role == role), None)


class Person(db.Model):
    """Someone named in a referral: the child or young person, a parent/carer, or the referrer."""

    __tablename__ = "people"
    __table_args__ = (
        _one_of("role", PERSON_ROLES),
        UniqueConstraint("referral_id", "role", name="uq_people_referral_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    full_name: Mapped[str] = mapped_column(EncryptedText)
    date_of_birth: Mapped[dt.date | None] = mapped_column(EncryptedDate)
    # Keyed hash of name and date of birth, so a subject access request can find a person's
    # records without decrypting everyone's (``portal.crypto.identity_key``).
    identity_hash: Mapped[str | None] = mapped_column(LookupHash, index=True)
    # Keyed hashes of the name, the date of birth and the postcode each on its own, so staff find
    # a family by any one of them without decrypting everyone (``person_lookup_keys``).
    name_hash: Mapped[str | None] = mapped_column(LookupHash, index=True)
    birth_date_hash: Mapped[str | None] = mapped_column(LookupHash, index=True)
    postcode_hash: Mapped[str | None] = mapped_column(LookupHash, index=True)
    email: Mapped[str | None] = mapped_column(EncryptedText)
    email_hash: Mapped[str | None] = mapped_column(LookupHash, index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    address: Mapped[str | None] = mapped_column(EncryptedText)
    postcode: Mapped[str | None] = mapped_column(EncryptedText)
    organisation: Mapped[str | None] = mapped_column(EncryptedText)
    job_title: Mapped[str | None] = mapped_column(EncryptedText)

    referral: Mapped[Referral] = relationship(back_populates="people")


PERSON_LOOKUP_HASHES = ("identity_hash", "name_hash", "birth_date_hash", "postcode_hash")


def person_lookup_keys(
    full_name: str | None, date_of_birth: dt.date | None, postcode: str | None
) -> dict[str, str | None]:
    """What each of a person's look-up hashes is made from: the one place they are normalised, for
    the model, key rotation, the migration that filled them and the searches that use them. A
    name matches whatever its case, spacing, hyphens and apostrophes (``name_letters``)."""
    return {
        "identity_hash": identity_key(full_name, date_of_birth) if full_name and date_of_birth else None,
        "name_hash": (name_letters(full_name) or None) if full_name else None,
        "birth_date_hash": date_of_birth.isoformat() if date_of_birth else None,
        "postcode_hash": (postcode_letters(postcode) or None) if postcode else None,
    }


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _keep_lookup_hashes(mapper: object, connection: object, person: Person) -> None:
    """Whoever writes a person, the look-ups stay true to what is stored."""
    ring = keyring()
    for column, key in person_lookup_keys(person.full_name, person.date_of_birth, person.postcode).items():
        setattr(person, column, ring.lookup_hash(key) if key else None)


class ConsentAttestation(db.Model):
    """A professional's statement that the family agreed to their details being passed on.

    It is evidence, so it keeps its own copy of the referrer's identity and the exact words
    attested as they stood when recorded, whatever later happens to the referral's people.
    """

    __tablename__ = "consent_attestations"
    __table_args__ = (
        _one_of("given_by", CONSENT_GIVERS),
        _one_of("method", CONSENT_METHODS),
        _one_of("source", ATTESTATION_SOURCES),
        CheckConstraint(
            "(source = 'referral_form' AND referrer_name IS NOT NULL)"
            " OR (source = 'staff' AND recorded_by_id IS NOT NULL)",
            name="says_who_recorded_it",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    given_by: Mapped[str] = mapped_column(String(16))
    given_on: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(8))
    # The professional who attested, on the referral form; empty when staff confirmed consent
    # with the family themselves later (then recorded_by_id names who did).
    referrer_name: Mapped[str | None] = mapped_column(EncryptedText)
    referrer_role: Mapped[str | None] = mapped_column(EncryptedText)
    referrer_organisation: Mapped[str | None] = mapped_column(EncryptedText)
    referrer_email: Mapped[str | None] = mapped_column(EncryptedText)
    referrer_phone: Mapped[str | None] = mapped_column(EncryptedText)
    wording: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    referral: Mapped[Referral] = relationship(back_populates="attestations")
    recorded_by: Mapped[StaffUser | None] = relationship()
