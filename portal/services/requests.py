"""Information requests (design 6.5, 6.6): taking them in from the public forms, the staff queue,
their deadlines with the working shown, and answering and closing them.

Who handles what follows the policy: the data protection team answers subject access requests and
complaints about how personal data was handled; the Strategic Manager answers Freedom of
Information requests. A request of a kind someone does not handle does not exist for them (404).
The subject access steps before release (identity, a child's confirmation, the records chosen and
the PDF) are in ``portal.services.subject_access``; each kind's deadline rules are in
``portal.services.deadlines``, with the public holidays of the service's nation (the
``SERVICE_NATION`` setting) where the law says whose holidays count.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, func, or_, select

from portal.crypto import keyring
from portal.extensions import db
from portal.models.requests import ChosenRecord, InformationRequest, RequestClockEvent
from portal.models.staff import StaffUser
from portal.services import audit, deadlines, intake, listing, references
from portal.services.audit import Actor
from portal.services.clock import london_day, long_date
from portal.services.consent import CHILD_VIEW_AGE
from portal.services.deadlines import Complaint, FreedomOfInformation, RequestRules, Working, plural
from portal.services.mail import Mailer
from portal.services.problems import Page, Refusal, page_number
from portal.services.referrals import Contact, contact_problems
from portal.services.roles import can
from portal.services.validation import age_on, long_text, recorded_date_problem, retention_ends

log = logging.getLogger(__name__)

PAGE_SIZE = 25
RECENTLY_OVERDUE_DAYS = 7
# A child's own view of a request for their records is prompted from 12 (the ICO's benchmark), and
# until they are an adult.
ADULT_AGE = 18
KIND_LABELS = {"sar": "Subject access request", "foi": "Freedom of Information request", "complaint": "Complaint"}
PREFIXES = {"sar": "SAR", "foi": "FOI", "complaint": "DPC"}
# Policy: subject access and data protection complaints go to the data protection team, FOI
# requests to the Strategic Manager.
CAPABILITY_FOR_KIND = {"sar": "handle_sar", "foi": "handle_foi", "complaint": "handle_complaints"}
OUTCOME_LABELS = {
    "records_sent": "Records sent",
    "no_records_held": "No records held",
    "identity_not_verified": "Closed: identity could not be verified",
    "information_provided": "Information provided",
    "partly_withheld": "Information provided in part, the rest withheld under an exemption",
    "withheld": "Information withheld under an exemption",
    "not_held": "Information not held",
    "upheld": "Upheld",
    "partly_upheld": "Partly upheld",
    "not_upheld": "Not upheld",
    "withdrawn": "Withdrawn by the requester",
}
OUTCOMES_BY_KIND = {
    "sar": ("records_sent", "no_records_held", "identity_not_verified", "withdrawn"),
    "foi": ("information_provided", "partly_withheld", "withheld", "not_held", "withdrawn"),
    "complaint": ("upheld", "partly_upheld", "not_upheld", "withdrawn"),
}
ACTING_AS_LABELS = {
    "self": "For their own records",
    "parent_carer": "A parent or carer, for their child's records",
    "authorised": "Acting with the person's authority",
}
IDENTITY_CHECK_LABELS = {
    "documents": "Will send copies of photo ID and proof of address",
    "in_person": "Will show documents in person",
    "known_to_service": "Known to the service's staff",
}
REPLY_LABELS = {"email": "Email", "letter": "Post", "phone": "Telephone"}
NEEDS_EXEMPTION = ("partly_withheld", "withheld")
VIEWS = {
    "open": "Open",
    "due_week": "Due in the next 7 days",
    "overdue": "Overdue",
    "recently_overdue": "Gone overdue in the last 7 days",
    "paused": "Clock paused",
    "stalled": "Complaints stalled",
    "closed": "Closed",
}

RECEIVED_WHAT = {
    "sar": "request for a copy of your records",
    "foi": "Freedom of Information request",
    "complaint": "complaint about how we handled personal data",
}
SUBJECTS = {
    "sar": "We have received your request for a copy of your records",
    "foi": "We have received your Freedom of Information request",
    "complaint": "We have received your complaint",
}


class RequestRefused(Refusal):
    """The request or the change to it cannot be made as asked; ``problems`` says what to correct."""


class DeclarationMissing(Exception):
    """A subject access request was sent without the requester confirming they are entitled to it."""


@dataclass(frozen=True)
class Requester:
    full_name: str
    email: str | None
    phone: str | None
    address: str | None
    postcode: str | None
    reply_by: str  # email, letter or phone

    def contact(self) -> Contact:
        return Contact(self.email, self.phone, self.address, self.postcode, self.reply_by)


@dataclass(frozen=True)
class SubjectAccessAnswers:
    acting_as: str  # self, parent_carer or authorised
    requester: Requester
    authority: str | None  # how someone acting with authority is entitled to act
    subject_name: str | None  # None when the requester asks for their own records
    subject_other_names: str | None
    subject_date_of_birth: dt.date
    reference_given: str | None
    wanted: str
    identity_check: str  # documents, in_person or known_to_service


@dataclass(frozen=True)
class FoiAnswers:
    requester: Requester
    request: str


@dataclass(frozen=True)
class ComplaintAnswers:
    requester: Requester
    complaint: str
    remedy_wanted: str | None
    reference_given: str | None


def subject_access_problems(answers: SubjectAccessAnswers) -> dict[str, str]:
    """The cross-question rules of a subject access request, keyed by form field."""
    problems = {}
    if answers.acting_as not in ACTING_AS_LABELS:
        problems["acting_as"] = "Select who is asking"
    if answers.identity_check not in IDENTITY_CHECK_LABELS:
        problems["identity_check"] = "Select how we can check your identity"
    if answers.acting_as in ("parent_carer", "authorised") and not answers.subject_name:
        problems["subject_name"] = "Enter the full name of the person whose records you want"
    if answers.acting_as == "authorised" and not answers.authority:
        problems["authority"] = "Tell us how you are entitled to act for them, for example a lasting power of attorney"
    return problems


# A copy of records and an FOI answer are written: they cannot be given over the telephone.
REPLY_METHODS = {"sar": ("email", "letter"), "foi": ("email", "letter"), "complaint": ("email", "letter", "phone")}


def reply_problems(requester: Requester, kind: str) -> dict[str, str]:
    if requester.reply_by not in REPLY_METHODS[kind]:
        return {"preferred_contact": "Select how you would like us to reply"}
    return contact_problems(requester.contact())


def rules_for(kind: str) -> RequestRules:
    """A kind's deadline rules, with the holidays of the service's nation. The nation is a setting
    of the deployment, read here so that every caller (the public forms, the back office, the
    command line) works a deadline out the same way."""
    return deadlines.rules(kind, current_app.config["SERVICE_NATION"])


def submit_subject_access(
    answers: SubjectAccessAnswers,
    declared: bool,
    submission_key: str,
    mailer: Mailer,
    received_at: dt.datetime,
) -> InformationRequest:
    if not declared:
        raise DeclarationMissing(
            "Confirm that you are the person the records are about, or are entitled to ask for them"
        )
    problems = subject_access_problems(answers) | reply_problems(answers.requester, "sar")
    if problems:
        raise RequestRefused(problems)
    received_on = london_day(received_at)

    def build() -> InformationRequest:
        request = _base("sar", answers.requester, answers.wanted, received_at, received_on)
        request.acting_as = answers.acting_as
        request.authority = answers.authority if answers.acting_as == "authorised" else None
        request.subject_name = answers.subject_name if answers.acting_as != "self" else answers.requester.full_name
        request.subject_other_names = answers.subject_other_names
        request.subject_date_of_birth = answers.subject_date_of_birth
        request.reference_given = answers.reference_given
        request.identity_check = answers.identity_check
        request.due_on = rules_for("sar").initial(received_on).due_on
        request.clock_events = [
            RequestClockEvent(event="start", on=received_on, reason="Request received", recorded_at=received_at)
        ]
        return request

    return _store_and_acknowledge("sar", submission_key, build, mailer, answers.requester.email)


def submit_foi(
    answers: FoiAnswers, submission_key: str, mailer: Mailer, received_at: dt.datetime
) -> InformationRequest:
    problems = reply_problems(answers.requester, "foi")
    if problems:
        raise RequestRefused(problems)
    received_on = london_day(received_at)

    def build() -> InformationRequest:
        request = _base("foi", answers.requester, answers.request, received_at, received_on)
        request.due_on = rules_for("foi").initial(received_on).due_on
        return request

    return _store_and_acknowledge("foi", submission_key, build, mailer, answers.requester.email)


def submit_complaint(
    answers: ComplaintAnswers, submission_key: str, mailer: Mailer, received_at: dt.datetime
) -> InformationRequest:
    problems = reply_problems(answers.requester, "complaint")
    if problems:
        raise RequestRefused(problems)
    received_on = london_day(received_at)

    def build() -> InformationRequest:
        request = _base("complaint", answers.requester, answers.complaint, received_at, received_on)
        request.remedy_wanted = answers.remedy_wanted
        request.reference_given = answers.reference_given
        request.due_on = rules_for("complaint").initial(received_on).due_on
        return request

    return _store_and_acknowledge("complaint", submission_key, build, mailer, answers.requester.email)


def _base(
    kind: str, requester: Requester, details: str, received_at: dt.datetime, received_on: dt.date
) -> InformationRequest:
    return InformationRequest(
        kind=kind,
        status="open",
        received_at=received_at,
        received_on=received_on,
        requester_name=requester.full_name,
        email=requester.email,
        phone=requester.phone,
        address=requester.address,
        postcode=requester.postcode,
        reply_by=requester.reply_by,
        details=details,
    )


def _store_and_acknowledge(
    kind: str, submission_key: str, build: Callable[[], InformationRequest], mailer: Mailer, email: str | None
) -> InformationRequest:
    request, made = intake.store_once(InformationRequest, PREFIXES[kind], submission_key, build)
    if made:  # a resent page gets its request back, not a second e-mail
        log.info("information request %s stored (%s)", request.id, kind)
        _acknowledge(mailer, email, request)
    return request


def _acknowledge(mailer: Mailer, address: str | None, request: InformationRequest) -> None:
    """The reference and what happens next only: e-mail may be read by others, and a request's
    subject can itself be sensitive."""
    if not address:
        return
    what_next = {
        "sar": "We will check your identity, then send the records within one calendar month. "
        "We will tell you if we need more time or more information.",
        "foi": f"We will reply within {FreedomOfInformation.WORKING_DAYS} working days.",
        "complaint": f"We will acknowledge your complaint within {Complaint.ACKNOWLEDGEMENT_DAYS} days.",
    }[request.kind]
    body = (
        f"Thank you. The SEND Partnership Service has received your {RECEIVED_WHAT[request.kind]}.\n\n"
        f"Your reference is {request.reference}.\n\n"
        f"{what_next}\n\n"
        "Please quote the reference if you contact us. "
        "We have not included any details of your request in this email to keep them private."
    )
    mailer.send(address, SUBJECTS[request.kind], body)


# The back office.


def kinds_handled(viewer: StaffUser) -> tuple[str, ...]:
    return tuple(kind for kind, capability in CAPABILITY_FOR_KIND.items() if can(viewer, capability))


@dataclass(frozen=True)
class RequestFilter:
    kind: str | None = None
    view: str = "open"


# The clock is running on a request that is open (not paused, not closed); a complaint's tracked
# deadline is its acknowledgement, so once that is sent it has nothing left to fall due.
DEADLINE_RUNNING = (InformationRequest.status == "open") & or_(
    InformationRequest.kind != "complaint", InformationRequest.acknowledged_on.is_(None)
)


def views_for(viewer: StaffUser) -> dict[str, str]:
    """The queue's views the viewer has a use for: stalled complaints for those who handle them."""
    complaints = "complaint" in kinds_handled(viewer)
    return {view: text for view, text in VIEWS.items() if view != "stalled" or complaints}


