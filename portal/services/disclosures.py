"""Disclosures of personal data to third parties (design 6.3, section 5's separation of duties).

Allowed on one of two grounds only: a current consent that names the recipient, or a recorded
safeguarding or legal basis (child protection, a court order, another legal duty) with its
justification. Anything else is refused with what is missing.

On consent a disclosure is shared as soon as it is recorded. Without consent it is held as pending
until a manager other than the recorder, signed in as themselves, approves or declines it: until
then it is not a disclosure on the timeline, in the case's list of disclosures or in a subject
access response, and a declined one never is. The decider is always the person acting, never a
name chosen on a form, so nobody can approve in someone else's name or their own.
Every step goes into the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models.cases import Case
from portal.models.consent import ConsentParty, ConsentRecord, Disclosure
from portal.models.staff import StaffUser
from portal.services import accounts, audit
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
STATUS_LABELS = {"pending": "Awaiting approval", "approved": "Approved", "declined": "Declined"}
DECISIONS = {"approve": "Approve: it may be shared", "decline": "Decline: it must not be shared"}


class DisclosureRefused(Refusal):
    """The disclosure may not be recorded; ``problems`` says what is missing, by form field."""


class DecisionRefused(Refusal):
    """The approval or decline cannot be made as asked; ``problems`` says why, by form field."""


class SelfApprovalRefused(DecisionRefused):
    """The person deciding recorded the disclosure: sharing without consent needs a second person,
    whatever roles the recorder holds."""


@dataclass(frozen=True)
class DisclosureRequest:
    disclosed_on: dt.date | None
    what_was_shared: str
    basis: str
    consent_party_id: int | None = None  # basis "consent": one of the parties the family named
    recipient: str = ""  # a legal basis: whoever received it
    justification: str = ""


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
    """Record a disclosure: shared at once on consent, held as pending on any other basis."""
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
    else:
        problems["basis"] = "Choose the basis for sharing: the family's consent, or a safeguarding or legal basis"
    if case.status == "closed":
        problems["basis"] = "Reopen the case before recording a disclosure"
    if problems:
        audit.record(actor, "disclosure refused", "case", case.id, detail=", ".join(sorted(problems)))
        db.session.commit()
        raise DisclosureRefused(problems)
    on_consent = request.basis == "consent"
    disclosure = Disclosure(
        case_id=case.id,
        disclosed_on=request.disclosed_on,
        recipient=recipient,
        what_was_shared=shared,
        basis=request.basis,
        consent_party_id=party.id if party else None,
        justification=None if on_consent else clean_text(request.justification, multiline=True),
        status="approved" if on_consent else "pending",
        recorded_by_id=actor.staff_id,
        recorded_at=actor.at,
    )
    db.session.add(disclosure)
    db.session.flush()
    audit.record(
        actor,
        "disclosure recorded" if on_consent else "disclosure awaiting approval",
        "case",
        case.id,
        detail=f"disclosure {disclosure.id}, basis {request.basis}",
    )
    db.session.commit()
    return disclosure


def decide(disclosure: Disclosure, decision: str, decline_reason: str, actor: Actor) -> None:
    """Approve (``decision`` "approve") or decline (with a reason) a disclosure awaiting approval,
    as the person acting: a manager who holds ``approve_disclosure`` and did not record it. The
    decider and the moment are stamped from ``actor``. ``SelfApprovalRefused`` when the recorder
    tries, ``DecisionRefused`` for anything else that stands in the way."""
    decider = db.session.get(StaffUser, actor.staff_id) if actor.staff_id else None
    if decider is None or not decider.active or not can(decider, "approve_disclosure"):
        _refuse_decision(disclosure, actor, "not an approver")
        raise DecisionRefused({"decision": "Only a manager can approve sharing without consent"})
    if disclosure.status != "pending":
        raise DecisionRefused({"decision": f"This disclosure has already been {disclosure.status}"})
    if disclosure.recorded_by_id == decider.id:
        # Separation of duties (design section 5): a second person decides, even when the recorder
        # is a manager, so no one person can both share without consent and sign it off.
        _refuse_decision(disclosure, actor, "recorded it themselves")
        raise SelfApprovalRefused(
            {"decision": "You recorded this disclosure: a manager other than you must approve or decline it"}
        )
    problems: dict[str, str] = {}
    reason = None
    if decision not in DECISIONS:
        problems["decision"] = "Choose whether to approve or decline sharing this without consent"
    elif decision == "decline":
        reason = long_text(decline_reason, "why you are declining it", "decline_reason", problems)
    if problems:
        raise DecisionRefused(problems)
    status = "approved" if decision == "approve" else "declined"
    # Guarded on the status read, so a second manager deciding at the same moment in another
    # process finds it already decided rather than overwriting the first decision.
    decided = db.session.execute(
        update(Disclosure)
        .where(Disclosure.id == disclosure.id, Disclosure.status == "pending")
        .values(status=status, decided_by_id=decider.id, decided_at=actor.at, decline_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:
        db.session.rollback()
        db.session.refresh(disclosure)
        raise DecisionRefused({"decision": f"This disclosure has already been {disclosure.status}"})
    audit.record(
        actor,
        "disclosure approved" if status == "approved" else "disclosure declined",
        "case",
        disclosure.case_id,
        detail=f"disclosure {disclosure.id}",
    )
    db.session.commit()
    db.session.refresh(disclosure)


def _refuse_decision(disclosure: Disclosure, actor: Actor, why: str) -> None:
    audit.record(
        actor, "disclosure approval refused", "case", disclosure.case_id, detail=f"disclosure {disclosure.id}, {why}"
    )
    db.session.commit()


def disclosures_of(case: Case) -> list[Disclosure]:
    """The disclosures made from the case: approved ones only, newest first."""
    return list(
        db.session.scalars(
            select(Disclosure)
            .where(Disclosure.case_id == case.id, Disclosure.shared)
            .order_by(Disclosure.disclosed_on.desc(), Disclosure.id.desc())
        ).all()
    )


@dataclass(frozen=True)
class HeldDisclosure:
    """A disclosure that is not (or not yet) shared, as the case page and the approvals list show it."""

    disclosure: Disclosure
    reference: str
    recorded_by: str
    decided_by: str
    viewer_recorded: bool
    viewer_may_decide: bool


def _held(rows: list[Disclosure], viewer: StaffUser) -> list[HeldDisclosure]:
    names = accounts.staff_names({row.recorded_by_id for row in rows} | {row.decided_by_id for row in rows})
    approver = can(viewer, "approve_disclosure")
    return [
        HeldDisclosure(
            row,
            row.case.referral.reference,
            names.get(row.recorded_by_id, ""),
            names.get(row.decided_by_id or 0, ""),
            row.recorded_by_id == viewer.id,
            approver and row.status == "pending" and row.recorded_by_id != viewer.id,
        )
        for row in rows
    ]


def held_back(case: Case, viewer: StaffUser) -> list[HeldDisclosure]:
    """The case's disclosures awaiting approval or declined, newest first: shown on the case page
    as such, never as shared."""
    rows = db.session.scalars(
        select(Disclosure)
        .where(Disclosure.case_id == case.id, Disclosure.status != "approved")
        .options(selectinload(Disclosure.case).selectinload(Case.referral))
        .order_by(Disclosure.recorded_at.desc(), Disclosure.id.desc())
    ).all()
    return _held(list(rows), viewer)


def awaiting_approval(viewer: StaffUser) -> list[HeldDisclosure]:
    """Every disclosure awaiting approval, oldest first (the longest waiting at the top)."""
    rows = db.session.scalars(
        select(Disclosure)
        .where(Disclosure.status == "pending")
        .options(selectinload(Disclosure.case).selectinload(Case.referral))
        .order_by(Disclosure.recorded_at, Disclosure.id)
    ).all()
    return _held(list(rows), viewer)


def awaiting_approval_count(viewer: StaffUser) -> int:
    """Disclosures awaiting approval that ``viewer`` may decide: not the ones they recorded."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Disclosure)
            .where(Disclosure.status == "pending", Disclosure.recorded_by_id != viewer.id)
        )
        or 0
    )


def _without_consent(case: Case, disclosure_id: int) -> Select:
    return select(Disclosure).where(
        Disclosure.id == disclosure_id, Disclosure.case_id == case.id, Disclosure.basis != "consent"
    )


def disclosure_on(case: Case, disclosure_id: int) -> Disclosure | None:
    """A disclosure of the case made without consent: the only kind that is decided."""
    return db.session.scalar(_without_consent(case, disclosure_id))


def view_for_decision(case: Case, disclosure_id: int, viewer: StaffUser, actor: Actor) -> HeldDisclosure | None:
    """A disclosure of the case made without consent, for its approval page. The look is audited
    (committed before loading, so the commit does not expire what the page shows)."""
    if db.session.scalar(_without_consent(case, disclosure_id).with_only_columns(Disclosure.id)) is None:
        return None
    audit.record(actor, "disclosure viewed", "case", case.id, detail=f"disclosure {disclosure_id}")
    db.session.commit()
    found = db.session.scalars(
        _without_consent(case, disclosure_id).options(selectinload(Disclosure.case).selectinload(Case.referral))
    ).one()
    return _held([found], viewer)[0]
