"""Cases: the list; a case's overview, timeline, and consent and disclosures; a page for each
action on it (each confirmed by a success banner on the page it returns to); its print summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.converters import record_id, requested_page
from portal.models.cases import Case, CaseNote
from portal.request_time import request_today
from portal.services import casework, contact, disclosures, feedback, holds, references, retention, triage
from portal.services.case_codes import INTERVENTION_LEVELS, TOPICS
from portal.services.casework import CaseDetails, CaseFilter, CaseworkError, EditConflict, PrintRefused
from portal.services.clock import long_date
from portal.services.consent import (
    GIVER_LABELS,
    METHOD_LABELS,
    REVIEW_LABELS,
    CaseConsent,
    ConsentNotRecorded,
    record_case_consent,
    record_review,
    withdraw_consent,
)
from portal.services.contact import ContactDetails, ContactNotPermitted, InvalidContact
from portal.services.disclosures import (
    BASIS_LABELS,
    DECISIONS,
    LEGAL_BASES,
    DecisionRefused,
    DisclosureRefused,
    DisclosureRequest,
    SelfApprovalRefused,
)
from portal.services.disclosures import STATUS_LABELS as DISCLOSURE_STATUS_LABELS
from portal.services.feedback import FeedbackLinkRefused
from portal.services.listing import SearchRefused, Sorting
from portal.services.roles import can
from portal.services.triage import AssignmentRefused, assignable_staff
from portal.staff.access import allow, current_actor, staff_blueprint
from portal.staff.forms import date_from_form, person_search_from_form, with_date_error

bp = staff_blueprint("staff_cases", __name__)

STATUS_LABELS = {"open": "Open", "inactive": "Inactive", "closed": "Closed"}
ERROR_ANCHORS = {
    "given_on": "given_on-day",
    "withdrawn_on": "withdrawn_on-day",
    "reviewed_on": "reviewed_on-day",
    "disclosed_on": "disclosed_on-day",
    "closed_on": "closed_on-day",
    "occurred_on": "occurred_on-day",
    "covers": "keeps_contact_information",
}


CASE_FILTER_ARGS = ("status", "worker", "mine", "review")
SORT_ARGS = ("sort", "order")


@bp.get("/cases")
@allow("work_on_assigned")
def cases() -> ResponseReturnValue:
    reference = request.args.get("reference", "").strip()
    search_error = None
    if reference:
        try:
            found = casework.find_by_reference(current_user, reference)
        except references.InvalidReference as error:
            search_error = str(error)
        else:
            if found is not None:
                return redirect(url_for("staff_cases.case", case_id=found.id))
            search_error = "No case you can see came from a referral with that reference"
    return _render_cases(reference=reference, errors={"reference": search_error} if search_error else {})


@bp.post("/cases/person-search")
@allow("work_on_assigned")
def case_person_search() -> ResponseReturnValue:
    """Find cases by a name, a date of birth or a postcode: a POST answered with the list itself,
    so what was typed never appears in a URL or a log."""
    search, problems = person_search_from_form()
    if not problems:
        try:
            found = casework.find_by_person(current_user, search, current_actor())
        except SearchRefused as refused:
            problems = refused.problems
        else:
            return _render_cases(found=found)
    return _render_cases(errors=problems, status=400)


def _render_cases(
    reference: str = "",
    errors: dict[str, str] | None = None,
    found: list[casework.CaseRow] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The list (its filters and order read from the query string), with a search's answer above it."""
    chosen = CaseFilter(
        status=request.args.get("status") if request.args.get("status") in STATUS_LABELS else None,
        worker_id=record_id(request.args.get("worker")),
        mine=request.args.get("mine") == "yes",
        review_due=request.args.get("review") == "due",
        review_overdue=request.args.get("review") == "overdue",
    )
    today = request_today()
    sorting = Sorting.chosen(
        casework.CASE_SORTS, casework.NEWEST_FIRST, request.args.get("sort"), request.args.get("order")
    )
    # A search's answer is shown on its own (the search recorded as the one look), not above a
    # page of the list that would be a second look at other families.
    page = (
        None
        if found is not None
        else casework.cases_page(
            current_user, chosen, current_actor(), requested_page(request.args.get("page")), sorting
        )
    )
    sees_all = casework.sees_every_case(current_user)
    filter_args = {name: value for name, value in request.args.items() if name in CASE_FILTER_ARGS and value}
    return render_template(
        "staff/cases.html",
        page=page,
        chosen=chosen,
        today=today,
        reference=reference,
        errors=errors or {},
        error_anchors={"date_of_birth": "date_of_birth-day"},
        form=request.form,
        found=found,
        page_size=casework.PAGE_SIZE,
        status_labels=STATUS_LABELS,
        status_items=[
            {"value": value, "text": text, "selected": value == chosen.status} for value, text in STATUS_LABELS.items()
        ],
        workers=sees_all,
        worker_items=[{"value": "", "text": "Anyone"}]
        + [
            {"value": str(user.id), "text": user.name, "selected": user.id == chosen.worker_id}
            for user in (assignable_staff() if sees_all else [])
        ],
        filter_args=filter_args,
        page_args=filter_args | {name: value for name, value in request.args.items() if name in SORT_ARGS and value},
        sorting=sorting,
        sorts=casework.CASE_SORTS,
        review_soon=today + dt.timedelta(days=casework.REVIEW_SOON_DAYS),
    ), status