def _stalled_before(today: dt.date) -> dt.date:
    """A complaint acknowledged before this day and still open has not been answered in time."""
    return today - dt.timedelta(days=Complaint.ANSWER_DAYS)


def _filtered(statement: Select, viewer: StaffUser, chosen: RequestFilter, today: dt.date) -> Select:
    kinds = kinds_handled(viewer)
    if chosen.kind in kinds:
        kinds = (chosen.kind,)
    statement = statement.where(InformationRequest.kind.in_(kinds))
    if chosen.view == "open":
        statement = statement.where(InformationRequest.status.in_(("open", "paused")))
    elif chosen.view == "paused":
        statement = statement.where(InformationRequest.status == "paused")
    elif chosen.view == "stalled":
        statement = statement.where(
            InformationRequest.kind == "complaint",
            InformationRequest.status == "open",
            InformationRequest.acknowledged_on < _stalled_before(today),
        )
    elif chosen.view == "closed":
        statement = statement.where(InformationRequest.status == "closed")
    elif chosen.view == "due_week":
        statement = statement.where(
            DEADLINE_RUNNING, InformationRequest.due_on.between(today, today + dt.timedelta(days=7))
        )
    elif chosen.view == "overdue":
        statement = statement.where(DEADLINE_RUNNING, InformationRequest.due_on < today)
    elif chosen.view == "recently_overdue":
        statement = statement.where(
            DEADLINE_RUNNING,
            InformationRequest.due_on.between(
                today - dt.timedelta(days=RECENTLY_OVERDUE_DAYS), today - dt.timedelta(days=1)
            ),
        )
    return statement


