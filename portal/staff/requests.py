"""Information requests in the back office: the queue, a request with its deadline's working, and
the steps that answer it. The data protection team handles subject access requests and
complaints; the Strategic Manager handles Freedom of Information requests (design 6.5, 6.6)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.converters import record_id, requested_page
from portal.models.requests import InformationRequest
from portal.request_time import request_today
from portal.services import accounts, holds, jobs, references, requests, retention, subject_access
from portal.services.deadlines import Complaint, FreedomOfInformation
from portal.services.requests import Closure, RequestFilter, RequestRefused
from portal.staff.access import allow, current_actor, staff_blueprint
from portal.staff.forms import date_from_form, with_date_error

bp = staff_blueprint("staff_requests", __name__)

HANDLERS = ("handle_sar", "handle_complaints", "handle_foi")
ERROR_ANCHORS = {
    "verified_on": "verified_on-day",
    "clock_on": "clock_on-day",
    "notice_sent_on": "notice_sent_on-day",
    "pi_told_on": "pi_told_on-day",
    "acknowledged_on": "acknowledged_on-day",
    "closed_on": "closed_on-day",
    "response_pdf": "response-pdf",
}


@bp.get("/requests")
@allow(*HANDLERS)
def queue() -> ResponseReturnValue:
    reference = request.args.get("reference", "").strip()
    search_error = None
    if reference:
        try:
            found = requests.find_by_reference(current_user, reference)
        except references.InvalidReference as error:
            search_error = str(error)
        else:
            if found is not None:
                return redirect(url_for("staff_requests.detail", request_id=found.id))
            search_error = "No request you handle has that reference"
    kinds = requests.kinds_handled(current_user)
    views = requests.views_for(current_user)
    view = request.args.get("view", "open")
    chosen = RequestFilter(
        kind=request.args.get("kind") if request.args.get("kind") in kinds else None,
        view=view if view in views else "open",
    )
    today = request_today()
    return render_template(
        "staff/requests.html",
        page=requests.requests_page(current_user, chosen, current_actor(), requested_page(request.args.get("page"))),
        chosen=chosen,
        kinds=kinds,
        today=today,
        reference=reference,
        search_error=search_error,
        views=views,
        kind_labels=requests.KIND_LABELS,
        stage_labels=requests.STAGE_LABELS,
        prefixes=requests.PREFIXES,
        is_overdue=requests.is_overdue,
        is_stalled=requests.is_stalled,
        filter_args={name: value for name, value in request.args.items() if name != "page" and value},
    )


def _request_or_404(request_id: int) -> InformationRequest:
    """The request for a step taken on it (the step audits itself)."""
    found = requests.get_request(current_user, request_id)
    if found is None:
        abort(404)  # not there, or not a kind this person handles: the same answer
    return found


def _render(
    request_id: int,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The request page, for a look or redrawn after a refused step. Every request page is drawn
    here, and here the look is audited (``view_request`` loads it after the entry is committed),
    so reading a request by posting an empty form leaves a trace too."""
    found = requests.view_request(current_user, request_id, current_actor())
    if found is None:
        abort(404)  # not there, or not a kind this person handles: the same answer
    today = request_today()
    names = accounts.staff_names(
        {event.recorded_by_id for event in found.clock_events}
        | {found.identity_verified_by_id, found.child_confirmation_by_id, found.closed_by_id}
    )
    return (
        render_template(
            "staff/request.html",
            item=found,
            errors=errors or {},
            error_anchors=ERROR_ANCHORS,
            form=dict(request.form) if errors else {},
            today=today,
            names=names,
            working=requests.working(found),
            paused_since=requests.paused_since(found),
            paused_until=requests.paused_until(found),
            clock_choices=requests.clock_choices(found),
            clock_history=requests.has_clock_history(found),
            deadline_forms=requests.deadline_forms(found),
            most_working_days=FreedomOfInformation.MAX_EXTENSION_WORKING_DAYS,
            answer_days=Complaint.ANSWER_DAYS,
            overdue=requests.is_overdue(found, today),
            stalled=requests.is_stalled(found, today),
            answer_expected_by=requests.answer_expected_by(found),
            kind_labels=requests.KIND_LABELS,
            outcome_labels=requests.OUTCOME_LABELS,
            outcomes={value: requests.OUTCOME_LABELS[value] for value in requests.OUTCOMES_BY_KIND[found.kind]},
            time_to_respond=requests.time_to_respond(found),
            destruction=requests.destruction_date(found, current_app.config["REQUEST_RETENTION_YEARS"]),
            needs_child_confirmation=subject_access.needs_child_confirmation(found),
            release_problems=subject_access.release_problems(found) if found.kind == "sar" else [],
            response_preview=subject_access.response_preview(found, current_app.config["SAR_WITHHOLD_STAFF_NAMES"]),
            verified_how_labels=subject_access.VERIFIED_HOW_LABELS,
            child_confirmation_labels=subject_access.CHILD_CONFIRMATION_LABELS,
            clock_event_labels=requests.event_labels(found.kind),
            acting_as_labels=requests.ACTING_AS_LABELS,
            identity_check_labels=requests.IDENTITY_CHECK_LABELS,
            reply_labels=requests.REPLY_LABELS,
            retention=holds.summary(current_user, found, retention.periods_from(current_app.config), today),
        ),
        status,
    )


