"""The dashboard, the referral queue, a referral in full, and the triage actions on it."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.converters import record_id, requested_page
from portal.models.referrals import Referral
from portal.request_time import request_today
from portal.services import casework, contact, disclosures, holds, references, requests, retention, triage
from portal.services.consent import (
    GIVER_LABELS,
    METHOD_LABELS,
    Attestation,
    IncompleteAttestation,
    record_attestation_by_staff,
)
from portal.services.contact import ContactDetails, ContactNotPermitted, InvalidContact
from portal.services.listing import SearchRefused, Sorting
from portal.services.referrals import ROUTE_LABELS
from portal.services.roles import can
from portal.services.triage import (
    WITHDRAWAL_METHOD_LABELS,
    AssignmentRefused,
    QueueFilter,
    QueueRow,
    TriageError,
    WithdrawalRefused,
)
from portal.staff.access import allow, current_actor, staff_blueprint
from portal.staff.forms import date_from_form, person_search_from_form, with_date_error

bp = staff_blueprint("staff_triage", __name__)

STATUS_LABELS = {
    "new": "New",
    "accepted": "Accepted",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
    "lapsed": "Lapsed",
}
ERROR_ANCHORS = {
    "consent_given_on": "consent_given_on-day",
    "occurred_on": "occurred_on-day",
    "withdrawn_on": "withdrawn_on-day",
    "contact": "contact-log",
    "decision": "decision",
}


@bp.get("/")
@allow("use_back_office")
def dashboard() -> ResponseReturnValue:
    works_cases = can(current_user, "work_on_assigned")
    counts = triage.dashboard_counts(current_user) if works_cases else None
    overdue = casework.overdue_reviews(current_user, request_today()) if works_cases else None
    approves = can(current_user, "approve_disclosure")
    return render_template(
        "staff/dashboard.html",
        counts=counts,
        overdue_reviews=overdue,
        awaiting_approval=disclosures.awaiting_approval_count(current_user) if approves else None,
        request_counts=requests.dashboard_counts(current_user, request_today()),
        holds_past_review=holds.past_review_count(request_today()) if can(current_user, "read_retention") else None,
    )


FILTER_ARGS = ("status", "route", "assigned", "attestation")
SORT_ARGS = ("sort", "order")
SEARCH_ERROR_ANCHORS = {"date_of_birth": "date_of_birth-day"}


def _options(anything: str, labels: dict[str, str], chosen: str | None) -> list[dict[str, object]]:
    return [{"value": "", "text": anything}] + [
        {"value": value, "text": text, "selected": value == chosen} for value, text in labels.items()
    ]


def _queue_filter() -> QueueFilter:
    return QueueFilter(
        status=request.args.get("status") or None,
        route=request.args.get("route") or None,
        assigned_to_me=request.args.get("assigned") == "me",
        awaiting_attestation=request.args.get("attestation") == "missing",
    )


@bp.get("/referrals")
@allow("work_on_assigned")
def referrals() -> ResponseReturnValue:
    reference_text = request.args.get("reference", "").strip()
    search_error = None
    if reference_text:
        try:
            match = triage.find_by_reference(current_user, reference_text)
        except references.InvalidReference as error:
            search_error = str(error)
        else:
            if match is not None:
                return redirect(url_for("staff_triage.referral", referral_id=match.id))
            search_error = "No referral you can see has that reference"
    return _render_referrals(reference_text=reference_text, errors={"reference": search_error} if search_error else {})


@bp.post("/referrals/email-search")
@allow("work_on_assigned")
def email_search() -> ResponseReturnValue:
    """Find referrals by an e-mail address. A POST answered with the page itself, never a redirect:
    the address stays out of URLs, so out of access logs, browser history and the Referer header."""
    email_text = request.form.get("email", "").strip()
    if not email_text:
        return _render_referrals(email_text=email_text, errors={"email": "Enter an email address"}, status=400)
    found = triage.find_by_email(current_user, email_text, current_actor())
    return _render_referrals(email_text=email_text, found=found, found_caption=f"Referrals naming {email_text}")


@bp.post("/referrals/person-search")
@allow("work_on_assigned")
def person_search() -> ResponseReturnValue:
    """Find referrals by a name, a date of birth or a postcode. A POST answered with the page
    itself, like the e-mail search, so what was typed never appears in a URL or a log."""
    search, problems = person_search_from_form()
    if not problems:
        try:
            found = triage.find_by_person(current_user, search, current_actor())
        except SearchRefused as refused:
            problems = refused.problems
        else:
            return _render_referrals(found=found, found_caption="Referrals matching your search")
    return _render_referrals(errors=problems, status=400)


def _render_referrals(
    reference_text: str = "",
    email_text: str = "",
    errors: dict[str, str] | None = None,
    found: list[QueueRow] | None = None,
    found_caption: str = "",
    status: int = 200,
) -> ResponseReturnValue:
    """The queue (its filters and order read from the query string), or a search's answer."""
    queue = _queue_filter()
    sorting = Sorting.chosen(
        triage.QUEUE_SORTS, triage.NEWEST_FIRST, request.args.get("sort"), request.args.get("order")
    )
    # A search's answer is shown on its own (with the search recorded as the one look), not above
    # a page of the queue that would be a second look at other families.
    page = (
        None
        if found is not None
        else triage.queue_page(current_user, queue, current_actor(), requested_page(request.args.get("page")), sorting)
    )
    filter_args = {name: value for name, value in request.args.items() if name in FILTER_ARGS and value}
    return render_template(
        "staff/referrals.html",
        page=page,
        queue=queue,
        found=found,
        found_caption=found_caption,
        page_size=triage.PAGE_SIZE,
        reference_text=reference_text,
        email_text=email_text,
        errors=errors or {},
        error_anchors=SEARCH_ERROR_ANCHORS,
        form=request.form,
        status_options=_options("Any status", STATUS_LABELS, queue.status),
        route_options=_options("Any route", ROUTE_LABELS, queue.route),
        filter_args=filter_args,
        page_args=filter_args | {name: value for name, value in request.args.items() if name in SORT_ARGS and value},
        sorting=sorting,
        sorts=triage.QUEUE_SORTS,
        status_labels=STATUS_LABELS,
        route_labels=ROUTE_LABELS,
    ), status


