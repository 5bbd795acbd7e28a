"""Writing and verifying the hash-chained audit log (design 6.10).

``record`` appends an entry inside the caller's transaction, so an audited change and its entry
commit or roll back together. Each entry's hash covers its own canonical content and the previous
entry's hash, so changing, removing or reordering any entry breaks every hash after it; the chain
head (length and last hash) makes cutting entries off the end detectable too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import update

from portal.extensions import db
from portal.models.audit import GENESIS_HASH, AuditChainHead, AuditEntry
from portal.services.clock import london_day

HEAD_ID = 1


@dataclass(frozen=True)
class Actor:
    """Who is acting, from where and when: filled in by the web layer, which knows the request
    and has read the clock once for it, or by a command. Services stamp what they record with
    ``at`` and never read the clock themselves."""

    staff_id: int | None
    client: str | None
    at: dt.datetime

    @property
    def today(self) -> dt.date:
        return london_day(self.at)


def system_actor(at: dt.datetime) -> Actor:
    """The command line, or the service itself, acting at ``at``."""
    return Actor(staff_id=None, client="command line", at=at)


def _utc_text(moment: dt.datetime) -> str:
    # SQLite hands datetimes back without a zone and PostgreSQL in the session's zone: the
    # canonical form is the UTC wall time, so both read back to the same text.
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def canonical(entry: AuditEntry) -> str:
    return json.dumps(
        {
            "sequence": entry.sequence,
            "occurred_at": _utc_text(entry.occurred_at),
            "actor_id": entry.actor_id,
            "action": entry.action,
            "record_type": entry.record_type,
            "record_id": entry.record_id,
            "client": entry.client,
            "detail": entry.detail,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def chain_hash(previous_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((previous_hash + canonical(entry)).encode("utf-8")).hexdigest()


def record(
    actor: Actor,
    action: str,
    record_type: str | None = None,
    record_id: int | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Append an entry to the chain in the current transaction; the caller commits."""
    # Taking the head row's write lock first (an UPDATE, on SQLite and PostgreSQL alike) makes
    # every other writer wait here until this transaction ends, so no two entries can both follow
    # the same previous hash.
    sequence, previous_hash = db.session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(length=AuditChainHead.length + 1)
        .returning(AuditChainHead.length, AuditChainHead.last_hash)
    ).one()
    entry = AuditEntry(
        sequence=sequence,
        occurred_at=actor.at,
        actor_id=actor.staff_id,
        action=action,
        record_type=record_type,
        record_id=record_id,
        client=(actor.client or "")[:64] or None,
        detail=detail[:200] if detail else None,
        previous_hash=previous_hash,
    )
    entry.entry_hash = chain_hash(previous_hash, entry)
    db.session.add(entry)
    db.session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(last_hash=entry.entry_hash))
    return entry


@dataclass(frozen=True)
class Verdict:
    whole: bool
    checked: int
    first_bad_sequence: int | None = None
    reason: str = ""


def _entries(batch: int = 1000) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.sequence > after).order_by(AuditEntry.sequence).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].sequence
        db.session.expunge_all()


def verify() -> Verdict:
    """Walk the chain from the start; stop at the first entry that does not match."""
    expected_previous = GENESIS_HASH
    checked = 0
    for checked, entry in enumerate(_entries(), start=1):
        if entry.sequence != checked:
            return Verdict(False, checked - 1, checked, f"entry {checked} is missing (found {entry.sequence} next)")
        if entry.previous_hash != expected_previous:
            return Verdict(
                False, checked - 1, entry.sequence, f"entry {entry.sequence} does not follow entry {checked - 1}"
            )
        if chain_hash(expected_previous, entry) != entry.entry_hash:
            return Verdict(False, checked - 1, entry.sequence, f"entry {entry.sequence} has been altered")
        expected_previous = entry.entry_hash
    head = db.session.get(AuditChainHead, HEAD_ID)
    if head is None or head.length != checked or head.last_hash != expected_previous:
        length = head.length if head else 0
        return Verdict(False, checked, checked + 1, f"the chain should hold {length} entries but ends after {checked}")
    return Verdict(True, checked)
