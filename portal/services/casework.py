"""Casework: the cases list, a case and its timeline, notes, details and closure (design 6.3, 6.4,
6.7). Assigning a case is triage's one assignment rule (``triage.assign``), which moves its referral
too.

Edits carry the version the person saw: a save made against an older version is refused with an
``EditConflict`` holding both texts, so two people editing at once never silently overwrite each
other and nothing typed is lost. A case's pages cost the same handful of queries however long its
timeline: each kind of entry is loaded in one query (by ``case_records``, which the subject access
response reads through too), and the staff named in them in one more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.crypto import keyring
from portal.extensions import db
from portal.models.cases import CASE_STATUSES, Case, CaseNote, CaseNoteRevision, ContactEntry
from portal.models.consent import ConsentRecord, Disclosure
from portal.models.referrals import Referral
from portal.models.staff import StaffUser
from portal.services import audit, case_records, listing, references
from portal.services.audit import Actor
from portal.services.case_codes import INTERVENTION_LEVELS, TOPICS
from portal.services.clock import add_months, as_utc, london_day, long_date
from portal.services.listing import Sorting
from portal.services.problems import Page, Refusal, page_number
from portal.services.roles import can
from portal.services.validation import long_text, recorded_date_problem, retention_ends

PAGE_SIZE = 25
REVIEW_SOON_DAYS = 30


class CaseworkError(Refusal):
    """The change cannot be made as asked; ``problems`` maps form fields to what to correct."""


class EditConflict(Exception):
    """Someone else saved first. ``saved`` is what is stored now, ``yours`` what was typed."""

    def __init__(self, saved: str, yours: str, saved_by: str, version: int) -> None:
        super().__init__("Someone else saved a change while you were editing")
        self.saved, self.yours, self.saved_by, self.version = saved, yours, saved_by, version


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    worker_id: int | None = None
    mine: bool = False
    review_due: bool = False
    review_overdue: bool = False


def sees_every_case(viewer: StaffUser) -> bool:
    return can(viewer, "read_casework")


def _scoped(statement: Select, viewer: StaffUser) -> Select:
    if sees_every_case(viewer):
        return statement
    return statement.where(Case.assigned_to_id == viewer.id)


def _filtered(statement: Select, viewer: StaffUser, cases: CaseFilter, today: dt.date) -> Select:
    statement = _scoped(statement, viewer)
    if cases.status:
        statement = statement.where(Case.status == cases.status)
    if cases.worker_id:
        statement = statement.where(Case.assigned_to_id == cases.worker_id)
    if cases.mine:
        statement = statement.where(Case.assigned_to_id == viewer.id)
    # "open or inactive" rather than "not closed": a range the status index can answer directly.
    if cases.review_overdue:
        statement = statement.where(Case.status.in_(("open", "inactive")), Case.consent_review_due < today)
    elif cases.review_due:
        soon = today + dt.timedelta(days=REVIEW_SOON_DAYS)
        statement = statement.where(Case.status.in_(("open", "inactive")), Case.consent_review_due <= soon)
    return statement


CASE_SORTS = {"opened": "Opened", "status": "Status", "worker": "Worker", "review": "Consent review"}
NEWEST_FIRST = Sorting("opened", "descending")


@dataclass(frozen=True)
class CaseRow:
    """A case as the list shows it: who it is about, what they need, who has it, how long the
    family waited for it to open."""

    case: Case
    family: listing.Family
    needs: str
    worker: str | None
    waiting: listing.Waiting | None


def _case_order(sorting: Sorting) -> list[Any]:
    if sorting.column == "status":
        return [listing.ordered(listing.in_order(Case.status, CASE_STATUSES), sorting), Case.opened_at.desc()]
    if sorting.column == "worker":
        return [listing.ordered(listing.worker_order(Case.assigned_to_id), sorting), Case.opened_at.desc()]
    if sorting.column == "review":
        return [listing.ordered(Case.consent_review_due, sorting), Case.opened_at.desc()]
    return [listing.ordered(Case.opened_at, sorting)]


def cases_page(
    viewer: StaffUser, cases: CaseFilter, actor: Actor, number: int = 1, sorting: Sorting = NEWEST_FIRST
) -> Page[CaseRow]:
    """One page of the list, newest first unless another order is chosen. It names families, so
    the look is audited with the cases it showed."""
    today = actor.today
    total = db.session.scalar(_filtered(select(func.count()).select_from(Case), viewer, cases, today)) or 0
    number = page_number(number, total, PAGE_SIZE)
    ids = db.session.scalars(
        _filtered(select(Case.id), viewer, cases, today)
        .order_by(*_case_order(sorting), Case.id.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    # Committed before the rows are loaded, so the commit does not expire what the page shows.
    audit.record(actor, "case list viewed", detail=listing.shown_detail("cases", ids))
    db.session.commit()
    return Page(_case_rows(_cases_in_order(ids), today), number, total, PAGE_SIZE)


def _cases_in_order(ids: Sequence[int]) -> list[Case]:
    """The cases with these ids, in this order, with their referrals and workers."""
    loaded = {
        each.id: each
        for each in db.session.scalars(
            select(Case)
            .where(Case.id.in_(ids))
            .options(
                selectinload(Case.referral).load_only(
                    Referral.id, Referral.reference, Referral.needs, Referral.status, Referral.submitted_at
                )
            )
        )
    }
    return [loaded[case_id] for case_id in ids]


def _case_rows(found: Sequence[Case], today: dt.date) -> list[CaseRow]:
    """The page's rows with their families' and workers' names, one query each for the page."""
    named = listing.families(each.referral_id for each in found)
    workers = listing.staff_names(each.assigned_to_id for each in found)
    return [
        CaseRow(
            case=each,
            family=named[each.referral_id],
            needs=listing.needs_line(each.referral.needs),
            worker=workers.get(each.assigned_to_id) if each.assigned_to_id else None,
            waiting=listing.waiting(each.referral.submitted_at, each.opened_at, each.referral.status, today),
        )
        for each in found
    ]