def requests_page(viewer: StaffUser, chosen: RequestFilter, actor: Actor, number: int = 1) -> Page[QueueItem]:
    """The queue: open requests soonest due first; closed ones most recently closed first. It names
    the requesters, so the look is audited with the requests it showed."""
    today = actor.today
    total = (
        db.session.scalar(_filtered(select(func.count()).select_from(InformationRequest), viewer, chosen, today)) or 0
    )
    number = page_number(number, total, PAGE_SIZE)
    order = (
        (InformationRequest.closed_on.desc(), InformationRequest.id.desc())
        if chosen.view == "closed"
        else (InformationRequest.acknowledged_on, InformationRequest.id)
        if chosen.view == "stalled"
        else (InformationRequest.due_on, InformationRequest.id)
    )
    ids = db.session.scalars(
        _filtered(select(InformationRequest.id), viewer, chosen, today)
        .order_by(*order)
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    # Committed before the rows are loaded, so the commit does not expire what the page shows.
    audit.record(actor, "request queue viewed", detail=listing.shown_detail("requests", ids))
    db.session.commit()
    loaded = {
        row.id: row for row in db.session.scalars(select(InformationRequest).where(InformationRequest.id.in_(ids)))
    }
    # Which of the page's requests have records chosen, in one query for the page.
    with_records = set(
        db.session.scalars(select(ChosenRecord.request_id).where(ChosenRecord.request_id.in_(ids)).distinct())
    )
    items = [
        QueueItem(loaded[request_id], stage_of(loaded[request_id], request_id in with_records)) for request_id in ids
    ]
    return Page(items, number, total, PAGE_SIZE)


# How far a request has gone, as the queue shows it: derived from what is recorded on it, never
# stored, so it cannot disagree with the request's own steps.
STAGE_LABELS = {
    "received": "Received",
    "identity_checked": "Identity checked",
    "records_chosen": "Records chosen",
    "acknowledged": "Acknowledged",
    "response_sent": "Response sent",
    "closed": "Closed without a response",
}


def stage_of(request: InformationRequest, records_chosen: bool) -> str:
    """The furthest step the request has reached: a subject access request goes through its
    identity check and the choice of records before the response; a complaint is acknowledged
    before it is answered; a request the requester withdrew closes with no response."""
    if request.status == "closed":
        return "closed" if request.outcome == "withdrawn" else "response_sent"
    if records_chosen:
        return "records_chosen"
    if request.identity_verified_on is not None:
        return "identity_checked"
    if request.acknowledged_on is not None:
        return "acknowledged"
    return "received"


@dataclass(frozen=True)
class QueueItem:
    """A request as the queue shows it, with the stage it has reached (a key of ``STAGE_LABELS``)."""

    request: InformationRequest
    stage: str


@dataclass(frozen=True)
class RequestCounts:
    due_this_week: int
    overdue: int
    stalled: int | None = None  # None for someone who does not handle complaints


def dashboard_counts(viewer: StaffUser, today: dt.date) -> RequestCounts | None:
    if not kinds_handled(viewer):
        return None

    def count(view: str) -> int:
        statement = select(func.count()).select_from(InformationRequest)
        return db.session.scalar(_filtered(statement, viewer, RequestFilter(view=view), today)) or 0

    stalled = count("stalled") if "stalled" in views_for(viewer) else None
    return RequestCounts(due_this_week=count("due_week"), overdue=count("overdue"), stalled=stalled)


def is_overdue(request: InformationRequest, today: dt.date) -> bool:
    if request.status != "open" or request.due_on >= today:
        return False
    return request.kind != "complaint" or request.acknowledged_on is None


def is_stalled(request: InformationRequest, today: dt.date) -> bool:
    """An open complaint acknowledged more than 30 days ago and still not answered."""
    return (
        request.kind == "complaint"
        and request.status == "open"
        and request.acknowledged_on is not None
        and request.acknowledged_on < _stalled_before(today)
    )


def answer_expected_by(request: InformationRequest) -> dt.date | None:
    """For an acknowledged complaint, the last day of the 30 after which it shows as stalled."""
    return Complaint.answer_expected_by(request.acknowledged_on) if request.acknowledged_on else None


def find_by_reference(viewer: StaffUser, text: str) -> InformationRequest | None:
    """``references.InvalidReference`` when the text is not a reference. Typed without its prefix,
    a reference is taken for the first kind the viewer handles."""
    kinds = kinds_handled(viewer)
    reference = references.parse(text, default_prefix=PREFIXES[kinds[0]] if kinds else "SAR")
    return db.session.scalars(
        select(InformationRequest).where(
            InformationRequest.reference_hash.in_(keyring().lookup_hashes(str(reference))),
            InformationRequest.kind.in_(kinds),
        )
    ).first()


def get_request(viewer: StaffUser, request_id: int) -> InformationRequest | None:
    return db.session.scalars(
        select(InformationRequest).where(
            InformationRequest.id == request_id, InformationRequest.kind.in_(kinds_handled(viewer))
        )
    ).first()


def view_request(viewer: StaffUser, request_id: int, actor: Actor) -> InformationRequest | None:
    """The request, if the viewer handles its kind; the look is audited (committed before loading,
    so the commit does not expire what the page shows)."""
    visible = db.session.scalar(
        select(InformationRequest.id).where(
            InformationRequest.id == request_id, InformationRequest.kind.in_(kinds_handled(viewer))
        )
    )
    if visible is None:
        return None
    audit.record(actor, "information request viewed", "information_request", request_id)
    db.session.commit()
    return get_request(viewer, request_id)


# Deadlines and their working.


def working(request: InformationRequest) -> Working:
    """How the request's deadline was worked out, step by step, by its kind's rules."""
    return rules_for(request.kind).working(request)


def refresh_due_on(request: InformationRequest) -> None:
    request.due_on = working(request).due_on


def paused_since(request: InformationRequest) -> dt.date | None:
    """The day the clock stopped, while it stands stopped."""
    if rules_for(request.kind).paused_by(request.clock_events) is None:
        return None
    return request.clock_events[-1].on


def paused_until(request: InformationRequest) -> str:
    """While the clock stands stopped, what sets it going again, in words."""
    rules = rules_for(request.kind)
    paused = rules.paused_by(request.clock_events)
    return rules.EVENTS[paused].until if paused else ""


def event_labels(kind: str) -> dict[str, str]:
    """What each clock event of the kind is called in its history."""
    return {event: words.label for event, words in rules_for(kind).EVENTS.items()}


def clock_choices(request: InformationRequest) -> dict[str, str]:
    """The events that may be recorded next, as the options of the form: none once it is closed."""
    if request.status == "closed":
        return {}
    rules = rules_for(request.kind)
    return {event: rules.EVENTS[event].choice for event in rules.next_events(request.clock_events)}


def has_clock_history(request: InformationRequest) -> bool:
    """Whether anything has happened to the clock worth listing: the subject access clock's first
    event is its start on receipt, which says nothing on its own."""
    on_receipt = 1 if request.kind == "sar" else 0
    return len(request.clock_events) > on_receipt or bool(request.extension_months or request.extension_working_days)


def deadline_forms(request: InformationRequest) -> frozenset[str]:
    """The changes to the deadline the request page offers: those the service would accept now
    (each function below still refuses anything else)."""
    if request.status == "closed":
        return frozenset()
    offered = {"clock"} if clock_choices(request) else set()
    if request.kind == "sar" and not request.extension_months:
        offered.add("extension")
    if request.kind == "foi" and not request.extension_working_days:
        offered.add("public_interest_extension")
    if request.kind == "complaint" and request.acknowledged_on is None:
        offered.add("acknowledgement")
    return frozenset(offered)


def record_clock_event(
    request: InformationRequest, event: str | None, on: dt.date | None, reason: str, actor: Actor, today: dt.date
) -> None:
    """Record what happened to the clock (the kind's rules say which events there are and which
    may follow which); the deadline follows. For subject access: the clock starting again on
    receipt of what was needed to verify identity, pausing while a clarification is awaited, and
    resuming. For FOI: a clarification asked for and received, a fees notice and its payment."""
    rules = rules_for(request.kind)
    if not rules.EVENTS:
        raise RequestRefused({"clock_event": f"A {KIND_LABELS[request.kind].lower()} has no clock to stop or start"})
    if request.status == "closed":
        raise RequestRefused({"clock_event": "The request is closed"})
    problems: dict[str, str] = {}
    paused = rules.paused_by(request.clock_events)
    if event not in rules.EVENTS:
        problems["clock_event"] = "Select what happened to the clock"
    elif event not in rules.next_events(request.clock_events):
        problems["clock_event"] = (
            f"The clock is paused until {rules.EVENTS[paused].until}: record that first"
            if paused
            else "The clock is not paused"
        )
    problems |= date_problems("clock_on", on, request, today, "the date")
    last = request.clock_events[-1].on if request.clock_events else request.received_on
    if on is not None and "clock_on" not in problems and on < last:
        problems["clock_on"] = f"The date must be on or after the last clock change, {long_date(last)}"
    asks_for = rules.EVENTS[event].asks_for if event in rules.EVENTS else "the reason"
    cleaned = long_text(reason, asks_for, "clock_reason", problems)
    if problems:
        raise RequestRefused(problems)
    assert event is not None and on is not None
    request.clock_events.append(
        RequestClockEvent(event=event, on=on, reason=cleaned, recorded_by_id=actor.staff_id, recorded_at=actor.at)
    )
    request.status = "paused" if event in rules.PAUSES else "open"
    refresh_due_on(request)
    audit.record(actor, "request clock changed", "information_request", request.id, detail=event)
    db.session.commit()


def recorded_message(request: InformationRequest) -> str:
    """What a change to a request's clock leaves its deadline at, for the confirmation banner."""
    if request.status == "paused":
        return f"Recorded. The clock is paused until {paused_until(request)}."
    what = {"sar": "response", "foi": "reply", "complaint": "acknowledgement"}[request.kind]
    if request.kind == "complaint" and request.acknowledged_on is not None:
        return (
            f"Recorded. The complaint should be answered by {long_date(answer_expected_by(request))}, "
            "or it shows as stalled."
        )
    return f"Recorded. The {what} is due by {long_date(request.due_on)}."


def extend_for_public_interest(
    request: InformationRequest,
    working_days: int | None,
    exemption: str,
    told_on: dt.date | None,
    actor: Actor,
    today: dt.date,
) -> None:
    """FOIA s.10(3): more time to consider the public interest in withholding under a qualified
    exemption, up to 20 more working days by default, once; the requester must have been told
    (which exemption, and when to expect the answer) within the 20 working days (s.17(2))."""
    if request.kind != "foi":
        raise RequestRefused({"pi_working_days": "Only a Freedom of Information request is extended this way"})
    if request.status == "closed":
        raise RequestRefused({"pi_working_days": "The request is closed"})
    if request.extension_working_days:
        raise RequestRefused({"pi_working_days": "The deadline has already been extended"})
    most = FreedomOfInformation.MAX_EXTENSION_WORKING_DAYS
    problems: dict[str, str] = {}
    if working_days not in range(1, most + 1):
        problems["pi_working_days"] = f"Enter a number of working days from 1 to {most}"
    cleaned = long_text(exemption, "the exemption whose public interest is being considered", "pi_exemption", problems)
    problems |= date_problems("pi_told_on", told_on, request, today, "the date the requester was told")
    if told_on is not None and "pi_told_on" not in problems and told_on > request.due_on:
        problems["pi_told_on"] = (
            f"The requester must be told within the {FreedomOfInformation.WORKING_DAYS} working days: "
            f"by {long_date(request.due_on)}"
        )
    if problems:
        raise RequestRefused(problems)
    assert working_days is not None
    request.extension_working_days = working_days
    request.extension_exemption = cleaned
    request.extension_notice_sent_on = told_on
    refresh_due_on(request)
    audit.record(
        actor,
        "request deadline extended",
        "information_request",
        request.id,
        detail=f"{working_days} working days, public interest",
    )
    db.session.commit()


def _closing_days(request: InformationRequest) -> int:
    assert request.closed_on is not None
    return (request.closed_on - request.received_on).days


def time_to_respond(request: InformationRequest) -> str | None:
    """For a closed request, how long the answer took, in the deadline's own units."""
    if request.closed_on is None:
        return None
    late = request.closed_on > request.due_on
    if request.kind == "foi":
        counted = FreedomOfInformation.calendar.working_days_after(request.received_on, request.closed_on)
        timing = plural(counted, "working day")
    else:
        days = _closing_days(request)
        timing = plural(days, "calendar day")
    return f"Answered in {timing} from receipt{', after the deadline' if late else ', within the deadline'}."


def destruction_date(request: InformationRequest, retention_years: int) -> dt.date | None:
    """Closed requests follow the casework retention rule: destroyed so many years after closure."""
    return retention_ends(request.closed_on, retention_years)


# Answering and closing (the subject access steps before release live in ``subject_access``; what
# release needs is here, since closing a request as "records sent" needs it too).


def date_problems(field: str, day: dt.date | None, request: InformationRequest, today: dt.date, what: str) -> dict:
    """A date recorded on a request: given, not in the future, not before the request arrived."""
    problem = recorded_date_problem(day, what, today, request.received_on, "the day the request was received")
    return {field: problem} if problem else {}


def acknowledge_complaint(request: InformationRequest, on: dt.date | None, actor: Actor, today: dt.date) -> None:
    if request.kind != "complaint":
        raise RequestRefused({"acknowledged_on": "Only a complaint is acknowledged this way"})
    if request.acknowledged_on is not None:
        raise RequestRefused({"acknowledged_on": "The acknowledgement is already recorded"})
    if request.status == "closed":
        raise RequestRefused({"acknowledged_on": "The complaint is closed"})
    problems = date_problems("acknowledged_on", on, request, today, "the date the acknowledgement was sent")
    if problems:
        raise RequestRefused(problems)
    request.acknowledged_on = on
    audit.record(actor, "complaint acknowledged", "information_request", request.id)
    db.session.commit()


@dataclass(frozen=True)
class Closure:
    outcome: str
    closed_on: dt.date | None
    response: str  # what was sent, or why it was closed
    exemptions: str = ""  # FOI: the exemptions relied on, when anything was withheld


def needs_child_confirmation(request: InformationRequest) -> bool:
    """Someone else (a parent or carer, or someone acting with authority) asking for the records of
    a child aged 12 or over on the day the request arrived: the child's view is sought (design 6.5)."""
    born = request.subject_date_of_birth
    if request.kind != "sar" or request.acting_as == "self" or born is None:
        return False
    return CHILD_VIEW_AGE <= age_on(born, request.received_on) < ADULT_AGE


def release_problems(request: InformationRequest) -> list[str]:
    """What still stands between the request and releasing records, in the order to put it right."""
    problems = []
    if request.identity_verified_on is None:
        problems.append("the requester's identity has not been verified")
    if needs_child_confirmation(request) and request.child_confirmation is None:
        problems.append("the outcome of seeking the child's confirmation has not been recorded")
    if not request.chosen_records:
        problems.append("no records have been chosen")
    return problems


def close(request: InformationRequest, closure: Closure, actor: Actor, today: dt.date) -> None:
    if request.status == "closed":
        raise RequestRefused({"outcome": "The request is already closed"})
    problems: dict[str, str] = {}
    if closure.outcome not in OUTCOMES_BY_KIND[request.kind]:
        problems["outcome"] = "Select the outcome"
    problems |= date_problems("closed_on", closure.closed_on, request, today, "the date of the response")
    response = long_text(closure.response, "a summary of the response", "response", problems)
    if closure.outcome in NEEDS_EXEMPTION and not closure.exemptions.strip():
        problems["exemptions"] = "Enter the exemptions relied on for what was withheld"
    if request.kind == "sar" and closure.outcome == "records_sent":
        for reason in release_problems(request):
            problems.setdefault("outcome", f"Records cannot be released yet: {reason}")
    if request.kind == "complaint" and request.acknowledged_on is None and closure.outcome != "withdrawn":
        problems["outcome"] = "Record the acknowledgement before closing the complaint"
    if problems:
        raise RequestRefused(problems)
    request.status = "closed"
    request.outcome = closure.outcome
    request.closed_on = closure.closed_on
    request.closed_at = actor.at
    request.closed_by_id = actor.staff_id
    request.response = response
    request.exemptions = closure.exemptions.strip() or None
    audit.record(actor, "information request closed", "information_request", request.id, detail=closure.outcome)
    db.session.commit()
