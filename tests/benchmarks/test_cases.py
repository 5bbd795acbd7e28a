"""In-process cost of the casework pages, signed in as a manager, as a ratio to a bare Flask route
measured in the same run: one case with 10 timeline entries and then 500, and the cases list (its
first page, and filtered to overdue consent reviews) with 100 cases and then 20,000.

Cases go in through ``tests.bulk.insert_cases`` (referrals accepted into cases, encrypted as the
app stores them; one in ten assigned to a caseworker) and timelines through ``insert_timeline``
(notes, some edited with their revisions, which a manager sees; contacts; consents naming third
parties, some withdrawn; reviews; disclosures on consent and on child protection). The case viewed
is the first of the 100: open, its review overdue, assigned. Its timeline grows from 10 entries to
500 while there are 100 cases; it is timed once more, with 500 entries, among 20,000 cases.

The case is timed on two pages: its timeline (every entry) and its overview (counts only). Each
writes an audit entry on every view (taking the write lock on the chain head row and
committing), so its figures include a committed write. The list pages write nothing.

As in ``test_triage``: each page is timed against its own floor (``floor.py``), a bare Flask route
answering with the bytes the page returned, timed with the same loop immediately before it; every
block starts from a collected heap, medians after a warm-up, and nothing fails on a duration. The
goal for the timeline with 500 entries is under 120× its floor. The ratios of the larger size to
the smaller are how the pages scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from tests.benchmarks.figures import sized
from tests.benchmarks.floor import floor_for, floor_line, milliseconds, sample
from tests.bulk import insert_cases, insert_timeline
from tests.conftest import empty_tables
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.benchmark

CASE_SIZES = sized(full=(100, 20_000), quick=(100, 1_000))
TIMELINE_SIZES = sized(full=(10, 500), quick=(10, 100))
WARMUP, REPETITIONS = sized(full=(10, 60), quick=(3, 15))
# The case page with 500 entries takes a few hundred milliseconds a request: fewer, to keep the
# run near a minute (the median of 25 is steady to a few per cent).
LONG_WARMUP, LONG_REPETITIONS = sized(full=(3, 25), quick=(1, 5))
FLOOR_WARMUP, FLOOR_REPETITIONS = sized(full=(20, 200), quick=(5, 50))
OVERVIEW = "/staff/cases/{case_id}"
TIMELINE = "/staff/cases/{case_id}/timeline"
LISTS = ("/staff/cases", "/staff/cases?review=overdue")
# The goal: the case's timeline with 500 entries under 120× its floor.
LONG_CASE_PAGE_ENTRIES, LONG_CASE_PAGE_GOAL = 500, 120


@dataclass(frozen=True)
class Staff:
    client: FlaskClient
    manager_id: int
    caseworker_id: int


@pytest.fixture
def manager(app: Flask) -> Iterator[Staff]:
    """A plain test client (the suite's page-checking client would time its checks too), signed
    in as a manager by a planted session (``tests.staff.sign_in``), and a caseworker to assign
    cases to; the tables are emptied afterwards."""
    client = FlaskClient(app, app.response_class, use_cookies=True)
    try:
        user = make_staff(app, "manager")
        caseworker = make_staff(app, "caseworker")
        sign_in(client, app, user)
        yield Staff(client, user.id, caseworker.id)
    finally:
        empty_tables(app)


def rows_shown(client: FlaskClient, path: str) -> int:
    return client.get(path).get_data(as_text=True).count('<tr class="govuk-table__row">') - 1


def entries_shown(client: FlaskClient, path: str) -> int:
    return client.get(path).get_data(as_text=True).count('class="sps-timeline__entry"')


def test_case_pages_with_10_and_500_entries_and_100_and_20_000_cases(app, manager, record_figure):
    with app.app_context():
        dialect = db.engine.dialect.name
    group = (
        f"in-process, casework (Flask test client, {dialect}, manager): median per request, ratio to a bare"
        f" Flask route returning the same bytes and to the smaller size"
    )
    client = manager.client
    medians: dict[str, float] = {}

    def time_page(
        name: str,
        url: str,
        label: str,
        baseline: tuple[str, str] | None = None,
        long: bool = False,
        **data: object,
    ) -> None:
        """Time ``url`` after its floor; ``baseline`` is the name of an earlier figure to compare
        with, and how to say which it was."""
        warmup, repetitions = (LONG_WARMUP, LONG_REPETITIONS) if long else (WARMUP, REPETITIONS)
        floor = floor_for(client.get(url))
        floor_ms = milliseconds(sample(lambda: floor.get("/"), FLOOR_WARMUP, FLOOR_REPETITIONS))
        page_ms = milliseconds(sample(lambda: client.get(url), warmup, repetitions))
        medians[name] = page_ms
        growth = page_ms / medians[baseline[0]] if baseline else None
        goal = LONG_CASE_PAGE_GOAL if data.get("timeline_entries") == LONG_CASE_PAGE_ENTRIES else None
        record_figure(
            group,
            name,
            floor_line(label, 76, page_ms, floor_ms, goal)
            + (f"  {growth:.2f}× the figure {baseline[1]}" if baseline else ""),
            kind="in-process",
            median_ms=round(page_ms, 3),
            floor_median_ms=round(floor_ms, 3),
            ratio=round(page_ms / floor_ms, 2),
            goal=goal,
            ratio_to_smaller=round(growth, 2) if growth else None,
            repetitions=repetitions,
            **data,
        )

    def time_lists(cases: int) -> None:
        smaller = CASE_SIZES[0]
        for path in LISTS:
            shown = rows_shown(client, path)
            assert shown > 0, f"{path}: no rows"
            name = f"GET {path}, {cases:,} cases"
            time_page(
                name,
                path,
                f"GET {path}, {cases:,} cases ({shown} rows)",
                baseline=(f"GET {path}, {smaller:,} cases", f"at {smaller:,} cases") if cases != smaller else None,
                cases=cases,
                rows_shown=shown,
            )

    def time_case(case_id: int, entries: int, cases: int, baseline: tuple[str, str] | None) -> None:
        """The case's timeline (every entry) and its overview (counts, whatever the entries)."""
        url = TIMELINE.format(case_id=case_id)
        shown = entries_shown(client, url)
        assert shown == entries, f"{shown} timeline entries shown, {entries} inserted"
        name = f"GET /staff/cases/<id>/timeline, {entries} entries, {cases:,} cases"
        time_page(
            name,
            url,
            name + " (audited)",
            baseline=baseline,
            long=entries > TIMELINE_SIZES[0],
            cases=cases,
            timeline_entries=entries,
        )
        overview = f"GET /staff/cases/<id>, {entries} entries, {cases:,} cases"
        time_page(overview, OVERVIEW.format(case_id=case_id), overview + " (audited)", cases=cases)

    def record_insert(name: str, line: str, seconds: float, **data: object) -> None:
        record_figure(group, name, line, kind="in-process", seconds=round(seconds, 2), **data)

    # 100 cases; the first (open, review overdue, assigned) is the one viewed.
    added = insert_cases(app, CASE_SIZES[0], opened_by=manager.manager_id, assigned_to=manager.caseworker_id, seed=1)
    record_insert(f"bulk insert {CASE_SIZES[0]:,} cases", f"bulk insert: {added.summary()}", added.seconds)
    case_id = added.first_id
    recorders = (manager.caseworker_id, manager.manager_id)
    entries = 0
    first_case: tuple[str, str] | None = None
    for size in TIMELINE_SIZES:
        timeline = insert_timeline(
            app, case_id, size - entries, recorded_by=recorders, approved_by=manager.manager_id, seed=size
        )
        entries = size
        record_insert(f"bulk insert timeline to {size}", f"bulk insert: {timeline.summary()}", timeline.seconds)
        time_case(case_id, size, CASE_SIZES[0], first_case)
        first_case = first_case or (
            f"GET /staff/cases/<id>/timeline, {size} entries, {CASE_SIZES[0]:,} cases",
            f"at {size} entries",
        )
    time_lists(CASE_SIZES[0])

    more = insert_cases(
        app, CASE_SIZES[1] - CASE_SIZES[0], opened_by=manager.manager_id, assigned_to=manager.caseworker_id, seed=2
    )
    record_insert(f"bulk insert to {CASE_SIZES[1]:,} cases", f"bulk insert: {more.summary()}", more.seconds)
    time_lists(CASE_SIZES[1])
    time_case(
        case_id,
        TIMELINE_SIZES[1],
        CASE_SIZES[1],
        (
            f"GET /staff/cases/<id>/timeline, {TIMELINE_SIZES[1]} entries, {CASE_SIZES[0]:,} cases",
            f"at {CASE_SIZES[0]} cases",
        ),
    )
