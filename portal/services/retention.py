"""Retention and destruction (design section 8): when a record closes, when it is destroyed, what
keeps it, and the destruction itself.

A root record is a referral (with its case, if one was opened, and everything recorded on either)
or an information request (with its clock events, chosen records and withheld names). A root falls
due on its closing date plus its period, 29 February counting as 28 February; the purge destroys
each due root that nothing holds, as a hard delete in its own transaction, children first, so a
failure part-way leaves every root either whole or gone and nothing to decrypt or find by hash.

What holds a root:
- a manual hold (a tribunal, a claim, a complaint to the ICO…), until a person lifts it;
- any open or paused request that chose or matches it, and any request closed less than six months
  ago that did: destroying information someone has asked for is an offence (DPA 2018 s.173,
  FOIA s.77), and a requester may still complain about the answer;
- a year it counts in whose statistics are not frozen: the Annual Report of that year would change.

The destruction log says what went and what stayed as counts by root type and closure month, and
nothing else: it is kept for good, so it must not become a list of the people whose records went.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Delete, Select, delete, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from portal.crypto import keyring
from portal.extensions import db
from portal.models.cases import Case, CaseNote, CaseNoteRevision, ContactEntry
from portal.models.consent import ConsentParty, ConsentRecord, ConsentReview, Disclosure
from portal.models.feedback import FeedbackInvitation
from portal.models.jobs import Job
from portal.models.referrals import ConsentAttestation, Person, Referral
from portal.models.reminders import ReminderSent
from portal.models.requests import ChosenRecord, InformationRequest, RequestClockEvent, WithheldName
from portal.models.retention import DestructionLogEntry, RetentionHold
from portal.models.staff import StaffUser
from portal.models.statistics import FrozenYear
from portal.services import audit, references, roles, subject_access
from portal.services.academic_year import AcademicYear
from portal.services.audit import Actor
from portal.services.clock import add_months, london_day, london_midnight, long_date
from portal.services.deadlines import plural
from portal.services.requests import CAPABILITY_FOR_KIND
from portal.services.validation import retention_ends

ROOT_TYPE_LABELS = {"referral": "Referral and its case", "information_request": "Information request"}

MANUAL_HOLD_LABELS = {
    "ico_complaint": "Complaint to the Information Commissioner (ICO)",
    "information_tribunal": "Information Tribunal appeal",
    "send_tribunal_or_mediation": "SEND Tribunal or mediation",
    "litigation_or_claim": "Litigation or a claim",
    "safeguarding_review": "Safeguarding review",
    "data_protection_complaint": "Data protection complaint",
}
AUTOMATIC_HOLD_LABELS = {
    "open_request": "An open or paused request chose or matches it",
    "recent_request": "A request closed less than 6 months ago chose or matches it",
    "year_not_frozen": "A year it counts in has statistics not yet frozen",
}
HOLD_REASON_LABELS = {**MANUAL_HOLD_LABELS, **AUTOMATIC_HOLD_LABELS}

RECENT_REQUEST_MONTHS = 6
INACTIVE_MONTHS = 12
DUE_WINDOW_DAYS = 90
# Roots read and judged at a time: enough to keep the queries few, few enough to keep memory flat.
BATCH = 500

DRY_RUN_COMMAND = "flask --app wsgi retention purge --dry-run"
PURGE_COMMAND = "flask --app wsgi retention purge"
DAILY_COMMAND = "flask --app wsgi daily"


def latest_closure_due(today: dt.date, years: int) -> dt.date:
    """The last closing date whose records are due on or before ``today``: the inverse of
    ``add_years``, under which a 29 February closure falls due on 28 February."""
    year = today.year - years
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year) and calendar.isleap(year):
        return dt.date(year, 2, 29)
    if (today.month, today.day) == (2, 29) and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return today.replace(year=year)


@dataclass(frozen=True)
class Periods:
    """How long each kind of root is kept after it closes, from the configuration."""

    referral_years: int
    request_years: int

    def years_of(self, root_type: str) -> int:
        return self.referral_years if root_type == "referral" else self.request_years


# --- What holds a root ---------------------------------------------------------------------------


@dataclass
class Holds:
    """The reasons, by root, that keep records due for destruction, worked out once per run."""

    referrals: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    requests: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    frozen_years: frozenset[str] = frozenset()

    def of(self, root_type: str, root_id: int) -> set[str]:
        return (self.referrals if root_type == "referral" else self.requests).get(root_id, set())


def _requests_quoted(request: InformationRequest) -> list[int]:
    """Earlier requests whose reference this request quotes: it may be about them."""
    if not request.reference_given:
        return []
    try:
        quoted = references.parse(request.reference_given)
    except references.InvalidReference:
        return []
    if quoted.prefix == "SPS":
        return []
    hashes = keyring().lookup_hashes(str(quoted))
    return list(db.session.scalars(select(InformationRequest.id).where(InformationRequest.reference_hash.in_(hashes))))


def current_holds(today: dt.date) -> Holds:
    """Every hold in force today: manual holds not lifted, requests open or closed lately, and the
    frozen years (a root counting in a year not among them is held at its turn)."""
    holds = Holds()
    for referral_id, request_id, reason in db.session.execute(
        select(RetentionHold.referral_id, RetentionHold.request_id, RetentionHold.reason).where(
            RetentionHold.lifted_at.is_(None)
        )
    ):
        if referral_id is not None:
            holds.referrals[referral_id].add(reason)
        else:
            holds.requests[request_id].add(reason)
    recent_since = add_months(today, -RECENT_REQUEST_MONTHS)
    asking = db.session.scalars(
        select(InformationRequest)
        .where(or_(InformationRequest.status != "closed", InformationRequest.closed_on > recent_since))
        .options(selectinload(InformationRequest.chosen_records))
    )
    for request in asking:
        reason = "open_request" if request.status != "closed" else "recent_request"
        referral_ids = set(subject_access.referrals_matching(request)) | {
            chosen.referral_id for chosen in request.chosen_records
        }
        for referral_id in referral_ids:
            holds.referrals[referral_id].add(reason)
        for request_id in _requests_quoted(request):
            if request_id != request.id:
                holds.requests[request_id].add(reason)
    holds.frozen_years = frozenset(db.session.scalars(select(FrozenYear.year)))
    return holds


def _years_counted(opened_on: dt.date, closed_on: dt.date) -> list[str]:
    """The academic years a root counts in: from the one it arrived in to the one it closed in."""
    first, last = AcademicYear.of(opened_on), AcademicYear.of(closed_on)
    return [AcademicYear(starts).name for starts in range(first.starts, last.starts + 1)]


@dataclass(frozen=True)
class Root:
    root_type: str
    root_id: int
    arrived_on: dt.date
    closed_on: dt.date

    @property
    def closure_month(self) -> str:
        return f"{self.closed_on:%Y-%m}"

    def years_counted(self) -> list[str]:
        return _years_counted(self.arrived_on, self.closed_on)


def reasons_holding(root: Root, holds: Holds) -> tuple[set[str], list[str]]:
    """Why ``root`` must be kept (reason codes) and which unfrozen years it waits for."""
    reasons = set(holds.of(root.root_type, root.root_id))
    unfrozen = [year for year in root.years_counted() if year not in holds.frozen_years]
    if unfrozen:
        reasons.add("year_not_frozen")
    return reasons, unfrozen


# --- Which roots are due -------------------------------------------------------------------------


def _due_referrals(closed_by: dt.date) -> Select:
    return (
        select(Referral.id, Referral.submitted_at, Referral.closed_on)
        .where(Referral.closed_on.is_not(None), Referral.closed_on <= closed_by)
        .order_by(Referral.id)
    )


def _due_requests(closed_by: dt.date) -> Select:
    return (
        select(InformationRequest.id, InformationRequest.received_on, InformationRequest.closed_on)
        .where(InformationRequest.status == "closed", InformationRequest.closed_on <= closed_by)
        .order_by(InformationRequest.id)
    )


def _roots(root_type: str, closed_by: dt.date) -> Iterator[list[Root]]:
    """Due roots of one type in batches, by id, each batch read afresh: destroying the previous
    batch never moves what the next one finds."""
    query = _due_referrals(closed_by) if root_type == "referral" else _due_requests(closed_by)
    id_column = Referral.id if root_type == "referral" else InformationRequest.id
    after = 0
    while True:
        rows = db.session.execute(query.where(id_column > after).limit(BATCH)).all()
        if not rows:
            return
        yield [
            Root(
                root_type,
                root_id,
                london_day(arrived) if isinstance(arrived, dt.datetime) else arrived,
                closed_on,
            )
            for root_id, arrived, closed_on in rows
        ]
        after = rows[-1][0]


# --- Destroying one root -------------------------------------------------------------------------

Deletion = Callable[[int], Counter[str]]


def _delete(statement: Delete, table: str, counts: Counter[str]) -> None:
    # On the session's connection, as plain SQL: the ORM's bulk-delete path (which would look for
    # loaded objects to update) cost more than the deletes themselves, and nothing here is loaded.
    result = db.session.connection().execute(statement)
    if result.rowcount:
        counts[table] += result.rowcount


def _destroy_case(case_id: int, counts: Counter[str]) -> None:
    notes = select(CaseNote.id).where(CaseNote.case_id == case_id)
    consents = select(ConsentRecord.id).where(ConsentRecord.case_id == case_id)
    _delete(delete(CaseNoteRevision).where(CaseNoteRevision.note_id.in_(notes)), "case_note_revisions", counts)
    _delete(delete(CaseNote).where(CaseNote.case_id == case_id), "case_notes", counts)
    # Disclosures name consent parties, so they go before the parties do.
    _delete(delete(Disclosure).where(Disclosure.case_id == case_id), "disclosures", counts)
    _delete(delete(ConsentParty).where(ConsentParty.consent_id.in_(consents)), "consent_parties", counts)
    _delete(delete(ConsentRecord).where(ConsentRecord.case_id == case_id), "consent_records", counts)
    _delete(delete(ConsentReview).where(ConsentReview.case_id == case_id), "consent_reviews", counts)
    _delete(delete(ContactEntry).where(ContactEntry.case_id == case_id), "contact_entries", counts)
    _delete(delete(FeedbackInvitation).where(FeedbackInvitation.case_id == case_id), "feedback_invitations", counts)
    _delete(delete(ReminderSent).where(ReminderSent.case_id == case_id), "reminders_sent", counts)
    _delete(delete(Case).where(Case.id == case_id), "cases", counts)


def destroy_referral(referral_id: int) -> Counter[str]:
    """Delete a referral and everything recorded on it and on its case, children first, in the
    caller's transaction; the counts of rows deleted, by table."""
    counts: Counter[str] = Counter()
    case_id = db.session.scalar(select(Case.id).where(Case.referral_id == referral_id))
    if case_id is not None:
        _destroy_case(case_id, counts)
    _delete(delete(ContactEntry).where(ContactEntry.referral_id == referral_id), "contact_entries", counts)
    # A request that chose it loses the choice: what it chose no longer exists to be sent.
    _delete(delete(ChosenRecord).where(ChosenRecord.referral_id == referral_id), "request_chosen_records", counts)
    _delete(delete(RetentionHold).where(RetentionHold.referral_id == referral_id), "retention_holds", counts)
    _delete(
        delete(ConsentAttestation).where(ConsentAttestation.referral_id == referral_id), "consent_attestations", counts
    )
    _delete(delete(Person).where(Person.referral_id == referral_id), "people", counts)
    _delete(delete(Referral).where(Referral.id == referral_id), "referrals", counts)
    return counts


