"""The audit log, for the Strategic Manager and the data protection team."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from portal.converters import record_id, requested_page
from portal.services.audit_actions import AUDIT_ACTIONS, label
from portal.services.audit_log import RECORD_TYPES, AuditFilter, entries_page, staff_names
from portal.staff.access import allow, current_actor, staff_blueprint

bp = staff_blueprint("staff_audit", __name__)


@bp.get("/audit")
@allow("read_audit_log")
def audit_log() -> ResponseReturnValue:
    chosen = AuditFilter.chosen(
        actor_id=record_id(request.args.get("actor")),
        action=request.args.get("action"),
        record_type=request.args.get("record_type"),
        record_id=record_id(request.args.get("record_id")),
    )
    page = entries_page(chosen, requested_page(request.args.get("page")), current_actor())
    staff = staff_names()
    return render_template(
        "staff/audit.html",
        page=page,
        staff=staff,
        label=label,
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
    )
