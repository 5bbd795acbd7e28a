"""The retention purge (design section 8, issue 13) over 100,000 referral bundles due for
destruction: its time, its rate, the rows it deletes, the peak memory it adds and, since it must
never hold the database for long, its longest single transaction.

The bundles go in through ``tests.bulk`` with the clock set to 1 June 2026: three in five
referrals accepted into cases, each case with a short record (a note and its earlier version,
contacts on the case and on the referral, a consent naming two third parties, a review, a
disclosure to one of them), the rest declined or withdrawn; ``close_referrals`` then closes
whatever was still open, so every bundle closed on or before that day and every year they count in
is frozen. The purge runs as the daily command would on 2 June 2029, three years and a day on,
after a few referrals and cases from the two years before it, none yet due, that it must leave.

Transactions are timed by session events, from the moment a transaction takes its connection to
the end of its COMMIT: on SQLite the database's own transaction starts at the first write inside
that span, so the figure is an upper bound of how long anyone else could have been kept waiting.
Statements and commits are timed too, to show what a slow purge waits on.
Memory is the rise of the process's peak resident size over the purge (the kernel's VmHWM, reset
just before it), so it counts SQLite's page cache and the driver as well as Python's objects, and
tracemalloc's cost does not slow the timing.

The baseline, in the same run: the same bundle deleted with plain SQL, the same 15 DELETE
statements children first in a transaction of its own, with no judging of holds and no log, on
bundles of the same kind; the purge's time per root is given as a ratio to it. The dry run is
timed too: it counts the same rows in batches and changes nothing. Nothing fails on a duration;
what is asserted is that every bundle due is gone, entirely, and nothing else.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import json
import resource
import statistics as stats
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine, event, func, select, text
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import DestructionLogEntry, FrozenYear, Referral
from portal.services import retention
from portal.services.academic_year import AcademicYear
from portal.services.audit import system_actor
from portal.services.retention import BUNDLE_TABLES, Periods
from portal.services.validation import add_years
from tests.benchmarks.figures import sized
from tests.bulk import SPAN, close_referrals, insert_case_records, insert_cases, insert_referrals
from tests.clock import london
from tests.staff import make_staff

pytestmark = pytest.mark.benchmark

ROOTS = sized(full=100_000, quick=300)  # bundles the purge destroys
BASELINE_ROOTS = sized(full=1_000, quick=50)  # bundles of the same kind deleted with plain SQL first
NOT_DUE = sized(full=1_000, quick=30)  # referrals (half of them with cases) the purge must leave
ACCEPTED_SHARE = 0.6  # of the bundles due, those with a case
PERIODS = Periods(referral_years=3, request_years=3)
CLOSED_BY = dt.date(2026, 6, 1)
PURGE_DAY = add_years(CLOSED_BY, 3) + dt.timedelta(days=1)

# The baseline: one referral's bundle, children first, as plain SQL with the referral's id.
CASE_OF_ROOT = "SELECT id FROM cases WHERE referral_id = :root"
PLAIN_DELETES = {
    "case_note_revisions": "DELETE FROM case_note_revisions WHERE note_id IN "
    f"(SELECT id FROM case_notes WHERE case_id IN ({CASE_OF_ROOT}))",
    "case_notes": f"DELETE FROM case_notes WHERE case_id IN ({CASE_OF_ROOT})",
    "disclosures": f"DELETE FROM disclosures WHERE case_id IN ({CASE_OF_ROOT})",
    "consent_parties": "DELETE FROM consent_parties WHERE consent_id IN "
    f"(SELECT id FROM consent_records WHERE case_id IN ({CASE_OF_ROOT}))",
    "consent_records": f"DELETE FROM consent_records WHERE case_id IN ({CASE_OF_ROOT})",
    "consent_reviews": f"DELETE FROM consent_reviews WHERE case_id IN ({CASE_OF_ROOT})",
    "contact_entries": f"DELETE FROM contact_entries WHERE case_id IN ({CASE_OF_ROOT}) OR referral_id = :root",
    "feedback_invitations": f"DELETE FROM feedback_invitations WHERE case_id IN ({CASE_OF_ROOT})",
    "reminders_sent": f"DELETE FROM reminders_sent WHERE case_id IN ({CASE_OF_ROOT})",
    "cases": "DELETE FROM cases WHERE referral_id = :root",
    "request_chosen_records": "DELETE FROM request_chosen_records WHERE referral_id = :root",
    "retention_holds": "DELETE FROM retention_holds WHERE referral_id = :root",
    "consent_attestations": "DELETE FROM consent_attestations WHERE referral_id = :root",
    "people": "DELETE FROM people WHERE referral_id = :root",
    "referrals": "DELETE FROM referrals WHERE id = :root",
}


class TransactionTimes:
    """How long each session transaction lasted while the block runs, from the moment it took a
    connection and began to the end of its COMMIT (or ROLLBACK): session events, so the service is
    measured as it is, unchanged. (The engine's ``commit`` event fires before the database
    commits, so a span ending there would leave out the commit, WAL write and fsync included.)"""

    def __init__(self) -> None:
        self.began: dict[Session, float] = {}
        self.seconds: list[float] = []

    def _begin(self, session: Session, *_: object) -> None:
        self.began[session] = time.perf_counter()

    def _end(self, session: Session, *_: object) -> None:
        began = self.began.pop(session, None)
        if began is not None:
            self.seconds.append(time.perf_counter() - began)

    def __enter__(self) -> TransactionTimes:
        event.listen(Session, "after_begin", self._begin)
        event.listen(Session, "after_commit", self._end)
        event.listen(Session, "after_rollback", self._end)
        return self

    def __exit__(self, *exc_info: object) -> None:
        event.remove(Session, "after_begin", self._begin)
        event.remove(Session, "after_commit", self._end)
        event.remove(Session, "after_rollback", self._end)

    def longest(self) -> float:
        return max(self.seconds)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class DatabaseTimes:
    """Time spent in the database while the block runs: executing statements, by kind (``DELETE
    FROM people``, ``UPDATE destruction_log``, ``SELECT``), and committing (``COMMIT``, from the
    engine's commit event, which fires just before the database commits, to the session's
    after_commit). The rest of a purge's time is Python's: the service and SQLAlchemy."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.began: dict[int, float] = {}
        self.commit_began: float | None = None
        self.seconds: Counter[str] = Counter()

    @staticmethod
    def kind(statement: str) -> str:
        words = statement.split()
        return " ".join(
            words[:3] if words[0] in ("DELETE", "INSERT") else words[:2] if words[0] == "UPDATE" else words[:1]
        )

    def _before(self, connection: Connection, cursor: Any, *_: object) -> None:
        self.began[id(cursor)] = time.perf_counter()

    def _after(self, connection: Connection, cursor: Any, statement: str, *_: object) -> None:
        self.seconds[self.kind(statement)] += time.perf_counter() - self.began.pop(id(cursor))

    def _committing(self, connection: Connection) -> None:
        self.commit_began = time.perf_counter()

    def _committed(self, session: Session) -> None:
        if self.commit_began is not None:
            self.seconds["COMMIT"] += time.perf_counter() - self.commit_began
            self.commit_began = None

    def __enter__(self) -> DatabaseTimes:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        event.listen(self.engine, "commit", self._committing)
        event.listen(Session, "after_commit", self._committed)
        return self

    def __exit__(self, *exc_info: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)
        event.remove(self.engine, "commit", self._committing)
        event.remove(Session, "after_commit", self._committed)

    def total(self) -> float:
        return sum(self.seconds.values())

    def slowest(self, count: int) -> list[tuple[str, float]]:
        return self.seconds.most_common(count)


