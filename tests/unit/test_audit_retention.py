"""The audit log's own retention period (design 8, issue 13): entries older than
AUDIT_RETENTION_YEARS are removed behind a checkpoint, from which ``audit verify`` starts, without
ever removing (and so hiding) a change, and on PostgreSQL the trigger allows exactly that."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from portal.extensions import db
from portal.models.audit import AuditCheckpoint, AuditEntry
from portal.services import audit
from portal.services.audit import Actor, Anchor, RemovalRefused
from tests.clock import london

YEARS = 6
WRITTEN = dt.date(2020, 3, 10)
DUE = dt.date(2026, 3, 10)


def write_on(day: dt.date, count: int = 1, hour: int = 10, minute: int = 0) -> None:
    actor = Actor(7, "192.0.2.1", london(day, hour, minute))
    for number in range(count):
        audit.record(actor, "referral viewed", "referral", number)
        db.session.commit()


def remove_on(today: dt.date, dry_run: bool = False) -> audit.Removal:
    return audit.remove_expired(today, YEARS, audit.system_actor(london(today, 2)), dry_run=dry_run)


def sequences() -> list[int]:
    return list(db.session.scalars(select(AuditEntry.sequence).order_by(AuditEntry.sequence)))


def entry(sequence: int) -> AuditEntry:
    return db.session.scalar(select(AuditEntry).where(AuditEntry.sequence == sequence))


def checkpoint() -> AuditCheckpoint | None:
    db.session.expire_all()
    return db.session.get(AuditCheckpoint, audit.CHECKPOINT_ID)


def behind_the_application(sql: str, *, with_triggers_off: bool = True) -> None:
    """Change the tables with SQL, as someone with database access could (on PostgreSQL past the
    triggers, as only the tables' owner could)."""
    with db.engine.begin() as connection:
        switch = with_triggers_off and connection.dialect.name == "postgresql"
        if switch:
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
            connection.execute(text("ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_moves_forward"))
        connection.execute(text(sql))
        if switch:
            connection.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"))
            connection.execute(text("ALTER TABLE audit_checkpoint ENABLE TRIGGER audit_checkpoint_moves_forward"))


def five_entries_then_a_removal() -> str:
    """Entries 1-3 written on WRITTEN, 4-5 the day after, 6-7 in 2024; removed on DUE: 1-3 go and
    entry 8 records it. Returns entry 3's hash, the checkpoint's."""
    write_on(WRITTEN, 3)
    write_on(WRITTEN + dt.timedelta(days=1), 2)
    write_on(dt.date(2024, 1, 1), 2)
    kept_hash = entry(3).entry_hash
    assert remove_on(DUE) == audit.Removal(removed=3, checkpoint_sequence=3, dry_run=False)
    return kept_hash


def test_entries_go_on_the_day_their_six_years_are_up_and_not_the_day_before(app_context):
    write_on(WRITTEN, 3)
    write_on(WRITTEN + dt.timedelta(days=1), 2)
    write_on(dt.date(2024, 1, 1), 2)

    assert remove_on(DUE - dt.timedelta(days=1)) == audit.Removal(0, None, False)
    assert sequences() == [1, 2, 3, 4, 5, 6, 7] and checkpoint() is None

    kept_hash = entry(3).entry_hash
    assert remove_on(DUE) == audit.Removal(3, 3, False)
    assert sequences() == [4, 5, 6, 7, 8]
    moved = checkpoint()
    assert (moved.sequence, moved.entry_hash, moved.key_id) == (3, kept_hash, entry(4).key_id)
    recorded = entry(8)
    assert (recorded.action, recorded.record_type, recorded.record_id) == (
        "audit entries removed",
        "audit checkpoint",
        3,
    )
    assert recorded.detail == "3 entries removed; the chain starts after entry 3"

    verdict = audit.verify()
    assert verdict.whole, verdict.reason
    assert (verdict.checkpoint_sequence, verdict.checked, verdict.last_sequence) == (3, 5, 8)


def test_audit_verify_says_it_started_from_the_checkpoint(app, app_context):
    five_entries_then_a_removal()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Audit chain whole: 5 entries verified from the checkpoint after entry 3." in result.output


def test_a_second_removal_moves_the_checkpoint_on(app_context):
    five_entries_then_a_removal()
    assert remove_on(DUE + dt.timedelta(days=1)) == audit.Removal(2, 5, False)
    assert sequences() == [6, 7, 8, 9] and checkpoint().sequence == 5
    verdict = audit.verify()
    assert verdict.whole and (verdict.checkpoint_sequence, verdict.checked) == (5, 4)
    # The first removal's own entry goes in its turn: the latest one still vouches for the checkpoint.
    assert remove_on(dt.date(2032, 3, 10)) == audit.Removal(3, 8, False)
    assert sequences() == [9, 10] and audit.verify().whole


def test_nothing_due_moves_nothing_and_records_nothing(app_context):
    five_entries_then_a_removal()
    assert remove_on(DUE) == audit.Removal(0, 3, False)
    assert sequences() == [4, 5, 6, 7, 8]


def test_a_dry_run_counts_what_would_go_and_changes_nothing(app_context):
    write_on(WRITTEN, 3)
    write_on(dt.date(2024, 1, 1), 2)
    assert remove_on(DUE, dry_run=True) == audit.Removal(3, 3, True)
    assert sequences() == [1, 2, 3, 4, 5] and checkpoint() is None
    assert audit.verify().checked == 5


def test_only_a_run_from_the_start_goes_so_an_older_entry_after_a_newer_one_waits(app_context):
    write_on(WRITTEN)
    write_on(dt.date(2025, 1, 1))
    write_on(WRITTEN)
    assert remove_on(DUE) == audit.Removal(1, 1, False)
    assert sequences() == [2, 3, 4] and audit.verify().whole


def test_the_day_is_londons_not_utcs(app_context):
    # 23:30 on 30 June 2020 in London is 22:30 UTC; 00:30 on 1 July is still 30 June in UTC.
    write_on(dt.date(2020, 6, 30), hour=23, minute=30)
    write_on(dt.date(2020, 7, 1), hour=0, minute=30)
    assert remove_on(dt.date(2026, 6, 30)) == audit.Removal(1, 1, False)
    assert sequences() == [2, 3]


def test_29_february_entries_go_on_28_february_of_a_common_year(app_context):
    write_on(dt.date(2024, 2, 29), 2)
    write_on(dt.date(2024, 3, 1))
    assert remove_on(dt.date(2030, 2, 27)).removed == 0
    assert remove_on(dt.date(2030, 2, 28)) == audit.Removal(2, 2, False)
    assert sequences() == [3, 4]


def test_on_29_february_the_entries_of_28_february_six_years_before_go(app_context):
    write_on(dt.date(2026, 2, 28))
    write_on(dt.date(2026, 3, 1))
    assert remove_on(dt.date(2032, 2, 29)) == audit.Removal(1, 1, False)
    assert sequences() == [2, 3]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("UPDATE audit_entries SET record_id = 999 WHERE sequence = 2", "broken at entry 2: entry 2 has been altered"),
        ("DELETE FROM audit_entries WHERE sequence = 2", "broken at entry 2: entry 2 is missing (found 3 next)"),
        ("DELETE FROM audit_entries WHERE sequence = 3", "broken at entry 3: entry 3 is missing"),
    ],
    ids=["altered", "cut in the middle", "cut at the end of what is due"],
)
def test_a_change_in_the_entries_due_refuses_the_removal_naming_the_entry(app_context, change, reason):
    write_on(WRITTEN, 3)
    write_on(dt.date(2024, 1, 1), 2)
    behind_the_application(change)
    before = sequences()
    with pytest.raises(RemovalRefused, match=re.escape(reason)) as refusal:
        remove_on(DUE)
    assert "nothing was removed" in str(refusal.value)
    assert sequences() == before and checkpoint() is None