def destroy_request(request_id: int) -> Counter[str]:
    """Delete an information request and everything recorded on it, in the caller's transaction."""
    counts: Counter[str] = Counter()
    _delete(delete(RequestClockEvent).where(RequestClockEvent.request_id == request_id), "request_clock_events", counts)
    _delete(delete(ChosenRecord).where(ChosenRecord.request_id == request_id), "request_chosen_records", counts)
    _delete(delete(WithheldName).where(WithheldName.request_id == request_id), "request_withheld_names", counts)
    _delete(delete(ReminderSent).where(ReminderSent.request_id == request_id), "reminders_sent", counts)
    _delete(delete(Job).where(Job.request_id == request_id), "jobs", counts)
    _delete(delete(RetentionHold).where(RetentionHold.request_id == request_id), "retention_holds", counts)
    _delete(delete(InformationRequest).where(InformationRequest.id == request_id), "information_requests", counts)
    return counts


# Every table a root's rows live in, in the order the purge deletes them (children first); a test
# checks that every table pointing at a root is here.
BUNDLE_TABLES = {
    "referral": (
        "case_note_revisions",
        "case_notes",
        "disclosures",
        "consent_parties",
        "consent_records",
        "consent_reviews",
        "contact_entries",
        "feedback_invitations",
        "reminders_sent",
        "cases",
        "request_chosen_records",
        "retention_holds",
        "consent_attestations",
        "people",
        "referrals",
    ),
    "information_request": (
        "request_clock_events",
        "request_chosen_records",
        "request_withheld_names",
        "reminders_sent",
        "jobs",
        "retention_holds",
        "information_requests",
    ),
}

