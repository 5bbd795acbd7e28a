"""In-process cost of the triage pages with 100 referrals in the database and then with 100,000,
signed in as a caseworker, as a ratio to a bare Flask route measured in the same run.

The pages: the queue's first page, the queue filtered to new professional referrals, one referral
in full, and the dashboard (three counts). The queue (which names the families it lists, with a
line of their needs, their worker and the working days they have waited) and the referral page
write an audit entry on every view (taking the write lock on the chain head row), so their
figures include a committed write.
Referrals go in through ``tests.bulk`` (encrypted as the app stores them); the 100,000 are the
first 100 plus 99,900 more. The referral viewed is the newest professional referral with its
attestation, at each size.

Each page is timed against its own floor (``floor.py``): a bare Flask route answering with the
bytes the page returned, timed with the same loop immediately before it; every block starts from
a collected heap, medians after a warm-up, and nothing fails on a duration. The goal for the
referral page is under 40× its floor. The ratio of the 100,000 figure to the 100 figure is how the
page scales.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import exists, select

from portal.extensions import db
from portal.models import ConsentAttestation, Referral
from tests.benchmarks.figures import sized
from tests.benchmarks.floor import floor_for, floor_line, milliseconds, sample
from tests.bulk import insert_referrals
from tests.conftest import empty_tables
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.benchmark

SIZES = sized(full=(100, 100_000), quick=(100, 1_000))
WARMUP, REPETITIONS = sized(full=(10, 60), quick=(3, 15))
FLOOR_WARMUP, FLOOR_REPETITIONS = sized(full=(20, 200), quick=(5, 50))
QUEUES = ("/staff/referrals", "/staff/referrals?status=new&route=professional")
REFERRAL_PAGE = "/staff/referrals/{referral_id}"
PAGES = (*QUEUES, REFERRAL_PAGE, "/staff/")
GOALS = {REFERRAL_PAGE: 40}


@pytest.fixture
def caseworker(app: Flask) -> Iterator[FlaskClient]:
    """A plain test client (the suite's page-checking client would time its checks too), signed
    in as a caseworker by a planted session (``tests.staff.sign_in``); the tables are emptied
    afterwards."""
    client = FlaskClient(app, app.response_class, use_cookies=True)
    try:
        sign_in(client, app, make_staff(app, "caseworker"))
        yield client
    finally:
        empty_tables(app)


def newest_attested_professional_referral(app: Flask) -> int:
    with app.app_context():
        attested = exists().where(ConsentAttestation.referral_id == Referral.id)
        referral_id = db.session.scalar(
            select(Referral.id)
            .where(Referral.route == "professional", attested)
            .order_by(Referral.submitted_at.desc())
            .limit(1)
        )
        db.session.remove()
    assert referral_id is not None
    return referral_id


def rows_shown(client: FlaskClient, path: str) -> int:
    return client.get(path).get_data(as_text=True).count('<tr class="govuk-table__row">') - 1


def test_triage_pages_with_100_and_100_000_referrals(app, caseworker, record_figure):
    with app.app_context():
        dialect = db.engine.dialect.name
    group = (
        f"in-process, triage (Flask test client, {dialect}): median per request, ratio to a bare Flask route"
        f" returning the same bytes and to the figure with {SIZES[0]:,} referrals"
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
            people=added.people,
            attestations=added.attestations,
            seconds=round(added.seconds, 2),
        )
        referral_id = newest_attested_professional_referral(app)
        for path in PAGES:
            name = "GET " + path.replace("{referral_id}", "<id>") + (" (dashboard)" if path == "/staff/" else "")
            url = path.format(referral_id=referral_id)
            shown = rows_shown(caseworker, url) if path in QUEUES else None
            floor = floor_for(caseworker.get(url))
            floor_ms = milliseconds(sample(lambda floor=floor: floor.get("/"), FLOOR_WARMUP, FLOOR_REPETITIONS))
            page_ms = milliseconds(sample(lambda url=url: caseworker.get(url), WARMUP, REPETITIONS))
            medians[name, size] = page_ms
            growth = page_ms / medians[name, SIZES[0]]
            label = f"{name}, {size:,} referrals" + (f" ({shown} rows)" if shown is not None else "")
            record_figure(
                group,
                f"{name}, {size} referrals",
                floor_line(label, 80, page_ms, floor_ms, GOALS.get(path))
                + (f"  {growth:.2f}× the figure at {SIZES[0]:,}" if size != SIZES[0] else ""),
                kind="in-process",
                referrals=size,
                rows_shown=shown,
                median_ms=round(page_ms, 3),
                floor_median_ms=round(floor_ms, 3),
                ratio=round(page_ms / floor_ms, 2),
                goal=GOALS.get(path),
                ratio_to_smallest=round(growth, 2),
                repetitions=REPETITIONS,
            )
