"""The audit log, for the Strategic Manager and the data protection team."""

from __future__ import annotations

import math

from flask import render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.staff import StaffUser
from portal.staff.access import allow, staff_blueprint

bp = staff_blueprint("staff_audit", __name__)

PAGE_SIZE = 50
RECORD_TYPES = ("referral", "case", "staff_user")


@bp.get("/audit")
@allow("read_audit_log")
def audit_log() -> ResponseReturnValue:
    actor = request.args.get("actor", type=int)
    record_type = request.args.get("record_type") if request.args.get("record_type") in RECORD_TYPES else None
    record_id = request.args.get("record_id", type=int)
    action = (request.args.get("action") or "").strip()[:48]
    conditions = []
    if actor:
        conditions.append(AuditEntry.actor_id == actor)
    if record_type:
        conditions.append(AuditEntry.record_type == record_type)
    if record_id:
        conditions.append(AuditEntry.record_id == record_id)
    if action:
        conditions.append(AuditEntry.action == action)
    total = db.session.scalar(select(func.count(AuditEntry.id)).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    entries = db.session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.sequence.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    staff = {user.id: user.name for user in db.session.scalars(select(StaffUser)).all()}
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    filters = {name: value for name, value in request.args.items() if name != "page" and value}
    return render_template(
        "staff/audit.html",
        entries=entries,
        staff=staff,
        total=total,
        number=number,
        pages=pages,
        filters=filters,
        actor_items=[{"value": "", "text": "Anyone"}]
        + [
            {"value": str(staff_id), "text": name, "selected": staff_id == actor}
            for staff_id, name in sorted(staff.items(), key=lambda item: item[1])
        ],
        type_items=[{"value": "", "text": "Any record"}]
        + [
            {"value": value, "text": value.replace("_", " ").capitalize(), "selected": value == record_type}
            for value in RECORD_TYPES
        ],
        action_items=[{"value": "", "text": "Any action"}]
        + [{"value": value, "text": value, "selected": value == action} for value in actions],
        record_id=record_id,
    )