DESTROYERS: dict[str, Deletion] = {"referral": destroy_referral, "information_request": destroy_request}


def _rows_of_referrals(referral_ids: list[int]) -> Counter[str]:
    """What destroying these referrals would delete, counted without deleting (for a dry run)."""
    counts: Counter[str] = Counter()
    cases = select(Case.id).where(Case.referral_id.in_(referral_ids))
    notes = select(CaseNote.id).where(CaseNote.case_id.in_(cases))
    consents = select(ConsentRecord.id).where(ConsentRecord.case_id.in_(cases))
    tables: list[tuple[str, Select]] = [
        ("case_note_revisions", select(func.count()).where(CaseNoteRevision.note_id.in_(notes))),
        ("case_notes", select(func.count()).where(CaseNote.case_id.in_(cases))),
        ("disclosures", select(func.count()).where(Disclosure.case_id.in_(cases))),
        ("consent_parties", select(func.count()).where(ConsentParty.consent_id.in_(consents))),
        ("consent_records", select(func.count()).where(ConsentRecord.case_id.in_(cases))),
        ("consent_reviews", select(func.count()).where(ConsentReview.case_id.in_(cases))),
        (
            "contact_entries",
            select(func.count()).where(
                or_(ContactEntry.case_id.in_(cases), ContactEntry.referral_id.in_(referral_ids))
            ),
        ),
        ("feedback_invitations", select(func.count()).where(FeedbackInvitation.case_id.in_(cases))),
        ("reminders_sent", select(func.count()).where(ReminderSent.case_id.in_(cases))),
        ("cases", select(func.count()).where(Case.referral_id.in_(referral_ids))),
        ("request_chosen_records", select(func.count()).where(ChosenRecord.referral_id.in_(referral_ids))),
        ("retention_holds", select(func.count()).where(RetentionHold.referral_id.in_(referral_ids))),
        ("consent_attestations", select(func.count()).where(ConsentAttestation.referral_id.in_(referral_ids))),
        ("people", select(func.count()).where(Person.referral_id.in_(referral_ids))),
        ("referrals", select(func.count()).where(Referral.id.in_(referral_ids))),
    ]
    for table, query in tables:
        if number := db.session.scalar(query):
            counts[table] += number
    return counts