def test_an_entry_altered_after_the_checkpoint_is_still_found(app_context):
    five_entries_then_a_removal()
    behind_the_application("UPDATE audit_entries SET actor_id = 99 WHERE sequence = 6")
    verdict = audit.verify()
    assert not verdict.whole
    assert (verdict.first_bad_sequence, verdict.reason, verdict.checked) == (6, "entry 6 has been altered", 2)


def test_entries_cut_just_after_the_checkpoint_are_found(app_context):
    five_entries_then_a_removal()
    behind_the_application("DELETE FROM audit_entries WHERE sequence IN (4, 5)")
    verdict = audit.verify()
    assert not verdict.whole
    assert (verdict.first_bad_sequence, verdict.reason) == (4, "entry 4 is missing (found 6 next)")


def checkpoint_moved_with_sql_to_entry_5() -> None:
    """What someone with SQL, not the key, could do after a removal: what the trigger allows."""
    five_entries_then_a_removal()
    behind_the_application(
        "UPDATE audit_checkpoint SET sequence = 5,"
        " entry_hash = (SELECT entry_hash FROM audit_entries WHERE sequence = 5)",
        with_triggers_off=False,
    )
    behind_the_application("DELETE FROM audit_entries WHERE sequence <= 5", with_triggers_off=False)


def test_a_checkpoint_moved_with_sql_is_found_though_the_trigger_allows_it(app_context):
    """Moving the checkpoint forward onto an entry and deleting below it is what a removal does, so
    the trigger cannot tell them apart; nothing keyed in the chain records this one."""
    checkpoint_moved_with_sql_to_entry_5()
    verdict = audit.verify()
    assert not verdict.whole
    assert verdict.first_bad_sequence == 5
    assert "no entry records moving the checkpoint to entry 5" in verdict.reason