class PeakMemory:
    """The rise of the process's peak resident memory over the block, in MiB. On Linux the
    kernel's peak (VmHWM) is first reset to the resident size (by writing 5 to
    /proc/self/clear_refs), so the figure is the block's own; elsewhere it is the rise of
    ru_maxrss, the peak since the process started, a lower bound (0 if an earlier step peaked
    higher). ``how`` says which."""

    STATUS = Path("/proc/self/status")
    CLEAR_REFS = Path("/proc/self/clear_refs")

    def __init__(self) -> None:
        self.how = "VmHWM reset before the purge"
        self.rise_mib = 0.0
        self.start_kib = 0

    @classmethod
    def _status_kib(cls, name: str) -> int:
        line = next(line for line in cls.STATUS.read_text().splitlines() if line.startswith(f"{name}:"))
        return int(line.split()[1])

    @staticmethod
    def _maxrss_kib() -> int:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux

    def __enter__(self) -> PeakMemory:
        gc.collect()
        # glibc keeps what Python freed (the bulk inserts' rows) resident for reuse, and the purge
        # would grow into it unseen: handed back first, the rise is the purge's own need.
        trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
        if trim is not None:
            trim(0)
        try:
            self.CLEAR_REFS.write_text("5")
            self.start_kib = self._status_kib("VmRSS")
        except OSError:
            self.how = "ru_maxrss rise, a lower bound"
            self.start_kib = self._maxrss_kib()
        return self

    def __exit__(self, *exc_info: object) -> None:
        peak = self._status_kib("VmHWM") if self.how.startswith("VmHWM") else self._maxrss_kib()
        self.rise_mib = (peak - self.start_kib) / 1024


