"""In-process cost of the public pages, the check-your-answers page of each public form and sending
each referral, through Flask's test client, each as a ratio to its own floor: a bare Flask route
answering the same request with the bytes the portal returned for it (``floor.py``), timed in the
same run immediately before the page.

The goals (design of issue 14): public form pages under 5× their floor, check pages under 10×.
Medians, after a warm-up; nothing here fails on a duration.
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Referral
from tests.benchmarks.figures import sized
from tests.benchmarks.floor import floor_for, floor_line, milliseconds, sample
from tests.journeys import (
    complaint_answers,
    foi_answers,
    hidden_value,
    professional_answers,
    records_answers,
    self_referral_answers,
)

pytestmark = pytest.mark.benchmark

PAGE_WARMUP, PAGE_REPETITIONS = sized(full=(20, 200), quick=(5, 40))
SUBMIT_WARMUP, SUBMIT_REPETITIONS = sized(full=(5, 50), quick=(2, 10))
LABEL_WIDTH = 42
FORM_PAGE_GOAL = 5
CHECK_PAGE_GOAL = 10

FORM_PAGES = ["/refer/self", "/refer/professional", "/requests/records", "/requests/foi", "/requests/complaint"]
PAGES = ["/", "/privacy", "/accessibility", *FORM_PAGES]
# Each form's page and valid answers, which reach its check-your-answers page.
CHECKED_FORMS: dict[str, Callable[[], dict[str, object]]] = {
    "/refer/self": self_referral_answers,
    "/refer/professional": professional_answers,
    "/requests/records": records_answers,
    "/requests/foi": foi_answers,
    "/requests/complaint": complaint_answers,
}
JOURNEYS = {"self": self_referral_answers, "professional": professional_answers}


@pytest.fixture
def portal(app: Flask) -> Iterator[FlaskClient]:
    """A plain test client: the suite's page-checking client would time its HTML checks too."""
    yield FlaskClient(app, app.response_class, use_cookies=True)
    app.extensions["portal_mailer"].outbox.clear()


@pytest.fixture(scope="module")
def group(app: Flask) -> str:
    with app.app_context():
        dialect = db.engine.dialect.name
    return (
        f"in-process (Flask test client, {dialect}): median per request, ratio to a bare Flask route returning"
        f" the same bytes"
    )


def csrf_token(client: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def referral_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count()).select_from(Referral)) or 0
        db.session.remove()
    return count


def record_against_floor(
    record_figure: Callable[..., None],
    group: str,
    name: str,
    page_ms: float,
    floor_ms: float,
    repetitions: int,
    goal: float | None = None,
) -> None:
    record_figure(
        group,
        name,
        floor_line(name, LABEL_WIDTH, page_ms, floor_ms, goal),
        kind="in-process",
        median_ms=round(page_ms, 3),
        floor_median_ms=round(floor_ms, 3),
        ratio=round(page_ms / floor_ms, 2),
        goal=goal,
        repetitions=repetitions,
    )


@pytest.mark.parametrize("path", PAGES)
def test_public_page(path, app, portal, group, record_figure):
    floor = floor_for(portal.get(path))
    floor_ms = milliseconds(sample(lambda: floor.get("/"), PAGE_WARMUP, PAGE_REPETITIONS))
    page_ms = milliseconds(sample(lambda: portal.get(path), PAGE_WARMUP, PAGE_REPETITIONS))
    goal = FORM_PAGE_GOAL if path in FORM_PAGES else None
    record_against_floor(record_figure, group, f"GET {path}", page_ms, floor_ms, PAGE_REPETITIONS, goal)


def answered(portal: FlaskClient, path: str, answers: dict[str, object]) -> None:
    """Every question page of the journey at ``path`` answered, each redirecting to the next:
    the answers are kept in ``portal``'s cookies, ready for the check page."""
    reply = portal.post(path, data=answers)
    while reply.status_code == 303 and not reply.headers["Location"].endswith("/check"):
        reply = portal.post(reply.headers["Location"], data=answers)
    assert reply.status_code == 303, f"POST {path} did not reach its check page"


@pytest.mark.parametrize("path", list(CHECKED_FORMS))
def test_check_page(path, app, portal, group, record_figure):
    """The check-your-answers page, at its own URL, of answers kept in the browser (nothing is stored yet)."""
    answered(portal, path, {**CHECKED_FORMS[path](), "csrf_token": csrf_token(portal, path)})
    first = portal.get(f"{path}/check")
    assert "Check your answers" in first.get_data(as_text=True), f"GET {path}/check did not show the answers"
    floor = floor_for(first)
    floor_ms = milliseconds(sample(lambda: floor.get("/"), PAGE_WARMUP, PAGE_REPETITIONS))
    page_ms = milliseconds(sample(lambda: portal.get(f"{path}/check"), PAGE_WARMUP, PAGE_REPETITIONS))
    name = f"GET {path}/check"
    record_against_floor(record_figure, group, name, page_ms, floor_ms, PAGE_REPETITIONS, CHECK_PAGE_GOAL)


@pytest.mark.parametrize("route", list(JOURNEYS))
def test_submission(route, app, portal, group, record_figure):
    """Sending a referral from its check page (stored, e-mailed, redirected): each send needs a
    check page of its own, so the two alternate and only the send is timed."""
    answers = {**JOURNEYS[route](), "csrf_token": csrf_token(portal, f"/refer/{route}")}
    rows_before = referral_count(app)

    def check_page_answers() -> dict[str, str]:
        answered(portal, f"/refer/{route}", answers)
        check = portal.get(f"/refer/{route}/check")
        assert check.status_code == 200, f"GET /refer/{route}/check: {check.status_code}"
        html = check.get_data(as_text=True)
        return {
            "csrf_token": hidden_value(html, "csrf_token"),
            "privacy_version": hidden_value(html, "privacy_version"),
            "privacy_agreed": "yes",
            "send": "yes",
        }

    sending = check_page_answers()
    first = portal.post(f"/refer/{route}/check", data=sending)
    assert first.headers["Location"].endswith(f"/refer/{route}/confirmation")
    floor = floor_for(first)
    floor_ms = milliseconds(
        sample(lambda: floor.post("/", data=sending), SUBMIT_WARMUP, SUBMIT_REPETITIONS, status=first.status_code)
    )

    send_samples: list[float] = []
    gc.collect()
    for repetition in range(SUBMIT_WARMUP + SUBMIT_REPETITIONS):
        sending = check_page_answers()
        started = time.perf_counter()
        sent = portal.post(f"/refer/{route}/check", data=sending)
        sent.get_data()
        seconds = time.perf_counter() - started
        assert sent.status_code == 302, f"POST /refer/{route}/check: {sent.status_code}"
        if repetition >= SUBMIT_WARMUP:
            send_samples.append(seconds)

    sent_count = 1 + SUBMIT_WARMUP + SUBMIT_REPETITIONS
    assert referral_count(app) - rows_before == sent_count, "a referral was lost or doubled"
    name = f"{route}: POST check -> 302 (sent)"
    record_against_floor(record_figure, group, name, milliseconds(send_samples), floor_ms, SUBMIT_REPETITIONS)
