"""Self-referrals per second through gunicorn (``-w 2``, as deployed), from one client and from
four at once, on SQLite and, when ``DATABASE_URL`` names one, on PostgreSQL.

Each client is a browser-like session of its own (its own cookie jar, so its own CSRF token):
GET the form, POST it, POST the check-answers page, expect the redirect to the confirmation. The
figure is the four-client rate as a ratio to the one-client rate measured in the same run. What
is asserted is only that nothing was lost or doubled: one referral row per confirmation.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text

from portal.extensions import db
from tests.benchmarks.figures import sized
from tests.conftest import build_app, empty_tables, reset_schema
from tests.journeys import hidden_value, self_referral_answers
from tests.processes import NoRedirect, Secrets, gunicorn, tail

pytestmark = pytest.mark.benchmark

WORKERS = 2
CLIENTS = 4
SUBMISSIONS_SINGLE = sized(full=40, quick=10)  # one client, one after another
SUBMISSIONS_EACH = sized(full=25, quick=6)  # per client, four clients at once
WARMUP_EACH = 2  # per client, two clients at once, so both workers have served a submission
PHASE_CAP_SECONDS = 20.0  # a client starts no new submission after this
REQUEST_TIMEOUT_SECONDS = 30.0


class Failure(AssertionError):
    pass


@dataclass
class Response:
    status: int
    location: str
    body: str


class Client:
    """One person's browser: its own cookies, loopback only, no proxy, redirects not followed."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(CookieJar()),
            NoRedirect(),
        )

    def request(self, path: str, form: dict[str, object] | None = None) -> Response:
        data = urlencode(form, doseq=True).encode("utf-8") if form is not None else None
        try:
            with self.opener.open(self.base_url + path, data=data, timeout=REQUEST_TIMEOUT_SECONDS) as reply:
                return Response(reply.status, reply.headers.get("Location", ""), reply.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, error.headers.get("Location", ""), error.read().decode("utf-8", "replace"))

    def submit_self_referral(self) -> float:
        """One whole self-referral; its duration in seconds. Raises ``Failure`` on any surprise."""
        started = time.perf_counter()
        form = self.request("/refer/self")
        _expect(form, 200, "GET /refer/self")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.body)
        if not token:
            raise Failure("no CSRF token on /refer/self")
        answered = self.request("/refer/self", {**self_referral_answers(), "csrf_token": token.group(1)})
        _expect(answered, 303, "POST /refer/self")
        check = self.request("/refer/self/check")
        _expect(check, 200, "GET /refer/self/check")
        sent = self.request(
            "/refer/self/check",
            {
                "csrf_token": hidden_value(check.body, "csrf_token"),
                "privacy_version": hidden_value(check.body, "privacy_version"),
                "privacy_agreed": "yes",
                "send": "yes",
            },
        )
        _expect(sent, 302, "POST /refer/self/check")
        if not sent.location.endswith("/refer/self/confirmation"):
            raise Failure(f"POST /refer/self/check redirected to {sent.location!r}, not the confirmation")
        return time.perf_counter() - started


def _expect(response: Response, status: int, what: str) -> None:
    if response.status != status:
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", response.body, re.S)
        said = " ".join(heading.group(1).split()) if heading else response.body[:200]
        raise Failure(f"{what}: {response.status} ({said!r}), expected {status}")


@dataclass
class Phase:
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    capped: bool = False

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=20, method="inclusive")[-1] * 1000


