"""Migration 0008 signs the plain SHA-256 audit chain again with the audit chain key, but only a
chain that is whole, so tampering done before the upgrade is not laundered into a keyed chain that
verifies. On whichever database the suite runs (CI's third pass: PostgreSQL, where the append-only
trigger must be set aside for the re-signing and put back)."""

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import inspect, select, text

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.services import audit
from portal.services.audit import Actor
from tests.conftest import WORKER, build_app, reset_schema, worker_database

PLAIN = "0007"
GENESIS = "0" * 64
AT = dt.datetime(2026, 11, 20, 9, 15, 30, 250000, tzinfo=dt.UTC)


@pytest.fixture
def migration_app(tmp_path) -> Iterator[Flask]:
    """A database of its own, migrated to the last revision before the chain was keyed."""
    url = os.environ.get("DATABASE_URL")
    url = worker_database(url, f"{WORKER or 'main'}_chain") if url else f"sqlite:///{tmp_path / 'chain.sqlite'}"
    app = build_app(url)
    reset_schema(app)
    with app.app_context():
        migrate(app, "downgrade", PLAIN)
        yield app
        db.session.remove()
        db.engine.dispose()


def migrate(app: Flask, direction: str, revision: str) -> None:
    """Alembic itself, not Flask-Migrate's command, which would turn a refusal into an exit."""
    getattr(command, direction)(app.extensions["migrate"].migrate.get_config(), revision)


def plain_canonical(entry: dict) -> str:
    """An entry's content as the chain hashed it before it was keyed."""
    fields = ("sequence", "actor_id", "action", "record_type", "record_id", "client", "detail")
    content = {field: entry[field] for field in fields}
    content["occurred_at"] = entry["occurred_at"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return json.dumps(content, sort_keys=True, separators=(",", ":"))


def write_plain_chain(count: int) -> None:
    previous = GENESIS
    with db.engine.begin() as connection:
        for sequence in range(1, count + 1):
            entry = {
                "sequence": sequence,
                "occurred_at": AT + dt.timedelta(minutes=sequence),
                "actor_id": 7,
                "action": "referral viewed",
                "record_type": "referral",
                "record_id": sequence * 10,
                "client": "192.0.2.1",
                "detail": None,
            }
            entry_hash = hashlib.sha256((previous + plain_canonical(entry)).encode()).hexdigest()
            connection.execute(
                text(
                    "INSERT INTO audit_entries (sequence, occurred_at, actor_id, action, record_type, record_id,"
                    " client, detail, previous_hash, entry_hash) VALUES (:sequence, :occurred_at, :actor_id,"
                    " :action, :record_type, :record_id, :client, :detail, :previous_hash, :entry_hash)"
                ),
                {**entry, "previous_hash": previous, "entry_hash": entry_hash},
            )
            previous = entry_hash
        connection.execute(
            text("UPDATE audit_chain_head SET length = :length, last_hash = :last"), {"length": count, "last": previous}
        )


def has_key_id_column() -> bool:
    return "key_id" in {column["name"] for column in inspect(db.engine).get_columns("audit_entries")}


def test_the_plain_chain_is_signed_again_with_the_key_and_goes_on_from_there(migration_app):
    write_plain_chain(3)
    migrate(migration_app, "upgrade", "head")

    verdict = audit.verify()
    assert verdict.whole and verdict.checked == 3, verdict.reason
    key_ids = set(db.session.scalars(select(AuditEntry.key_id)))
    assert key_ids == {audit.key_id(migration_app.config["AUDIT_CHAIN_KEYS"][0])}
    audit.record(Actor(7, "192.0.2.1", AT + dt.timedelta(hours=1)), "referral viewed", "referral", 40)
    db.session.commit()
    assert audit.verify().checked == 4
    db.session.remove()

    migrate(migration_app, "downgrade", PLAIN)
    migrate(migration_app, "upgrade", "head")
    assert audit.verify().checked == 4, "the downgrade left a whole plain chain for the upgrade to sign again"


def test_a_plain_chain_already_tampered_with_is_not_signed_again(migration_app):
    write_plain_chain(3)
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
        connection.execute(text("UPDATE audit_entries SET actor_id = 99 WHERE sequence = 2"))
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"))

    with pytest.raises(
        RuntimeError,
        match=r"Refusing to migrate the audit log: its plain SHA-256 chain is broken \(entry 2 has been altered\)",
    ):
        migrate(migration_app, "upgrade", "head")
    db.session.remove()
    assert not has_key_id_column()
    with db.engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == PLAIN


def test_going_back_to_plain_hashes_needs_every_key_that_signed(migration_app, monkeypatch):
    write_plain_chain(2)
    migrate(migration_app, "upgrade", "head")
    signed_with = audit.key_id(migration_app.config["AUDIT_CHAIN_KEYS"][0])
    monkeypatch.setitem(migration_app.config, "AUDIT_CHAIN_KEYS", ("another audit chain key, 32 chars",))
    with pytest.raises(RuntimeError, match=f"entries are signed with key id {signed_with}, which is not among"):
        migrate(migration_app, "downgrade", PLAIN)
    db.session.remove()
    assert has_key_id_column()
