"""Reading the audit log: a page of entries, newest first, filtered by who acted, what they did,
on which record and between which days. The log names staff and where they worked from, so
reading it is audited like any other look at personal data.

Each entry names its record as people know it (a referral's or request's reference, a case by
its referral's reference, a staff account by name), read for the whole page with one query per
kind of record, and says whether the viewer may open it, so the page links only where it leads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.cases import Case
from portal.models.referrals import Referral
from portal.models.requests import InformationRequest
from portal.models.staff import StaffUser
from portal.services import audit
from portal.services.audit import Actor
from portal.services.audit_actions import AUDIT_ACTIONS
from portal.services.clock import london_midnight
from portal.services.problems import Page, Refusal, page_number
from portal.services.requests import kinds_handled
from portal.services.roles import can

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
    from_day: dt.date | None = None
    to_day: dt.date | None = None

    @classmethod
    def chosen(
        cls,
        actor_id: int | None,
        action: str | None,
        record_type: str | None,
        record_id: int | None,
        from_day: dt.date | None = None,
        to_day: dt.date | None = None,
    ) -> AuditFilter:
        """The filter asked for; ``DatesRefused`` when the last day comes before the first."""
        if from_day and to_day and to_day < from_day:
            raise DatesRefused({"to": "The date to must be the same as or after the date from"})
        return cls(
            actor_id=actor_id or None,
            action=action if action in AUDIT_ACTIONS else None,
            record_type=record_type if record_type in RECORD_TYPES else None,
            record_id=record_id or None,
            from_day=from_day,
            to_day=to_day,
        )


class DatesRefused(Refusal):
    """The days asked for make no range; ``problems["to"]`` says why."""


@dataclass(frozen=True)
class RecordShown:
    """An entry's record as the log shows it: its reference or name (None once the record has been
    destroyed, when only its kind and number remain), and whether the viewer may open its page."""

    name: str | None
    openable: bool


@dataclass(frozen=True)
class EntryShown:
    entry: AuditEntry
    record: RecordShown | None


def entries_page(chosen: AuditFilter, number: int, actor: Actor, viewer: StaffUser) -> Page[EntryShown]:
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
    # London days: from the first day's midnight to the midnight after the last.
    if chosen.from_day:
        conditions.append(AuditEntry.occurred_at >= london_midnight(chosen.from_day))
    if chosen.to_day:
        conditions.append(AuditEntry.occurred_at < london_midnight(chosen.to_day + dt.timedelta(days=1)))
    total = db.session.scalar(select(func.count(AuditEntry.id)).where(*conditions)) or 0
    number = page_number(number, total, PAGE_SIZE)
    entries = db.session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.sequence.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    records = _records_shown(entries, viewer)
    return Page(
        [EntryShown(entry, records.get((entry.record_type, entry.record_id))) for entry in entries],
        number,
        total,
        PAGE_SIZE,
    )


def _records_shown(entries: list[AuditEntry], viewer: StaffUser) -> dict[tuple[str | None, int | None], RecordShown]:
    """The records the page's entries name, one query per kind of record named."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.record_type in RECORD_TYPES and entry.record_id:
            wanted.setdefault(entry.record_type, set()).add(entry.record_id)
    shown: dict[tuple[str | None, int | None], RecordShown] = {}
    for record_type, ids in wanted.items():
        found = NAMERS[record_type](ids, viewer)
        for record_id in ids:
            shown[(record_type, record_id)] = found.get(record_id, RecordShown(None, False))
    return shown


def _referrals(ids: set[int], viewer: StaffUser) -> dict[int, RecordShown]:
    rows = db.session.execute(select(Referral.id, Referral.reference).where(Referral.id.in_(ids)))
    return {row.id: RecordShown(row.reference, can(viewer, "read_casework")) for row in rows}


def _cases(ids: set[int], viewer: StaffUser) -> dict[int, RecordShown]:
    rows = db.session.execute(select(Case.id, Referral.reference).join(Case.referral).where(Case.id.in_(ids)))
    return {row.id: RecordShown(row.reference, can(viewer, "read_casework")) for row in rows}


def _requests(ids: set[int], viewer: StaffUser) -> dict[int, RecordShown]:
    handled = kinds_handled(viewer)
    rows = db.session.execute(
        select(InformationRequest.id, InformationRequest.reference, InformationRequest.kind).where(
            InformationRequest.id.in_(ids)
        )
    )
    return {row.id: RecordShown(row.reference, row.kind in handled) for row in rows}


def _staff(ids: set[int], viewer: StaffUser) -> dict[int, RecordShown]:
    rows = db.session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids)))
    return {row.id: RecordShown(row.name, can(viewer, "manage_accounts")) for row in rows}


NAMERS: dict[str, Callable[[set[int], StaffUser], dict[int, RecordShown]]] = {
    "referral": _referrals,
    "case": _cases,
    "information_request": _requests,
    "staff_user": _staff,
}


def staff_names() -> dict[int, str]:
    """Everyone who has had an account, by id: the log's "who", and the choices of its filter."""
    return {user.id: user.name for user in db.session.scalars(select(StaffUser)).all()}