def _case_or_404(case_id: int) -> Case:
    """The case for a change to it (the change audits itself)."""
    found = casework.get_case(current_user, case_id)
    if found is None:
        abort(404)  # not there, or not theirs: the same answer either way
    return found


def _viewed(case_id: int, page: str | None) -> Case:
    """The case for one of its pages; every drawing of a page of the case (its form sent back
    with what to correct included) is audited here as a look at the case, naming the page, so no
    way of reading a case leaves no trace."""
    case = casework.view_case(current_user, case_id, current_actor(), page)
    if case is None:
        abort(404)  # not there, or not theirs: the same answer either way
    return case


def _labels() -> dict[str, object]:
    """The vocabularies the case's pages show as labels (codes are stored, labels shown)."""
    return {
        "status_labels": STATUS_LABELS,
        "topic_labels": TOPICS,
        "level_labels": INTERVENTION_LEVELS,
        "giver_labels": GIVER_LABELS,
        "method_labels": METHOD_LABELS,
        "review_labels": REVIEW_LABELS,
        "basis_labels": BASIS_LABELS,
        "legal_bases": LEGAL_BASES,
        "contact_labels": contact.METHOD_LABELS,
        "direction_labels": contact.DIRECTION_LABELS,
        "disclosure_status_labels": DISCLOSURE_STATUS_LABELS,
        "timeline_kinds": casework.TIMELINE_KINDS,
    }


def _action_page(
    template: str,
    case_id: int,
    page: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
    with_case: Callable[[Case], dict[str, object]] | None = None,
    **shown: object,
) -> ResponseReturnValue:
    """A page of the case with one action's form: blank, or sent back with what to correct (what
    was typed is shown again, so nothing is lost). ``with_case`` gives what else the page shows
    that is worked out from the case."""
    case = _viewed(case_id, page)
    if with_case is not None:
        shown |= with_case(case)
    return (
        render_template(
            template,
            case=case,
            errors=errors or {},
            error_anchors=ERROR_ANCHORS,
            form=dict(request.form) if request.method == "POST" else {},
            today=request_today(),
            **_labels(),
            **shown,
        ),
        status,
    )


@bp.get("/cases/<int:case_id>")
@allow("work_on_assigned")
def case(case_id: int) -> ResponseReturnValue:
    """The overview: who the case is about, why they were referred, where it stands."""
    found = _viewed(case_id, None)
    config = current_app.config
    can_decide = can(current_user, "decide_casework")
    return render_template(
        "staff/case.html",
        case=found,
        child=found.referral.person("child"),
        facts=casework.case_facts(found),
        today=request_today(),
        can_decide=can_decide,
        destruction=casework.destruction_date(found, config["RETENTION_YEARS"]),
        feedback_offer=feedback.offer(found) if can_decide else None,
        retention=holds.summary(current_user, found.referral, retention.periods_from(config), request_today()),
        **_labels(),
    )


