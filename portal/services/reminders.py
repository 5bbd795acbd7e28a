"""Reminders by e-mail, sent once a day by ``flask --app wsgi daily`` (issue 13).

What is reminded, and to whom (only active accounts, and only someone with something to be
reminded of, get an e-mail):

- Confidentiality training: each person whose training expires within the next 30 days (not yet
  expired: from that day the back office itself tells them, and shows them no personal data), and
  the administrators (holders of ``manage_accounts``), in one e-mail each, how many people that is.
- Consent reviews: each worker, how many of the cases assigned to them (open or inactive) have a
  consent review due within the next 7 days or overdue.
- Information requests: the handlers of each kind (``requests.CAPABILITY_FOR_KIND``), how many
  requests of the kinds they handle came within 5 working days of their due date, and how many went
  overdue.

Each item is reminded once for the date it falls due (``portal.models.reminders``): a request once
when it comes within its 5 working days and once more if it goes overdue, a review or a person's
training once. When the date moves (a review recorded, a request extended, training renewed) the
item is a new one and is reminded again. The counts in an e-mail are of the items it is the first
reminder of; the back office, which the e-mail links to, shows everything.

An e-mail holds counts and a link to the back office, never a name, a reference or a date: a
mailbox, a forwarded message or a relay's log is no place for anything about a family or a
requester, and a staff member's own training date is theirs, not their inbox's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models.cases import Case
from portal.models.reminders import ReminderSent
from portal.models.requests import InformationRequest
from portal.models.staff import StaffUser
from portal.services import audit, requests
from portal.services.accounts import training_expires_on
from portal.services.audit import Actor
from portal.services.deadlines import Calendar, plural
from portal.services.mail import Mailer
from portal.services.requests import DEADLINE_RUNNING as REQUEST_DEADLINE_RUNNING
from portal.services.roles import can, holders

TRAINING_WARNING_DAYS = 30
REVIEW_WARNING_DAYS = 7
REQUEST_WARNING_WORKING_DAYS = 5
# Rows claimed per INSERT: well inside SQLite's limit on a statement's parameters.
CLAIM_BATCH = 500

REQUEST_KIND_NAMES = {
    "sar": "Subject access requests",
    "foi": "Freedom of Information requests",
    "complaint": "Complaints (acknowledgement due)",
}
SIGN_OFF = (
    "This is an automatic reminder from the SEND Partnership Service back office. It is sent once "
    "for each item, and holds no personal details: sign in to see them."
)


Value = TypeVar("Value")


class ReminderFailed(Exception):
    """Reminders could not be sent; the message says why and what to do, for the daily command's
    summary line."""


@dataclass(frozen=True)
class ReminderSummary:
    """What one run sent: e-mails by subject, and the items they were the first reminder of."""

    training_emails: int = 0
    administrator_emails: int = 0
    consent_review_emails: int = 0
    request_emails: int = 0
    trainings_expiring: int = 0
    consent_reviews_due: int = 0
    requests_due_soon: int = 0
    requests_overdue: int = 0

    @property
    def emails(self) -> int:
        return self.training_emails + self.administrator_emails + self.consent_review_emails + self.request_emails

    def describe(self) -> str:
        """One line for the daily command's summary and the audit entry."""
        training = plural(self.trainings_expiring, "person's training", "people's training")
        return (
            f"Reminders: {plural(self.emails, 'e-mail')} sent ({self.training_emails} training, "
            f"{self.administrator_emails} to administrators, {self.consent_review_emails} consent reviews, "
            f"{self.request_emails} requests) about "
            f"{training}, "
            f"{plural(self.consent_reviews_due, 'consent review')}, "
            f"{plural(self.requests_due_soon, 'request')} due soon and {self.requests_overdue} overdue."
        )


@dataclass(frozen=True)
class _Item:
    """Something to remind about once: what kind, which record, and the date it falls due."""

    kind: str
    column: str  # the reminders_sent column naming the record: staff_user_id, case_id or request_id
    record_id: int
    due_on: dt.date

    @property
    def key(self) -> str:
        return f"{self.column.removesuffix('_id')}:{self.record_id}"

    @property
    def identity(self) -> tuple[str, str, dt.date]:
        return (self.kind, self.key, self.due_on)

    def row(self, sent_on: dt.date) -> dict[str, Any]:
        row: dict[str, Any] = dict.fromkeys(("staff_user_id", "case_id", "request_id"))
        row.update(kind=self.kind, item_key=self.key, due_on=self.due_on, sent_on=sent_on)
        row[self.column] = self.record_id
        return row


@dataclass(frozen=True)
class _Mail:
    to: str
    subject: str
    body: str


def back_office_address(portal_url: str) -> str:
    """``PORTAL_URL`` without a trailing slash, to put the back office's paths after. Refused when
    unset or not a web address: a reminder whose link goes nowhere, or somewhere else, is worse
    than none, so nothing is sent and the daily command reports the step as failed."""
    address = portal_url.strip().rstrip("/")
    if not address:
        raise ReminderFailed(
            "PORTAL_URL is not set: set it to the portal's public address (such as https://sps.example.gov.uk) "
            "so reminders can link to the back office. No reminder was sent."
        )
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ReminderFailed(
            "PORTAL_URL must be the portal's public address, such as https://sps.example.gov.uk. No reminder was sent."
        )
    return address