def _rows_of_requests(request_ids: list[int]) -> Counter[str]:
    counts: Counter[str] = Counter()
    tables: list[tuple[str, Select]] = [
        ("request_clock_events", select(func.count()).where(RequestClockEvent.request_id.in_(request_ids))),
        ("request_chosen_records", select(func.count()).where(ChosenRecord.request_id.in_(request_ids))),
        ("request_withheld_names", select(func.count()).where(WithheldName.request_id.in_(request_ids))),
        ("reminders_sent", select(func.count()).where(ReminderSent.request_id.in_(request_ids))),
        ("jobs", select(func.count()).where(Job.request_id.in_(request_ids))),
        ("retention_holds", select(func.count()).where(RetentionHold.request_id.in_(request_ids))),
        ("information_requests", select(func.count()).where(InformationRequest.id.in_(request_ids))),
    ]
    for table, query in tables:
        if number := db.session.scalar(query):
            counts[table] += number
    return counts


COUNTERS: dict[str, Callable[[list[int]], Counter[str]]] = {
    "referral": _rows_of_referrals,
    "information_request": _rows_of_requests,
}


# --- The purge -----------------------------------------------------------------------------------


@dataclass
class Tally:
    """One destruction-log row in the making: a root type's roots closed in one month."""

    destroyed: int = 0
    held: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    held_by_reason: Counter[str] = field(default_factory=Counter)


