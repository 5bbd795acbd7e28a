"""The hash-chained, append-only audit log: keyed so that someone who can write SQL cannot
compute it again after a change, with key ids for rotating the key, and anchors kept off-site."""

import datetime as dt
import hashlib
import hmac
import itertools
import json
import multiprocessing
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from portal.config import ConfigError, load_config
from portal.extensions import db
from portal.models.audit import AuditEntry, AuditLogIsAppendOnly
from portal.services import audit
from portal.services.audit import Actor

ACTOR = Actor(7, "192.0.2.1", dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC))


def write(count: int, action: str = "referral viewed") -> None:
    for number in range(count):
        audit.record(ACTOR, action, "referral", number)
        db.session.commit()


def test_entries_form_one_chain(app_context):
    write(5)
    entries = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.sequence)).all()
    assert [entry.sequence for entry in entries] == [1, 2, 3, 4, 5]
    assert entries[0].previous_hash == "0" * 64
    for before, after in itertools.pairwise(entries):
        assert after.previous_hash == before.entry_hash
    assert audit.verify().whole and audit.verify().checked == 5


def test_an_entry_holds_ids_not_content(app_context):
    entry = audit.record(ACTOR, "referral viewed", "referral", 42)
    db.session.commit()
    assert (entry.actor_id, entry.record_type, entry.record_id, entry.client) == (7, "referral", 42, "192.0.2.1")


def test_the_model_refuses_updates_and_deletes(app_context):
    entry = audit.record(ACTOR, "referral viewed", "referral", 1)
    db.session.commit()
    entry.action = "nothing to see"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()


def tamper(sql: str, **values: object) -> None:
    """Change the table behind the application's back, as someone with database access could."""
    with db.engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
        connection.execute(text(sql), values)
        if postgres:
            connection.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"))


@pytest.mark.parametrize(
    ("sql", "named", "reason"),
    [
        ("UPDATE audit_entries SET record_id = 999 WHERE sequence = 3", 3, "altered"),
        ("UPDATE audit_entries SET occurred_at = occurred_at WHERE sequence = 0", None, None),
        ("DELETE FROM audit_entries WHERE sequence = 2", 2, "missing"),
        ("DELETE FROM audit_entries WHERE sequence = 5", 5, "should hold 5 entries"),
        ("UPDATE audit_entries SET action = 'signed in' WHERE sequence = 4", 4, "altered"),
    ],
)
def test_audit_verify_names_the_first_entry_that_does_not_match(app, app_context, sql, named, reason):
    write(5)
    tamper(sql)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    if named is None:
        assert result.exit_code == 0 and "5 entries verified" in result.output
        return
    assert result.exit_code == 1
    assert f"broken at entry {named}" in result.output and reason in result.output


def test_postgresql_refuses_changes_below_the_application(app_context):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the model and on verify")
    write(1)
    for sql in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(sql))


def _writer(database_url: str, count: int, barrier) -> None:
    from tests.conftest import build_app

    app = build_app(database_url)
    with app.app_context():
        barrier.wait()
        write(count)
        db.engine.dispose()


