"""The hash-chained, append-only audit log."""

import datetime as dt
import itertools
import multiprocessing

import pytest
from sqlalchemy import text

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
        write(count, action="concurrent write")
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