def test_a_removal_after_a_checkpoint_moved_with_sql_refuses_rather_than_vouch_for_it(app_context):
    checkpoint_moved_with_sql_to_entry_5()
    with pytest.raises(RemovalRefused, match="broken at entry 5: no entry records moving the checkpoint to entry 5"):
        remove_on(dt.date(2030, 6, 1))
    assert sequences() == [6, 7, 8] and checkpoint().sequence == 5


def anchor_of(sequence: int, entry_hash: str) -> Anchor:
    return Anchor(sequence, entry_hash, "k", dt.datetime(2021, 1, 1, tzinfo=dt.UTC))


def test_anchors_before_the_checkpoint_are_counted_and_one_at_it_is_checked_against_it(app, app_context, tmp_path):
    write_on(WRITTEN, 3)
    write_on(dt.date(2024, 1, 1), 2)
    kept = [anchor_of(sequence, entry(sequence).entry_hash) for sequence in (2, 3, 5)]
    remove_on(DUE)

    verdict = audit.verify(kept)
    assert verdict.whole, verdict.reason
    assert verdict.anchors_before_checkpoint == 1

    anchors = Path(tmp_path / "anchors.jsonl")
    anchors.write_text("\n".join(anchor.line() for anchor in kept))
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", str(anchors)])
    assert result.exit_code == 0, result.output
    assert (
        "Audit chain whole: 3 entries verified from the checkpoint after entry 3 and 2 anchors held"
        " (1 anchor of removed entries could not be checked)."
    ) in result.output

    rewritten = audit.verify([anchor_of(3, "a" * 64)])
    assert not rewritten.whole and rewritten.first_bad_sequence == 3
    assert "no longer holds: the chain was rewritten" in rewritten.reason


def test_an_anchor_taken_after_a_removal_is_the_head(app_context):
    five_entries_then_a_removal()
    head = entry(8)
    anchor = audit.take_anchor(london(DUE, 12))
    assert (anchor.sequence, anchor.entry_hash, anchor.key_id) == (8, head.entry_hash, head.key_id)
    write_on(DUE, 2)
    assert audit.verify([anchor]).whole


def test_a_removal_that_finds_the_checkpoint_moved_by_another_stops_and_removes_nothing(app_context, monkeypatch):
    five_entries_then_a_removal()
    walk = audit._walk

    def another_removal_moves_it_meanwhile(*args, **kwargs):
        walked = walk(*args, **kwargs)
        behind_the_application(
            "UPDATE audit_checkpoint SET sequence = 4,"
            " entry_hash = (SELECT entry_hash FROM audit_entries WHERE sequence = 4)",
            with_triggers_off=False,
        )
        return walked

    monkeypatch.setattr(audit, "_walk", another_removal_moves_it_meanwhile)
    with pytest.raises(RemovalRefused, match="another removal moved the audit checkpoint"):
        remove_on(DUE + dt.timedelta(days=1))
    assert sequences() == [4, 5, 6, 7, 8] and checkpoint().sequence == 4


def postgresql_only() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the audit triggers are PostgreSQL's; SQLite relies on the model and on verify")


def refused(sql: str, match: str) -> None:
    with pytest.raises(Exception, match=match), db.engine.begin() as connection:
        connection.execute(text(sql))


def test_postgresql_allows_the_removal_and_nothing_else(app_context):
    postgresql_only()
    write_on(WRITTEN, 3)
    write_on(WRITTEN + dt.timedelta(days=1), 2)
    write_on(dt.date(2024, 1, 1), 2)
    refused(
        "INSERT INTO audit_checkpoint (id, sequence, entry_hash, key_id, moved_at)"
        f" VALUES (1, 3, '{'a' * 64}', 'k', now())",
        "must be an entry of the chain",
    )
    refused("DELETE FROM audit_entries WHERE sequence = 1", "append-only: DELETE refused on entry 1")

    assert remove_on(DUE).removed == 3

    refused("DELETE FROM audit_entries WHERE sequence = 4", "append-only: DELETE refused on entry 4")
    refused("UPDATE audit_entries SET actor_id = 99 WHERE sequence = 6", "append-only: UPDATE refused on entry 6")
    refused(
        "UPDATE audit_checkpoint SET sequence = 2, entry_hash = 'b'",
        "only moves forward: 3 to 2 refused",
    )
    refused("UPDATE audit_checkpoint SET moved_at = now()", "only moves forward: 3 to 3 refused")
    refused(f"UPDATE audit_checkpoint SET sequence = 5, entry_hash = '{'a' * 64}'", "must be an entry of the chain")
    refused("DELETE FROM audit_checkpoint", "the audit checkpoint cannot be deleted")
    refused(
        "INSERT INTO audit_checkpoint (id, sequence, entry_hash, key_id, moved_at)"
        " SELECT 2, sequence, entry_hash, key_id, now() FROM audit_entries WHERE sequence = 5",
        "one_row",
    )

    assert remove_on(DUE + dt.timedelta(days=1)).removed == 2
    assert sequences() == [6, 7, 8, 9] and audit.verify().whole
    assert db.session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 1