@bp.get("/cases/<int:case_id>/timeline")
@allow("work_on_assigned")
def timeline(case_id: int) -> ResponseReturnValue:
    """Everything on the case, newest first, with the date and time of each; ``?kind=`` (any
    number of them) shows only those kinds. Kinds not in the vocabulary are ignored."""
    chosen = frozenset(request.args.getlist("kind")) & casework.TIMELINE_KINDS.keys()
    found = _viewed(case_id, "timeline")
    return render_template(
        "staff/case_timeline.html",
        case=found,
        entries=casework.timeline(found, current_user, chosen),
        chosen=chosen,
        **_labels(),
    )


@bp.get("/cases/<int:case_id>/consent-and-disclosures")
@allow("work_on_assigned")
def consent_and_disclosures(case_id: int) -> ResponseReturnValue:
    found = _viewed(case_id, "consent and disclosures")
    can_decide = can(current_user, "decide_casework")
    entries = casework.timeline(found, current_user, frozenset({"consent", "review", "disclosure"}))
    return render_template(
        "staff/case_consent.html",
        case=found,
        consents=[entry.item for entry in entries if entry.kind == "consent"],
        reviews=[entry for entry in entries if entry.kind == "review"],
        shared=[entry for entry in entries if entry.kind == "disclosure"],
        held_disclosures=disclosures.held_back(found, current_user) if can_decide else [],
        today=request_today(),
        can_decide=can_decide,
        **_labels(),
    )


@bp.get("/cases/<int:case_id>/print")
@allow("decide_casework")
def print_summary(case_id: int) -> ResponseReturnValue:
    """The case on one page to print, for those who may print personal data (never volunteers,
    who are not offered it: the route names who may come, the service refuses anyone else)."""
    try:
        found = casework.view_case_for_printing(current_user, case_id, current_actor())
    except PrintRefused:
        abort(403)
    if found is None:
        abort(404)
    return render_template(
        "staff/case_print.html",
        case=found,
        entries=casework.timeline(found, current_user),
        facts=casework.case_facts(found),
        today=request_today(),
        destruction=casework.destruction_date(found, current_app.config["RETENTION_YEARS"]),
        **_labels(),
    )


def _back(case: Case, page: str, message: str) -> ResponseReturnValue:
    """After an action: its success message, then the page of the case it changed."""
    flash(message)
    return redirect(url_for(page, case_id=case.id))


