"""In-process cost of finding a family by name, date of birth or postcode with 100 referrals in the
database and then with 100,000, signed in as a caseworker, as a ratio to a bare Flask route
measured in the same run.

A search reads the keyed look-up hashes beside the people (indexed), never decrypting anyone it
does not show, so its cost should hardly change with the number of referrals; what grows is how
many it finds (at most a page of 25, the newest). Every search writes its audit entry (taking the
write lock on the chain head row), so each figure includes a committed write. The name searched
for is the child of the newest referral at each size; the date of birth, that child's; the
postcode, one of the ten the bulk referrals share (so it finds a full page at 100,000).

Each search is timed against its own floor (``floor.py``): a bare Flask route answering with the
bytes the page returned, timed immediately before it; medians after a warm-up, and nothing fails
on a duration. The ratio of the 100,000 figure to the 100 figure is how the search scales.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import Person, Referral
from tests.benchmarks.figures import sized
from tests.benchmarks.floor import floor_for, floor_line, milliseconds, sample
from tests.bulk import insert_referrals
from tests.conftest import empty_tables
from tests.staff import csrf_token, make_staff, sign_in

pytestmark = pytest.mark.benchmark

SIZES = sized(full=(100, 100_000), quick=(100, 1_000))
WARMUP, REPETITIONS = sized(full=(10, 60), quick=(3, 15))
FLOOR_WARMUP, FLOOR_REPETITIONS = sized(full=(20, 200), quick=(5, 50))
SEARCH = "/staff/referrals/person-search"


@pytest.fixture
def caseworker(app: Flask) -> Iterator[FlaskClient]:
    """A plain test client signed in as a caseworker by a planted session; the tables are emptied
    afterwards."""
    client = FlaskClient(app, app.response_class, use_cookies=True)
    try:
        sign_in(client, app, make_staff(app, "caseworker"))
        yield client
    finally:
        empty_tables(app)


def newest_child(app: Flask) -> dict[str, str]:
    """The newest referral's child, as the search form is filled in: name and date of birth."""
    with app.app_context():
        child = db.session.scalars(
            select(Person)
            .join(Person.referral)
            .where(Person.role == "child")
            .order_by(Referral.submitted_at.desc(), Referral.id.desc())
            .limit(1)
        ).one()
        born = child.date_of_birth
        db.session.remove()
    assert born is not None
    return {
        "name": child.full_name,
        "date_of_birth-day": str(born.day),
        "date_of_birth-month": str(born.month),
        "date_of_birth-year": str(born.year),
    }


def rows_found(html: str) -> int:
    return html.count('<tr class="govuk-table__row">') - 1 - html.count("No referrals match.")


def test_search_by_name_date_of_birth_or_postcode_with_100_and_100_000_referrals(app, caseworker, record_figure):
    with app.app_context():
        dialect = db.engine.dialect.name
    group = (
        f"in-process, search by person (Flask test client, {dialect}): median per search, ratio to a bare Flask"
        f" route returning the same bytes and to the figure with {SIZES[0]:,} referrals"
    )
    medians: dict[tuple[str, int], float] = {}
    inserted = 0
    for size in SIZES:
        added = insert_referrals(app, size - inserted, seed=size)
        inserted = size
        record_figure(
            group,
            f"bulk insert to {size:,}",
            f"bulk insert to {size:,} referrals: {added.summary()}",
            kind="in-process",
            referrals=added.referrals,
            seconds=round(added.seconds, 2),
        )
        child = newest_child(app)
        searches = {
            "by name": {"name": child["name"]},
            "by date of birth": {key: value for key, value in child.items() if key != "name"},
            "by postcode": {"postcode": "ba1 1aa"},
        }
        for name, form in searches.items():
            data = {"csrf_token": csrf_token(caseworker), **form}
            response = caseworker.post(SEARCH, data=data)
            found = rows_found(response.get_data(as_text=True))
            assert found >= (0 if name == "by postcode" else 1), name
            floor = floor_for(response)
            floor_ms = milliseconds(sample(lambda floor=floor: floor.post("/"), FLOOR_WARMUP, FLOOR_REPETITIONS))
            page_ms = milliseconds(sample(lambda data=data: caseworker.post(SEARCH, data=data), WARMUP, REPETITIONS))
            medians[name, size] = page_ms
            growth = page_ms / medians[name, SIZES[0]]
            record_figure(
                group,
                f"POST search {name}, {size} referrals",
                floor_line(f"POST search {name}, {size:,} referrals ({found} found)", 80, page_ms, floor_ms)
                + (f"  {growth:.2f}× the figure at {SIZES[0]:,}" if size != SIZES[0] else ""),
                kind="in-process",
                referrals=size,
                rows_found=found,
                median_ms=round(page_ms, 3),
                floor_median_ms=round(floor_ms, 3),
                ratio=round(page_ms / floor_ms, 2),
                ratio_to_smallest=round(growth, 2),
                repetitions=REPETITIONS,
            )
