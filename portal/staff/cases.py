"""Cases: the list, a case with its timeline, and the casework done on it."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.converters import record_id, requested_page
from portal.models.cases import Case, CaseNote
from portal.request_time import request_today
from portal.services import casework, contact, disclosures, feedback, holds, references, retention, triage
from portal.services.case_codes import INTERVENTION_LEVELS, TOPICS
from portal.services.casework import CaseDetails, CaseFilter, CaseworkError, EditConflict
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
    DecisionRefused,
    DisclosureRefused,
    DisclosureRequest,
    SelfApprovalRefused,
)
from portal.services.disclosures import STATUS_LABELS as DISCLOSURE_STATUS_LABELS
from portal.services.feedback import FeedbackLinkRefused
from portal.services.roles import can
from portal.services.triage import AssignmentRefused, assignable_staff
from portal.staff.access import allow, current_actor, staff_blueprint
from portal.staff.forms import date_from_form, with_date_error

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
    chosen = CaseFilter(
        status=request.args.get("status") if request.args.get("status") in STATUS_LABELS else None,
        worker_id=record_id(request.args.get("worker")),
        mine=request.args.get("mine") == "yes",
        review_due=request.args.get("review") == "due",
        review_overdue=request.args.get("review") == "overdue",
    )
    today = request_today()
    page = casework.cases_page(current_user, chosen, today, requested_page(request.args.get("page")))
    sees_all = casework.sees_every_case(current_user)
    return render_template(
        "staff/cases.html",
        page=page,
        chosen=chosen,
        today=today,
        reference=reference,
        search_error=search_error,
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
        filter_args={name: value for name, value in request.args.items() if name != "page" and value},
        review_soon=today + dt.timedelta(days=casework.REVIEW_SOON_DAYS),
    )


def _case_or_404(case_id: int) -> Case:
    """The case for a change to it (the change audits itself)."""
    found = casework.get_case(current_user, case_id)
    if found is None:
        abort(404)  # not there, or not theirs: the same answer either way
    return found


def _render_case(
    case_id: int,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
    withdrawing: int | None = None,
) -> ResponseReturnValue:
    """The case page, for a look or redrawn after a refused change. Every case page is drawn
    here, and here the look is audited (by ``view_case``, which loads the case after the entry
    is committed), so no way of reading a case, an empty note posted included, leaves no trace."""
    case = casework.view_case(current_user, case_id, current_actor())
    if case is None:
        abort(404)  # not there, or not theirs: the same answer either way
    config = current_app.config
    errors, form = errors or {}, form or {}
    anchors = ERROR_ANCHORS
    if withdrawing is not None:
        # Each consent has its own withdrawal form, so its boxes carry the consent's id.
        anchors = ERROR_ANCHORS | {
            "withdrawn_by": f"withdrawn_by-{withdrawing}",
            "withdrawn_on": f"withdrawn_on-{withdrawing}-day",
            "withdrawn_method": f"withdrawn_method-{withdrawing}",
        }
    can_decide = can(current_user, "decide_casework")
    assignable = assignable_staff() if can_decide else []
    entries = casework.timeline(case, current_user)
    return (
        render_template(
            "staff/case.html",
            case=case,
            entries=entries,
            errors=errors,
            error_anchors=anchors,
            withdrawing=withdrawing,
            form=form,
            today=request_today(),
            can_decide=can_decide,
            destruction=casework.destruction_date(case, config["RETENTION_YEARS"]),
            topic_labels=TOPICS,
            level_labels=INTERVENTION_LEVELS,
            parties=casework.parties_to_disclose_to(entries) if can_decide else [],
            held_disclosures=disclosures.held_back(case, current_user) if can_decide else [],
            disclosure_status_labels=DISCLOSURE_STATUS_LABELS,
            assignable=assignable,
            contact_refusal=contact.contact_refusal(case.referral),
            feedback_offer=feedback.offer(case) if can_decide else None,
            status_labels=STATUS_LABELS,
            giver_labels=GIVER_LABELS,
            method_labels=METHOD_LABELS,
            review_labels=REVIEW_LABELS,
            basis_labels=BASIS_LABELS,
            contact_labels=contact.METHOD_LABELS,
            direction_labels=contact.DIRECTION_LABELS,
            retention=holds.summary(
                current_user, case.referral, retention.periods_from(current_app.config), request_today()
            ),
        ),
        status,
    )


@bp.get("/cases/<int:case_id>")
@allow("work_on_assigned")
def case(case_id: int) -> ResponseReturnValue:
    return _render_case(case_id)


def _back(case: Case, anchor: str = "timeline") -> ResponseReturnValue:
    return redirect(url_for("staff_cases.case", case_id=case.id) + f"#{anchor}")


@bp.post("/cases/<int:case_id>/notes")
@allow("work_on_assigned")
def add_note(case_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    try:
        casework.add_note(found, request.form.get("note", ""), current_actor())
    except CaseworkError as error:
        return _render_case(found.id, error.problems, dict(request.form), 400)
    return _back(found)


@bp.route("/cases/<int:case_id>/notes/<int:note_id>", methods=["GET", "POST"])
@allow("work_on_assigned")
def edit_note(case_id: int, note_id: int) -> ResponseReturnValue:
    """A note on a page of its own: a case page with a form per note would grow with every note."""
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
    return _back(found, f"note-{note_id}")


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
    shown = casework.view_case(current_user, case.id, current_actor())
    if shown is None:
        abort(404)
    return render_template("staff/conflict.html", case=shown, conflict=conflict, note=None, what="details"), 409


@bp.post("/cases/<int:case_id>/details")
@allow("decide_casework")
def details(case_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    chosen = CaseDetails(
        topic=request.form.get("topic") or None,
        intervention_level=request.form.get("intervention_level") or None,
        status=request.form.get("status", ""),
    )
    try:
        casework.update_details(found, chosen, record_id(request.form.get("version")) or 0, current_actor())
    except CaseworkError as error:
        return _render_case(found.id, error.problems, dict(request.form), 400)
    except EditConflict as conflict:
        return _render_conflict(found, conflict)
    return _back(found, "details")


@bp.post("/cases/<int:case_id>/assign")
@allow("decide_casework")
def assign(case_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    try:
        assignee = triage.assign(found.referral, record_id(request.form.get("assignee")), current_actor())
    except AssignmentRefused as refusal:
        return _render_case(found.id, refusal.problems, dict(request.form), 400)
    flash(f"The case and its referral are now assigned to {assignee.name}.")
    return _back(found, "details")


@bp.post("/cases/<int:case_id>/contact")
@allow("work_on_assigned")
def log_contact(case_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    occurred_on, date_error = date_from_form("occurred_on", "the date of the contact")
    details_given = ContactDetails(
        occurred_on, request.form.get("method", ""), request.form.get("direction", ""), request.form.get("summary", "")
    )
    try:
        contact.log_contact(found.referral, details_given, current_actor(), request_today(), case=found)
    except ContactNotPermitted as refusal:
        return _render_case(found.id, {"contact": str(refusal)}, dict(request.form), 403)
    except InvalidContact as error:
        return _render_case(
            found.id, with_date_error(error.problems, "occurred_on", date_error), dict(request.form), 400
        )
    return _back(found)


@bp.post("/cases/<int:case_id>/consent")
@allow("decide_casework")
def record_consent(case_id: int) -> ResponseReturnValue:
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
        return _render_case(
            found.id, with_date_error(refusal.problems, "given_on", date_error), dict(request.form), 400
        )
    return _back(found, "consent")


@bp.post("/cases/<int:case_id>/consent/<int:consent_id>/withdraw")
@allow("decide_casework")
def withdraw(case_id: int, consent_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    record = casework.consent_on(found, consent_id)
    if record is None:
        abort(404)
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
        return _render_case(found.id, problems, dict(request.form), 400, withdrawing=record.id)
    return _back(found, "consent")


@bp.post("/cases/<int:case_id>/reviews")
@allow("decide_casework")
def review(case_id: int) -> ResponseReturnValue:
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
        return _render_case(
            found.id, with_date_error(refusal.problems, "reviewed_on", date_error), dict(request.form), 400
        )
    return _back(found, "consent")


@bp.post("/cases/<int:case_id>/disclosures")
@allow("decide_casework")
def disclose(case_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    disclosed_on, date_error = date_from_form("disclosed_on", "the date the information was shared")
    wanted = DisclosureRequest(
        disclosed_on=disclosed_on,
        what_was_shared=request.form.get("what_was_shared", ""),
        basis=request.form.get("basis", ""),
        consent_party_id=record_id(request.form.get("consent_party_id")),
        recipient=request.form.get("recipient", ""),
        justification=request.form.get("justification", ""),
    )
    try:
        recorded = disclosures.record_disclosure(found, wanted, current_actor(), request_today())
    except DisclosureRefused as refusal:
        return _render_case(
            found.id, with_date_error(refusal.problems, "disclosed_on", date_error), dict(request.form), 400
        )
    if recorded.shared:
        flash("Disclosure recorded.")
        return _back(found)
    flash(
        "Disclosure recorded as awaiting approval. It is not shown as shared until a manager other than you "
        "approves it."
    )
    return _back(found, "disclosures")


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


@bp.post("/cases/<int:case_id>/close")
@allow("decide_casework")
def close(case_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    closed_on, date_error = date_from_form("closed_on", "the date the case closed")
    try:
        casework.close(found, request.form.get("case_outcome", ""), closed_on, current_actor(), request_today())
    except CaseworkError as error:
        return _render_case(found.id, with_date_error(error.problems, "closed_on", date_error), dict(request.form), 400)
    # Closed: the page now offers the family's feedback link, where the closure left off.
    return _back(found, "feedback")


@bp.post("/cases/<int:case_id>/feedback-link")
@allow("decide_casework")
def send_feedback_link(case_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    try:
        sent_to = feedback.send_link(
            found,
            current_app.extensions["portal_mailer"],
            lambda token: url_for("public.feedback_form", token=token, _external=True),
            current_actor(),
        )
    except FeedbackLinkRefused as refusal:
        return _render_case(found.id, {"feedback": str(refusal)}, status=400)
    flash(f"A feedback link was sent to the family at {sent_to}. It works once, for {feedback.VALID_FOR.days} days.")
    return _back(found, "feedback")


@bp.post("/cases/<int:case_id>/reopen")
@allow("decide_casework")
def reopen(case_id: int) -> ResponseReturnValue:
    found = _case_or_404(case_id)
    config = current_app.config
    try:
        casework.reopen(
            found, current_actor(), request_today(), config["RETENTION_YEARS"], config["CONSENT_REVIEW_MONTHS"]
        )
    except CaseworkError as error:
        return _render_case(found.id, error.problems, status=400)
    return _back(found, "details")
