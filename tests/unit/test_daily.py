"""The daily command and the retention commands, run as cron runs them (``flask --app wsgi …``) at
set dates: one line per step, a non-zero exit when a step fails, nothing new on a second run the
same day, and counts without a reference on the terminal."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEntry, DestructionLogEntry, FrozenYear, Referral, RetentionHold
from portal.services import triage
from portal.services.audit import Actor
from tests.clock import london
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff

DECLINED_ON = dt.date(2026, 10, 5)
DUE = dt.date(2029, 10, 5)


@pytest.fixture
def caseworker(app, app_context):
    return make_staff(app, "caseworker")


def declined_referral(app, time_machine, caseworker) -> int:
    time_machine.move_to(london(DECLINED_ON), tick=False)
    referral_id = submit_referral(app, "self", self_referral_answers()).id
    triage.decline(
        db.session.get(Referral, referral_id), "Outside the area.", Actor(caseworker.id, None, london(DECLINED_ON))
    )
    db.session.add(FrozenYear(year="2026-27", frozen_at=london(dt.date(2027, 9, 2))))
    db.session.commit()
    return referral_id


def stale_referral(app, time_machine, day: dt.date) -> int:
    time_machine.move_to(london(day - dt.timedelta(days=120)), tick=False)
    return submit_referral(app, "self", self_referral_answers()).id


def run(app, time_machine, day: dt.date, *args: str):
    time_machine.move_to(london(day, hour=2), tick=False)
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_daily_runs_each_step_once_a_day_and_a_second_run_does_nothing_new(app, time_machine, caseworker, outbox):
    due_id = declined_referral(app, time_machine, caseworker)
    stale_id = stale_referral(app, time_machine, DUE)
    first = run(app, time_machine, DUE, "daily")
    assert first.exit_code == 0, first.stderr
    lines = first.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Lapse", "Purge", "Jobs", "Reminders", "Audit chain"]
    assert lines[0].startswith("Lapse: 1 referral new for 90 days")
    assert "destroyed 1 referral" in lines[1]
    assert db.session.get(Referral, due_id) is None
    assert db.session.get(Referral, stale_id).status == "lapsed"
    entries, logged, sent = count(AuditEntry), count(DestructionLogEntry), len(outbox)

    second = run(app, time_machine, DUE, "daily")
    assert second.exit_code == 0, second.stderr
    assert all(line.endswith("(done earlier today)") for line in second.stdout.splitlines())
    assert (count(AuditEntry), count(DestructionLogEntry), len(outbox)) == (entries, logged, sent)

    next_day = run(app, time_machine, DUE + dt.timedelta(days=1), "daily")
    assert next_day.exit_code == 0 and "done earlier today" not in next_day.stdout
    assert "destroyed 0 referrals" in next_day.stdout


def test_a_failing_step_exits_non_zero_the_others_still_run_and_the_next_run_retries_it(app, time_machine, caseworker):
    due_id = declined_referral(app, time_machine, caseworker)
    portal_url = app.config["PORTAL_URL"]
    app.config["PORTAL_URL"] = ""  # as in production before it is set: reminders cannot link anywhere
    try:
        failed = run(app, time_machine, DUE, "daily")
    finally:
        app.config["PORTAL_URL"] = portal_url
    assert failed.exit_code == 1
    assert "Reminders: FAILED" in failed.stderr
    assert "Audit chain: whole" in failed.stdout and db.session.get(Referral, due_id) is None
    retried = run(app, time_machine, DUE, "daily")
    assert retried.exit_code == 0, retried.stderr
    done_before = [line for line in retried.stdout.splitlines() if line.endswith("(done earlier today)")]
    assert len(done_before) == 4 and retried.stdout.startswith("Lapse") and "Reminders:" in retried.stdout


def test_with_the_purge_off_daily_destroys_nothing_but_does_the_rest(app, time_machine, caseworker):
    due_id = declined_referral(app, time_machine, caseworker)
    app.config["RETENTION_PURGE"] = "off"
    try:
        result = run(app, time_machine, DUE, "daily")
    finally:
        app.config["RETENTION_PURGE"] = "on"
    assert result.exit_code == 0, result.stderr
    assert "Purge: off" in result.stdout and db.session.get(Referral, due_id) is not None
    assert count(DestructionLogEntry) == 0


def test_retention_purge_dry_run_prints_counts_changes_nothing_and_names_no_record(app, time_machine, caseworker):
    due_id = declined_referral(app, time_machine, caseworker)
    reference = db.session.get(Referral, due_id).reference
    dry = run(app, time_machine, DUE, "retention", "purge", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.startswith("Retention purge would destroy 1 referral (with their cases)")
    assert "people: 2 rows" in dry.stdout and "would be removed" in dry.stdout
    assert db.session.get(Referral, due_id) is not None
    real = run(app, time_machine, DUE, "retention", "purge")
    assert real.exit_code == 0, real.stderr
    assert real.stdout.startswith("Retention purge destroyed 1 referral")
    assert db.session.get(Referral, due_id) is None
    assert reference not in dry.stdout + real.stdout
    ran_by = db.session.scalars(select(DestructionLogEntry.ran_by)).all()
    assert ran_by and all(by.endswith("(command line)") or by == "command line" for by in ran_by)


def test_retention_holds_lists_holds_past_review_first_without_references(app, time_machine, caseworker):
    due_id = declined_referral(app, time_machine, caseworker)
    for reason, review_on in (("litigation_or_claim", dt.date(2030, 1, 1)), ("ico_complaint", dt.date(2029, 9, 1))):
        db.session.add(
            RetentionHold(
                referral_id=due_id,
                reason=reason,
                note="Kept for the claim.",
                review_on=review_on,
                placed_by_id=caseworker.id,
                placed_at=london(dt.date(2029, 8, 1)),
            )
        )
    db.session.commit()
    result = run(app, time_machine, DUE, "retention", "holds")
    assert result.exit_code == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert "Information Commissioner" in first and "PAST REVIEW 1 September 2029" in first
    assert "Litigation" in second and "review 1 January 2030" in second
    assert db.session.get(Referral, due_id).reference not in result.stdout
