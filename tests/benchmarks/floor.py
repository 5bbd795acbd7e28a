"""Each page's floor: a bare Flask route answering the same request with the bytes the portal
returned for it, timed in the same run as the page.

A page can be no cheaper than Flask receiving the request (the test client building it, its form
body parsed) and sending back that many bytes; everything above that is the portal's own work:
sessions, security headers, queries, rendering. So each page's ratio is to its own floor, not to
one fixed baseline: a 60 kB form page and a 2 kB redirect have different floors.

The floor is timed with the same loop immediately before its page, every block starts from a
collected heap, medians after a warm-up, and nothing fails on a duration. (Interleaving the two
request by request was tried: the bare request then pays for the garbage collections the portal's
request set off, and its median doubles.)
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def sample(request: Callable[[], Any], warmup: int, repetitions: int, status: int = 200) -> list[float]:
    """Seconds per request, body read in full, for ``repetitions`` requests after ``warmup``
    untimed ones; each response must have ``status``."""
    gc.collect()
    samples = []
    for repetition in range(warmup + repetitions):
        started = time.perf_counter()
        response = request()
        response.get_data()
        seconds = time.perf_counter() - started
        assert response.status_code == status, f"status {response.status_code}, expected {status}"
        if repetition >= warmup:
            samples.append(seconds)
    return samples


def milliseconds(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def floor_for(response: TestResponse) -> FlaskClient:
    """A test client of a bare Flask app whose one route, ``/``, answers any GET or POST with the
    status, content type, ``Location`` (for a redirect) and body bytes of ``response``."""
    body = response.get_data()
    headers = {"Content-Type": response.headers["Content-Type"]}
    if "Location" in response.headers:
        headers["Location"] = response.headers["Location"]
    status = response.status_code
    bare = Flask(__name__)

    @bare.route("/", methods=["GET", "POST"])
    def same_bytes() -> tuple[bytes, int, dict[str, str]]:
        return body, status, headers

    return bare.test_client()


def floor_line(label: str, width: int, page_ms: float, floor_ms: float, goal: float | None = None) -> str:
    """The summary's line for a page: its median, its floor's, their ratio (and the goal for it)."""
    ratio = page_ms / floor_ms
    line = f"{label:<{width}}{page_ms:8.2f} ms  (floor {floor_ms:.2f} ms){ratio:7.1f}×"
    return line + (f"  (goal < {goal:g}×)" if goal else "")
