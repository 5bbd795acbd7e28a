"""Writing and verifying the hash-chained audit log (design 6.10).

``record`` appends an entry inside the caller's transaction, so an audited change and its entry
commit or roll back together. Each entry's hash covers its own canonical content and the previous
entry's hash, so changing, removing or reordering any entry breaks every hash after it; the chain
head (length and last hash) makes cutting entries off the end detectable too.

The hash is an HMAC-SHA-256 keyed with ``AUDIT_CHAIN_KEY``, which is never in the database: with
a plain hash, anyone able to write SQL could change or delete entries and compute the chain again,
and it would verify. Each entry names the key that signed it by a key id, so the key can be
rotated without signing the chain again. What the key cannot stop (its holder rewriting the
chain, or someone cutting the newest entries off and moving the head back) an anchor shows: the
head as ``audit anchor`` printed it and someone kept off-site, which ``verify`` checks the chain
still holds.

The log keeps its own retention period (design 8): ``remove_expired`` removes the entries older
than ``AUDIT_RETENTION_YEARS`` behind a checkpoint, the last removed entry's sequence and keyed
hash, and ``verify`` starts from it. Every move of the checkpoint is itself recorded in the chain,
so one made with SQL (which the PostgreSQL trigger allows, as it must allow the real removal) is
seen: nothing keyed vouches for it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models.audit import GENESIS_HASH, AuditChainHead, AuditCheckpoint, AuditEntry
from portal.services.audit_actions import require_declared
from portal.services.clock import as_utc, london_day, london_midnight
from portal.services.validation import add_years

HEAD_ID = 1
CHECKPOINT_ID = 1
# The entry each removal records: its record is the checkpoint, named by the sequence it moved to.
REMOVAL_ACTION = "audit entries removed"
CHECKPOINT_RECORD = "audit checkpoint"
# Rows deleted per statement: one transaction still holds them all, with the checkpoint's move.
DELETE_BATCH = 5000


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


def canonical(entry: AuditEntry | Row[Any]) -> str:
    """Everything about an entry that someone might want to change, in one fixed text."""
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
            "key_id": entry.key_id,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


@functools.cache
def key_id(key: str) -> str:
    """The name an entry stores for the key that signed it: derived from the key by HMAC, so it
    tells keys apart without giving anything of one away. Migration 0008 derives it the same way."""
    return hmac.new(key.encode("utf-8"), b"audit chain key id", hashlib.sha256).hexdigest()[:16]


def _keys_by_id() -> dict[str, str]:
    return {key_id(key): key for key in current_app.config["AUDIT_CHAIN_KEYS"]}


def chain_hash(previous_hash: str, entry: AuditEntry | Row[Any], key: str) -> str:
    """The entry's hash: keyed, so only a holder of ``key`` can make one that verifies."""
    message = (previous_hash + canonical(entry)).encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def record(
    actor: Actor,
    action: str,
    record_type: str | None = None,
    record_id: int | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Append an entry to the chain in the current transaction; the caller commits."""
    require_declared(action)  # a mistyped action fails here, in the tests, not unseen in the log
    # Taking the head row's write lock first (an UPDATE, on SQLite and PostgreSQL alike) makes
    # every other writer wait here until this transaction ends, so no two entries can both follow
    # the same previous hash.
    sequence, previous_hash = db.session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(length=AuditChainHead.length + 1)
        .returning(AuditChainHead.length, AuditChainHead.last_hash)
    ).one()
    # The first key listed signs; the others are kept only to verify what they signed before.
    signing_key = current_app.config["AUDIT_CHAIN_KEYS"][0]
    entry = AuditEntry(
        sequence=sequence,
        # SQLite keeps a moment's wall time and drops its zone: stored in UTC, as every moment is,
        # it reads back as the moment that was hashed, whatever zone the actor's clock gave.
        occurred_at=as_utc(actor.at).astimezone(dt.UTC),
        actor_id=actor.staff_id,
        action=action,
        record_type=record_type,
        record_id=record_id,
        client=(actor.client or "")[:64] or None,
        detail=detail[:200] if detail else None,
        previous_hash=previous_hash,
        key_id=key_id(signing_key),
    )
    entry.entry_hash = chain_hash(previous_hash, entry, signing_key)
    db.session.add(entry)
    db.session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(last_hash=entry.entry_hash))
    return entry


@dataclass(frozen=True)
class Verdict:
    whole: bool
    checked: int
    first_bad_sequence: int | None = None
    reason: str = ""
    # The last entry verified, when the chain is whole: what an anchor keeps.
    last_hash: str = GENESIS_HASH
    last_key_id: str | None = None
    # The last entry removed past the retention period: the walk starts after it (None: none removed).
    checkpoint_sequence: int | None = None
    # Anchors of entries since removed: nothing is left to check them against.
    anchors_before_checkpoint: int = 0

    @property
    def last_sequence(self) -> int:
        """The sequence of the last entry verified (or of the checkpoint, when none follows it)."""
        return (self.checkpoint_sequence or 0) + self.checked


ANCHOR_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Anchor:
    """The chain's head at a moment, as ``audit anchor`` prints it for keeping off-site. The chain
    must go on holding that entry with that hash at that sequence: rewriting anything up to it, even
    with the key, or cutting the chain back below it, and moving the head to match, is then seen."""

    sequence: int
    entry_hash: str
    key_id: str
    anchored_at: dt.datetime

    def line(self) -> str:
        return json.dumps(
            {
                "sequence": self.sequence,
                "entry_hash": self.entry_hash,
                "key_id": self.key_id,
                "anchored_at": self.anchored_at.astimezone(dt.UTC).isoformat(),
            },
            sort_keys=True,
        )

    def describe(self) -> str:
        taken = self.anchored_at.astimezone(dt.UTC)
        return f"the anchor of entry {self.sequence} taken at {taken:%Y-%m-%d %H:%M:%S} UTC"


class AnchorUnreadable(ValueError):
    """A line of an anchor file is not an anchor as ``audit anchor`` printed it."""


def read_anchors(lines: Iterable[str]) -> list[Anchor]:
    """The anchors in a file of ``audit anchor``'s lines, one anchor a line; blank lines are skipped."""
    anchors = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            fields = json.loads(text)
            anchor = Anchor(
                sequence=fields["sequence"],
                entry_hash=fields["entry_hash"],
                key_id=fields["key_id"],
                anchored_at=dt.datetime.fromisoformat(fields["anchored_at"]),
            )
        except (ValueError, TypeError, KeyError):
            raise AnchorUnreadable(f"line {number} is not an anchor as audit anchor prints it") from None
        # bool is an int to Python, and a sequence below 1 anchors nothing.
        well_formed = (
            type(anchor.sequence) is int
            and anchor.sequence >= 1
            and isinstance(anchor.entry_hash, str)
            and ANCHOR_HASH.fullmatch(anchor.entry_hash)
            and isinstance(anchor.key_id, str)
            and anchor.anchored_at.tzinfo is not None
        )
        if not well_formed:
            raise AnchorUnreadable(f"line {number} is not an anchor as audit anchor prints it")
        anchors.append(anchor)
    return anchors


class CannotAnchor(Exception):
    """The chain is empty or does not verify, so there is no head worth keeping."""


@dataclass(frozen=True)
class _Start:
    """Where the chain begins: after the checkpoint, or at the genesis hash when nothing was removed."""

    sequence: int = 0
    entry_hash: str = GENESIS_HASH
    key_id: str | None = None


def _start() -> _Start:
    checkpoint = AuditCheckpoint.__table__
    row = db.session.execute(
        select(checkpoint.c.sequence, checkpoint.c.entry_hash, checkpoint.c.key_id).where(
            checkpoint.c.id == CHECKPOINT_ID
        )
    ).first()
    return _Start(row.sequence, row.entry_hash, row.key_id) if row else _Start()


def _entries(after: int, through: int | None = None, batch: int = 1000) -> Iterator[Row[Any]]:
    # Plain rows, not ORM objects: a walk of any length holds one batch at a time and leaves the
    # caller's session (and whatever it has pending) alone.
    entries = AuditEntry.__table__
    while True:
        query = select(entries).where(entries.c.sequence > after).order_by(entries.c.sequence).limit(batch)
        if through is not None:
            query = query.where(entries.c.sequence <= through)
        rows = db.session.execute(query).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].sequence


