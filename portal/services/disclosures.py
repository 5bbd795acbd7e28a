"""Disclosures of personal data to third parties (design 6.3).

Allowed on one of two grounds only: a current consent that names the recipient, or a recorded
safeguarding or legal basis (child protection, a court order, another legal duty) with its
justification and the manager who approved it. Anything else is refused with what is missing.
Every disclosure goes on the case's timeline and into the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from portal.extensions import db
from portal.models.cases import Case
from portal.models.consent import ConsentParty, ConsentRecord, Disclosure
from portal.models.staff import StaffUser
from portal.services import audit
from portal.services.audit import Actor
from portal.services.clock import long_date
from portal.services.problems import Refusal
from portal.services.roles import can
from portal.services.validation import (
    SHORT_TEXT_MAX,
    clean_text,
    long_text,
    recorded_date_problem,
)

LEGAL_BASES = {
    "child_protection": "Child protection or safeguarding",
    "court_order": "A court order",
    "legal_duty": "Another legal duty",
}
BASIS_LABELS = {"consent": "The family's consent", **LEGAL_BASES}


class DisclosureRefused(Refusal):
    """The disclosure may not be recorded; ``problems`` says what is missing, by form field."""


@dataclass(frozen=True)
class DisclosureRequest:
    disclosed_on: dt.date | None
    what_was_shared: str
    basis: str
    consent_party_id: int | None = None  # basis "consent": one of the parties the family named
    recipient: str = ""  # a legal basis: whoever received it
    justification: str = ""
    approved_by_id: int | None = None


def named_parties(case: Case) -> list[ConsentParty]:
    """Third parties named in the case's consents that are still current."""
    return list(
        db.session.scalars(
            select(ConsentParty)
            .join(ConsentParty.consent)
            .where(ConsentRecord.case_id == case.id, ConsentRecord.withdrawn_on.is_(None))
            .order_by(ConsentParty.id)
        ).all()
    )


def record_disclosure(case: Case, request: DisclosureRequest, actor: Actor, today: dt.date) -> Disclosure:
    problems = {}
    if disclosed_on_problem := recorded_date_problem(
        request.disclosed_on, "the date the information was shared", today
    ):
        problems["disclosed_on"] = disclosed_on_problem
    shared = long_text(request.what_was_shared, "what was shared", "what_was_shared", problems)
    recipient = ""
    party = None
    if request.basis == "consent":
        party = db.session.get(ConsentParty, request.consent_party_id) if request.consent_party_id else None
        if party is None or party.consent.case_id != case.id:
            problems["consent_party_id"] = (
                "Choose a third party named in the family's consent. To share with anyone else you need "
                "their consent naming them, or a safeguarding or legal basis approved by a manager"
            )
        elif not party.consent.current:
            withdrawn = party.consent.withdrawn_on
            problems["consent_party_id"] = (
                f"The consent naming {party.name} was withdrawn on {long_date(withdrawn)}: nothing can be shared on it"
            )
        else:
            recipient = party.name
    elif request.basis in LEGAL_BASES:
        recipient = clean_text(request.recipient)[:SHORT_TEXT_MAX]
        if not recipient:
            problems["recipient"] = "Enter who received the information"
        if not clean_text(request.justification, multiline=True):
            problems["justification"] = "Explain why the law requires or allows sharing without consent"
        approver = db.session.get(StaffUser, request.approved_by_id) if request.approved_by_id else None
        if approver is None or not approver.active or not can(approver, "approve_disclosure"):
            problems["approved_by_id"] = "Choose the manager who approved sharing without consent"
    else:
        problems["basis"] = "Choose the basis for sharing: the family's consent, or a safeguarding or legal basis"
    if case.status == "closed":
        problems["basis"] = "Reopen the case before recording a disclosure"
    if problems:
        audit.record(actor, "disclosure refused", "case", case.id, detail=", ".join(sorted(problems)))
        db.session.commit()
        raise DisclosureRefused(problems)
    disclosure = Disclosure(
        case_id=case.id,
        disclosed_on=request.disclosed_on,
        recipient=recipient,
        what_was_shared=shared,
        basis=request.basis,
        consent_party_id=party.id if party else None,
        justification=clean_text(request.justification, multiline=True) or None if request.basis != "consent" else None,
        approved_by_id=request.approved_by_id if request.basis != "consent" else None,
        recorded_by_id=actor.staff_id,
        recorded_at=actor.at,
    )
    db.session.add(disclosure)
    db.session.flush()
    audit.record(
        actor, "disclosure recorded", "case", case.id, detail=f"disclosure {disclosure.id}, basis {request.basis}"
    )
    db.session.commit()
    return disclosure


def disclosures_of(case: Case) -> list[Disclosure]:
    return list(
        db.session.scalars(
            select(Disclosure)
            .where(Disclosure.case_id == case.id)
            .order_by(Disclosure.disclosed_on.desc(), Disclosure.id.desc())
        ).all()
    )