@dataclass
class PurgeReport:
    dry_run: bool
    run_number: int
    tallies: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    # Unfrozen years, with how many roots wait for each.
    years_to_freeze: Counter[str] = field(default_factory=Counter)

    def destroyed(self, root_type: str) -> int:
        return sum(tally.destroyed for (kind, _), tally in self.tallies.items() if kind == root_type)

    def held(self, root_type: str) -> int:
        return sum(tally.held for (kind, _), tally in self.tallies.items() if kind == root_type)

    def rows(self) -> Counter[str]:
        return sum((tally.rows for tally in self.tallies.values()), Counter())

    def held_by_reason(self) -> Counter[str]:
        return sum((tally.held_by_reason for tally in self.tallies.values()), Counter())

    def summary(self) -> str:
        verb = "would destroy" if self.dry_run else "destroyed"
        return (
            f"Retention purge {verb} {plural(self.destroyed('referral'), 'referral')} (with their cases) and "
            f"{plural(self.destroyed('information_request'), 'information request')}; kept "
            f"{self.held('referral') + self.held('information_request')} due but held"
        )

    def lines(self) -> list[str]:
        """What the command prints: the summary, then every count, then what to do about holds."""
        lines = [self.summary() + "."]
        for table, number in sorted(self.rows().items()):
            lines.append(f"  {table}: {number} rows")
        for reason, number in sorted(self.held_by_reason().items()):
            lines.append(f"  held: {HOLD_REASON_LABELS[reason]}: {number}")
        for year, waiting in sorted(self.years_to_freeze.items()):
            lines.append(
                f"Freeze the statistics of {year} first ({plural(waiting, 'record')} wait for it): "
                f"flask --app wsgi report freeze --year {year}"
            )
        return lines


def _log_row(report: PurgeReport, key: tuple[str, str], actor: Actor, ran_by: str) -> DestructionLogEntry:
    tally = report.tallies[key]
    return DestructionLogEntry(
        run_number=report.run_number,
        ran_at=actor.at,
        ran_by=ran_by[:64],
        dry_run=report.dry_run,
        root_type=key[0],
        closure_month=key[1],
        roots_destroyed=tally.destroyed,
        roots_held=tally.held,
        rows_by_table=json.dumps(dict(sorted(tally.rows.items()))),
        held_by_reason=json.dumps(dict(sorted(tally.held_by_reason.items()))),
    )


class _Log:
    """The run's destruction-log rows, each written in the transaction that changes its counts, so
    no destroyed root is ever missing from the log, however the run ends."""

    def __init__(self, report: PurgeReport, actor: Actor, ran_by: str) -> None:
        self.report, self.actor, self.ran_by = report, actor, ran_by
        self.ids: dict[tuple[str, str], int] = {}

    def write(self, key: tuple[str, str]) -> None:
        row = _log_row(self.report, key, self.actor, self.ran_by)
        if key in self.ids:
            values = {
                "roots_destroyed": row.roots_destroyed,
                "roots_held": row.roots_held,
                "rows_by_table": row.rows_by_table,
                "held_by_reason": row.held_by_reason,
            }
            db.session.connection().execute(
                update(DestructionLogEntry).where(DestructionLogEntry.id == self.ids[key]).values(values)
            )
        else:
            db.session.add(row)
            db.session.flush()
            self.ids[key] = row.id
            db.session.expunge(row)


