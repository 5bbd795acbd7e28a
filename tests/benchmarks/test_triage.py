"""In-process cost of the triage pages with 100 referrals in the database and then with 100,000,
signed in as a caseworker, as a ratio to a bare Flask route measured in the same run.

The pages: the queue's first page, the queue filtered to new professional referrals, one referral
in full, and the dashboard (three counts). The referral page writes an audit entry on every view
(taking the write lock on the chain head row), so its figure includes a committed write.
Referrals go in through ``tests.bulk`` (encrypted as the app stores them); the 100,000 are the
first 100 plus 99,900 more. The referral viewed is the newest professional referral with its
attestation, at each size.

As in ``test_in_process``: the bare route is timed with the same loop immediately before each
page, every block starts from a collected heap, medians after a warm-up, and nothing fails on a
duration. The ratio of the 100,000 figure to the 100 figure is how the page scales.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from jinja2 import DictLoader
from sqlalchemy import exists, select

from portal.extensions import db
from portal.models import ConsentAttestation, Referral
from tests.benchmarks.figures import sized
from tests.bulk import insert_referrals
from tests.conftest import empty_tables
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.benchmark

SIZES = sized(full=(100, 100_000), quick=(100, 1_000))
WARMUP, REPETITIONS = sized(full=(10, 60), quick=(3, 15))
BARE_WARMUP, BARE_REPETITIONS = sized(full=(20, 200), quick=(5, 50))
QUEUES = ("/staff/referrals", "/staff/referrals?status=new&route=professional")
PAGES = (*QUEUES, "/staff/referrals/{referral_id}", "/staff/")


def sample(request: Callable[[], object], warmup: int, repetitions: int) -> list[float]:
    """Seconds per request, body read in full, for ``repetitions`` requests after ``warmup``
    untimed ones; each response must be a 200."""
    gc.collect()
    samples = []
    for repetition in range(warmup + repetitions):
        started = time.perf_counter()
        response = request()
        response.get_data()  # type: ignore[attr-defined]
        seconds = time.perf_counter() - started
        assert response.status_code == 200, f"status {response.status_code}"  # type: ignore[attr-defined]
        if repetition >= warmup:
            samples.append(seconds)
    return samples


def milliseconds(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


@pytest.fixture(scope="module")
def bare() -> FlaskClient:
    """The baseline of ``test_in_process``: a bare Flask route rendering a one-line template."""
    bare_app = Flask(__name__)
    bare_app.jinja_loader = DictLoader({"one_line.html": "<p>{{ message }}</p>"})

    @bare_app.get("/")
    def hello() -> str:
        return render_template("one_line.html", message="Hello")

    return bare_app.test_client()


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


def test_triage_pages_with_100_and_100_000_referrals(app, caseworker, bare, record_figure):
    with app.app_context():
        dialect = db.engine.dialect.name
    group = (
        f"in-process, triage (Flask test client, {dialect}): median per request, ratio to a bare Flask route"
        f" and to the figure with {SIZES[0]:,} referrals"
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
            bare_ms = milliseconds(sample(lambda: bare.get("/"), BARE_WARMUP, BARE_REPETITIONS))
            page_ms = milliseconds(sample(lambda url=url: caseworker.get(url), WARMUP, REPETITIONS))
            medians[name, size] = page_ms
            growth = page_ms / medians[name, SIZES[0]]
            label = f"{name}, {size:,} referrals" + (f" ({shown} rows)" if shown is not None else "")
            record_figure(
                group,
                f"{name}, {size} referrals",
                f"{label:<80}{page_ms:8.2f} ms  (bare {bare_ms:.2f} ms){page_ms / bare_ms:7.1f}×"
                + (f"  {growth:.2f}× the figure at {SIZES[0]:,}" if size != SIZES[0] else ""),
                kind="in-process",
                referrals=size,
                rows_shown=shown,
                median_ms=round(page_ms, 3),
                bare_median_ms=round(bare_ms, 3),
                ratio=round(page_ms / bare_ms, 2),
                ratio_to_smallest=round(growth, 2),
                repetitions=REPETITIONS,
            )
