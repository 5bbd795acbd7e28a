"""Information requests (design 6.5, 6.6): taking them in from the public forms, the staff queue,
their deadlines with the working shown, and answering and closing them.

Who handles what follows the policy: the data protection team answers subject access requests and
complaints about how personal data was handled; the Strategic Manager answers Freedom of
Information requests. A request of a kind someone does not handle does not exist for them (404).
The subject access steps before release (identity, a child's confirmation, the records chosen and
the PDF) are in ``portal.services.subject_access``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select

from portal.crypto import keyring
from portal.extensions import db
from portal.models.referrals import utcnow
from portal.models.requests import InformationRequest, RequestClockEvent
from portal.models.staff import StaffUser
from portal.services import audit, deadlines, intake, references
from portal.services.audit import Actor
from portal.services.clock import london_datetime, long_date
from portal.services.consent import CHILD_VIEW_AGE
from portal.services.deadlines import Working
from portal.services.mail import Mailer
from portal.services.problems import Page, Refusal, page_number
from portal.services.referrals import Contact, contact_problems
from portal.services.validation import age_on, long_text, recorded_date_problem, retention_ends

log = logging.getLogger(__name__)

PAGE_SIZE = 25
COMPLAINT_ACKNOWLEDGEMENT_DAYS = 30
RECENTLY_OVERDUE_DAYS = 7
KIND_LABELS = {"sar": "Subject access request", "foi": "Freedom of Information request", "complaint": "Complaint"}
PREFIXES = {"sar": "SAR", "foi": "FOI", "complaint": "DPC"}
# Policy: subject access and data protection complaints go to the data protection team, FOI
# requests to the Strategic Manager.
HANDLED_BY = {"dpo": ("sar", "complaint"), "manager": ("foi",)}
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


def _received(received_at: dt.datetime | None) -> tuple[dt.datetime, dt.date]:
    moment = received_at or utcnow()
    return moment, london_datetime(moment).date()


def submit_subject_access(
    answers: SubjectAccessAnswers,
    declared: bool,
    submission_key: str,
    mailer: Mailer,
    received_at: dt.datetime | None = None,
) -> InformationRequest:
    if not declared:
        raise DeclarationMissing(
            "Confirm that you are the person the records are about, or are entitled to ask for them"
        )
    problems = subject_access_problems(answers) | reply_problems(answers.requester, "sar")
    if problems:
        raise RequestRefused(problems)
    moment, received_on = _received(received_at)

    def build() -> InformationRequest:
        request = _base("sar", answers.requester, answers.wanted, moment, received_on)
        request.acting_as = answers.acting_as
        request.authority = answers.authority if answers.acting_as == "authorised" else None
        request.subject_name = answers.subject_name if answers.acting_as != "self" else answers.requester.full_name
        request.subject_other_names = answers.subject_other_names
        request.subject_date_of_birth = answers.subject_date_of_birth
        request.reference_given = answers.reference_given
        request.identity_check = answers.identity_check
        request.due_on = deadlines.sar_deadline(received_on).due_on
        request.clock_events = [RequestClockEvent(event="start", on=received_on, reason="Request received")]
        return request

    return _store_and_acknowledge("sar", submission_key, build, mailer, answers.requester.email)


def submit_foi(
    answers: FoiAnswers, submission_key: str, mailer: Mailer, received_at: dt.datetime | None = None
) -> InformationRequest:
    problems = reply_problems(answers.requester, "foi")
    if problems:
        raise RequestRefused(problems)
    moment, received_on = _received(received_at)

    def build() -> InformationRequest:
        request = _base("foi", answers.requester, answers.request, moment, received_on)
        request.due_on = deadlines.foi_deadline(received_on).due_on
        return request

    return _store_and_acknowledge("foi", submission_key, build, mailer, answers.requester.email)


def submit_complaint(
    answers: ComplaintAnswers, submission_key: str, mailer: Mailer, received_at: dt.datetime | None = None
) -> InformationRequest:
    problems = reply_problems(answers.requester, "complaint")
    if problems:
        raise RequestRefused(problems)
    moment, received_on = _received(received_at)

    def build() -> InformationRequest:
        request = _base("complaint", answers.requester, answers.complaint, moment, received_on)
        request.remedy_wanted = answers.remedy_wanted
        request.reference_given = answers.reference_given
        request.due_on = received_on + dt.timedelta(days=COMPLAINT_ACKNOWLEDGEMENT_DAYS)
        return request

    return _store_and_acknowledge("complaint", submission_key, build, mailer, answers.requester.email)


def _base(
    kind: str, requester: Requester, details: str, moment: dt.datetime, received_on: dt.date
) -> InformationRequest:
    return InformationRequest(
        kind=kind,
        status="open",
        received_at=moment,
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
        "foi": "We will reply within 20 working days.",
        "complaint": f"We will acknowledge your complaint within {COMPLAINT_ACKNOWLEDGEMENT_DAYS} days.",
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
    return tuple(kind for role, kinds in HANDLED_BY.items() if role in viewer.role_set for kind in kinds)


@dataclass(frozen=True)
class RequestFilter:
    kind: str | None = None
    view: str = "open"


# The clock is running on a request that is open (not paused, not closed); a complaint's tracked
# deadline is its acknowledgement, so once that is sent it has nothing left to fall due.
_DEADLINE_RUNNING = (InformationRequest.status == "open") & or_(
    InformationRequest.kind != "complaint", InformationRequest.acknowledged_on.is_(None)
)


def _filtered(statement: Select, viewer: StaffUser, chosen: RequestFilter, today: dt.date) -> Select:
    kinds = kinds_handled(viewer)
    if chosen.kind in kinds:
        kinds = (chosen.kind,)
    statement = statement.where(InformationRequest.kind.in_(kinds))
    if chosen.view == "open":
        statement = statement.where(InformationRequest.status.in_(("open", "paused")))
    elif chosen.view == "paused":
        statement = statement.where(InformationRequest.status == "paused")
    elif chosen.view == "closed":
        statement = statement.where(InformationRequest.status == "closed")
    elif chosen.view == "due_week":
        statement = statement.where(
            _DEADLINE_RUNNING, InformationRequest.due_on.between(today, today + dt.timedelta(days=7))
        )
    elif chosen.view == "overdue":
        statement = statement.where(_DEADLINE_RUNNING, InformationRequest.due_on < today)
    elif chosen.view == "recently_overdue":
        statement = statement.where(
            _DEADLINE_RUNNING,
            InformationRequest.due_on.between(
                today - dt.timedelta(days=RECENTLY_OVERDUE_DAYS), today - dt.timedelta(days=1)
            ),
        )
    return statement


def requests_page(
    viewer: StaffUser, chosen: RequestFilter, today: dt.date, number: int = 1
) -> Page[InformationRequest]:
    """The queue: open requests soonest due first; closed ones most recently closed first."""
    total = (
        db.session.scalar(_filtered(select(func.count()).select_from(InformationRequest), viewer, chosen, today)) or 0
    )
    number = page_number(number, total, PAGE_SIZE)
    order = (
        (InformationRequest.closed_on.desc(), InformationRequest.id.desc())
        if chosen.view == "closed"
        else (InformationRequest.due_on, InformationRequest.id)
    )
    rows = db.session.scalars(
        _filtered(select(InformationRequest), viewer, chosen, today)
        .order_by(*order)
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    return Page(list(rows), number, total, PAGE_SIZE)


@dataclass(frozen=True)
class RequestCounts:
    due_this_week: int
    overdue: int


def dashboard_counts(viewer: StaffUser, today: dt.date) -> RequestCounts | None:
    if not kinds_handled(viewer):
        return None

    def count(view: str) -> int:
        statement = select(func.count()).select_from(InformationRequest)
        return db.session.scalar(_filtered(statement, viewer, RequestFilter(view=view), today)) or 0

    return RequestCounts(due_this_week=count("due_week"), overdue=count("overdue"))


def is_overdue(request: InformationRequest, today: dt.date) -> bool:
    if request.status != "open" or request.due_on >= today:
        return False
    return request.kind != "complaint" or request.acknowledged_on is None


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


@dataclass(frozen=True)
class ClockState:
    started_on: dt.date
    paused_days: int
    paused_since: dt.date | None


def clock_state(request: InformationRequest) -> ClockState:
    """Where the subject access clock stands: the latest start, the days it stood paused since
    then (completed pauses only), and whether it is paused now."""
    started_on, paused_days, paused_since = request.received_on, 0, None
    for event in request.clock_events:
        if event.event == "start":
            started_on, paused_days, paused_since = event.on, 0, None
        elif event.event == "pause":
            paused_since = event.on
        elif event.event == "resume" and paused_since is not None:
            paused_days += (event.on - paused_since).days
            paused_since = None
    return ClockState(started_on, paused_days, paused_since)


def working(request: InformationRequest) -> Working:
    """How the request's deadline was worked out, step by step."""
    if request.kind == "sar":
        state = clock_state(request)
        return deadlines.sar_deadline(state.started_on, request.extension_months, state.paused_days)
    if request.kind == "foi":
        return deadlines.foi_deadline(request.received_on)
    return Working(
        request.received_on + dt.timedelta(days=COMPLAINT_ACKNOWLEDGEMENT_DAYS),
        [
            f"Received on {long_date(request.received_on)}.",
            f"A complaint is acknowledged within {COMPLAINT_ACKNOWLEDGEMENT_DAYS} calendar days of receipt.",
        ],
    )