def test_concurrent_writers_in_several_processes_keep_one_chain(app, database_url, app_context):
    """Four processes append at once; the lock on the chain head makes them queue, so the chain
    stays one line with no sequence used twice."""
    processes, per_process = 4, 25
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    workers = [context.Process(target=_writer, args=(database_url, per_process, barrier)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    verdict = audit.verify()
    assert verdict.whole, verdict.reason
    assert verdict.checked == processes * per_process


def with_key(key: str) -> Callable[[str, str], str]:
    return lambda previous, content: hmac.new(key.encode(), (previous + content).encode(), hashlib.sha256).hexdigest()


def plain_sha256(previous: str, content: str) -> str:
    return hashlib.sha256((previous + content).encode()).hexdigest()


# How someone with SQL access but not the key would work the chain out again: the algorithm is no
# secret, so with a plain SHA-256 (as the chain was before it was keyed) or an HMAC under a key of
# their own.
FORGERS = [plain_sha256, with_key("a key the forger made up, 32 chars")]


def forge(change: str, entry_hash: Callable[[str, str], str]) -> None:
    """Change the log with SQL, then renumber it and compute every entry's hash again with
    ``entry_hash(previous hash, canonical content)`` and move the head to match, as someone with
    the database, the source code and no key would."""
    entries = AuditEntry.__table__
    with db.engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
        connection.execute(text(change))
        rows = connection.execute(select(entries).order_by(entries.c.sequence)).mappings().all()
        previous = "0" * 64
        for sequence, row in enumerate(rows, start=1):
            forged = SimpleNamespace(**{**row, "sequence": sequence})
            forged_hash = entry_hash(previous, audit.canonical(forged))
            connection.execute(
                entries.update()
                .where(entries.c.id == row["id"])
                .values(sequence=sequence, previous_hash=previous, entry_hash=forged_hash)
            )
            previous = forged_hash
        connection.execute(
            text("UPDATE audit_chain_head SET length = :length, last_hash = :last"),
            {"length": len(rows), "last": previous},
        )
        if postgres:
            connection.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"))


def write_with_views() -> None:
    for number in range(6):
        write(1, "referral viewed" if number % 2 else "referral assigned")


@pytest.mark.parametrize("forger", FORGERS, ids=["plain SHA-256", "HMAC under a wrong key"])
@pytest.mark.parametrize(
    "change",
    [
        "UPDATE audit_entries SET actor_id = 99 WHERE sequence = 2",
        "DELETE FROM audit_entries WHERE action = 'referral viewed'",
    ],
    ids=["an entry re-attributed", "the views deleted"],
)
def test_a_chain_forged_with_sql_and_worked_out_again_without_the_key_fails_verify(app, app_context, change, forger):
    write_with_views()
    forge(change, forger)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at entry 1: entry 1 has been altered" in result.output


def test_the_same_forgery_with_the_key_verifies_which_is_what_anchors_are_for(app, app_context):
    """The forger above did the work right: with the key their chain would verify."""
    write_with_views()
    forge("DELETE FROM audit_entries WHERE action = 'referral viewed'", with_key(app.config["AUDIT_CHAIN_KEYS"][0]))
    verdict = audit.verify()
    assert verdict.whole and verdict.checked == 3


def test_each_entry_names_its_key_by_an_id_that_is_not_the_key(app, app_context):
    write(1)
    entry = db.session.scalar(select(AuditEntry))
    key = app.config["AUDIT_CHAIN_KEYS"][0]
    assert entry.key_id == audit.key_id(key) and len(entry.key_id) == 16
    assert entry.key_id not in key and key not in audit.canonical(entry)


OLD_KEY = "the audit chain key before rotation"
NEW_KEY = "the audit chain key after rotation!"


def test_rotating_the_key_keeps_the_chain_whole_while_the_old_key_is_kept(app, app_context, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_CHAIN_KEYS", (OLD_KEY,))
    write(3)
    monkeypatch.setitem(app.config, "AUDIT_CHAIN_KEYS", (NEW_KEY, OLD_KEY))
    write(2)

    key_ids = db.session.scalars(select(AuditEntry.key_id).order_by(AuditEntry.sequence)).all()
    assert key_ids == [audit.key_id(OLD_KEY)] * 3 + [audit.key_id(NEW_KEY)] * 2
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "5 entries verified" in result.output

    monkeypatch.setitem(app.config, "AUDIT_CHAIN_KEYS", (NEW_KEY,))
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert (
        f"broken at entry 1: entry 1 is signed with key id {audit.key_id(OLD_KEY)}, not one of AUDIT_CHAIN_KEY's keys"
    ) in result.output


ANCHORED_AT = dt.datetime(2026, 11, 25, 17, 30, tzinfo=dt.UTC)


def take_anchor(app, tmp_path: Path, time_machine) -> Path:
    time_machine.move_to(ANCHORED_AT, tick=False)
    result = app.test_cli_runner().invoke(args=["audit", "anchor"])
    assert result.exit_code == 0, result.output
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(result.output)
    return anchors


def test_an_anchor_is_the_verified_head_in_one_line_and_adds_no_entry(app, app_context, tmp_path, time_machine):
    write(3)
    head = db.session.scalar(select(AuditEntry).where(AuditEntry.sequence == 3))
    anchors = take_anchor(app, tmp_path, time_machine)
    assert json.loads(anchors.read_text()) == {
        "sequence": 3,
        "entry_hash": head.entry_hash,
        "key_id": head.key_id,
        "anchored_at": "2026-11-25T17:30:00+00:00",
    }
    assert audit.verify().checked == 3


def test_the_chain_that_still_holds_its_anchors_verifies_with_them(app, app_context, tmp_path, time_machine):
    write(3)
    anchors = take_anchor(app, tmp_path, time_machine)
    write(2)
    result = app.test_cli_runner().invoke(args=["audit", "anchor"])
    anchors.write_text(anchors.read_text() + "\n" + result.output)
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", str(anchors)])
    assert result.exit_code == 0, result.output
    assert "5 entries verified and 2 anchors held" in result.output


def test_a_chain_cut_back_below_an_anchor_fails_verify_with_the_anchor(app, app_context, tmp_path, time_machine):
    write(3)
    anchors = take_anchor(app, tmp_path, time_machine)
    write(2)
    # Cutting entries off the end needs no key: the head is only a length and a last hash.
    tamper("DELETE FROM audit_entries WHERE sequence >= 3")
    tamper(
        "UPDATE audit_chain_head SET length = 2, last_hash = (SELECT entry_hash FROM audit_entries WHERE sequence = 2)"
    )
    assert audit.verify().whole, "without the anchor the cut is not seen"
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", str(anchors)])
    assert result.exit_code == 1
    assert (
        "broken at entry 3: the anchor of entry 3 taken at 2026-11-25 17:30:00 UTC is gone: the chain was cut back to 2"
    ) in result.output


def test_a_chain_rewritten_below_an_anchor_even_with_the_key_fails_verify(app, app_context, tmp_path, time_machine):
    write(3)
    anchors = take_anchor(app, tmp_path, time_machine)
    write(2)
    forge("UPDATE audit_entries SET actor_id = 99 WHERE sequence = 2", with_key(app.config["AUDIT_CHAIN_KEYS"][0]))
    assert audit.verify().whole, "the key's holder can rewrite the chain"
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", str(anchors)])
    assert result.exit_code == 1
    assert "the anchor of entry 3 taken at 2026-11-25 17:30:00 UTC no longer holds: the chain was rewritten" in (
        result.output
    )


def test_no_anchor_is_taken_of_an_empty_or_broken_chain(app, app_context):
    result = app.test_cli_runner().invoke(args=["audit", "anchor"])
    assert result.exit_code == 1 and "the audit chain is empty" in result.output
    write(2)
    tamper("UPDATE audit_entries SET record_id = 999 WHERE sequence = 1")
    result = app.test_cli_runner().invoke(args=["audit", "anchor"])
    assert result.exit_code == 1
    assert "No anchor taken: the audit chain is broken at entry 1: entry 1 has been altered" in result.output


WELL_FORMED = {"sequence": 1, "entry_hash": "a" * 64, "key_id": "k", "anchored_at": "2026-11-25T17:30:00+00:00"}


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        '{"sequence": 1}',
        json.dumps({**WELL_FORMED, "sequence": True}),
        json.dumps({**WELL_FORMED, "sequence": 0}),
        json.dumps({**WELL_FORMED, "entry_hash": "short"}),
        json.dumps({**WELL_FORMED, "anchored_at": "yesterday"}),
        json.dumps({**WELL_FORMED, "anchored_at": "2026-11-25T17:30:00"}),
    ],
)
def test_an_anchor_file_that_is_not_anchors_is_refused_by_line(app, app_context, tmp_path, line):
    write(1)
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text("\n" + line + "\n")
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", str(anchors)])
    assert result.exit_code == 1
    assert "line 2 is not an anchor as audit anchor prints it" in result.output


def test_production_refuses_to_start_without_an_audit_chain_key():
    key = Fernet.generate_key().decode()
    secrets = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "PORTAL_ENCRYPTION_KEYS": key,
        "MAIL_URL": "smtp://relay.example:587",
    }
    with pytest.raises(ConfigError, match="Refusing to start in production: AUDIT_CHAIN_KEY is not set"):
        load_config(secrets)
    with pytest.raises(ConfigError, match="AUDIT_CHAIN_KEY key 2 must be at least 32 characters"):
        load_config({**secrets, "AUDIT_CHAIN_KEY": f"{NEW_KEY},short"})
    assert load_config({**secrets, "AUDIT_CHAIN_KEY": f"{NEW_KEY}, {OLD_KEY}"})["AUDIT_CHAIN_KEYS"] == (
        NEW_KEY,
        OLD_KEY,
    )
