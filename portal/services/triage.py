"""Triage: the referral queue, finding a referral, and the decisions taken on it.

Volunteers see only what is assigned to them (design section 5): every read here takes the viewer
and applies that scope in the query itself, so a direct link to another referral finds nothing.
Pages of the queue cost the same few queries however many referrals there are: one count, one
page of rows, and the people and assignees of that page loaded together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from portal.crypto import keyring, normalise_email
from portal.extensions import db
from portal.models.cases import Case
from portal.models.referrals import REFERRAL_STATUSES, ROUTES, WITHDRAWAL_METHODS, ConsentAttestation, Person, Referral
from portal.models.staff import StaffUser
from portal.services import audit, references
from portal.services.audit import Actor
from portal.services.casework import close_without_committing
from portal.services.clock import add_months, london_day
from portal.services.problems import Page, Refusal, page_number
from portal.services.roles import can
from portal.services.validation import LONG_TEXT_MAX, InvalidInput, recorded_date_problem, required_text

PAGE_SIZE = 25
# Roles that work on referrals in general; a volunteer without one of these sees only their own.


class TriageError(ValueError):
    """The decision cannot be taken as asked; the message says why."""


class AssignmentRefused(Refusal):
    """The referral and its case cannot be given to the person chosen; ``problems["assignee"]``
    says why."""


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    route: str | None = None
    assigned_to_me: bool = False
    awaiting_attestation: bool = False


def sees_everything(viewer: StaffUser) -> bool:
    return can(viewer, "read_casework")


def _scoped(statement: Select, viewer: StaffUser) -> Select:
    if sees_everything(viewer):
        return statement
    return statement.where(Referral.assigned_to_id == viewer.id)


def _awaiting_attestation() -> Select:
    has_attestation = select(ConsentAttestation.id).where(ConsentAttestation.referral_id == Referral.id).exists()
    return (Referral.route == "professional") & ~has_attestation  # type: ignore[return-value]


def _filtered(statement: Select, viewer: StaffUser, queue: QueueFilter) -> Select:
    statement = _scoped(statement, viewer)
    if queue.status in REFERRAL_STATUSES:
        statement = statement.where(Referral.status == queue.status)
    if queue.route in ROUTES:
        statement = statement.where(Referral.route == queue.route)
    if queue.assigned_to_me:
        statement = statement.where(Referral.assigned_to_id == viewer.id)
    if queue.awaiting_attestation:
        statement = statement.where(_awaiting_attestation())
    return statement


def queue_page(viewer: StaffUser, queue: QueueFilter, number: int = 1) -> Page[Referral]:
    """One page of the queue, newest first."""
    total = db.session.scalar(_filtered(select(func.count()).select_from(Referral), viewer, queue)) or 0
    number = page_number(number, total, PAGE_SIZE)
    # The queue shows no names, so the people are not loaded (nor decrypted) at all.
    rows = db.session.scalars(
        _filtered(select(Referral), viewer, queue)
        .options(selectinload(Referral.attestations))
        .order_by(Referral.submitted_at.desc(), Referral.id.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    return Page(list(rows), number, total, PAGE_SIZE)


def find_by_reference(viewer: StaffUser, text: str) -> Referral | None:
    """A referral by its reference as typed; ``references.InvalidReference`` says when the text
    is not a reference or has a mistake in it."""
    reference = references.parse(text, default_prefix="SPS")
    hashes = keyring().lookup_hashes(str(reference))
    return db.session.scalars(_scoped(select(Referral), viewer).where(Referral.reference_hash.in_(hashes))).first()


def find_by_email(viewer: StaffUser, email: str, actor: Actor) -> list[Referral]:
    """Referrals naming this e-mail address for anyone in them (people rarely keep a reference).
    The search itself is audited: it tells the searcher who has been in touch. The entry names
    whom they looked for by the address's keyed look-up hash, the one stored beside the people it
    matches, so the log can say who was searched for without holding the address itself (a hash
    made under a key since rotated away matches people only until ``rotate-keys`` re-keys them)."""
    normalised = normalise_email(email)
    ring = keyring()
    with_person = select(Person.referral_id).where(Person.email_hash.in_(ring.lookup_hashes(normalised)))
    found_ids = db.session.scalars(
        _scoped(select(Referral.id), viewer)
        .where(Referral.id.in_(with_person))
        .order_by(Referral.submitted_at.desc(), Referral.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    sought = ring.lookup_hash(normalised)
    audit.record(actor, "referrals searched by email", detail=f"email hash {sought}; {len(found_ids)} found")
    # Committed before the referrals are loaded, so the commit does not expire what the page shows.
    db.session.commit()
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.id.in_(found_ids))
            .options(selectinload(Referral.attestations))
            .order_by(Referral.submitted_at.desc(), Referral.id.desc())
        ).all()
    )


def get_referral(viewer: StaffUser, referral_id: int) -> Referral | None:
    """The referral, if the viewer may see it (for an action, which audits itself)."""
    return db.session.scalars(
        _scoped(select(Referral), viewer)
        .where(Referral.id == referral_id)
        .options(
            selectinload(Referral.people),
            selectinload(Referral.attestations).selectinload(ConsentAttestation.recorded_by),
        )
    ).first()


def view_referral(viewer: StaffUser, referral_id: int, actor: Actor) -> Referral | None:
    """The referral in full, if the viewer may see it; the look is audited. The audit entry is
    committed before the referral is loaded, so committing does not expire (and make the page
    load and decrypt again) what it is about to show."""
    visible = db.session.scalar(_scoped(select(Referral.id), viewer).where(Referral.id == referral_id))
    if visible is None:
        return None
    audit.record(actor, "referral viewed", "referral", referral_id)
    db.session.commit()
    return get_referral(viewer, referral_id)


def assignable_staff() -> list[StaffUser]:
    users = db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True))).all()
    return sorted(
        (user for user in users if can(user, "be_assigned")),
        key=lambda user: user.name.casefold(),
    )


def assign(referral: Referral, assignee_id: int | None, actor: Actor) -> StaffUser:
    """The one assignment rule, whichever page it is made from: the referral and the case opened
    from it go to the same person together. Moving only the case would leave the previous worker
    with the referral page, the family's details and a contact log that shows on the case.
    Returns the person they now belong to."""
    case = case_of(referral)
    if case is not None and case.status == "closed":
        raise AssignmentRefused({"assignee": "Reopen the case before assigning it"})
    assignee = db.session.get(StaffUser, assignee_id) if assignee_id else None
    if assignee is None or not assignee.active or not can(assignee, "be_assigned"):
        raise AssignmentRefused({"assignee": "Choose a caseworker or volunteer with an active account"})
    referral.assigned_to_id = assignee.id
    if case is None:
        audit.record(actor, "referral assigned", "referral", referral.id, detail=f"to staff {assignee.id}")
    else:
        case.assigned_to_id = assignee.id
        # Both records name each other, so the log filtered by either shows the move.
        audit.record(
            actor, "referral assigned", "referral", referral.id, detail=f"to staff {assignee.id}, with case {case.id}"
        )
        audit.record(
            actor, "case assigned", "case", case.id, detail=f"to staff {assignee.id}, with referral {referral.id}"
        )
    db.session.commit()
    return assignee


def case_of(referral: Referral) -> Case | None:
    return db.session.scalar(select(Case).where(Case.referral_id == referral.id))


def accept(referral: Referral, actor: Actor, today: dt.date, review_months: int) -> Case:
    """Open a case from the referral: the record casework builds on. Its first consent review
    falls due ``review_months`` from today."""
    if referral.status != "new":
        raise TriageError(f"This referral has already been {referral.status}")
    referral.status = "accepted"
    case = Case(
        referral_id=referral.id,
        opened_by_id=actor.staff_id,
        assigned_to_id=referral.assigned_to_id,
        status="open",
        consent_review_due=add_months(today, review_months),
        opened_at=actor.at,
    )
    db.session.add(case)
    db.session.flush()
    audit.record(actor, "referral accepted", "referral", referral.id, detail=f"case {case.id} opened")
    db.session.commit()
    return case


def decline(referral: Referral, reason: str, actor: Actor) -> None:
    """Close the referral with a reason; it then counts as closed for retention."""
    if referral.status != "new":
        raise TriageError(f"This referral has already been {referral.status}")
    try:
        referral.decline_reason = required_text(reason, "a reason for declining", LONG_TEXT_MAX, multiline=True)
    except InvalidInput as error:
        raise TriageError(str(error)) from None
    referral.status = "declined"
    referral.closed_on = actor.today  # the decision's date in London, whatever the hour in UTC
    audit.record(actor, "referral declined", "referral", referral.id)
    db.session.commit()


WITHDRAWAL_METHOD_LABELS = {
    "phone": "By phone",
    "email": "By email",
    "letter": "By letter",
    "in_person": "In person",
    "via_referrer": "Through the person who referred them",
}
WITHDRAWN_CASE_OUTCOME = "Family withdrew"


class WithdrawalRefused(Refusal):
    """The withdrawal cannot be recorded as given; ``problems`` maps form fields to what to correct."""


def withdraw(referral: Referral, withdrawn_on: dt.date | None, method: str | None, actor: Actor) -> None:
    """Record that the family no longer wants the service's help: the referral closes on the day
    they said so, and its case, if one is open, closes with it on that day, in one transaction."""
    problems = {}
    case = case_of(referral)
    if referral.status not in ("new", "accepted"):
        problems["withdrawn_on"] = f"This referral has already been {referral.status}"
    elif case is not None and case.status == "closed":
        # Its referral closed with the case; reopening the case is how the family comes back.
        problems["withdrawn_on"] = "The case opened from this referral is already closed"
    began, began_words = london_day(referral.submitted_at), "the day the referral was made"
    if case is not None:
        began, began_words = london_day(case.opened_at), "the day the case opened"
    if date_problem := recorded_date_problem(
        withdrawn_on, "the date the family withdrew", actor.today, began, began_words
    ):
        problems.setdefault("withdrawn_on", date_problem)
    if method not in WITHDRAWAL_METHODS:
        problems["withdrawal_method"] = "Select how the family told us"
    if problems:
        raise WithdrawalRefused(problems)
    assert withdrawn_on is not None and method is not None  # refused above otherwise
    if case is not None:
        close_without_committing(case, WITHDRAWN_CASE_OUTCOME, withdrawn_on, actor, actor.today)
    referral.status, referral.closed_on, referral.withdrawal_method = "withdrawn", withdrawn_on, method
    audit.record(actor, "referral withdrawn", "referral", referral.id, detail=f"on {withdrawn_on.isoformat()}")
    db.session.commit()


@dataclass(frozen=True)
class DashboardCounts:
    new: int
    awaiting_attestation: int
    assigned_to_me: int


def dashboard_counts(viewer: StaffUser) -> DashboardCounts:
    def count(queue: QueueFilter) -> int:
        return db.session.scalar(_filtered(select(func.count()).select_from(Referral), viewer, queue)) or 0

    return DashboardCounts(
        new=count(QueueFilter(status="new")),
        awaiting_attestation=count(QueueFilter(awaiting_attestation=True, status="new")),
        assigned_to_me=count(QueueFilter(assigned_to_me=True)),
    )