def _referral_or_404(referral_id: int) -> Referral:
    """The referral for a change to it (the change audits itself)."""
    referral = triage.get_referral(current_user, referral_id)
    if referral is None:
        abort(404)  # not there, or not theirs to see: the same answer either way
    return referral


def _render_referral(
    referral_id: int, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    """The referral page, for a look or redrawn after a refused change. Every referral page is
    drawn here, and here the look is audited (``view_referral`` loads it after the entry is
    committed), so reading a referral by posting an empty form leaves a trace too."""
    viewed = triage.view_referral(current_user, referral_id, current_actor())
    if viewed is None:
        abort(404)  # not there, or not theirs to see: the same answer either way
    referral = viewed.referral
    errors, form = errors or {}, form or {}
    assignable = triage.assignable_staff(request_today()) if can(current_user, "decide_casework") else []
    return (
        render_template(
            "staff/referral.html",
            referral=referral,
            same_child=viewed.same_child,
            awaits_attestation=triage.awaits_attestation(referral),
            case=triage.case_of(referral),
            entries=contact.contact_entries(referral),
            contact_refusal=contact.contact_refusal(referral),
            can_decide=can(current_user, "decide_casework"),
            errors=errors,
            form=form,
            status_labels=STATUS_LABELS,
            route_labels=ROUTE_LABELS,
            giver_labels=GIVER_LABELS,
            method_labels=METHOD_LABELS,
            contact_labels=contact.METHOD_LABELS,
            direction_labels=contact.DIRECTION_LABELS,
            withdrawal_labels=WITHDRAWAL_METHOD_LABELS,
            assignee_items=[{"value": "", "text": "Choose someone"}]
            + [
                {"value": str(user.id), "text": user.name, "selected": user.id == referral.assigned_to_id}
                for user in assignable
            ],
            error_anchors=ERROR_ANCHORS,
            today=request_today(),
            retention=holds.summary(
                current_user, referral, retention.periods_from(current_app.config), request_today()
            ),
        ),
        status,
    )


@bp.get("/referrals/<int:referral_id>")
@allow("work_on_assigned")
def referral(referral_id: int) -> ResponseReturnValue:
    return _render_referral(referral_id)


def _back(referral: Referral, anchor: str = "") -> ResponseReturnValue:
    return redirect(url_for("staff_triage.referral", referral_id=referral.id) + anchor)


@bp.post("/referrals/<int:referral_id>/assign")
@allow("decide_casework")
def assign(referral_id: int) -> ResponseReturnValue:
    referral = _referral_or_404(referral_id)
    try:
        assignee = triage.assign(referral, record_id(request.form.get("assignee")), current_actor())
    except AssignmentRefused as refusal:
        return _render_referral(referral.id, refusal.problems, status=400)
    flash(f"The referral is now assigned to {assignee.name}, and so is any case opened from it.")
    return _back(referral)


@bp.post("/referrals/<int:referral_id>/accept")
@allow("decide_casework")
def accept(referral_id: int) -> ResponseReturnValue:
    referral = _referral_or_404(referral_id)
    try:
        case = triage.accept(referral, current_actor(), request_today(), current_app.config["CONSENT_REVIEW_MONTHS"])
    except TriageError as error:
        return _render_referral(referral.id, {"decision": str(error)}, status=400)
    flash(f"Referral {referral.reference} is accepted. This is the case opened from it.")
    return redirect(url_for("staff_cases.case", case_id=case.id))


@bp.post("/referrals/<int:referral_id>/decline")
@allow("decide_casework")
def decline(referral_id: int) -> ResponseReturnValue:
    referral = _referral_or_404(referral_id)
    reason = request.form.get("reason", "")
    try:
        triage.decline(referral, reason, current_actor())
    except TriageError as error:
        return _render_referral(referral.id, {"reason": str(error)}, {"reason": reason}, status=400)
    flash("The referral is declined and closed. The reason is recorded below.")
    return _back(referral)


@bp.post("/referrals/<int:referral_id>/withdraw")
@allow("decide_casework")
def withdraw(referral_id: int) -> ResponseReturnValue:
    referral = _referral_or_404(referral_id)
    withdrawn_on, date_error = date_from_form("withdrawn_on", "the date the family withdrew")
    try:
        triage.withdraw(referral, withdrawn_on, request.form.get("withdrawal_method"), current_actor())
    except WithdrawalRefused as refusal:
        problems = with_date_error(refusal.problems, "withdrawn_on", date_error)
        return _render_referral(referral.id, problems, dict(request.form), status=400)
    flash("The family's withdrawal is recorded. The referral is closed, and so is any case opened from it.")
    return _back(referral)


@bp.post("/referrals/<int:referral_id>/attestation")
@allow("decide_casework")
def record_attestation(referral_id: int) -> ResponseReturnValue:
    referral = _referral_or_404(referral_id)
    given_on, date_error = date_from_form("consent_given_on", "the date consent was given")
    attestation = Attestation(
        given_by=request.form.get("consent_given_by"),
        given_on=given_on,
        method=request.form.get("consent_method"),
        statement_confirmed=request.form.get("consent_confirmed") == "y",
    )
    try:
        record_attestation_by_staff(referral, attestation, current_actor(), request_today())
    except IncompleteAttestation as refusal:
        # A date typed but not real is said as such, beside whatever else is missing.
        problems = with_date_error(refusal.problems, "consent_given_on", date_error)
        return _render_referral(referral.id, problems, dict(request.form), status=400)
    flash("The consent attestation is recorded. You can now contact the family and log it.")
    return _back(referral, "#consent")


@bp.post("/referrals/<int:referral_id>/contact")
@allow("work_on_assigned")
def log_contact(referral_id: int) -> ResponseReturnValue:
    referral = _referral_or_404(referral_id)
    occurred_on, date_error = date_from_form("occurred_on", "the date of the contact")
    details = ContactDetails(
        occurred_on=occurred_on,
        method=request.form.get("method", ""),
        direction=request.form.get("direction", ""),
        summary=request.form.get("summary", ""),
    )
    try:
        contact.log_contact(referral, details, current_actor(), request_today())
    except ContactNotPermitted as refusal:
        return _render_referral(referral.id, {"contact": str(refusal)}, dict(request.form), status=403)
    except InvalidContact as error:
        problems = with_date_error(error.problems, "occurred_on", date_error)
        return _render_referral(referral.id, problems, dict(request.form), status=400)
    flash("The contact is logged.")
    return _back(referral, "#contact-log")