def send_due(today: dt.date, actor: Actor, mailer: Mailer, portal_url: str) -> ReminderSummary:
    """Send today's reminders, record each item as reminded, audit the run (counts only) and commit.

    Items are claimed and e-mails sent in one transaction, committed only once every e-mail has
    been handed to the relay: if the relay refuses one, nothing is recorded and ReminderFailed is
    raised, so the next run sends them all again (a reminder twice is better than one never sent).
    A second process running at the same time cannot claim the same items: the unique constraint
    makes it wait for this one and then skip what it claimed."""
    address = back_office_address(portal_url)
    people = list(db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.id)))
    try:
        mails, summary = _due_mails(today, people, address)
        for mail in mails:
            if not mailer.send(mail.to, mail.subject, mail.body):
                raise ReminderFailed(
                    "The mail relay did not take a reminder (see the log); nothing was recorded as sent, "
                    "so the next run sends the reminders again."
                )
        audit.record(actor, "reminders sent", detail=summary.describe())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return summary


def _due_mails(today: dt.date, people: list[StaffUser], address: str) -> tuple[list[_Mail], ReminderSummary]:
    training = _claim(_training_items(today, people), today)
    reviews = _claim(_review_items(today, people), today)
    due_requests = _claim(_request_items(today, people), today)

    by_id = {person.id: person for person in people}
    mails = [_training_mail(by_id[item.record_id], address) for item in training]
    administrators = holders(people, "manage_accounts") if training else []
    mails += [_administrators_mail(person, len(training), address) for person in administrators]

    reviews_by_worker: dict[int, list[_Item]] = defaultdict(list)
    for item, worker_id in reviews.items():
        reviews_by_worker[worker_id].append(item)
    review_mails = [
        _reviews_mail(by_id[worker_id], items, today, address) for worker_id, items in sorted(reviews_by_worker.items())
    ]

    request_mails = []
    counts = Counter((kind, item.kind) for item, kind in due_requests.items())
    for person in people:
        handled = [kind for kind, capability in requests.CAPABILITY_FOR_KIND.items() if can(person, capability)]
        mine = {kind: (counts[kind, "request_due_soon"], counts[kind, "request_overdue"]) for kind in handled}
        if any(soon or overdue for soon, overdue in mine.values()):
            request_mails.append(_requests_mail(person, mine, address))

    summary = ReminderSummary(
        training_emails=len(training),
        administrator_emails=len(administrators),
        consent_review_emails=len(review_mails),
        request_emails=len(request_mails),
        trainings_expiring=len(training),
        consent_reviews_due=len(reviews),
        requests_due_soon=sum(item.kind == "request_due_soon" for item in due_requests),
        requests_overdue=sum(item.kind == "request_overdue" for item in due_requests),
    )
    return mails + review_mails + request_mails, summary


# What is due ---------------------------------------------------------------------------------------


def _training_items(today: dt.date, people: list[StaffUser]) -> dict[_Item, int]:
    valid_months = current_app.config["TRAINING_VALID_MONTHS"]
    last_day = today + dt.timedelta(days=TRAINING_WARNING_DAYS)
    due = {}
    for person in people:
        expires = training_expires_on(person, valid_months)
        if expires is not None and today < expires <= last_day:
            due[_Item("training", "staff_user_id", person.id, expires)] = person.id
    return due


def _review_items(today: dt.date, people: list[StaffUser]) -> dict[_Item, int]:
    """Reviews due within the week or overdue, on cases assigned to an active worker; the value is
    the worker's id."""
    rows = db.session.execute(
        select(Case.id, Case.consent_review_due, Case.assigned_to_id).where(
            Case.status.in_(("open", "inactive")),
            Case.consent_review_due <= today + dt.timedelta(days=REVIEW_WARNING_DAYS),
            Case.assigned_to_id.in_([person.id for person in people]),
        )
    )
    return {_Item("consent_review", "case_id", case_id, due_on): worker_id for case_id, due_on, worker_id in rows}


def working_days_on(calendar: Calendar, today: dt.date, working_days: int) -> dt.date:
    """The day ``working_days`` working days after ``today``."""
    day, counted = today, 0
    while counted < working_days:
        day += dt.timedelta(days=1)
        counted += calendar.is_working_day(day)
    return day


