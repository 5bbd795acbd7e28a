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
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import update

from portal.extensions import db
from portal.models.audit import GENESIS_HASH, AuditChainHead, AuditEntry
from portal.services.audit_actions import require_declared
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


def chain_hash(previous_hash: str, entry: AuditEntry, key: str) -> str:
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
        occurred_at=actor.at,
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


def verify(anchors: Sequence[Anchor] = ()) -> Verdict:
    """Walk the chain from the start, each entry under the key its key id names; stop at the first
    entry that does not match. Then each of ``anchors`` must still be in the chain as it was kept."""
    keys = _keys_by_id()
    anchored = {anchor.sequence for anchor in anchors}
    held: dict[int, str] = {}
    expected_previous = GENESIS_HASH
    last_key_id = None
    checked = 0
    for checked, entry in enumerate(_entries(), start=1):
        if entry.sequence != checked:
            return Verdict(False, checked - 1, checked, f"entry {checked} is missing (found {entry.sequence} next)")
        if entry.previous_hash != expected_previous:
            return Verdict(
                False, checked - 1, entry.sequence, f"entry {entry.sequence} does not follow entry {checked - 1}"
            )
        key = keys.get(entry.key_id)
        if key is None:
            unknown = f"entry {entry.sequence} is signed with key id {entry.key_id}, not one of AUDIT_CHAIN_KEY's keys"
            return Verdict(False, checked - 1, entry.sequence, unknown)
        if chain_hash(expected_previous, entry, key) != entry.entry_hash:
            return Verdict(False, checked - 1, entry.sequence, f"entry {entry.sequence} has been altered")
        if entry.sequence in anchored:
            held[entry.sequence] = entry.entry_hash
        expected_previous, last_key_id = entry.entry_hash, entry.key_id
    for anchor in anchors:
        before = min(checked, anchor.sequence - 1)
        if anchor.sequence not in held:
            cut = f"{anchor.describe()} is gone: the chain was cut back to {checked}"
            return Verdict(False, before, anchor.sequence, cut)
        if held[anchor.sequence] != anchor.entry_hash:
            rewritten = f"{anchor.describe()} no longer holds: the chain was rewritten"
            return Verdict(False, before, anchor.sequence, rewritten)
    head = db.session.get(AuditChainHead, HEAD_ID)
    if head is None or head.length != checked or head.last_hash != expected_previous:
        length = head.length if head else 0
        return Verdict(False, checked, checked + 1, f"the chain should hold {length} entries but ends after {checked}")
    return Verdict(True, checked, last_hash=expected_previous, last_key_id=last_key_id)


def take_anchor(at: dt.datetime) -> Anchor:
    """The head of the chain, verified whole first: anchoring a chain already changed would vouch
    for the change. Nothing is recorded for it, so the anchor stays the chain's true head."""
    verdict = verify()
    if not verdict.whole:
        raise CannotAnchor(f"the audit chain is broken at entry {verdict.first_bad_sequence}: {verdict.reason}")
    if verdict.checked == 0 or verdict.last_key_id is None:
        raise CannotAnchor("the audit chain is empty: there is nothing to anchor yet")
    return Anchor(verdict.checked, verdict.last_hash, verdict.last_key_id, at)
