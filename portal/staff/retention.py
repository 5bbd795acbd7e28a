"""Retention in the back office (design 8): what falls due for destruction, the holds that keep
records beyond their date, the destruction log and the inactive cases, for the data protection team
and the Strategic Manager; and the forms that place and lift a hold on a referral, case or request.

Those who hold records may hold any record, including casework the data protection team does not
read and requests of kinds a manager does not handle: the forms name the record by its reference
only, and after a change they go back to the record's page only if the person may open it.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.request_time import request_today
from portal.services import holds, retention
from portal.services.clock import long_date
from portal.services.holds import HoldRefused, HoldTarget
from portal.services.retention import HOLD_REASON_LABELS, MANUAL_HOLD_LABELS, ROOT_TYPE_LABELS
from portal.staff.access import allow, current_actor, staff_blueprint
from portal.staff.forms import date_from_form, with_date_error

bp = staff_blueprint("staff_retention", __name__)

ERROR_ANCHORS = {"review_on": "review_on-day"}
# Where the lift form was opened from, when that is not the record's main page (the case, for a
# referral with one): a fixed word, never a URL, so the redirect after lifting can only go to one
# of the portal's own pages.
BACK_TO_RETENTION = "retention"
BACK_TO_REFERRAL = "referral"


@bp.get("/retention")
@allow("read_retention")
def overview() -> ResponseReturnValue:
    page = retention.overview(current_user, current_actor(), retention.periods_from(current_app.config))
    return render_template(
        "staff/retention/overview.html",
        page=page,
        reason_labels=HOLD_REASON_LABELS,
        root_type_labels=ROOT_TYPE_LABELS,
        back=BACK_TO_RETENTION,
    )


def _record_page(target: HoldTarget, record_url: str) -> str:
    """The record's own page, or the retention page for someone who may not open the record."""
    if holds.record_page_open_to(current_user, target):
        return record_url + "#retention"
    return url_for("staff_retention.overview")


def _hold_form(target: HoldTarget | None, record_url: str) -> ResponseReturnValue:
    """The hold form, for a look or redrawn after a refusal; placing the hold goes back to the
    record with what was done. The form shows the record's reference and what was typed, nothing
    else of the record."""
    if target is None:
        abort(404)
    if request.method == "GET":
        return _render_hold_form(target, record_url)
    review_on, date_error = date_from_form("review_on", "the date to review the hold by")
    try:
        hold = holds.place(
            target.record, request.form.get("reason"), request.form.get("note", ""), review_on, current_actor()
        )
    except HoldRefused as refusal:
        problems = with_date_error(refusal.problems, "review_on", date_error)
        return _render_hold_form(target, record_url, problems, 400)
    flash(
        f"Hold placed: the records of {target.reference} are kept until the hold is lifted. "
        f"Review it by {long_date(hold.review_on)}."
    )
    return redirect(_record_page(target, record_url))


def _render_hold_form(
    target: HoldTarget, record_url: str, errors: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "staff/retention/hold.html",
        target=target,
        back_url=_record_page(target, record_url),
        errors=errors or {},
        error_anchors=ERROR_ANCHORS,
        form=dict(request.form) if errors else {},
        reason_labels=MANUAL_HOLD_LABELS,
        root_type_labels=ROOT_TYPE_LABELS,
        today=request_today(),
    ), status


@bp.route("/referrals/<int:referral_id>/holds/new", methods=["GET", "POST"])
@allow("hold_records")
def hold_referral(referral_id: int) -> ResponseReturnValue:
    return _hold_form(holds.target_of_referral(referral_id), url_for("staff_triage.referral", referral_id=referral_id))


@bp.route("/cases/<int:case_id>/holds/new", methods=["GET", "POST"])
@allow("hold_records")
def hold_case(case_id: int) -> ResponseReturnValue:
    """A hold on a case is placed on its referral: the two are destroyed together."""
    return _hold_form(holds.target_of_case(case_id), url_for("staff_cases.case", case_id=case_id))


@bp.route("/requests/<int:request_id>/holds/new", methods=["GET", "POST"])
@allow("hold_records")
def hold_request(request_id: int) -> ResponseReturnValue:
    return _hold_form(holds.target_of_request(request_id), url_for("staff_requests.detail", request_id=request_id))


def _lifted_back_to(target: HoldTarget, back: str | None) -> str:
    if back == BACK_TO_RETENTION:
        return url_for("staff_retention.overview")
    if target.request_kind is not None:
        record_url = url_for("staff_requests.detail", request_id=target.record.id)
    elif target.case_id is not None and back != BACK_TO_REFERRAL:
        record_url = url_for("staff_cases.case", case_id=target.case_id)
    else:
        record_url = url_for("staff_triage.referral", referral_id=target.record.id)
    return _record_page(target, record_url)


@bp.route("/holds/<int:hold_id>/lift", methods=["GET", "POST"])
@allow("hold_records")
def lift_hold(hold_id: int) -> ResponseReturnValue:
    described = holds.describe(hold_id, request_today())
    if described is None:
        abort(404)
    back = request.values.get("back")
    if request.method == "POST":
        try:
            holds.lift(described.shown.hold, request.form.get("lift_reason", ""), current_actor())
        except HoldRefused as refusal:
            return _render_lift_form(described, back, refusal.problems, 400)
        flash(
            f"Hold lifted: the records of {described.target.reference} are destroyed when they fall due, "
            "unless another hold keeps them."
        )
        return redirect(_lifted_back_to(described.target, back))
    return _render_lift_form(described, back)


def _render_lift_form(
    described: holds.DescribedHold, back: str | None, errors: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "staff/retention/lift.html",
        described=described,
        back=back if back in (BACK_TO_RETENTION, BACK_TO_REFERRAL) else None,
        back_url=_lifted_back_to(described.target, back),
        errors=errors or {},
        error_anchors={},
        form=dict(request.form) if errors else {},
        reason_labels=HOLD_REASON_LABELS,
        root_type_labels=ROOT_TYPE_LABELS,
    ), status