def _request_items(today: dt.date, people: list[StaffUser]) -> dict[_Item, str]:
    """Requests whose deadline is running and falls within 5 working days (by the kind's own
    calendar) or has passed, of the kinds someone active handles; the value is the kind."""
    due = {}
    for kind, capability in requests.CAPABILITY_FOR_KIND.items():
        if not holders(people, capability):
            continue  # kept for whoever is given the duty: reminded to nobody, it is not reminded
        horizon = working_days_on(requests.rules_for(kind).calendar, today, REQUEST_WARNING_WORKING_DAYS)
        rows = db.session.execute(
            select(InformationRequest.id, InformationRequest.due_on).where(
                InformationRequest.kind == kind, REQUEST_DEADLINE_RUNNING, InformationRequest.due_on <= horizon
            )
        )
        for request_id, due_on in rows:
            stage = "request_overdue" if due_on < today else "request_due_soon"
            due[_Item(stage, "request_id", request_id, due_on)] = kind
    return due


def _claim(due: dict[_Item, Value], sent_on: dt.date) -> dict[_Item, Value]:
    """Those of ``due`` never reminded before, now recorded as reminded in the current transaction.

    INSERT … ON CONFLICT DO NOTHING on the once-per-item constraint: a row another process has
    written (committed, or not yet, when this one waits for it) is skipped, so two runs at once
    never both remind the same item. Those already recorded are left out first, so the daily run
    does not attempt an insert for every overdue item every day."""
    sent = _already_sent(due)
    fresh = [item for item in due if item.identity not in sent]
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    by_identity = {item.identity: item for item in fresh}
    claimed: dict[_Item, Value] = {}
    for start in range(0, len(fresh), CLAIM_BATCH):
        statement = (
            insert(ReminderSent)
            .values([item.row(sent_on) for item in fresh[start : start + CLAIM_BATCH]])
            .on_conflict_do_nothing(index_elements=["kind", "item_key", "due_on"])
            .returning(ReminderSent.kind, ReminderSent.item_key, ReminderSent.due_on)
        )
        for kind, key, due_on in db.session.execute(statement):
            item = by_identity[kind, key, due_on]
            claimed[item] = due[item]
    return claimed


def _already_sent(items: Iterable[_Item]) -> set[tuple[str, str, dt.date]]:
    """Which of ``items`` have been reminded before (looked up by their records, a few at a time)."""
    keys = sorted({item.key for item in items})
    sent: set[tuple[str, str, dt.date]] = set()
    for start in range(0, len(keys), CLAIM_BATCH):
        rows = db.session.execute(
            select(ReminderSent.kind, ReminderSent.item_key, ReminderSent.due_on).where(
                ReminderSent.item_key.in_(keys[start : start + CLAIM_BATCH])
            )
        )
        sent.update((kind, key, due_on) for kind, key, due_on in rows)
    return sent


# The e-mails: counts and a link, nothing else --------------------------------------------------------


def _training_mail(person: StaffUser, address: str) -> _Mail:
    body = (
        "Your confidentiality training for the SEND Partnership Service expires within the next "
        f"{TRAINING_WARNING_DAYS} days. Once it has expired, the back office shows you no personal data "
        "until your refresher training is recorded.\n\n"
        "Please book your refresher training, and ask an administrator to record it when you have done it.\n\n"
        f"Back office: {address}/staff/\n\n{SIGN_OFF}\n"
    )
    return _Mail(person.email, "Your confidentiality training is due for renewal", body)


def _administrators_mail(person: StaffUser, expiring: int, address: str) -> _Mail:
    people = "1 person's" if expiring == 1 else f"{expiring} people's"
    body = (
        f"{people} confidentiality training expires within the next {TRAINING_WARNING_DAYS} days. "
        "Once it has expired they see no personal data until their refresher training is recorded.\n\n"
        f"Staff accounts, with each person's training: {address}/staff/admin/users\n\n{SIGN_OFF}\n"
    )
    return _Mail(person.email, "Confidentiality training due for renewal", body)


def _reviews_mail(worker: StaffUser, items: list[_Item], today: dt.date, address: str) -> _Mail:
    overdue = sum(item.due_on < today for item in items)
    soon = len(items) - overdue
    lines = []
    if soon:
        lines.append(f"- {plural(soon, 'consent review')} due within the next {REVIEW_WARNING_DAYS} days")
    if overdue:
        lines.append(f"- {plural(overdue, 'consent review')} overdue")
    body = (
        "Cases assigned to you need their consent reviewed:\n\n"
        + "\n".join(lines)
        + f"\n\nYour cases with reviews due: {address}/staff/cases?mine=yes&review=due\n\n{SIGN_OFF}\n"
    )
    return _Mail(worker.email, "Consent reviews due on your cases", body)


def _requests_mail(person: StaffUser, counts: dict[str, tuple[int, int]], address: str) -> _Mail:
    lines = [
        f"- {REQUEST_KIND_NAMES[kind]}: {soon} due within {REQUEST_WARNING_WORKING_DAYS} working days, "
        f"{overdue} overdue"
        for kind, (soon, overdue) in counts.items()
        if soon or overdue
    ]
    body = (
        "Information requests you handle need answering:\n\n"
        + "\n".join(lines)
        + f"\n\nThe requests, soonest due first: {address}/staff/requests\n\n{SIGN_OFF}\n"
    )
    return _Mail(person.email, "Information requests due", body)
