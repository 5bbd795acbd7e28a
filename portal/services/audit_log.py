"""Reading the audit log: a page of entries, newest first, filtered by who acted, what they did
and on which record. The log names staff and where they worked from, so reading it is audited
like any other look at personal data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.staff import StaffUser
from portal.services import audit
from portal.services.audit import Actor
from portal.services.audit_actions import AUDIT_ACTIONS
from portal.services.problems import Page, page_number

PAGE_SIZE = 50
RECORD_TYPES = {
    "referral": "Referral",
    "case": "Case",
    "information_request": "Information request",
    "staff_user": "Staff account",
}


@dataclass(frozen=True)
class AuditFilter:
    """What to narrow the log to; a value the log cannot hold (an undeclared action, an unknown
    kind of record) is dropped by ``chosen`` rather than matching nothing."""

    actor_id: int | None = None
    action: str | None = None
    record_type: str | None = None
    record_id: int | None = None

    @classmethod
    def chosen(
        cls, actor_id: int | None, action: str | None, record_type: str | None, record_id: int | None
    ) -> AuditFilter:
        return cls(
            actor_id=actor_id or None,
            action=action if action in AUDIT_ACTIONS else None,
            record_type=record_type if record_type in RECORD_TYPES else None,
            record_id=record_id or None,
        )


def entries_page(chosen: AuditFilter, number: int, actor: Actor) -> Page[AuditEntry]:
    """One page of the log. The look is recorded (and committed) first, so it heads the page it
    is about and the commit does not expire the entries shown."""
    audit.record(actor, "audit log viewed")
    db.session.commit()
    conditions = []
    if chosen.actor_id:
        conditions.append(AuditEntry.actor_id == chosen.actor_id)
    if chosen.action:
        conditions.append(AuditEntry.action == chosen.action)
    if chosen.record_type:
        conditions.append(AuditEntry.record_type == chosen.record_type)
    if chosen.record_id:
        conditions.append(AuditEntry.record_id == chosen.record_id)
    total = db.session.scalar(select(func.count(AuditEntry.id)).where(*conditions)) or 0
    number = page_number(number, total, PAGE_SIZE)
    entries = db.session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.sequence.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    return Page(list(entries), number, total, PAGE_SIZE)


def staff_names() -> dict[int, str]:
    """Everyone who has had an account, by id: the log's "who", and the choices of its filter."""
    return {user.id: user.name for user in db.session.scalars(select(StaffUser)).all()}