@dataclass(frozen=True)
class _Walk:
    start: _Start
    last_sequence: int
    last_hash: str
    last_key_id: str | None
    broken_at: int | None = None
    reason: str = ""
    # The hashes of the watched sequences (anchors), as the chain holds them.
    held: dict[int, str] = field(default_factory=dict)
    # The checkpoint sequences that keyed removal entries record moving to.
    checkpoints_recorded: frozenset[int] = frozenset()

    @property
    def checked(self) -> int:
        return self.last_sequence - self.start.sequence


def _walk(start: _Start, through: int | None = None, watch: Collection[int] = ()) -> _Walk:
    """Check each entry after ``start`` (up to ``through``) under the key its key id names; stop at
    the first that does not match."""
    keys = _keys_by_id()
    sequence, expected_previous, last_key_id = start.sequence, start.entry_hash, start.key_id
    held: dict[int, str] = {}
    recorded: set[int] = set()

    def broken(at: int, reason: str) -> _Walk:
        return _Walk(start, sequence, expected_previous, last_key_id, at, reason, held, frozenset(recorded))

    for entry in _entries(after=start.sequence, through=through):
        if entry.sequence != sequence + 1:
            return broken(sequence + 1, f"entry {sequence + 1} is missing (found {entry.sequence} next)")
        if entry.previous_hash != expected_previous:
            return broken(entry.sequence, f"entry {entry.sequence} does not follow entry {sequence}")
        key = keys.get(entry.key_id)
        if key is None:
            unknown = f"entry {entry.sequence} is signed with key id {entry.key_id}, not one of AUDIT_CHAIN_KEY's keys"
            return broken(entry.sequence, unknown)
        if chain_hash(expected_previous, entry, key) != entry.entry_hash:
            return broken(entry.sequence, f"entry {entry.sequence} has been altered")
        if entry.sequence in watch:
            held[entry.sequence] = entry.entry_hash
        if entry.action == REMOVAL_ACTION and entry.record_type == CHECKPOINT_RECORD:
            recorded.add(entry.record_id)
        sequence, expected_previous, last_key_id = entry.sequence, entry.entry_hash, entry.key_id
    return _Walk(start, sequence, expected_previous, last_key_id, None, "", held, frozenset(recorded))