def purge(actor: Actor, periods: Periods, ran_by: str, dry_run: bool = False) -> PurgeReport:
    """Destroy every root due on or before the actor's day that nothing holds (design 8), one root
    per transaction, and log the run; with ``dry_run``, count what would go and change no record
    (the run is still logged and audited, as a dry run)."""
    today = actor.today
    holds = current_holds(today)
    last_run = db.session.scalar(select(func.max(DestructionLogEntry.run_number))) or 0
    report = PurgeReport(dry_run=dry_run, run_number=last_run + 1)
    log = _Log(report, actor, ran_by)
    for root_type in DESTROYERS:
        closed_by = latest_closure_due(today, periods.years_of(root_type))
        for batch in _roots(root_type, closed_by):
            doomed: dict[str, list[int]] = defaultdict(list)
            for root in batch:
                reasons, unfrozen = reasons_holding(root, holds)
                if reasons:
                    tally = report.tallies[(root_type, root.closure_month)]
                    tally.held += 1
                    tally.held_by_reason.update(reasons)
                    report.years_to_freeze.update(unfrozen)
                else:
                    doomed[root.closure_month].append(root.root_id)
            for month, root_ids in doomed.items():
                key = (root_type, month)
                if dry_run:
                    report.tallies[key].destroyed += len(root_ids)
                    report.tallies[key].rows.update(COUNTERS[root_type](root_ids))
                    continue
                for root_id in root_ids:
                    counts = DESTROYERS[root_type](root_id)
                    report.tallies[key].destroyed += 1
                    report.tallies[key].rows.update(counts)
                    log.write(key)
                    db.session.commit()
            # Ends the batch's reads, which a dry run only does: no transaction outlives a batch
            # (on PostgreSQL a long-open snapshot holds back the clean-up of every table).
            db.session.commit()
    for key in sorted(report.tallies):
        log.write(key)
    destroyed = report.destroyed("referral") + report.destroyed("information_request")
    held = report.held("referral") + report.held("information_request")
    audit.record(
        actor,
        "retention purge dry run" if dry_run else "retention purge run",
        detail=f"{destroyed} destroyed, {held} held",
    )
    db.session.commit()
    return report


# --- Lapsing referrals nobody took up ------------------------------------------------------------


def lapse_stale_referrals(actor: Actor, lapse_days: int) -> int:
    """Close as ``lapsed`` every referral still new ``lapse_days`` after it arrived with no contact
    and no attestation (design 8): without this, a professional referral nobody could attest would
    be kept for ever. Each is audited; the number lapsed is returned."""
    today = actor.today
    arrived_before = london_midnight(today - dt.timedelta(days=lapse_days - 1))
    stale = list(
        db.session.scalars(
            select(Referral.id)
            .where(
                Referral.status == "new",
                Referral.submitted_at < arrived_before,
                ~exists().where(ContactEntry.referral_id == Referral.id),
                ~exists().where(ConsentAttestation.referral_id == Referral.id),
            )
            .order_by(Referral.id)
        )
    )
    for referral_id in stale:
        # The status is checked again in the UPDATE: a worker accepting it meanwhile wins.
        changed = db.session.execute(
            update(Referral)
            .where(Referral.id == referral_id, Referral.status == "new")
            .values(status="lapsed", closed_on=today),
            execution_options={"synchronize_session": False},
        ).rowcount
        if changed:
            audit.record(actor, "referral lapsed", "referral", referral_id, detail=f"new for {lapse_days} days")
    db.session.commit()
    return len(stale)


# --- Inactive cases, for the manager to review ---------------------------------------------------


@dataclass(frozen=True)
class InactiveCase:
    case_id: int
    reference: str
    status: str
    last_activity_on: dt.date


def inactive_cases(today: dt.date) -> list[InactiveCase]:
    """Cases not closed with nothing recorded (no contact, no note) for ``INACTIVE_MONTHS``: listed
    for a person to decide on, never closed or destroyed by themselves (design 8)."""
    since = add_months(today, -INACTIVE_MONTHS)
    last_contact = (
        select(ContactEntry.case_id, func.max(ContactEntry.occurred_on).label("last"))
        .where(ContactEntry.case_id.is_not(None))
        .group_by(ContactEntry.case_id)
        .subquery()
    )
    last_note = (
        select(CaseNote.case_id, func.max(CaseNote.written_at).label("last")).group_by(CaseNote.case_id).subquery()
    )
    rows = db.session.execute(
        select(Case, last_contact.c.last, last_note.c.last)
        .outerjoin(last_contact, last_contact.c.case_id == Case.id)
        .outerjoin(last_note, last_note.c.case_id == Case.id)
        .where(
            Case.status != "closed",
            Case.opened_at < london_midnight(since),
            or_(last_contact.c.last.is_(None), last_contact.c.last < since),
            or_(last_note.c.last.is_(None), last_note.c.last < london_midnight(since)),
        )
        .options(selectinload(Case.referral))
        .order_by(Case.id)
    ).all()
    found = []
    for case, contacted_on, noted_at in rows:
        days = [london_day(case.opened_at), contacted_on, london_day(noted_at) if noted_at else None]
        found.append(
            InactiveCase(case.id, case.referral.reference, case.status, max(day for day in days if day is not None))
        )
    return found


