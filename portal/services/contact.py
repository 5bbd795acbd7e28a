"""The contact log, and the rule that gates it (design 6.2).

The service contacts a professionally referred family only once a consent attestation is on
record. The rule lives here, not in a page: ``log_contact`` refuses, whoever calls it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from portal.extensions import db
from portal.models.cases import CONTACT_DIRECTIONS, CONTACT_METHODS, Case, ContactEntry
from portal.models.referrals import Referral
from portal.services import audit
from portal.services.audit import Actor
from portal.services.problems import Refusal
from portal.services.validation import long_text, recorded_date_problem

METHOD_LABELS = {"call": "Phone call", "email": "Email", "letter": "Letter", "meeting": "Meeting"}
DIRECTION_LABELS = {"incoming": "From the family", "outgoing": "To the family"}


class ContactNotPermitted(Exception):
    """Contact with this family may not be logged yet; the message says why and what to do."""


class InvalidContact(Refusal):
    """The contact entry itself is incomplete or wrong; ``problems`` maps each field to what to
    correct, all at once, as a GOV.UK error summary lists them."""


@dataclass(frozen=True)
class ContactDetails:
    occurred_on: dt.date | None
    method: str
    direction: str
    summary: str


def contact_refusal(referral: Referral) -> str | None:
    """Why contact with this referral's family cannot be logged yet, or None when it can."""
    if referral.route == "professional" and not referral.attestations:
        return (
            "This family was referred by a professional and there is no record of their consent "
            "to be contacted. Record the consent attestation before any contact."
        )
    return None


def log_contact(
    referral: Referral, details: ContactDetails, actor: Actor, today: dt.date, case: Case | None = None
) -> ContactEntry:
    """Log contact on the referral, or on ``case`` (the case opened from it). Logged from either
    page, contact with a family whose case is closed waits until the case is reopened."""
    refusal = contact_refusal(referral)
    held = case if case is not None else db.session.scalar(select(Case).where(Case.referral_id == referral.id))
    if held is not None and held.status == "closed":
        raise ContactNotPermitted("This case is closed. Reopen it before logging contact.")
    if refusal:
        audit.record(actor, "contact refused: no consent on record", "referral", referral.id)
        db.session.commit()
        raise ContactNotPermitted(refusal)
    problems = {}
    if occurred_on_problem := recorded_date_problem(details.occurred_on, "the date of the contact", today):
        problems["occurred_on"] = occurred_on_problem
    if details.method not in CONTACT_METHODS:
        problems["method"] = "Select how the contact was made"
    if details.direction not in CONTACT_DIRECTIONS:
        problems["direction"] = "Select who made the contact"
    summary = long_text(details.summary, "a summary of the contact", "summary", problems)
    if problems:
        raise InvalidContact(problems)
    entry = ContactEntry(
        referral_id=None if case else referral.id,
        case_id=case.id if case else None,
        occurred_on=details.occurred_on,
        method=details.method,
        direction=details.direction,
        summary=summary,
        recorded_by_id=actor.staff_id,
        recorded_at=actor.at,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "contact logged", "case" if case else "referral", case.id if case else referral.id)
    db.session.commit()
    return entry


def contact_entries(referral: Referral, case: Case | None = None) -> list[ContactEntry]:
    """The contact log of a referral and of the case opened from it, newest first."""
    condition = ContactEntry.referral_id == referral.id
    if case is not None:
        condition = condition | (ContactEntry.case_id == case.id)
    return list(
        db.session.scalars(
            db.select(ContactEntry).where(condition).order_by(ContactEntry.occurred_on.desc(), ContactEntry.id.desc())
        ).all()
    )