def verify(anchors: Sequence[Anchor] = ()) -> Verdict:
    """Walk the chain from the checkpoint (or the first entry), each entry under the key its key id
    names; stop at the first entry that does not match. Then each of ``anchors`` must still be in
    the chain as it was kept, except those of entries since removed, which are only counted."""
    start = _start()
    walk = _walk(start, watch={anchor.sequence for anchor in anchors})
    since = start.sequence or None
    if walk.broken_at is not None:
        return Verdict(False, walk.checked, walk.broken_at, walk.reason, checkpoint_sequence=since)
    if since is not None and since not in walk.checkpoints_recorded:
        # The trigger has to allow moving the checkpoint and deleting below it, so that alone
        # proves nothing: only a removal entry, keyed, after it shows the application did it.
        return Verdict(False, walk.checked, since, _unrecorded(since), checkpoint_sequence=since)
    before_checkpoint = 0
    for anchor in anchors:
        if anchor.sequence < start.sequence:
            before_checkpoint += 1
            continue
        held = start.entry_hash if anchor.sequence == start.sequence else walk.held.get(anchor.sequence)
        before = max(0, min(walk.checked, anchor.sequence - 1 - start.sequence))
        if held is None:
            cut = f"{anchor.describe()} is gone: the chain was cut back to {walk.last_sequence}"
            return Verdict(False, before, anchor.sequence, cut, checkpoint_sequence=since)
        if held != anchor.entry_hash:
            rewritten = f"{anchor.describe()} no longer holds: the chain was rewritten"
            return Verdict(False, before, anchor.sequence, rewritten, checkpoint_sequence=since)
    head = db.session.get(AuditChainHead, HEAD_ID)
    if head is None or head.length != walk.last_sequence or head.last_hash != walk.last_hash:
        length = head.length if head else 0
        short = f"the chain should hold {length} entries but ends after {walk.last_sequence}"
        return Verdict(False, walk.checked, walk.last_sequence + 1, short, checkpoint_sequence=since)
    return Verdict(
        True,
        walk.checked,
        last_hash=walk.last_hash,
        last_key_id=walk.last_key_id,
        checkpoint_sequence=since,
        anchors_before_checkpoint=before_checkpoint,
    )


def take_anchor(at: dt.datetime) -> Anchor:
    """The head of the chain, verified whole first: anchoring a chain already changed would vouch
    for the change. Nothing is recorded for it, so the anchor stays the chain's true head."""
    verdict = verify()
    if not verdict.whole:
        raise CannotAnchor(f"the audit chain is broken at entry {verdict.first_bad_sequence}: {verdict.reason}")
    if verdict.checked == 0 or verdict.last_key_id is None:
        raise CannotAnchor("the audit chain is empty: there is nothing to anchor yet")
    return Anchor(verdict.last_sequence, verdict.last_hash, verdict.last_key_id, at)


def _unrecorded(checkpoint_sequence: int) -> str:
    return (
        f"no entry records moving the checkpoint to entry {checkpoint_sequence}: "
        "entries were removed outside audit removal"
    )


def _move_recorded(start: _Start) -> bool:
    """Whether a genuine (keyed) removal entry after the checkpoint records moving it there."""
    if start.sequence == 0:
        return True
    entries = AuditEntry.__table__
    recorded = db.session.execute(
        select(entries).where(
            entries.c.action == REMOVAL_ACTION,
            entries.c.record_type == CHECKPOINT_RECORD,
            entries.c.record_id == start.sequence,
            entries.c.sequence > start.sequence,
        )
    ).all()
    keys = _keys_by_id()
    return any(
        entry.key_id in keys and chain_hash(entry.previous_hash, entry, keys[entry.key_id]) == entry.entry_hash
        for entry in recorded
    )


