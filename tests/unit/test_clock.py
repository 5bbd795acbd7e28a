"""The one clock (design rule 11): nothing but ``clock.now`` reads the wall clock, a request reads
it once, nothing is stamped by a model default, and dates people see are London's."""

import ast
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Date, DateTime

from portal.extensions import db
from portal.models import CaseNote, Referral
from portal.request_time import request_now, request_today
from portal.services import casework, clock, triage
from portal.services.audit import Actor
from tests.clock import london
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff

PORTAL = Path(__file__).resolve().parents[2] / "portal"
CLOCK_MODULE = PORTAL / "services" / "clock.py"
# Calls that read the wall clock: datetime.now/utcnow/today, date.today, time.time and friends.
WALL_CLOCK_CALLS = {"now", "utcnow", "today", "time", "time_ns", "localtime", "gmtime"}
WALL_CLOCK_OWNERS = {"datetime", "date", "dt", "time"}


def wall_clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        if node.func.attr in WALL_CLOCK_CALLS and owner_name in WALL_CLOCK_OWNERS:
            found.append(f"{path.relative_to(PORTAL.parent)}:{node.lineno}")
    return found


def test_only_the_clock_module_reads_the_wall_clock():
    reads = [read for path in sorted(PORTAL.rglob("*.py")) if path != CLOCK_MODULE for read in wall_clock_reads(path)]
    assert reads == [], "read the time from clock.now(), or from the request or actor that carries it"
    assert wall_clock_reads(CLOCK_MODULE), "the scan itself finds the one read it allows"


def test_no_model_stamps_a_time_by_default():
    """A default computed by the model would be a second clock the tests cannot set."""
    stamped = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, DateTime | Date) and (column.default is not None or column.onupdate is not None)
    ]
    assert stamped == []


def test_a_request_reads_the_clock_once(app, time_machine):
    time_machine.move_to(london(dt.date(2027, 3, 28), 0, 59), tick=False)
    with app.test_request_context("/staff/"):
        first = request_now()
        time_machine.move_to(london(dt.date(2027, 3, 28), 3, 0), tick=False)
        assert request_now() == first, "one request, one moment, even as the clocks go forward"
        assert request_today() == dt.date(2027, 3, 28)
    with app.test_request_context("/staff/"):
        assert request_now() - first == dt.timedelta(hours=1, minutes=1), "01:59 BST is an hour and a minute on"


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        # Late on a summer evening, London is an hour ahead of UTC and already on the next day.
        (dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC), dt.date(2026, 7, 1)),
        # In winter London keeps UTC.
        (dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), dt.date(2026, 12, 31)),
        # The night the clocks go forward: 00:30 UTC is 00:30 GMT; 23:30 UTC the day after is 00:30 BST.
        (dt.datetime(2027, 3, 28, 0, 30, tzinfo=dt.UTC), dt.date(2027, 3, 28)),
        (dt.datetime(2027, 3, 28, 23, 30, tzinfo=dt.UTC), dt.date(2027, 3, 29)),
        # SQLite hands moments back without a zone: they are UTC.
        (dt.datetime(2026, 8, 1, 23, 15), dt.date(2026, 8, 2)),
    ],
)
def test_a_moment_is_dated_as_london_dates_it(moment, day):
    assert clock.london_day(moment) == day


def test_a_note_written_after_midnight_in_summer_is_dated_that_london_day(app, app_context, time_machine):
    """00:30 on 1 July in London is 23:30 on 30 June in UTC: the timeline says 1 July."""
    time_machine.move_to(dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC), tick=False)
    caseworker = make_staff(app, "caseworker")
    submit_referral(app, "self", self_referral_answers())
    worker = Actor(caseworker.id, "192.0.2.7", clock.now())
    case = triage.accept(db.session.scalars(db.select(Referral)).one(), worker, worker.today, 6)
    note = casework.add_note(case, "Called mum after the school's evening meeting.", worker)
    assert db.session.get(CaseNote, note.id).written_at is not None
    [entry] = [entry for entry in casework.timeline(case, caseworker) if entry.kind == "note"]
    assert entry.on == dt.date(2026, 7, 1)