@bp.route("/cases/<int:case_id>/notes", methods=["GET", "POST"])
@allow("work_on_assigned")
def add_note(case_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _action_page("staff/case_note_new.html", case_id, "add a note")
    found = _case_or_404(case_id)
    try:
        casework.add_note(found, request.form.get("note", ""), current_actor())
    except CaseworkError as error:
        return _action_page("staff/case_note_new.html", case_id, "add a note", error.problems, 400)
    return _back(found, "staff_cases.timeline", "Note added to the timeline.")


@bp.route("/cases/<int:case_id>/notes/<int:note_id>", methods=["GET", "POST"])
@allow("work_on_assigned")
def edit_note(case_id: int, note_id: int) -> ResponseReturnValue:
    """A note on a page of its own."""
    found = _case_or_404(case_id)
    note = casework.note_on(found, note_id)
    if note is None:
        abort(404)
    if request.method == "GET":
        if found.status == "closed":
            abort(404)  # no form to offer: the service refuses changes to a closed case
        return _render_note(found, note, note.text, note.version)
    text = request.form.get("note", "")
    try:
        casework.edit_note(note, text, record_id(request.form.get("version")) or 0, current_actor())
    except CaseworkError as error:
        version = record_id(request.form.get("version")) or note.version
        return _render_note(found, note, text, version, error.problems["note"])
    except EditConflict as conflict:
        return _render_conflict(found, conflict, note)
    return _back(found, "staff_cases.timeline", "Note saved. Its earlier text is kept.")


def _render_note(case: Case, note: CaseNote, text: str, version: int, error: str | None = None) -> ResponseReturnValue:
    """The note on its own page, to edit it (400 when a save was refused); every drawing of it
    is audited, since it shows the note whether or not the save went through."""
    casework.record_note_view(note, current_actor())
    status = 400 if error else 200
    return render_template("staff/note.html", case=case, note=note, text=text, version=version, error=error), status


def _render_conflict(case: Case, conflict: EditConflict, note: CaseNote | None = None) -> ResponseReturnValue:
    """Both versions after a colleague saved first (409). What is saved now is shown, so the look
    is audited: at the note, or at the case for its details."""
    if note is not None:
        casework.record_note_view(note, current_actor())
        return render_template("staff/conflict.html", case=case, conflict=conflict, note=note, what="note"), 409
    shown = _viewed(case.id, "change details")
    return render_template("staff/conflict.html", case=shown, conflict=conflict, note=None, what="details"), 409


@bp.route("/cases/<int:case_id>/details", methods=["GET", "POST"])
@allow("decide_casework")
def details(case_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _action_page("staff/case_details.html", case_id, "change details")
    found = _case_or_404(case_id)
    chosen = CaseDetails(
        topic=request.form.get("topic") or None,
        intervention_level=request.form.get("intervention_level") or None,
        status=request.form.get("status", ""),
    )
    try:
        casework.update_details(found, chosen, record_id(request.form.get("version")) or 0, current_actor())
    except CaseworkError as error:
        return _action_page("staff/case_details.html", case_id, "change details", error.problems, 400)
    except EditConflict as conflict:
        return _render_conflict(found, conflict)
    return _back(found, "staff_cases.case", "Case details saved.")


@bp.route("/cases/<int:case_id>/assign", methods=["GET", "POST"])
@allow("decide_casework")
def assign(case_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _action_page("staff/case_assign.html", case_id, "assign", assignable=assignable_staff())
    found = _case_or_404(case_id)
    try:
        assignee = triage.assign(found.referral, record_id(request.form.get("assignee")), current_actor())
    except AssignmentRefused as refusal:
        return _action_page(
            "staff/case_assign.html", case_id, "assign", refusal.problems, 400, assignable=assignable_staff()
        )
    return _back(found, "staff_cases.case", f"The case and its referral are now assigned to {assignee.name}.")


@bp.route("/cases/<int:case_id>/contact", methods=["GET", "POST"])
@allow("work_on_assigned")
def log_contact(case_id: int) -> ResponseReturnValue:
    page = "log a contact"
    if request.method == "GET":
        return _action_page(
            "staff/case_contact.html",
            case_id,
            page,
            with_case=lambda found: {"contact_refusal": contact.contact_refusal(found.referral)},
        )
    found = _case_or_404(case_id)
    occurred_on, date_error = date_from_form("occurred_on", "the date of the contact")
    details_given = ContactDetails(
        occurred_on, request.form.get("method", ""), request.form.get("direction", ""), request.form.get("summary", "")
    )
    try:
        contact.log_contact(found.referral, details_given, current_actor(), request_today(), case=found)
    except ContactNotPermitted as refusal:
        return _action_page("staff/case_contact.html", case_id, page, {"contact": str(refusal)}, 403)
    except InvalidContact as error:
        problems = with_date_error(error.problems, "occurred_on", date_error)
        return _action_page("staff/case_contact.html", case_id, page, problems, 400)
    return _back(found, "staff_cases.timeline", "Contact logged on the timeline.")


@bp.route("/cases/<int:case_id>/consent", methods=["GET", "POST"])
@allow("decide_casework")
def record_consent(case_id: int) -> ResponseReturnValue:
    page = "record consent"
    if request.method == "GET":
        return _action_page("staff/case_consent_new.html", case_id, page)
    found = _case_or_404(case_id)
    given_on, date_error = date_from_form("given_on", "the date consent was given")
    sought = request.form.get("child_view_sought")
    parties = [" ".join(line.split()) for line in request.form.get("parties", "").splitlines() if line.strip()]
    consent = CaseConsent(
        given_by=request.form.get("given_by"),
        given_on=given_on,
        method=request.form.get("consent_method"),
        keeps_contact_information=request.form.get("keeps_contact_information") == "yes",
        parties=parties,
        child_view_sought={"yes": True, "no": False}.get(sought or ""),
        child_view=request.form.get("child_view", ""),
    )
    child = found.referral.person("child")
    try:
        record_case_consent(
            found,
            consent,
            child.date_of_birth if child else None,
            current_actor(),
            request_today(),
            current_app.config["CONSENT_REVIEW_MONTHS"],
        )
    except ConsentNotRecorded as refusal:
        problems = with_date_error(refusal.problems, "given_on", date_error)
        return _action_page("staff/case_consent_new.html", case_id, page, problems, 400)
    return _back(found, "staff_cases.consent_and_disclosures", "Consent recorded.")


@bp.route("/cases/<int:case_id>/consent/<int:consent_id>/withdraw", methods=["GET", "POST"])
@allow("decide_casework")
def withdraw(case_id: int, consent_id: int) -> ResponseReturnValue:
    """Consent can be withdrawn whenever the family says so, even after the case has closed."""
    found = _case_or_404(case_id)
    record = casework.consent_on(found, consent_id)
    if record is None:
        abort(404)
    page = f"withdraw consent {record.id}"
    if request.method == "GET":
        return _action_page("staff/case_withdraw.html", case_id, page, consent=record)
    withdrawn_on, date_error = date_from_form("withdrawn_on", "the date consent was withdrawn")
    try:
        withdraw_consent(
            record,
            request.form.get("withdrawn_by"),
            withdrawn_on,
            request.form.get("withdrawn_method"),
            current_actor(),
            request_today(),
        )
    except ConsentNotRecorded as refusal:
        problems = with_date_error(refusal.problems, "withdrawn_on", date_error)
        return _action_page("staff/case_withdraw.html", case_id, page, problems, 400, consent=record)
    return _back(
        found,
        "staff_cases.consent_and_disclosures",
        "Withdrawal recorded. Nothing more can be shared on that consent.",
    )


@bp.route("/cases/<int:case_id>/reviews", methods=["GET", "POST"])
@allow("decide_casework")
def review(case_id: int) -> ResponseReturnValue:
    page = "record a consent review"
    if request.method == "GET":
        return _action_page("staff/case_review.html", case_id, page)
    found = _case_or_404(case_id)
    reviewed_on, date_error = date_from_form("reviewed_on", "the date of the review")
    try:
        record_review(
            found,
            reviewed_on,
            request.form.get("outcome"),
            request.form.get("review_method"),
            current_actor(),
            request_today(),
            current_app.config["CONSENT_REVIEW_MONTHS"],
        )
    except ConsentNotRecorded as refusal:
        problems = with_date_error(refusal.problems, "reviewed_on", date_error)
        return _action_page("staff/case_review.html", case_id, page, problems, 400)
    due = f" The next review is due {long_date(found.consent_review_due)}." if found.consent_review_due else ""
    return _back(found, "staff_cases.consent_and_disclosures", f"Consent review recorded.{due}")


# A disclosure is two questions: on what ground (the family's consent, or a legal basis without
# it), then the form for that ground, so nobody sees fields that do not apply to them.
DISCLOSURE_ROUTES = {
    "with_consent": "With the family’s consent",
    "without_consent": "Without consent, on a safeguarding or legal basis",
}


@bp.route("/cases/<int:case_id>/disclosures/new", methods=["GET", "POST"])
@allow("decide_casework")
def disclose(case_id: int) -> ResponseReturnValue:
    """Step 1: with the family's consent or without it."""
    page = "record a disclosure"
    chosen = request.form.get("route", "")
    if request.method == "GET" or chosen not in DISCLOSURE_ROUTES:
        problems = {"route": "Choose whether the information was shared with the family’s consent or without it"}
        return _action_page(
            "staff/case_disclosure_start.html",
            case_id,
            page,
            problems if request.method == "POST" else None,
            400 if request.method == "POST" else 200,
            routes=DISCLOSURE_ROUTES,
        )
    endpoint = "disclose_with_consent" if chosen == "with_consent" else "disclose_without_consent"
    return redirect(url_for(f"staff_cases.{endpoint}", case_id=_case_or_404(case_id).id))


@bp.route("/cases/<int:case_id>/disclosures/new/with-consent", methods=["GET", "POST"])
@allow("decide_casework")
def disclose_with_consent(case_id: int) -> ResponseReturnValue:
    """Step 2 on consent: to one of the third parties the family's current consents name."""
    return _disclosure_step(case_id, "with consent", "staff/case_disclosure_consent.html")


@bp.route("/cases/<int:case_id>/disclosures/new/without-consent", methods=["GET", "POST"])
@allow("decide_casework")
def disclose_without_consent(case_id: int) -> ResponseReturnValue:
    """Step 2 without consent: the legal basis and why, held until another manager approves."""
    return _disclosure_step(case_id, "without consent", "staff/case_disclosure_legal.html")


def _disclosure_step(case_id: int, ground: str, template: str) -> ResponseReturnValue:
    page = f"record a disclosure {ground}"
    with_consent = ground == "with consent"

    def shown(problems: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
        return _action_page(
            template,
            case_id,
            page,
            problems,
            status,
            with_case=lambda found: {"parties": disclosures.named_parties(found) if with_consent else []},
        )

    if request.method == "GET":
        return shown()
    found = _case_or_404(case_id)
    disclosed_on, date_error = date_from_form("disclosed_on", "the date the information was shared")
    # The ground is the page's, never a field a form could change: a legal basis sent to the
    # consent page is not a consent.
    basis = "consent" if with_consent else request.form.get("basis", "")
    if not with_consent and basis not in LEGAL_BASES:
        basis = ""
    wanted = DisclosureRequest(
        disclosed_on=disclosed_on,
        what_was_shared=request.form.get("what_was_shared", ""),
        basis=basis,
        consent_party_id=record_id(request.form.get("consent_party_id")) if with_consent else None,
        recipient="" if with_consent else request.form.get("recipient", ""),
        justification="" if with_consent else request.form.get("justification", ""),
    )
    try:
        recorded = disclosures.record_disclosure(found, wanted, current_actor(), request_today())
    except DisclosureRefused as refusal:
        problems = with_date_error(refusal.problems, "disclosed_on", date_error)
        if not with_consent and "basis" in problems and found.status != "closed":
            problems["basis"] = "Choose the safeguarding or legal basis for sharing without consent"
        return shown(problems, 400)
    if recorded.shared:
        message = f"Disclosure to {recorded.recipient} recorded. It shows on the timeline as shared."
    else:
        message = (
            f"Disclosure to {recorded.recipient} recorded as awaiting approval. It is not shown as shared until "
            "a manager other than you approves it."
        )
    return _back(found, "staff_cases.consent_and_disclosures", message)


@bp.get("/cases/<int:case_id>/disclosures")
@allow("list_disclosures")
def disclosure_list(case_id: int) -> ResponseReturnValue:
    """Every disclosure on the case, for the data protection team (who do not see casework)."""
    found = casework.case_for_disclosures(case_id, current_actor())
    if found is None:
        abort(404)
    return render_template(
        "staff/disclosures.html",
        case=found,
        disclosures=disclosures.disclosures_of(found),
        basis_labels=BASIS_LABELS,
    )


@bp.get("/disclosures/awaiting-approval")
@allow("approve_disclosure")
def disclosures_awaiting_approval() -> ResponseReturnValue:
    """Disclosures without consent waiting for a manager's decision, for every case."""
    return render_template(
        "staff/disclosures_awaiting_approval.html",
        held=disclosures.awaiting_approval(current_user),
        basis_labels=BASIS_LABELS,
    )


def _render_decision(
    case_id: int,
    disclosure_id: int,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """A disclosure without consent with its approve or decline form; the look is audited, on a
    refused decision too."""
    found = _case_or_404(case_id)
    held = disclosures.view_for_decision(found, disclosure_id, current_user, current_actor())
    if held is None:
        abort(404)
    return render_template(
        "staff/disclosure_decision.html",
        case=found,
        held=held,
        errors=errors or {},
        error_anchors={},
        form=form or {},
        basis_labels=BASIS_LABELS,
        status_labels=DISCLOSURE_STATUS_LABELS,
        decisions=DECISIONS,
    ), status


@bp.get("/cases/<int:case_id>/disclosures/<int:disclosure_id>")
@allow("approve_disclosure")
def disclosure_decision(case_id: int, disclosure_id: int) -> ResponseReturnValue:
    return _render_decision(case_id, disclosure_id)


@bp.post("/cases/<int:case_id>/disclosures/<int:disclosure_id>")
@allow("approve_disclosure")
def decide_disclosure(case_id: int, disclosure_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    disclosure = disclosures.disclosure_on(found, disclosure_id)
    if disclosure is None:
        abort(404)
    decision = request.form.get("decision", "")
    try:
        disclosures.decide(disclosure, decision, request.form.get("decline_reason", ""), current_actor())
    except SelfApprovalRefused as refusal:
        return _render_decision(case_id, disclosure_id, refusal.problems, dict(request.form), 403)
    except DecisionRefused as refusal:
        return _render_decision(case_id, disclosure_id, refusal.problems, dict(request.form), 400)
    reference = found.referral.reference
    if decision == "approve":
        flash(f"You approved the disclosure on case {reference}. It now shows on the case as shared.")
    else:
        flash(f"You declined the disclosure on case {reference}. It will not show on the case as shared.")
    return redirect(url_for("staff_cases.disclosures_awaiting_approval"))


@bp.route("/cases/<int:case_id>/close", methods=["GET", "POST"])
@allow("decide_casework")
def close(case_id: int) -> ResponseReturnValue:
    """Closing asks first: the outcome and date go to a page that shows them, with what closing
    means, and only its button closes the case. The answers travel in the form (the page is
    no-store, like every staff page), so nothing half-done is kept on the server."""
    page = "close"
    if request.method == "GET" or request.form.get("change"):
        return _action_page("staff/case_close.html", case_id, page)
    found = _case_or_404(case_id)
    closed_on, date_error = date_from_form("closed_on", "the date the case closed")
    try:
        closure = casework.check_closure(
            found,
            request.form.get("case_outcome", ""),
            closed_on,
            request_today(),
            current_app.config["RETENTION_YEARS"],
        )
    except CaseworkError as error:
        problems = with_date_error(error.problems, "closed_on", date_error)
        return _action_page("staff/case_close.html", case_id, page, problems, 400)
    return _action_page("staff/case_close_check.html", case_id, "close: check", closure=closure)


@bp.post("/cases/<int:case_id>/close/confirm")
@allow("decide_casework")
def confirm_close(case_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    closed_on, date_error = date_from_form("closed_on", "the date the case closed")
    try:
        casework.close(found, request.form.get("case_outcome", ""), closed_on, current_actor(), request_today())
    except CaseworkError as error:
        problems = with_date_error(error.problems, "closed_on", date_error)
        return _action_page("staff/case_close.html", case_id, "close", problems, 400)
    destroyed = casework.destruction_date(found, current_app.config["RETENTION_YEARS"])
    return _back(
        found,
        "staff_cases.case",
        f"Case closed. Its records are due for destruction on {long_date(destroyed)}.",
    )


@bp.route("/cases/<int:case_id>/feedback-link", methods=["GET", "POST"])
@allow("decide_casework")
def send_feedback_link(case_id: int) -> ResponseReturnValue:
    page = "family feedback"

    def offered(found: Case) -> dict[str, object]:
        return {"feedback_offer": feedback.offer(found)}

    if request.method == "GET":
        return _action_page("staff/case_feedback.html", case_id, page, with_case=offered)
    found = _case_or_404(case_id)
    try:
        sent_to = feedback.send_link(
            found,
            current_app.extensions["portal_mailer"],
            lambda token: url_for("public.feedback_form", token=token, _external=True),
            current_actor(),
        )
    except FeedbackLinkRefused as refusal:
        problems = {"feedback": str(refusal)}
        return _action_page("staff/case_feedback.html", case_id, page, problems, 400, with_case=offered)
    return _back(
        found,
        "staff_cases.case",
        f"A feedback link was sent to the family at {sent_to}. It works once, for {feedback.VALID_FOR.days} days.",
    )


@bp.route("/cases/<int:case_id>/reopen", methods=["GET", "POST"])
@allow("decide_casework")
def reopen(case_id: int) -> ResponseReturnValue:
    page = "reopen"
    config = current_app.config

    def destruction(found: Case) -> dict[str, object]:
        return {"destruction": casework.destruction_date(found, config["RETENTION_YEARS"])}

    if request.method == "GET":
        return _action_page("staff/case_reopen.html", case_id, page, with_case=destruction)
    found = _case_or_404(case_id)
    try:
        casework.reopen(
            found, current_actor(), request_today(), config["RETENTION_YEARS"], config["CONSENT_REVIEW_MONTHS"]
        )
    except CaseworkError as error:
        return _action_page("staff/case_reopen.html", case_id, page, error.problems, 400, with_case=destruction)
    return _back(
        found,
        "staff_cases.case",
        f"Case reopened. The next consent review is due {long_date(found.consent_review_due)}.",
    )