@dataclass(frozen=True)
class Removal:
    """What ``remove_expired`` removed, or would remove on a dry run."""

    removed: int
    # The checkpoint after the removal (None: no entry has ever been removed).
    checkpoint_sequence: int | None
    dry_run: bool


class RemovalRefused(Exception):
    """The entries due for removal do not verify, or another removal moved the checkpoint first."""


def _first_kept_moment(today: dt.date, retention_years: int) -> dt.datetime:
    """The start of the earliest London day whose entries are kept on ``today``: an entry written
    on day D goes once D plus ``retention_years`` (29 February becoming 28 February) is on or
    before today, as the records it mentions do (design 8)."""
    last_gone = add_years(today, -retention_years)
    while add_years(last_gone + dt.timedelta(days=1), retention_years) <= today:
        last_gone += dt.timedelta(days=1)
    return london_midnight(last_gone + dt.timedelta(days=1))


def remove_expired(today: dt.date, retention_years: int, actor: Actor, dry_run: bool) -> Removal:
    """Remove the entries older than ``retention_years`` on ``today`` behind the checkpoint, in one
    transaction that this function commits: the checkpoint moves to the last removed entry, every
    entry up to it is deleted, and one entry records the count and the new checkpoint. Only a run
    of entries from the start is removed, so an older entry written after a newer one waits for
    the next run. A dry run counts and checks the same and changes nothing.

    Call it with nothing else pending in the session. Raises ``RemovalRefused``, removing nothing,
    when the entries due do not verify, or nothing keyed records the checkpoint's last move:
    removing them would hide the change for good."""
    start = _start()
    entries = AuditEntry.__table__
    first_kept = db.session.scalar(
        select(func.min(entries.c.sequence)).where(
            entries.c.sequence > start.sequence, entries.c.occurred_at >= _first_kept_moment(today, retention_years)
        )
    )
    last = first_kept - 1 if first_kept is not None else db.session.scalar(select(func.max(entries.c.sequence)))
    if last is None or last <= start.sequence:
        return Removal(0, start.sequence or None, dry_run)
    walk = _walk(start, through=last)
    broken_at, reason = walk.broken_at, walk.reason
    if not _move_recorded(start):
        # Removing more from a checkpoint moved with SQL would record a removal that vouches for it.
        broken_at, reason = start.sequence, _unrecorded(start.sequence)
    elif broken_at is None and walk.last_sequence != last:
        broken_at = walk.last_sequence + 1
        reason = f"entry {broken_at} is missing"
    if broken_at is not None:
        raise RemovalRefused(
            f"the audit chain is broken at entry {broken_at}: {reason}; "
            "nothing was removed, since removing it would hide the change"
        )
    removed = last - start.sequence
    if dry_run:
        return Removal(removed, last, dry_run)
    _move_checkpoint(start, walk, actor.at)
    # Core deletes, in slices so no one statement is huge: the model refuses ORM deletes, and on
    # PostgreSQL the trigger allows these only because the checkpoint has just moved past them.
    for after in range(start.sequence, last, DELETE_BATCH):
        db.session.execute(
            delete(entries).where(entries.c.sequence > after, entries.c.sequence <= min(after + DELETE_BATCH, last))
        )
    record(
        actor,
        REMOVAL_ACTION,
        CHECKPOINT_RECORD,
        last,
        f"{removed} entries removed; the chain starts after entry {last}",
    )
    db.session.commit()
    return Removal(removed, last, dry_run)


def _move_checkpoint(start: _Start, walk: _Walk, at: dt.datetime) -> None:
    # Moved only if it is still where this removal found it: two removals at once (a person and
    # the daily command) queue on the row, and the second finds it moved and stops.
    checkpoint = AuditCheckpoint.__table__
    values = {
        "sequence": walk.last_sequence,
        "entry_hash": walk.last_hash,
        "key_id": walk.last_key_id,
        "moved_at": as_utc(at).astimezone(dt.UTC),
    }
    if start.sequence == 0:
        # The first removal inserts the row; a second one inserting it too fails on its key.
        try:
            db.session.execute(insert(checkpoint).values(id=CHECKPOINT_ID, **values))
            moved = True
        except IntegrityError:
            moved = False
    else:
        moved = (
            db.session.execute(
                update(checkpoint)
                .where(checkpoint.c.id == CHECKPOINT_ID, checkpoint.c.sequence == start.sequence)
                .values(**values)
            ).rowcount
            == 1
        )
    if not moved:
        db.session.rollback()
        raise RemovalRefused("another removal moved the audit checkpoint at the same time: nothing was removed")
