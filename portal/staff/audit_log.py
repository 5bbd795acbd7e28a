"""The audit log, for the Strategic Manager and the data protection team."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.converters import record_id, requested_page
from portal.services.audit_actions import AUDIT_ACTIONS, label
from portal.services.audit_log import RECORD_TYPES, AuditFilter, DatesRefused, entries_page, staff_names
from portal.staff.access import allow, current_actor, staff_blueprint
from portal.staff.forms import date_from_query

bp = staff_blueprint("staff_audit", __name__)

# Where each kind of record opens, and the name of its id in that page's URL.
RECORD_PAGES = {
    "referral": ("staff_triage.referral", "referral_id"),
    "case": ("staff_cases.case", "case_id"),
    "information_request": ("staff_requests.detail", "request_id"),
    "staff_user": ("staff_admin.user", "user_id"),
}
DATE_FIELDS = ("from", "to")
ERROR_ANCHORS = {name: f"{name}-day" for name in DATE_FIELDS}


@bp.get("/audit")
@allow("read_audit_log")
def audit_log() -> ResponseReturnValue:
    from_day, from_problem = date_from_query("from", "the date from")
    to_day, to_problem = date_from_query("to", "the date to")
    errors = {name: problem for name, problem in (("from", from_problem), ("to", to_problem)) if problem}
    filters = {
        "actor_id": record_id(request.args.get("actor")),
        "action": request.args.get("action"),
        "record_type": request.args.get("record_type"),
        "record_id": record_id(request.args.get("record_id")),
    }
    try:
        chosen = AuditFilter.chosen(**filters, from_day=from_day, to_day=to_day)
    except DatesRefused as refused:
        errors |= refused.problems
    if errors:
        # The log is still shown, without the days that could not be read.
        chosen = AuditFilter.chosen(**filters)
    page = entries_page(chosen, requested_page(request.args.get("page")), current_actor(), current_user)
    staff = staff_names()
    return render_template(
        "staff/audit.html",
        page=page,
        staff=staff,
        label=label,
        errors=errors,
        error_anchors=ERROR_ANCHORS,
        form=request.args,
        record_pages=RECORD_PAGES,
        filters={name: value for name, value in request.args.items() if name != "page" and value},
        actor_items=[{"value": "", "text": "Anyone"}]
        + [
            {"value": str(staff_id), "text": name, "selected": staff_id == chosen.actor_id}
            for staff_id, name in sorted(staff.items(), key=lambda item: item[1].casefold())
        ],
        type_items=[{"value": "", "text": "Any record"}]
        + [
            {"value": value, "text": text, "selected": value == chosen.record_type}
            for value, text in RECORD_TYPES.items()
        ],
        action_items=[{"value": "", "text": "Any action"}]
        + [
            {"value": action, "text": text, "selected": action == chosen.action}
            for action, text in sorted(AUDIT_ACTIONS.items(), key=lambda item: item[1])
        ],
        record_id=chosen.record_id,
        record_types=RECORD_TYPES,
    ), 400 if errors else 200