def run_phase(base_url: str, clients: int, submissions_each: int) -> Phase:
    """``clients`` threads, each its own session, each making up to ``submissions_each``
    submissions; all start together and none starts a submission after the time cap."""
    phase = Phase(clients)
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client_loop() -> None:
        client = Client(base_url)
        barrier.wait()
        for _ in range(submissions_each):
            if time.perf_counter() > deadline[0]:
                with lock:
                    phase.capped = True
                return
            try:
                seconds = client.submit_self_referral()
            except Exception as error:  # a failure is reported, not left to die with the thread
                with lock:
                    phase.failures.append(f"{type(error).__name__}: {error}")
                return
            with lock:
                phase.latencies.append(seconds)

    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + PHASE_CAP_SECONDS
    barrier.wait()
    for thread in threads:
        thread.join(PHASE_CAP_SECONDS + 2 * REQUEST_TIMEOUT_SECONDS)
    phase.seconds = time.perf_counter() - started
    if any(thread.is_alive() for thread in threads):
        phase.failures.append("a client was still running long after the time cap")
    return phase


def referral_rows(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM referrals")).scalar_one()
    finally:
        engine.dispose()


def measure(database_url: str, label: str, log_path: Path, record_figure) -> None:
    rows_before = referral_rows(database_url)
    phases: list[Phase] = []
    # Fresh secrets for the whole server: in the test environment each worker would otherwise
    # generate its own, and a check page sealed by one worker would not open in the other.
    limits = {"SUBMISSION_RATE_LIMIT": "100000 per minute", "RATELIMIT_STORAGE_URI": "memory://"}
    with gunicorn(database_url, Secrets(), log_path, WORKERS, **limits) as server:
        base_url = server.base_url
        warmup = run_phase(base_url, 2, WARMUP_EACH)
        single = run_phase(base_url, 1, SUBMISSIONS_SINGLE)
        concurrent = run_phase(base_url, CLIENTS, SUBMISSIONS_EACH)
        phases = [warmup, single, concurrent]
    confirmations = sum(len(phase.latencies) for phase in phases)
    added = referral_rows(database_url) - rows_before

    failures = [failure for phase in phases for failure in phase.failures]
    assert not failures, f"{len(failures)} submissions failed, first: {failures[0]}\n{tail(log_path)}"
    assert added == confirmations, f"{confirmations} confirmations but {added} referral rows added"
    assert len(single.latencies) >= 2 and len(concurrent.latencies) >= 2, "too few submissions to report"

    group = f"gunicorn -w {WORKERS}, {label}: whole self-referrals (GET form, POST form, POST check)"
    for phase, name in ((single, "1 client"), (concurrent, f"{CLIENTS} clients")):
        ratio = phase.per_second / single.per_second
        capped = ", time cap reached" if phase.capped else ""
        record_figure(
            group,
            name,
            f"{name:<10}{phase.per_second:7.1f} submissions/s  median {phase.median_ms:6.1f} ms  "
            f"p95 {phase.p95_ms:6.1f} ms  {ratio:4.2f}× 1 client  ({len(phase.latencies)} sent{capped})",
            kind="gunicorn",
            database=label,
            clients=phase.clients,
            submissions=len(phase.latencies),
            seconds=round(phase.seconds, 3),
            submissions_per_second=round(phase.per_second, 2),
            median_ms=round(phase.median_ms, 2),
            p95_ms=round(phase.p95_ms, 2),
            ratio_to_one_client=round(ratio, 2),
            time_cap_reached=phase.capped,
        )


def test_gunicorn_sqlite(tmp_path, record_figure):
    database_url = f"sqlite:///{tmp_path / 'gunicorn.sqlite'}"
    migrator = build_app(database_url)
    reset_schema(migrator)
    with migrator.app_context():
        db.engine.dispose()
    measure(database_url, "SQLite", tmp_path / "gunicorn.log", record_figure)


@pytest.mark.postgres
def test_gunicorn_postgresql(database_url, request, tmp_path, record_figure):
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "DATABASE_URL does not name a PostgreSQL database (CI's third pass sets "
            "DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test; each pytest-xdist worker "
            "uses its own database beside it, test_gwN)"
        )
    app = request.getfixturevalue("app")  # migrates the database this process's tests share, once
    try:
        measure(database_url, "PostgreSQL", tmp_path / "gunicorn.log", record_figure)
    finally:
        empty_tables(app)
