"""In-process cost of the public pages and of sending each referral, through Flask's test client,
as a ratio to a bare Flask route that renders a one-line template.

The bare route renders its template through ``render_template`` from a ``DictLoader``, so the
template is compiled once and cached, as the portal's own templates are. ``render_template_string``
compiles its source on every call, which costs about twice the rest of the bare request; as the
baseline it made cheap portal pages come out faster than "bare". Its figure is still reported,
for reference, by ``test_bare_routes``.

Every benchmark times the bare route first, with the same loop, immediately before its own
requests, so a slower machine or a noisy neighbour moves both figures together and the ratio stays
meaningful. (Interleaving the two request by request was tried: the bare request then pays for
the garbage collections the portal's request set off, and its median doubles.) Medians, after a
warm-up; nothing here fails on a duration.
"""

from __future__ import annotations

import gc
import re
import statistics
import time
from collections.abc import Callable, Iterator
from functools import partial

import pytest
from flask import Flask, render_template, render_template_string
from flask.testing import FlaskClient
from jinja2 import DictLoader

from portal.extensions import db
from portal.models import Referral
from tests.benchmarks.figures import sized
from tests.journeys import hidden_value, professional_answers, self_referral_answers

pytestmark = pytest.mark.benchmark

PAGE_WARMUP, PAGE_REPETITIONS = sized(full=(20, 200), quick=(5, 40))
SUBMIT_WARMUP, SUBMIT_REPETITIONS = sized(full=(5, 50), quick=(2, 10))

PAGES = ["/", "/privacy", "/accessibility", "/refer/self", "/refer/professional"]
JOURNEYS = {"self": self_referral_answers, "professional": professional_answers}


def timed(request: Callable[[], object]) -> tuple[float, object]:
    """Seconds one request takes, its body read in full."""
    started = time.perf_counter()
    response = request()
    response.get_data()  # type: ignore[attr-defined]
    return time.perf_counter() - started, response


def milliseconds(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def sample(request: Callable[[], object], warmup: int, repetitions: int) -> list[float]:
    """Seconds per request for ``repetitions`` requests after ``warmup`` untimed ones; each
    response must be a 200."""
    gc.collect()  # every block starts from a collected heap, whatever ran before it
    samples = []
    for repetition in range(warmup + repetitions):
        seconds, response = timed(request)
        assert response.status_code == 200, f"status {response.status_code}"  # type: ignore[attr-defined]
        if repetition >= warmup:
            samples.append(seconds)
    return samples


def bare_milliseconds(bare: FlaskClient) -> float:
    return milliseconds(sample(lambda: bare.get("/"), PAGE_WARMUP, PAGE_REPETITIONS))


ONE_LINE = "<p>{{ message }}</p>"


@pytest.fixture(scope="module")
def bare() -> FlaskClient:
    """The baseline: a bare Flask app whose one route renders a one-line template (``/``); and,
    for reference only, the same through ``render_template_string`` (``/string``)."""
    bare_app = Flask(__name__)
    bare_app.jinja_loader = DictLoader({"one_line.html": ONE_LINE})

    @bare_app.get("/")
    def hello() -> str:
        return render_template("one_line.html", message="Hello")

    @bare_app.get("/string")
    def hello_from_string() -> str:
        return render_template_string(ONE_LINE, message="Hello")

    return bare_app.test_client()


@pytest.fixture
def portal(app: Flask) -> Iterator[FlaskClient]:
    """A plain test client: the suite's page-checking client would time its HTML checks too."""
    yield FlaskClient(app, app.response_class, use_cookies=True)
    app.extensions["portal_mailer"].outbox.clear()


@pytest.fixture(scope="module")
def group(app: Flask) -> str:
    with app.app_context():
        dialect = db.engine.dialect.name
    return f"in-process (Flask test client, {dialect}): median per request, ratio to a bare Flask route"


def referral_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count()).select_from(Referral)) or 0
        db.session.remove()
    return count


def test_bare_routes(bare, group, record_figure):
    bare_ms = bare_milliseconds(bare)
    string_ms = milliseconds(sample(lambda: bare.get("/string"), PAGE_WARMUP, PAGE_REPETITIONS))
    for name, route_ms in (
        ("bare route (baseline)", bare_ms),
        ("bare route, render_template_string", string_ms),
    ):
        record_figure(
            group,
            name,
            f"{name:<42}{route_ms:8.2f} ms  (bare {bare_ms:.2f} ms){route_ms / bare_ms:8.1f}×",
            kind="in-process",
            median_ms=round(route_ms, 3),
            bare_median_ms=round(bare_ms, 3),
            ratio=round(route_ms / bare_ms, 2),
            repetitions=PAGE_REPETITIONS,
        )


@pytest.mark.parametrize("path", PAGES)
def test_public_page(path, app, portal, bare, group, record_figure):
    bare_ms = bare_milliseconds(bare)
    page_ms = milliseconds(sample(lambda: portal.get(path), PAGE_WARMUP, PAGE_REPETITIONS))
    record_figure(
        group,
        f"GET {path}",
        f"{'GET ' + path:<42}{page_ms:8.2f} ms  (bare {bare_ms:.2f} ms){page_ms / bare_ms:8.1f}×",
        kind="in-process",
        median_ms=round(page_ms, 3),
        bare_median_ms=round(bare_ms, 3),
        ratio=round(page_ms / bare_ms, 2),
        repetitions=PAGE_REPETITIONS,
    )


@pytest.mark.parametrize("route", list(JOURNEYS))
def test_submission(route, app, portal, bare, group, record_figure):
    answers = JOURNEYS[route]()
    form_page = portal.get(f"/refer/{route}").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form_page)
    assert match, f"no CSRF token on /refer/{route}"
    token = match.group(1)
    rows_before = referral_count(app)

    bare_ms = bare_milliseconds(bare)
    form_samples: list[float] = []
    send_samples: list[float] = []
    gc.collect()
    for repetition in range(SUBMIT_WARMUP + SUBMIT_REPETITIONS):
        form_seconds, check = timed(lambda: portal.post(f"/refer/{route}", data={**answers, "csrf_token": token}))
        assert check.status_code == 200, f"POST /refer/{route}: {check.status_code}"
        html = check.get_data(as_text=True)
        sending = {
            "csrf_token": hidden_value(html, "csrf_token"),
            "sealed": hidden_value(html, "sealed"),
            "privacy_version": hidden_value(html, "privacy_version"),
            "privacy_agreed": "yes",
            "send": "yes",
        }
        send_seconds, sent = timed(partial(portal.post, f"/refer/{route}/check", data=sending))
        assert sent.status_code == 302, f"POST /refer/{route}/check: {sent.status_code}"
        assert sent.headers["Location"].endswith(f"/refer/{route}/confirmation")
        if repetition >= SUBMIT_WARMUP:
            form_samples.append(form_seconds)
            send_samples.append(send_seconds)

    assert referral_count(app) - rows_before == SUBMIT_WARMUP + SUBMIT_REPETITIONS, "a referral was lost or doubled"

    for step, samples in (("POST form -> check page", form_samples), ("POST check -> 302", send_samples)):
        step_ms = milliseconds(samples)
        name = f"{route}: {step}"
        record_figure(
            group,
            name,
            f"{name:<42}{step_ms:8.2f} ms  (bare {bare_ms:.2f} ms){step_ms / bare_ms:8.1f}×",
            kind="in-process",
            median_ms=round(step_ms, 3),
            bare_median_ms=round(bare_ms, 3),
            ratio=round(step_ms / bare_ms, 2),
            repetitions=SUBMIT_REPETITIONS,
        )