@bp.get("/requests/<int:request_id>")
@allow(*HANDLERS)
def detail(request_id: int) -> ResponseReturnValue:
    return _render(request_id)


def _back(found: InformationRequest, anchor: str = "") -> ResponseReturnValue:
    return redirect(url_for("staff_requests.detail", request_id=found.id) + (f"#{anchor}" if anchor else ""))


@bp.post("/requests/<int:request_id>/identity")
@allow("handle_sar")
def identity(request_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    verified_on, date_error = date_from_form("verified_on", "the date the identity was verified")
    try:
        subject_access.verify_identity(
            found, request.form.get("verified_how"), verified_on, current_actor(), request_today()
        )
    except RequestRefused as refusal:
        return _render(found.id, with_date_error(refusal.problems, "verified_on", date_error), 400)
    return _back(found, "identity")


@bp.post("/requests/<int:request_id>/clock")
@allow(*HANDLERS)  # each person reaches only the kinds of request they handle
def clock(request_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    on, date_error = date_from_form("clock_on", "the date")
    try:
        requests.record_clock_event(
            found,
            request.form.get("clock_event"),
            on,
            request.form.get("clock_reason", ""),
            current_actor(),
            request_today(),
        )
    except RequestRefused as refusal:
        return _render(found.id, with_date_error(refusal.problems, "clock_on", date_error), 400)
    flash(requests.recorded_message(found))
    return _back(found, "deadline")


@bp.post("/requests/<int:request_id>/extension")
@allow("handle_sar")
def extension(request_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    notice_sent_on, date_error = date_from_form("notice_sent_on", "the date the requester was told")
    try:
        subject_access.extend(
            found,
            record_id(request.form.get("extension_months")),
            request.form.get("extension_reason", ""),
            notice_sent_on,
            current_actor(),
            request_today(),
        )
    except RequestRefused as refusal:
        return _render(found.id, with_date_error(refusal.problems, "notice_sent_on", date_error), 400)
    flash(requests.recorded_message(found))
    return _back(found, "deadline")


@bp.post("/requests/<int:request_id>/public-interest-extension")
@allow("handle_foi")
def public_interest_extension(request_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    told_on, date_error = date_from_form("pi_told_on", "the date the requester was told")
    try:
        requests.extend_for_public_interest(
            found,
            record_id(request.form.get("pi_working_days")),
            request.form.get("pi_exemption", ""),
            told_on,
            current_actor(),
            request_today(),
        )
    except RequestRefused as refusal:
        return _render(found.id, with_date_error(refusal.problems, "pi_told_on", date_error), 400)
    flash(requests.recorded_message(found))
    return _back(found, "deadline")


@bp.post("/requests/<int:request_id>/child-confirmation")
@allow("handle_sar")
def child_confirmation(request_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    try:
        subject_access.record_child_confirmation(
            found,
            request.form.get("child_confirmation"),
            request.form.get("child_confirmation_note", ""),
            current_actor(),
        )
    except RequestRefused as refusal:
        return _render(found.id, refusal.problems, 400)
    return _back(found, "child-confirmation")


def _render_records(found: InformationRequest, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "staff/request_records.html",
            item=found,
            matches=subject_access.matching_records(found, current_actor()),
            error=error,
        ),
        status,
    )


@bp.get("/requests/<int:request_id>/records")
@allow("handle_sar")
def records(request_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    if found.kind != "sar":
        abort(404)
    return _render_records(found)


@bp.post("/requests/<int:request_id>/records")
@allow("handle_sar")
def choose_records(request_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    chosen = [record_id(value) or 0 for value in request.form.getlist("records")]
    try:
        subject_access.choose_records(found, chosen, current_actor())
    except RequestRefused as refusal:
        return _render_records(found, refusal.problems.get("records", str(refusal)), 400)
    return _back(found, "records")


@bp.post("/requests/<int:request_id>/withheld-names")
@allow("handle_sar")
def add_withheld_name(request_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    try:
        subject_access.add_withheld_name(found, request.form.get("withheld_name", ""), current_actor())
    except RequestRefused as refusal:
        return _render(found.id, refusal.problems, 400)
    return _back(found, "withheld")


@bp.post("/requests/<int:request_id>/withheld-names/<int:name_id>/remove")
@allow("handle_sar")
def remove_withheld_name(request_id: int, name_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    name = subject_access.withheld_name_on(found, name_id)
    if name is None:
        abort(404)
    try:
        subject_access.remove_withheld_name(found, name, current_actor())
    except RequestRefused as refusal:
        return _render(found.id, refusal.problems, 400)
    return _back(found, "withheld")


@bp.post("/requests/<int:request_id>/response")
@allow("handle_sar")
def response_pdf(request_id: int) -> ResponseReturnValue:
    """Queue the response PDF and follow it on its progress page; a POST, so no link or prefetch
    can make (and audit) one by accident."""
    found = _request_or_404(request_id)
    try:
        job = jobs.enqueue_response(found, for_team=request.form.get("copy") == "team", actor=current_actor())
    except RequestRefused as refusal:
        return _render(found.id, refusal.problems, 400)
    return redirect(url_for("staff_jobs.progress", token=job.token), 303)


@bp.post("/requests/<int:request_id>/acknowledgement")
@allow("handle_complaints")
def acknowledge(request_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    on, date_error = date_from_form("acknowledged_on", "the date the acknowledgement was sent")
    try:
        requests.acknowledge_complaint(found, on, current_actor(), request_today())
    except RequestRefused as refusal:
        return _render(found.id, with_date_error(refusal.problems, "acknowledged_on", date_error), 400)
    flash(requests.recorded_message(found))
    return _back(found, "deadline")


@bp.post("/requests/<int:request_id>/close")
@allow(*HANDLERS)
def close(request_id: int) -> ResponseReturnValue:
    found = _request_or_404(request_id)
    closed_on, date_error = date_from_form("closed_on", "the date of the response")
    closure = Closure(
        outcome=request.form.get("outcome", ""),
        closed_on=closed_on,
        response=request.form.get("response", ""),
        exemptions=request.form.get("exemptions", ""),
    )
    try:
        requests.close(found, closure, current_actor(), request_today())
    except RequestRefused as refusal:
        return _render(found.id, with_date_error(refusal.problems, "closed_on", date_error), 400)
    return _back(found)