# --- The retention page --------------------------------------------------------------------------


@dataclass(frozen=True)
class DueMonth:
    month: str  # the month the roots fall due, 2027-01
    root_type: str
    count: int
    held: int


@dataclass(frozen=True)
class Named:
    """How a root is shown: its reference, the case opened from a referral, and a request's kind."""

    reference: str
    case_id: int | None
    request_kind: str | None


def page_open_to(viewer: StaffUser, root_type: str, request_kind: str | None) -> bool:
    """Whether ``viewer`` may open the record's own page: those who hold or check records need not
    read them (the data protection team holds casework it does not read; a manager, requests of
    kinds it does not handle), so the retention pages link a record only for those who may."""
    if root_type == "information_request" and request_kind is not None:
        return roles.can(viewer, CAPABILITY_FOR_KIND[request_kind])
    return roles.can(viewer, "read_casework")


@dataclass(frozen=True)
class DueRecord:
    root_type: str
    root_id: int
    reference: str
    case_id: int | None
    closed_on: dt.date
    due_on: dt.date
    held_by: tuple[str, ...]
    page_open: bool


@dataclass(frozen=True)
class HeldRecord:
    hold: RetentionHold
    root_type: str
    root_id: int
    reference: str
    case_id: int | None
    past_review: bool
    page_open: bool


@dataclass(frozen=True)
class LoggedRow:
    root_type: str
    closure_month: str
    roots_destroyed: int
    roots_held: int
    rows_by_table: dict[str, int]
    held_by_reason: dict[str, int]


@dataclass(frozen=True)
class LoggedRun:
    run_number: int
    ran_at: dt.datetime
    ran_by: str
    dry_run: bool
    rows: list[LoggedRow]


@dataclass(frozen=True)
class RetentionOverview:
    due_months: list[DueMonth]
    due_records: list[DueRecord] | None
    due_records_left_out: int
    holds: list[HeldRecord]
    runs: list[LoggedRun]
    inactive_cases: list[InactiveCase]
    window_days: int = DUE_WINDOW_DAYS
    commands: tuple[str, ...] = (DRY_RUN_COMMAND, PURGE_COMMAND, DAILY_COMMAND)


# Records listed by name on the page; the counts by month always cover them all.
LISTED_AT_MOST = 200
RUNS_SHOWN = 10


def periods_from(config: dict) -> Periods:
    return Periods(config["RETENTION_YEARS"], config["REQUEST_RETENTION_YEARS"])


def _due_within(today: dt.date, periods: Periods, holds: Holds) -> list[tuple[Root, tuple[str, ...]]]:
    """Every root due on or before ``today`` plus the window, with what holds it today."""
    found = []
    for root_type in DESTROYERS:
        closed_by = latest_closure_due(today + dt.timedelta(days=DUE_WINDOW_DAYS), periods.years_of(root_type))
        for batch in _roots(root_type, closed_by):
            for root in batch:
                reasons, _ = reasons_holding(root, holds)
                found.append((root, tuple(sorted(reasons))))
    return found


def _names(root_type: str, root_ids: list[int]) -> dict[int, Named]:
    if not root_ids:
        return {}
    if root_type == "referral":
        rows = db.session.execute(
            select(Referral.id, Referral.reference, Case.id)
            .outerjoin(Case, Case.referral_id == Referral.id)
            .where(Referral.id.in_(root_ids))
        )
        return {referral_id: Named(reference, case_id, None) for referral_id, reference, case_id in rows}
    rows = db.session.execute(
        select(InformationRequest.id, InformationRequest.reference, InformationRequest.kind).where(
            InformationRequest.id.in_(root_ids)
        )
    )
    return {request_id: Named(reference, None, kind) for request_id, reference, kind in rows}


def _held_records(today: dt.date, viewer: StaffUser | None) -> list[HeldRecord]:
    """The manual holds in force with their records' names (``viewer``: who the links are for)."""
    holds = list(
        db.session.scalars(
            select(RetentionHold)
            .where(RetentionHold.lifted_at.is_(None))
            .order_by(RetentionHold.review_on, RetentionHold.id)
        )
    )
    names = {
        root_type: _names(root_type, [hold.root_id for hold in holds if hold.root_type == root_type])
        for root_type in DESTROYERS
    }
    held = []
    for hold in holds:
        named = names[hold.root_type][hold.root_id]
        opens = viewer is not None and page_open_to(viewer, hold.root_type, named.request_kind)
        held.append(
            HeldRecord(
                hold, hold.root_type, hold.root_id, named.reference, named.case_id, hold.review_on <= today, opens
            )
        )
    return held


