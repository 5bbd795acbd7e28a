"""The cost of a year's statistics (every measure counted from the records, then published through
the small-number rule, charts drawn) with 100 referrals (20 of them accepted into cases) and then
with 100,000 referrals and 20,000 cases, as a ratio of the one to the other in the same run.

The measures are a few SQL aggregate queries each (GROUP BY, EXISTS), never a loop over rows in
Python, so the larger figure is the database's own work growing with the table, not the portal's.
Rows go in through ``tests.bulk`` (referrals; referrals accepted into cases, some closed), spread
over the last two years; the year counted is the one that ended last. Medians after a warm-up;
nothing fails on a duration.
"""

from __future__ import annotations

import gc
import statistics as stats
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from portal.extensions import db
from portal.services import clock
from portal.services.academic_year import AcademicYear
from portal.services.statistics import publish, year_counts
from tests.benchmarks.figures import sized
from tests.bulk import insert_cases, insert_referrals
from tests.conftest import empty_tables
from tests.staff import make_staff

pytestmark = pytest.mark.benchmark

# (referrals, of which accepted into cases)
SIZES = sized(full=((100, 20), (100_000, 20_000)), quick=((100, 20), (1_000, 200)))
WARMUP, REPETITIONS = sized(full=(2, 15), quick=(1, 5))


@pytest.fixture
def manager_id(app: Flask) -> Iterator[int]:
    try:
        yield make_staff(app, "manager").id
    finally:
        empty_tables(app)


def median_seconds(app: Flask, year: AcademicYear) -> tuple[float, int]:
    """The median time to count and publish ``year``, and how many referrals it received."""
    today = clock.london_today()
    samples = []
    with app.app_context():
        gc.collect()
        for repetition in range(WARMUP + REPETITIONS):
            started = time.perf_counter()
            counts = year_counts(year, today)
            publish(counts)
            seconds = time.perf_counter() - started
            if repetition >= WARMUP:
                samples.append(seconds)
        received = sum(counts.counts["referrals_by_route"].values())
    return stats.median(samples), received


def test_a_years_statistics_at_100_and_at_100_000_referrals(app, manager_id, record_figure):
    with app.app_context():
        dialect = db.engine.dialect.name
    group = f"in-process, statistics ({dialect}): a year's measures counted and published, median"
    year = AcademicYear.of(clock.london_today()).previous()
    inserted = (0, 0)
    figures: list[float] = []
    for referrals, cases in SIZES:
        insert_referrals(app, referrals - cases - (inserted[0] - inserted[1]), seed=referrals)
        insert_cases(app, cases - inserted[1], opened_by=manager_id, seed=cases)
        inserted = (referrals, cases)
        seconds, received = median_seconds(app, year)
        assert received > 0, "the year counted holds no referral"
        figures.append(seconds)
        ratio = seconds / figures[0]
        record_figure(
            group,
            f"statistics, {referrals:,} referrals",
            f"{year}, {referrals:,} referrals and {cases:,} cases ({received:,} received in the year)"
            f"{seconds * 1000:10.1f} ms  {ratio:6.1f}× the figure at {SIZES[0][0]:,} referrals",
            kind="in-process",
            median_ms=round(seconds * 1000, 2),
            referrals=referrals,
            cases=cases,
            ratio_to_smaller=round(ratio, 2),
            repetitions=REPETITIONS,
        )
        print(f"{referrals:,} referrals, {cases:,} cases: {seconds * 1000:.1f} ms ({ratio:.1f}× the smallest)")
