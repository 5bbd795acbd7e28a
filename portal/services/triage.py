"""Triage: the referral queue, finding a referral, and the decisions taken on it.

Volunteers see only what is assigned to them (design section 5): every read here takes the viewer
and applies that scope in the query itself, so a direct link to another referral finds nothing.
Pages of the queue cost the same few queries however many referrals there are: one count, one
page of rows, and the names, attestations, assignees and cases of that page loaded together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import load_only, selectinload

from portal.crypto import keyring, normalise_email
from portal.extensions import db
from portal.models.cases import Case
from portal.models.referrals import REFERRAL_STATUSES, ROUTES, WITHDRAWAL_METHODS, ConsentAttestation, Person, Referral
from portal.models.staff import StaffUser
from portal.services import audit, clock, listing, references
from portal.services.accounts import access_gaps
from portal.services.audit import Actor
from portal.services.casework import close_without_committing
from portal.services.clock import add_months, london_day
from portal.services.listing import Sorting
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


QUEUE_SORTS = {"received": "Received", "waiting": "Days waiting", "status": "Status", "worker": "Worker"}
NEWEST_FIRST = Sorting("received", "descending")


@dataclass(frozen=True)
class QueueRow:
    """A referral as the queue shows it: who it is about, what they need, who has it, how long
    they waited."""

    referral: Referral
    family: listing.Family
    needs: str
    worker: str | None
    waiting: listing.Waiting | None
    awaiting_attestation: bool


def _queue_order(sorting: Sorting) -> list:
    if sorting.column == "waiting":
        # Days waiting grow with age among the referrals still waiting, so they come first, the
        # longest waiting first when descending; the others (waiting over) follow by date.
        still_waiting = listing.in_order(Referral.status, ("new",))
        oldest_first = Referral.submitted_at.asc() if sorting.descending else Referral.submitted_at.desc()
        return [still_waiting, oldest_first]
    if sorting.column == "status":
        return [
            listing.ordered(listing.in_order(Referral.status, REFERRAL_STATUSES), sorting),
            Referral.submitted_at.desc(),
        ]
    if sorting.column == "worker":
        return [listing.ordered(listing.worker_order(Referral.assigned_to_id), sorting), Referral.submitted_at.desc()]
    return [listing.ordered(Referral.submitted_at, sorting)]


def _rows(referrals: Sequence[Referral], today: dt.date) -> list[QueueRow]:
    """The page's rows with their people's names, their workers' names, which have an attestation
    and when their cases opened: one query each for the whole page, each reading (and decrypting)
    only the column it shows."""
    ids = [referral.id for referral in referrals]
    named, opened = listing.families(ids), listing.cases_opened(ids)
    workers = listing.staff_names(referral.assigned_to_id for referral in referrals)
    attested = set(
        db.session.scalars(select(ConsentAttestation.referral_id).where(ConsentAttestation.referral_id.in_(ids)))
    )
    return [
        QueueRow(
            referral=referral,
            family=named[referral.id],
            needs=listing.needs_line(referral.needs),
            worker=workers.get(referral.assigned_to_id) if referral.assigned_to_id else None,
            waiting=listing.waiting(referral.submitted_at, opened.get(referral.id), referral.status, today),
            awaiting_attestation=referral.route == "professional" and referral.id not in attested,
        )
        for referral in referrals
    ]


def _listed() -> tuple:
    """Only the columns a list shows: the others (the school, a decline's reason) stay encrypted."""
    return (
        load_only(
            Referral.id,
            Referral.reference,
            Referral.needs,
            Referral.route,
            Referral.status,
            Referral.assigned_to_id,
            Referral.submitted_at,
        ),
    )


def queue_page(
    viewer: StaffUser, queue: QueueFilter, actor: Actor, number: int = 1, sorting: Sorting = NEWEST_FIRST
) -> Page[QueueRow]:
    """One page of the queue, newest first unless another order is chosen. It names families, so
    the look is audited with the referrals it showed."""
    total = db.session.scalar(_filtered(select(func.count()).select_from(Referral), viewer, queue)) or 0
    number = page_number(number, total, PAGE_SIZE)
    ids = db.session.scalars(
        _filtered(select(Referral.id), viewer, queue)
        .order_by(*_queue_order(sorting), Referral.id.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    # Committed before the rows are loaded, so the commit does not expire what the page shows.
    audit.record(actor, "referral queue viewed", detail=listing.shown_detail("referrals", ids))
    db.session.commit()
    return Page(_rows(_in_order(ids), actor.today), number, total, PAGE_SIZE)


def _in_order(ids: Sequence[int]) -> list[Referral]:
    """The referrals with these ids, in this order, with what the list shows of them."""
    loaded = {
        referral.id: referral
        for referral in db.session.scalars(select(Referral).where(Referral.id.in_(ids)).options(*_listed()))
    }
    return [loaded[referral_id] for referral_id in ids]


def find_by_reference(viewer: StaffUser, text: str) -> Referral | None:
    """A referral by its reference as typed; ``references.InvalidReference`` says when the text
    is not a reference or has a mistake in it."""
    reference = references.parse(text, default_prefix="SPS")
    hashes = keyring().lookup_hashes(str(reference))
    return db.session.scalars(_scoped(select(Referral), viewer).where(Referral.reference_hash.in_(hashes))).first()


def find_by_email(viewer: StaffUser, email: str, actor: Actor) -> list[QueueRow]:
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
    return _rows(_in_order(found_ids), actor.today)


def find_by_person(viewer: StaffUser, search: listing.PersonSearch, actor: Actor) -> list[QueueRow]:
    """Referrals naming someone by full name, date of birth or postcode (``listing.SearchRefused``
    when nothing was typed), the newest ``PAGE_SIZE``. Audited like the e-mail search: the entry
    names the terms by their keyed hashes."""
    conditions, sought = listing.people_matching(search)
    found_ids = db.session.scalars(
        _scoped(select(Referral.id), viewer)
        .where(*conditions)
        .order_by(Referral.submitted_at.desc(), Referral.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    audit.record(actor, "referrals searched by person", detail=f"{sought}; {len(found_ids)} found")
    # Committed before the referrals are loaded, so the commit does not expire what the page shows.
    db.session.commit()
    return _rows(_in_order(found_ids), actor.today)


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


# Enough to send the worker to the family's history; more would only lengthen the warning.
SAME_CHILD_SHOWN = 5


@dataclass(frozen=True)
class SameChild:
    """Another referral, one the viewer may open, naming a child with the same name and date of
    birth: most likely the same child, referred again."""

    referral_id: int
    reference: str
    status: str
    case_id: int | None


@dataclass(frozen=True)
class ReferralView:
    referral: Referral
    same_child: list[SameChild]


def _same_child(viewer: StaffUser, referral_id: int) -> Select:
    """Other referrals whose child has this referral's child's name-and-birthday look-up hash.
    Both sides compare stored hashes, so nobody's name or date of birth is decrypted to find them
    (``rotate-keys`` re-keys every row together, so the hashes stay comparable); only the few
    references shown are."""
    this_child = (
        select(Person.identity_hash).where(Person.referral_id == referral_id, Person.role == "child").scalar_subquery()
    )
    return (
        _scoped(select(Referral.id, Referral.reference, Referral.status, Case.id.label("case_id")), viewer)
        .join(Person, (Person.referral_id == Referral.id) & (Person.role == "child"))
        .outerjoin(Case, Case.referral_id == Referral.id)
        .where(Person.identity_hash == this_child, Referral.id != referral_id)
        .order_by(Referral.submitted_at.desc(), Referral.id.desc())
        .limit(SAME_CHILD_SHOWN)
    )


def view_referral(viewer: StaffUser, referral_id: int, actor: Actor) -> ReferralView | None:
    """The referral in full, if the viewer may see it, with the other referrals of the same child
    that the viewer may open. The look is audited, naming those others when there are any (being
    shown them tells the viewer the child was referred before); one entry either way, so the
    page's statements do not depend on what it finds. The entry is committed before the referral
    is loaded, so committing does not expire (and make the page load and decrypt again) what it
    is about to show."""
    visible = db.session.scalar(_scoped(select(Referral.id), viewer).where(Referral.id == referral_id))
    if visible is None:
        return None
    same_child = [SameChild(*row) for row in db.session.execute(_same_child(viewer, referral_id)).all()]
    shown = ", ".join(str(other.referral_id) for other in same_child)
    audit.record(
        actor, "referral viewed", "referral", referral_id, detail=f"same child as referrals {shown}" if shown else None
    )
    db.session.commit()
    referral = get_referral(viewer, referral_id)
    if referral is None:
        return None  # reassigned away from a volunteer between the two reads
    return ReferralView(referral, same_child)


ASSIGNEE_NOT_CLEARED = (
    "Choose someone whose account is active and whose confidentiality training is in date "
    "(and, for a volunteer, who has signed the current Volunteer Agreement)"
)


def may_be_assigned(user: StaffUser, today: dt.date) -> bool:
    """Whether a family's records may be given to ``user`` today: an active account of a role that
    takes work, with nothing pausing their access to personal data (policy: confidentiality
    training in date and, for a volunteer, the current Volunteer Agreement signed). Giving work to
    someone who could not open it would leave the family waiting on nobody."""
    config = current_app.config
    return (
        user.active
        and can(user, "be_assigned")
        and not access_gaps(user, today, config["TRAINING_VALID_MONTHS"], config["VOLUNTEER_AGREEMENT_VERSION"])
    )


def assignable_staff(today: dt.date | None = None) -> list[StaffUser]:
    """Everyone a referral or case may be given to on ``today`` (by default the London date now),
    by name."""
    on = today or clock.london_today()
    users = db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True))).all()
    return sorted((user for user in users if may_be_assigned(user, on)), key=lambda user: user.name.casefold())


def assign(referral: Referral, assignee_id: int | None, actor: Actor) -> StaffUser:
    """The one assignment rule, whichever page it is made from: the referral and the case opened
    from it go to the same person together. Moving only the case would leave the previous worker
    with the referral page, the family's details and a contact log that shows on the case.
    Returns the person they now belong to."""
    case = case_of(referral)
    if case is not None and case.status == "closed":
        raise AssignmentRefused({"assignee": "Reopen the case before assigning it"})
    assignee = db.session.get(StaffUser, assignee_id) if assignee_id else None
    if assignee is None:
        raise AssignmentRefused({"assignee": "Choose a caseworker or volunteer"})
    if not may_be_assigned(assignee, actor.today):
        raise AssignmentRefused({"assignee": ASSIGNEE_NOT_CLEARED})
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


ATTESTATION_FIRST = (
    "Record the consent attestation before accepting this referral: a case means working with the "
    "family, and nobody may contact them until their consent is on record"
)


def awaits_attestation(referral: Referral) -> bool:
    """A professional referral with no consent attestation yet (policy: no contact, so no case,
    until the family's consent is on record)."""
    return referral.route == "professional" and not referral.attestations


def case_of(referral: Referral) -> Case | None:
    return db.session.scalar(select(Case).where(Case.referral_id == referral.id))


def accept(referral: Referral, actor: Actor, today: dt.date, review_months: int) -> Case:
    """Open a case from the referral: the record casework builds on. Its first consent review
    falls due ``review_months`` from today."""
    if referral.status != "new":
        raise TriageError(f"This referral has already been {referral.status}")
    if awaits_attestation(referral):
        raise TriageError(ATTESTATION_FIRST)
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