def _logged_runs() -> list[LoggedRun]:
    numbers = list(
        db.session.scalars(
            select(DestructionLogEntry.run_number)
            .group_by(DestructionLogEntry.run_number)
            .order_by(DestructionLogEntry.run_number.desc())
            .limit(RUNS_SHOWN)
        )
    )
    entries = db.session.scalars(
        select(DestructionLogEntry)
        .where(DestructionLogEntry.run_number.in_(numbers))
        .order_by(
            DestructionLogEntry.run_number.desc(), DestructionLogEntry.root_type, DestructionLogEntry.closure_month
        )
    )
    runs: dict[int, LoggedRun] = {}
    for entry in entries:
        run = runs.setdefault(
            entry.run_number, LoggedRun(entry.run_number, entry.ran_at, entry.ran_by, entry.dry_run, [])
        )
        run.rows.append(
            LoggedRow(
                entry.root_type,
                entry.closure_month,
                entry.roots_destroyed,
                entry.roots_held,
                json.loads(entry.rows_by_table),
                json.loads(entry.held_by_reason),
            )
        )
    return list(runs.values())


def overview(viewer: StaffUser, actor: Actor, periods: Periods) -> RetentionOverview:
    """The retention page: what falls due within the window (and what is overdue but held), the
    holds, the destruction log and the inactive cases. Only those who may check due records see
    the records themselves; the view is audited, since it lists references."""
    today = actor.today
    due = _due_within(today, periods, current_holds(today))
    months: Counter[tuple[str, str]] = Counter()
    held: Counter[tuple[str, str]] = Counter()
    for root, reasons in due:
        key = (f"{retention_ends(root.closed_on, periods.years_of(root.root_type)):%Y-%m}", root.root_type)
        months[key] += 1
        held[key] += bool(reasons)
    due_months = [
        DueMonth(month, root_type, count, held[(month, root_type)])
        for (month, root_type), count in sorted(months.items())
    ]
    due_records = None
    if roles.can(viewer, "check_due_records"):
        listed = due[:LISTED_AT_MOST]
        names = {
            root_type: _names(root_type, [root.root_id for root, _ in listed if root.root_type == root_type])
            for root_type in DESTROYERS
        }
        due_records = [
            DueRecord(
                root.root_type,
                root.root_id,
                names[root.root_type][root.root_id].reference,
                names[root.root_type][root.root_id].case_id,
                root.closed_on,
                retention_ends(root.closed_on, periods.years_of(root.root_type)),
                reasons,
                page_open_to(viewer, root.root_type, names[root.root_type][root.root_id].request_kind),
            )
            for root, reasons in listed
        ]
    page = RetentionOverview(
        due_months=due_months,
        due_records=due_records,
        due_records_left_out=max(0, len(due) - LISTED_AT_MOST) if due_records is not None else 0,
        holds=_held_records(today, viewer),
        runs=_logged_runs(),
        inactive_cases=inactive_cases(today),
    )
    audit.record(actor, "retention overview viewed", detail=f"{len(due)} due within {DUE_WINDOW_DAYS} days")
    db.session.commit()
    return page


def holds_in_force(today: dt.date) -> list[str]:
    """The manual holds not lifted, one line each for the command line: past review first, then by
    review date. No reference: the line is for a terminal or a cron mail, so the page gives those."""
    lines = []
    for hold in db.session.scalars(
        select(RetentionHold)
        .where(RetentionHold.lifted_at.is_(None))
        .order_by(RetentionHold.review_on > today, RetentionHold.review_on, RetentionHold.id)
    ):
        review = "PAST REVIEW" if hold.review_on <= today else "review"
        lines.append(
            f"hold {hold.id}: {ROOT_TYPE_LABELS[hold.root_type].lower()}, "
            f"{MANUAL_HOLD_LABELS[hold.reason]}; {review} {long_date(hold.review_on)}"
        )
    return lines