def refresh_due_on(request: InformationRequest) -> None:
    request.due_on = working(request).due_on


def _closing_days(request: InformationRequest) -> int:
    assert request.closed_on is not None
    return (request.closed_on - request.received_on).days


def time_to_respond(request: InformationRequest) -> str | None:
    """For a closed request, how long the answer took, in the deadline's own units."""
    if request.closed_on is None:
        return None
    late = request.closed_on > request.due_on
    if request.kind == "foi":
        counted = sum(
            1
            for offset in range(1, (request.closed_on - request.received_on).days + 1)
            if deadlines.is_working_day(request.received_on + dt.timedelta(days=offset))
        )
        timing = f"{counted} working day{'s' if counted != 1 else ''}"
    else:
        days = _closing_days(request)
        timing = f"{days} calendar day{'s' if days != 1 else ''}"
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
    """A parent or carer asking for the records of a child over 12 on the day the request arrived."""
    born = request.subject_date_of_birth
    return (
        request.acting_as == "parent_carer" and born is not None and age_on(born, request.received_on) > CHILD_VIEW_AGE
    )


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
    request.closed_at = utcnow()
    request.closed_by_id = actor.staff_id
    request.response = response
    request.exemptions = closure.exemptions.strip() or None
    audit.record(actor, "information request closed", "information_request", request.id, detail=closure.outcome)
    db.session.commit()
