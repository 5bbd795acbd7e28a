"""The append-only, hash-chained audit log (design 6.10).

Entries name records by id, never by content, so the log itself holds no personal data. The model
refuses updates and deletes; on PostgreSQL a trigger (see the migrations) refuses them too, and
``audit verify`` finds any change made behind both: each entry's hash is keyed with a key kept
outside the database, so someone who can write SQL cannot recompute the chain after a change.

The one exception is the log's own retention period (design 8): entries older than
``AUDIT_RETENTION_YEARS`` are removed behind a checkpoint, the last removed entry's sequence and
keyed hash, from which the chain is then verified.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_actor_occurred", "actor_id", "occurred_at"),
        Index("ix_audit_entries_record", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Position in the chain, 1, 2, 3…: a gap or repeat is tampering, whatever the ids say.
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    # A staff id, deliberately not a foreign key: the log must outlive anything it mentions.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(48), index=True)
    record_type: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[int | None] = mapped_column(Integer)
    client: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(200))
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Which AUDIT_CHAIN_KEY key signed the entry: an id derived from the key, never the key, so the
    # key can be rotated and every entry still verified under the key that signed it.
    key_id: Mapped[str] = mapped_column(String(16))


class AuditChainHead(db.Model):
    """One row: the chain's length and last hash. Writers lock it before reading the last hash, so
    concurrent writers in any number of processes queue up and the chain stays one line; it also
    makes the removal of the newest entries detectable."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    length: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


class AuditCheckpoint(db.Model):
    """One row, absent until entries are first removed: the last removed entry, which the first
    entry kept follows. Only ``audit.remove_expired`` moves it, and only forward; on PostgreSQL a
    trigger (migration 0013) refuses anything else, and deleting an entry above it."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    moved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditLogIsAppendOnly(Exception):
    """Something tried to change or delete an audit entry."""


# Removal past the retention period deletes with Core SQL, behind the checkpoint it moves in the
# same transaction; through the ORM nothing may change or delete an entry or the checkpoint.
@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be changed or deleted")


@event.listens_for(AuditCheckpoint, "before_update")
@event.listens_for(AuditCheckpoint, "before_delete")
def _refuse_checkpoint_changes(mapper: Any, connection: Any, target: AuditCheckpoint) -> None:
    raise AuditLogIsAppendOnly("the audit checkpoint moves only through audit.remove_expired")