def bundle_rows() -> Counter[str]:
    """Rows in every table a referral's bundle lives in."""
    counts: Counter[str] = Counter()
    for table in BUNDLE_TABLES["referral"]:
        counts[table] = db.session.scalar(text(f"SELECT count(*) FROM {table}")) or 0  # names from the service
    return counts


def freeze_years_of_the_bundles() -> None:
    """Every year the bundles count in, frozen: the purge destroys nothing from a year still open."""
    first, last = AcademicYear.of(CLOSED_BY - SPAN - dt.timedelta(days=1)), AcademicYear.of(CLOSED_BY)
    years = [AcademicYear(starts).name for starts in range(first.starts, last.starts + 1)]
    for year in years:
        db.session.add(FrozenYear(year=year, frozen_at=london(CLOSED_BY + dt.timedelta(days=100))))
    db.session.commit()


@pytest.fixture
def bundles(app: Flask, time_machine: Any) -> Iterator[tuple[list[int], list[int]]]:
    """The referral ids due for destruction on ``PURGE_DAY`` and those not yet due, inserted."""
    time_machine.move_to(london(CLOSED_BY), tick=False)
    worker_id = make_staff(app, "caseworker").id
    due = ROOTS + BASELINE_ROOTS
    accepted = round(due * ACCEPTED_SHARE)
    cases = insert_cases(app, accepted, opened_by=worker_id, seed=13)
    declined = insert_referrals(app, due - accepted, seed=14)
    close_referrals(app, cases.referrals.first_id, declined.last_id, seed=15)
    insert_case_records(app, cases.first_id, cases.last_id, recorded_by=worker_id, seed=16)
    with app.app_context():
        freeze_years_of_the_bundles()
    time_machine.move_to(london(PURGE_DAY - dt.timedelta(days=1)), tick=False)
    recent = insert_referrals(app, NOT_DUE - NOT_DUE // 2, seed=17)
    recent_cases = insert_cases(app, NOT_DUE // 2, opened_by=worker_id, seed=18)
    insert_case_records(app, recent_cases.first_id, recent_cases.last_id, recorded_by=worker_id, seed=19)
    yield (
        list(range(cases.referrals.first_id, declined.last_id + 1)),
        list(range(recent.first_id, recent_cases.referrals.last_id + 1)),
    )


def delete_plainly(app: Flask, referral_ids: list[int]) -> tuple[list[float], Counter[str]]:
    """The baseline: each bundle deleted with ``PLAIN_DELETES`` in its own transaction; the time
    of each and the rows deleted."""
    seconds: list[float] = []
    deleted: Counter[str] = Counter()
    with app.app_context(), db.engine.connect() as connection:
        statements = [(table, text(sql)) for table, sql in PLAIN_DELETES.items()]
        for referral_id in referral_ids:
            started = time.perf_counter()
            with connection.begin():
                for table, statement in statements:
                    deleted[table] += connection.execute(statement, {"root": referral_id}).rowcount
            seconds.append(time.perf_counter() - started)
    return seconds, +deleted


@dataclass(frozen=True)
class TimedPurge:
    report: retention.PurgeReport
    seconds: float
    transactions: TransactionTimes
    database: DatabaseTimes


def timed_purge(app: Flask, dry_run: bool) -> TimedPurge:
    actor = system_actor(london(PURGE_DAY, hour=2))
    with app.app_context():
        db.session.remove()
        with TransactionTimes() as transactions, DatabaseTimes(db.engine) as database:
            started = time.perf_counter()
            report = retention.purge(actor, PERIODS, "daily", dry_run=dry_run)
            seconds = time.perf_counter() - started
        db.session.remove()
    return TimedPurge(report, seconds, transactions, database)


def test_the_plain_deletes_of_the_baseline_cover_every_table_the_purge_deletes_from():
    assert set(PLAIN_DELETES) == set(BUNDLE_TABLES["referral"])


def test_purging_100_000_due_referral_bundles_one_transaction_each(app, bundles, record_figure):
    due_ids, not_due_ids = bundles
    with app.app_context():
        dialect = db.engine.dialect.name
        closed_late = db.session.scalar(
            select(func.count()).where(
                Referral.id.in_(due_ids[:: max(1, len(due_ids) // 500)]),
                (Referral.closed_on.is_(None)) | (Referral.closed_on > CLOSED_BY),
            )
        )
        assert closed_late == 0, "a bundle meant to be due is still open"
    group = f"in-process, retention purge ({dialect}): {ROOTS:,} referral bundles due, one transaction each"

    # The baseline, on bundles spread through the ids, taken out of the purge's share.
    step = len(due_ids) // BASELINE_ROOTS
    plain_ids = due_ids[::step][:BASELINE_ROOTS]
    plain_seconds, plain_rows = delete_plainly(app, plain_ids)
    with app.app_context():
        before = bundle_rows()

    dry_run = timed_purge(app, dry_run=True)
    with PeakMemory() as memory:
        purge = timed_purge(app, dry_run=False)
    report, seconds, transactions = purge.report, purge.seconds, purge.transactions
    dry_report, dry_seconds, dry_transactions = dry_run.report, dry_run.seconds, dry_run.transactions

    with app.app_context():
        after = bundle_rows()
        left = set(db.session.scalars(select(Referral.id)))
        logged = db.session.execute(
            select(DestructionLogEntry.roots_destroyed, DestructionLogEntry.rows_by_table).where(
                DestructionLogEntry.run_number == report.run_number
            )
        ).all()
    deleted = +(before - after)
    assert report.destroyed("referral") == ROOTS and report.held("referral") == 0
    assert left == set(not_due_ids), "the purge left a bundle due, or destroyed one not due"
    assert +report.rows() == deleted, "the purge's counts differ from the rows that went"
    assert +dry_report.rows() == deleted and dry_report.destroyed("referral") == ROOTS
    assert sum(destroyed for destroyed, _ in logged) == ROOTS
    assert sum((Counter(json.loads(rows)) for _, rows in logged), Counter()) == deleted
    assert set(deleted) == set(plain_rows), "the baseline bundles are not of the same kinds"

    rows = sum(deleted.values())
    per_root = seconds / ROOTS
    plain_per_root = stats.median(plain_seconds)
    longest = transactions.longest()
    line = (
        f"{ROOTS:,} bundles ({rows:,} rows) in {seconds:8.1f} s: {ROOTS / seconds:7,.0f} roots/s, "
        f"{rows / seconds:8,.0f} rows/s, {per_root * 1000:.2f} ms a root"
    )
    record_figure(
        group,
        "purge",
        line,
        kind="in-process",
        roots=ROOTS,
        rows=rows,
        rows_by_table=dict(sorted(deleted.items())),
        seconds=round(seconds, 2),
        roots_per_second=round(ROOTS / seconds, 1),
    )
    record_figure(
        group,
        "longest transaction",
        f"transactions: {len(transactions.seconds):,}, longest {longest * 1000:8.1f} ms "
        f"(median {stats.median(transactions.seconds) * 1000:.2f} ms, "
        f"99th percentile {transactions.percentile(0.99) * 1000:.2f} ms)",
        kind="in-process",
        transactions=len(transactions.seconds),
        longest_ms=round(longest * 1000, 2),
        median_ms=round(stats.median(transactions.seconds) * 1000, 3),
        p99_ms=round(transactions.percentile(0.99) * 1000, 3),
    )
    in_database = purge.database.total()
    slowest = purge.database.slowest(4)
    record_figure(
        group,
        "time in the database",
        f"in the database (statements and commits): {in_database / seconds:.0%} of the purge; the most: "
        + ", ".join(f"{kind} {share / seconds:.0%}" for kind, share in slowest),
        kind="in-process",
        database_share=round(in_database / seconds, 3),
        slowest_seconds={kind: round(share, 2) for kind, share in slowest},
    )
    record_figure(
        group,
        "peak memory",
        f"peak resident memory rose by {memory.rise_mib:.1f} MiB over the purge ({memory.how})",
        kind="in-process",
        peak_rise_mib=round(memory.rise_mib, 1),
        measured_by=memory.how,
    )
    record_figure(
        group,
        "baseline",
        f"baseline, a bundle as plain DELETEs in its own transaction: median {plain_per_root * 1000:.2f} ms "
        f"({len(plain_ids):,} bundles); the purge takes {per_root / plain_per_root:.1f}× that a root, "
        f"its longest transaction {longest / plain_per_root:.1f}×",
        kind="in-process",
        plain_median_ms=round(plain_per_root * 1000, 3),
        plain_bundles=len(plain_ids),
        ratio_per_root=round(per_root / plain_per_root, 2),
        ratio_longest=round(longest / plain_per_root, 2),
    )
    record_figure(
        group,
        "dry run",
        f"dry run, counting the same rows: {dry_seconds:.1f} s in {len(dry_transactions.seconds):,} "
        f"transaction(s), the longest {dry_transactions.longest() * 1000:,.0f} ms "
        f"({dry_seconds / seconds:.2f}× the purge)",
        kind="in-process",
        seconds=round(dry_seconds, 2),
        transactions=len(dry_transactions.seconds),
        longest_ms=round(dry_transactions.longest() * 1000, 2),
    )
    print(line)