def find_by_person(viewer: StaffUser, search: listing.PersonSearch, actor: Actor) -> list[CaseRow]:
    """Cases whose referral names someone by full name, date of birth or postcode
    (``listing.SearchRefused`` when nothing was typed), the newest ``PAGE_SIZE``; audited by the
    terms' keyed hashes, like the referral searches."""
    conditions, sought = listing.people_matching(search)
    found_ids = db.session.scalars(
        _scoped(select(Case.id), viewer)
        .join(Case.referral)
        .where(*conditions)
        .order_by(Case.opened_at.desc(), Case.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    audit.record(actor, "cases searched by person", detail=f"{sought}; {len(found_ids)} found")
    db.session.commit()  # before loading, so the commit does not expire what the page shows
    return _case_rows(_cases_in_order(found_ids), actor.today)


def overdue_reviews(viewer: StaffUser, today: dt.date) -> int:
    """Open cases whose consent review is overdue: the viewer's own, or all for a manager."""
    cases = CaseFilter(review_overdue=True, mine=not can(viewer, "oversee_casework"))
    return db.session.scalar(_filtered(select(func.count()).select_from(Case), viewer, cases, today)) or 0


def find_by_reference(viewer: StaffUser, text: str) -> Case | None:
    """The case opened from the referral with this reference (``references.InvalidReference``
    when the text is not a reference)."""
    reference = references.parse(text, default_prefix="SPS")
    hashes = keyring().lookup_hashes(str(reference))
    return db.session.scalars(
        _scoped(select(Case), viewer).join(Case.referral).where(Referral.reference_hash.in_(hashes))
    ).first()


def get_case(viewer: StaffUser, case_id: int) -> Case | None:
    return db.session.scalars(
        _scoped(select(Case), viewer)
        .where(Case.id == case_id)
        .options(selectinload(Case.referral).selectinload(Referral.people), selectinload(Case.assigned_to))
    ).first()


def view_case(viewer: StaffUser, case_id: int, actor: Actor, page: str | None = None) -> Case | None:
    """The case, if the viewer may see it; the look is audited, naming the ``page`` of the case
    it was (none for the overview), committed before loading, so the commit does not expire what
    the page shows."""
    visible = db.session.scalar(_scoped(select(Case.id), viewer).where(Case.id == case_id))
    if visible is None:
        return None
    audit.record(actor, "case viewed", "case", case_id, detail=page)
    db.session.commit()
    return get_case(viewer, case_id)


def view_case_for_printing(viewer: StaffUser, case_id: int, actor: Actor) -> Case | None:
    """The case for its print summary, if the viewer may see it and print personal data
    (volunteers never may: policy, and design rule 9). Opening it is audited as a print, since
    that is what the page is for. ``PrintRefused`` for someone who may see but not print."""
    if not can(viewer, "download_personal_data"):
        raise PrintRefused
    visible = db.session.scalar(_scoped(select(Case.id), viewer).where(Case.id == case_id))
    if visible is None:
        return None
    audit.record(actor, "case summary printed", "case", case_id)
    db.session.commit()
    return get_case(viewer, case_id)


class PrintRefused(Exception):
    """The viewer may see the case but not print, export or download personal data."""


@dataclass(frozen=True)
class CaseFacts:
    """What the overview says in a line each, counted in the database (one query each, however
    long the case)."""

    current_consents: int
    last_contact_on: dt.date | None
    notes: int
    awaiting_approval: int


def case_facts(case: Case) -> CaseFacts:
    current = db.session.scalar(
        select(func.count())
        .select_from(ConsentRecord)
        .where(ConsentRecord.case_id == case.id, ConsentRecord.withdrawn_on.is_(None))
    )
    last_contact = db.session.scalar(
        select(func.max(ContactEntry.occurred_on)).where(
            (ContactEntry.case_id == case.id) | (ContactEntry.referral_id == case.referral_id)
        )
    )
    notes = db.session.scalar(select(func.count()).select_from(CaseNote).where(CaseNote.case_id == case.id))
    awaiting = db.session.scalar(
        select(func.count())
        .select_from(Disclosure)
        .where(Disclosure.case_id == case.id, Disclosure.status == "pending")
    )
    return CaseFacts(current or 0, last_contact, notes or 0, awaiting or 0)


def record_note_view(note: CaseNote, actor: Actor) -> None:
    """A note shown on a page of its own (to edit it, or beside a colleague's newer save): the
    look is audited as a look at the case, naming the note."""
    audit.record(actor, "case note viewed", "case", note.case_id, detail=f"note {note.id}")
    db.session.commit()


def case_for_disclosures(case_id: int, actor: Actor) -> Case | None:
    """A case for its list of disclosures: the data protection team sees any case's list, but
    nothing else of the casework. The look is audited."""
    found = db.session.get(Case, case_id)
    if found is not None:
        audit.record(actor, "disclosures viewed", "case", case_id)
        db.session.commit()
    return found


def note_on(case: Case, note_id: int) -> CaseNote | None:
    return db.session.scalar(select(CaseNote).where(CaseNote.id == note_id, CaseNote.case_id == case.id))


def consent_on(case: Case, consent_id: int) -> ConsentRecord | None:
    return db.session.scalar(
        select(ConsentRecord).where(ConsentRecord.id == consent_id, ConsentRecord.case_id == case.id)
    )


TIMELINE_KINDS = {
    "note": "Notes",
    "contact": "Contacts",
    "consent": "Consent given",
    "consent withdrawn": "Consent withdrawn",
    "review": "Consent reviews",
    "disclosure": "Disclosures",
}


@dataclass
class TimelineEntry:
    kind: str  # a key of TIMELINE_KINDS
    on: dt.date
    at: dt.datetime
    item: Any  # the columns the page shows (a read-only row), or a ConsentShown
    by: str = ""
    revisions: list[Any] = field(default_factory=list)
    revision_authors: dict[int, str] = field(default_factory=dict)
    approved_by: str = ""


def sees_note_revisions(viewer: StaffUser) -> bool:
    """Earlier versions of notes are for the Strategic Manager's oversight."""
    return can(viewer, "oversee_casework")


def timeline(case: Case, viewer: StaffUser, kinds: frozenset[str] | None = None) -> list[TimelineEntry]:
    """Every note, contact, consent event, review and shared disclosure on the case (and the
    contacts logged while it was a referral), newest first; only those of ``kinds`` when given.
    Read by ``case_records``, as the subject access response reads them. Earlier versions of notes
    are loaded (and decrypted) only for a viewer who may see them."""
    records = case_records.read(case.referral_id, case.id, with_revisions=sees_note_revisions(viewer))
    names = records.names
    entries = []
    for note in records.notes:
        versions = records.revisions.get(note.id, [])
        entries.append(
            TimelineEntry(
                "note",
                london_day(note.written_at),
                note.written_at,
                note,
                names.get(note.written_by_id, ""),
                versions,
                {revision.written_by_id: names.get(revision.written_by_id, "") for revision in versions},
            )
        )
    entries += [
        TimelineEntry("contact", c.occurred_on, c.recorded_at, c, names.get(c.recorded_by_id, ""))
        for c in records.contacts
    ]
    for consent in records.consents:
        entries.append(
            TimelineEntry(
                "consent", consent.given_on, consent.recorded_at, consent, names.get(consent.recorded_by_id, "")
            )
        )
        if consent.withdrawn_on:
            withdrawn_by = names.get(consent.withdrawal_recorded_by_id or 0, "")
            entries.append(
                TimelineEntry("consent withdrawn", consent.withdrawn_on, consent.recorded_at, consent, withdrawn_by)
            )
    entries += [
        TimelineEntry("review", r.reviewed_on, r.recorded_at, r, names.get(r.recorded_by_id, ""))
        for r in records.reviews
    ]
    entries += [
        TimelineEntry(
            "disclosure",
            d.disclosed_on,
            d.recorded_at,
            d,
            names.get(d.recorded_by_id, ""),
            approved_by=names.get(d.decided_by_id or 0, ""),
        )
        for d in records.shared_disclosures
    ]
    if kinds:
        entries = [entry for entry in entries if entry.kind in kinds]
    entries.sort(key=lambda entry: (entry.on, as_utc(entry.at)), reverse=True)
    return entries


def parties_to_disclose_to(entries: list[TimelineEntry]) -> list[Any]:
    """The third parties named in the case's current consents, as ``disclosures.named_parties``
    finds them (the choices of the disclosure form), read from the timeline already loaded rather
    than loaded and decrypted a second time."""
    consents = [entry.item for entry in entries if entry.kind == "consent"]
    return sorted(
        (party for consent in consents if consent.current for party in consent.parties), key=lambda party: party.id
    )


def _refuse_if_closed(case: Case, field: str, doing: str) -> None:
    if case.status == "closed":
        raise CaseworkError({field: f"Reopen the case before {doing}"})


def _note_text(text: str) -> str:
    problems: dict[str, str] = {}
    cleaned = long_text(text, "the note", "note", problems)
    if cleaned is None:
        raise CaseworkError(problems)
    return cleaned


def add_note(case: Case, text: str, actor: Actor) -> CaseNote:
    _refuse_if_closed(case, "note", "adding a note")
    text = _note_text(text)
    note = CaseNote(case_id=case.id, text=text, written_by_id=actor.staff_id, version=1, written_at=actor.at)
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "case note added", "case", case.id, detail=f"note {note.id}")
    db.session.commit()
    return note


def edit_note(note: CaseNote, text: str, seen_version: int, actor: Actor) -> CaseNote:
    """Replace a note's text, keeping the earlier text as a revision. Refused with the saved and
    the typed text when someone else saved since ``seen_version``."""
    _refuse_if_closed(db.session.get(Case, note.case_id), "note", "editing its notes")
    text = _note_text(text)
    if note.version != seen_version:
        raise _note_conflict(note, text)
    note.revisions.append(
        CaseNoteRevision(
            version=note.version,
            text=note.text,
            written_by_id=note.written_by_id,
            written_at=note.edited_at or note.written_at,
        )
    )
    # The UPDATE is guarded on the version read, so a save racing this one in another process
    # fails here rather than overwriting.
    updated = db.session.execute(
        db.update(CaseNote)
        .where(CaseNote.id == note.id, CaseNote.version == seen_version)
        .values(text=text, version=seen_version + 1, written_by_id=actor.staff_id, edited_at=actor.at)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount != 1:
        db.session.rollback()
        db.session.refresh(note)
        raise _note_conflict(note, text)
    audit.record(actor, "case note edited", "case", note.case_id, detail=f"note {note.id} version {seen_version + 1}")
    db.session.commit()
    db.session.refresh(note)
    return note


def _note_conflict(note: CaseNote, yours: str) -> EditConflict:
    author = db.session.get(StaffUser, note.written_by_id)
    return EditConflict(note.text, yours, author.name if author else "", note.version)


@dataclass(frozen=True)
class CaseDetails:
    topic: str | None  # a code of case_codes.TOPICS
    intervention_level: str | None  # a code of case_codes.INTERVENTION_LEVELS
    status: str  # open or inactive; closing has its own step


def update_details(case: Case, details: CaseDetails, seen_version: int, actor: Actor) -> None:
    problems = {}
    if details.topic and details.topic not in TOPICS:
        problems["topic"] = "Choose a topic from the list"
    if details.intervention_level and details.intervention_level not in INTERVENTION_LEVELS:
        problems["intervention_level"] = "Choose a level from the list"
    if details.status not in ("open", "inactive"):
        problems["status"] = "Choose open or inactive (close a case with Close case)"
    if case.status == "closed":
        problems["status"] = "Reopen the case before changing it"
    if problems:
        raise CaseworkError(problems)
    if case.version != seen_version:
        raise EditConflict(_describe(case), _describe_details(details), "", case.version)
    case.topic, case.intervention_level, case.status = details.topic, details.intervention_level, details.status
    audit.record(actor, "case details changed", "case", case.id)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(case)
        raise EditConflict(_describe(case), _describe_details(details), "", case.version) from None


def _describe(case: Case) -> str:
    return _describe_details(CaseDetails(case.topic, case.intervention_level, case.status))


def _describe_details(details: CaseDetails) -> str:
    topic = TOPICS.get(details.topic or "", "none")
    level = INTERVENTION_LEVELS.get(details.intervention_level or "", "none")
    return f"Topic: {topic}\nLevel: {level}\nStatus: {details.status}"


def destruction_date(case: Case, retention_years: int) -> dt.date | None:
    """When the case's records are due for destruction: 3 years (by default) from closure."""
    return retention_ends(case.closed_on, retention_years)


def close(case: Case, outcome: str, closed_on: dt.date | None, actor: Actor, today: dt.date) -> None:
    close_without_committing(case, outcome, closed_on, actor, today)
    db.session.commit()


@dataclass(frozen=True)
class Closure:
    """A closure that passed the closing rules, for the page that asks "are you sure"."""

    outcome: str
    closed_on: dt.date
    destroyed_on: dt.date | None


def check_closure(case: Case, outcome: str, closed_on: dt.date | None, today: dt.date, retention_years: int) -> Closure:
    """The closure as it would be made, changing nothing; ``CaseworkError`` with what to correct."""
    cleaned, day = _closing_problems(case, outcome, closed_on, today)
    return Closure(cleaned, day, retention_ends(day, retention_years))


def _closing_problems(case: Case, outcome: str, closed_on: dt.date | None, today: dt.date) -> tuple[str, dt.date]:
    """The outcome, cleaned, and the date; ``CaseworkError`` when the closure breaks a rule."""
    problems = {}
    cleaned_outcome = long_text(outcome, "the outcome", "case_outcome", problems)
    opened_on = london_day(case.opened_at)
    if closed_on_problem := recorded_date_problem(
        closed_on, "the date the case closed", today, opened_on, "the day it opened"
    ):
        problems["closed_on"] = closed_on_problem
    if case.status == "closed":
        problems["case_outcome"] = "This case is already closed"
    if problems or cleaned_outcome is None or closed_on is None:
        raise CaseworkError(problems)
    return cleaned_outcome, closed_on


def close_without_committing(case: Case, outcome: str, closed_on: dt.date | None, actor: Actor, today: dt.date) -> None:
    """The closing rules, for a step that closes a case as part of something larger (a withdrawn
    referral) in its own transaction. The referral closes with its case, on the same day."""
    cleaned_outcome, closed_on = _closing_problems(case, outcome, closed_on, today)
    case.status, case.outcome, case.closed_on, case.closed_at = "closed", cleaned_outcome, closed_on, actor.at
    case.consent_review_due = None
    case.referral.closed_on = closed_on
    audit.record(actor, "case closed", "case", case.id, detail=f"with referral {case.referral_id}")


def reopen(case: Case, actor: Actor, today: dt.date, retention_years: int, review_months: int) -> None:
    """Possible until the records are due for destruction; the consent review clock restarts.
    The referral is open again with it (its closing date cleared, so retention waits for the next
    closure); a family who had withdrawn has come back, so their referral is accepted again."""
    if case.status != "closed":
        raise CaseworkError({"reopen": "This case is not closed"})
    due = destruction_date(case, retention_years)
    if due is not None and due <= today:
        raise CaseworkError({"reopen": f"This case's records were due for destruction on {long_date(due)}"})
    case.status, case.closed_on, case.closed_at = "open", None, None
    case.consent_review_due = add_months(today, review_months)
    referral = case.referral
    referral.closed_on = None
    if referral.status == "withdrawn":
        referral.status, referral.withdrawal_method = "accepted", None
        audit.record(actor, "case reopened", "case", case.id, detail="the family's withdrawal is set aside")
    else:
        audit.record(actor, "case reopened", "case", case.id)
    db.session.commit()
