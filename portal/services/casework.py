"""Casework: the cases list, a case and its timeline, notes, details and closure (design 6.3, 6.4,
6.7). Assigning a case is triage's one assignment rule (``triage.assign``), which moves its referral
too.

Edits carry the version the person saw: a save made against an older version is refused with an
``EditConflict`` holding both texts, so two people editing at once never silently overwrite each
other and nothing typed is lost. A case page costs the same handful of queries however long its
timeline: each kind of entry is loaded in one query, and the staff named in them in one more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.crypto import keyring
from portal.extensions import db
from portal.models.cases import Case, CaseNote, CaseNoteRevision, ContactEntry
from portal.models.consent import ConsentParty, ConsentRecord, ConsentReview, Disclosure
from portal.models.referrals import Referral
from portal.models.staff import StaffUser
from portal.services import accounts, audit, references
from portal.services.audit import Actor
from portal.services.case_codes import INTERVENTION_LEVELS, TOPICS
from portal.services.clock import add_months, as_utc, london_day, long_date
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


def cases_page(viewer: StaffUser, cases: CaseFilter, today: dt.date, number: int = 1) -> Page[Case]:
    total = db.session.scalar(_filtered(select(func.count()).select_from(Case), viewer, cases, today)) or 0
    number = page_number(number, total, PAGE_SIZE)
    rows = db.session.scalars(
        _filtered(select(Case), viewer, cases, today)
        .options(selectinload(Case.referral), selectinload(Case.assigned_to))
        .order_by(Case.opened_at.desc(), Case.id.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    return Page(list(rows), number, total, PAGE_SIZE)


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


def view_case(viewer: StaffUser, case_id: int, actor: Actor) -> Case | None:
    """The case, if the viewer may see it; the look is audited (committed before loading, so the
    commit does not expire what the page shows)."""
    visible = db.session.scalar(_scoped(select(Case.id), viewer).where(Case.id == case_id))
    if visible is None:
        return None
    audit.record(actor, "case viewed", "case", case_id)
    db.session.commit()
    return get_case(viewer, case_id)


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


@dataclass(frozen=True)
class ConsentShown:
    """A consent as the case page shows it (its card and its timeline entries): plain values read
    for the page, not a record to change."""

    id: int
    given_by: str
    given_on: dt.date
    method: str
    keeps_contact_information: bool
    privacy_notice_version: str
    child_view_sought: bool | None
    child_view: str | None
    withdrawn_on: dt.date | None
    withdrawn_by: str | None
    withdrawn_method: str | None
    parties: list[Any]  # the third parties it covers (rows of id and name), in the order they were recorded

    @property
    def current(self) -> bool:
        return self.withdrawn_on is None


@dataclass
class TimelineEntry:
    kind: str  # note, contact, consent, consent withdrawn, review, disclosure
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


def timeline(case: Case, viewer: StaffUser) -> list[TimelineEntry]:
    """Every note, contact, consent event, review and disclosure on the case (and the contacts
    logged while it was a referral), newest first. Earlier versions of notes are loaded (and
    decrypted) only for a viewer who may see them.

    The timeline is only read, so each kind of entry is one query for the columns the page shows,
    as plain rows: no ORM objects to build and track (a long timeline is hundreds of rows), and
    nothing decrypted that the page does not print (a disclosure's justification, say)."""
    with_revisions = sees_note_revisions(viewer)
    notes = db.session.execute(
        select(
            CaseNote.id,
            CaseNote.text,
            CaseNote.version,
            CaseNote.written_by_id,
            CaseNote.written_at,
            CaseNote.edited_at,
        ).where(CaseNote.case_id == case.id)
    ).all()
    revisions: dict[int, list[Any]] = {}
    if with_revisions:
        for revision in db.session.execute(
            select(
                CaseNoteRevision.note_id,
                CaseNoteRevision.version,
                CaseNoteRevision.text,
                CaseNoteRevision.written_by_id,
                CaseNoteRevision.written_at,
            )
            .join(CaseNote, CaseNote.id == CaseNoteRevision.note_id)
            .where(CaseNote.case_id == case.id)
            .order_by(CaseNoteRevision.note_id, CaseNoteRevision.version.desc())
        ):
            revisions.setdefault(revision.note_id, []).append(revision)
    contacts = db.session.execute(
        select(
            ContactEntry.occurred_on,
            ContactEntry.method,
            ContactEntry.direction,
            ContactEntry.summary,
            ContactEntry.recorded_by_id,
            ContactEntry.recorded_at,
        ).where((ContactEntry.case_id == case.id) | (ContactEntry.referral_id == case.referral_id))
    ).all()
    consents = _consents_shown(case)
    reviews = db.session.execute(
        select(
            ConsentReview.reviewed_on,
            ConsentReview.outcome,
            ConsentReview.next_due,
            ConsentReview.recorded_by_id,
            ConsentReview.recorded_at,
        ).where(ConsentReview.case_id == case.id)
    ).all()
    # Only approved disclosures were shared; one awaiting approval or declined is not on the timeline.
    disclosures = db.session.execute(
        select(
            Disclosure.id,
            Disclosure.disclosed_on,
            Disclosure.recipient,
            Disclosure.what_was_shared,
            Disclosure.basis,
            Disclosure.recorded_by_id,
            Disclosure.decided_by_id,
            Disclosure.recorded_at,
        ).where(Disclosure.case_id == case.id, Disclosure.shared)
    ).all()

    staff_ids = {note.written_by_id for note in notes}
    staff_ids |= {revision.written_by_id for versions in revisions.values() for revision in versions}
    staff_ids |= {entry.recorded_by_id for entry in (*contacts, *reviews, *disclosures)}
    staff_ids |= {consent.recorded_by_id for consent, _ in consents}
    staff_ids |= {consent.withdrawal_recorded_by_id for consent, _ in consents if consent.withdrawal_recorded_by_id}
    staff_ids |= {disclosure.decided_by_id for disclosure in disclosures if disclosure.decided_by_id}
    names = accounts.staff_names(staff_ids)

    entries = []
    for note in notes:
        versions = revisions.get(note.id, [])
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
        TimelineEntry("contact", c.occurred_on, c.recorded_at, c, names.get(c.recorded_by_id, "")) for c in contacts
    ]
    for row, consent in consents:
        entries.append(
            TimelineEntry("consent", consent.given_on, row.recorded_at, consent, names.get(row.recorded_by_id, ""))
        )
        if consent.withdrawn_on:
            withdrawn_by = names.get(row.withdrawal_recorded_by_id or 0, "")
            entries.append(
                TimelineEntry("consent withdrawn", consent.withdrawn_on, row.recorded_at, consent, withdrawn_by)
            )
    entries += [
        TimelineEntry("review", r.reviewed_on, r.recorded_at, r, names.get(r.recorded_by_id, "")) for r in reviews
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
        for d in disclosures
    ]
    entries.sort(key=lambda entry: (entry.on, as_utc(entry.at)), reverse=True)
    return entries


def _consents_shown(case: Case) -> list[tuple[Any, ConsentShown]]:
    """The case's consents with the names of the parties each covers (two queries however many),
    each beside the row it came from (who recorded it and when, for its timeline entries)."""
    parties: dict[int, list[Any]] = {}
    for party in db.session.execute(
        select(ConsentParty.consent_id, ConsentParty.id, ConsentParty.name)
        .join(ConsentRecord, ConsentRecord.id == ConsentParty.consent_id)
        .where(ConsentRecord.case_id == case.id)
        .order_by(ConsentParty.id)
    ):
        parties.setdefault(party.consent_id, []).append(party)
    rows = db.session.execute(
        select(
            ConsentRecord.id,
            ConsentRecord.given_by,
            ConsentRecord.given_on,
            ConsentRecord.method,
            ConsentRecord.keeps_contact_information,
            ConsentRecord.privacy_notice_version,
            ConsentRecord.child_view_sought,
            ConsentRecord.child_view,
            ConsentRecord.withdrawn_on,
            ConsentRecord.withdrawn_by,
            ConsentRecord.withdrawn_method,
            ConsentRecord.recorded_by_id,
            ConsentRecord.recorded_at,
            ConsentRecord.withdrawal_recorded_by_id,
        ).where(ConsentRecord.case_id == case.id)
    ).all()
    return [
        (
            row,
            ConsentShown(
                row.id,
                row.given_by,
                row.given_on,
                row.method,
                row.keeps_contact_information,
                row.privacy_notice_version,
                row.child_view_sought,
                row.child_view,
                row.withdrawn_on,
                row.withdrawn_by,
                row.withdrawn_method,
                parties.get(row.id, []),
            ),
        )
        for row in rows
    ]


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


def close_without_committing(case: Case, outcome: str, closed_on: dt.date | None, actor: Actor, today: dt.date) -> None:
    """The closing rules, for a step that closes a case as part of something larger (a withdrawn
    referral) in its own transaction. The referral closes with its case, on the same day."""
    problems = {}
    cleaned_outcome = long_text(outcome, "the outcome", "case_outcome", problems)
    opened_on = london_day(case.opened_at)
    if closed_on_problem := recorded_date_problem(
        closed_on, "the date the case closed", today, opened_on, "the day it opened"
    ):
        problems["closed_on"] = closed_on_problem
    if case.status == "closed":
        problems["case_outcome"] = "This case is already closed"
    if problems:
        raise CaseworkError(problems)
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
