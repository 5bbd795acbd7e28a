"""Shared fixtures: one migrated database per run, emptied after every test, and a test client
that checks every HTML page it fetches (after alphagov/notifications-admin's client).

The database is the one ``DATABASE_URL`` names (CI's third pass: PostgreSQL) or, by default, a
SQLite file in a temporary folder. Migrations build it, so every run also tests them.

Under pytest-xdist (``-n auto``) every worker is a process of its own with its own session
fixtures, so each gets its own database: its own SQLite file (its own temporary folder), or on
PostgreSQL its own database beside the one ``DATABASE_URL`` names (``test`` becomes ``test_gw0``,
``test_gw1``…, created when missing), and its own key prefix for rate-limit counters on Redis.
Workers never share a table or a counter.

CI also runs the unit and web tests under libfaketime (``.ci/run``), which moves the wall clock of
the whole process; there the suite works round two things the library breaks (below): time.sleep
is replaced by ``_pause``, and pytest's PYTEST_CURRENT_TEST is kept out of the C environment.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import redis.retry
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

os.environ["PORTAL_ENV"] = "test"

from portal import create_app
from portal.extensions import db, limiter


def _pause(seconds: float) -> None:
    threading.Event().wait(seconds)


_putenv, _unsetenv = os.putenv, os.unsetenv
CURRENT_TEST = b"PYTEST_CURRENT_TEST"


def _putenv_but_current_test(key: bytes, value: bytes) -> None:
    if key != CURRENT_TEST:
        _putenv(key, value)


def _unsetenv_but_current_test(key: bytes) -> None:
    if key != CURRENT_TEST:
        _unsetenv(key)


if "faketime" in os.environ.get("LD_PRELOAD", ""):
    # CI's pass with the clock moved by libfaketime changes nothing the tests check; two things
    # the library does need working round. Clock reads are untouched.
    #
    # With the monotonic clock left real (FAKETIME_DONT_FAKE_MONOTONIC, without which timed waits
    # never end), time.sleep fails with EINVAL: libfaketime refuses its clock_nanosleep. The
    # standard library pauses with it, notably subprocess polling a child it was given a timeout
    # for (pdftotext, pdfinfo, a child interpreter), so here every pause is a timed wait instead.
    time.sleep = _pause
    # redis-py pauses between its retries with the sleep it imported (from time) before this ran.
    redis.retry.sleep = _pause  # type: ignore[attr-defined]
    # libfaketime calls getenv from whichever thread asks the time or makes a timed wait (its
    # pthread_cond_timedwait does, and a thread waiting for the GIL waits that way every few
    # milliseconds), while pytest adds PYTEST_CURRENT_TEST to the process's environment before
    # each test and removes it after, and adding reallocates the C environment under a reader.
    # A worker of this pass died of a segmentation fault with its main thread in that setenv and
    # its message thread waiting to run. The variable stays in os.environ, where pytest and the
    # tests read it; only the C copy, which nothing here reads, is left alone.
    os.putenv, os.unsetenv = _putenv_but_current_test, _unsetenv_but_current_test

OUTPUT = Path(__file__).parent / "output"
KEPT_TABLES = {"alembic_version", "privacy_notice_versions", "audit_chain_head"}
PERSONAL_PREFIXES = ("/refer/", "/requests/", "/staff/")
# pytest-xdist names each worker process (gw0, gw1…); empty when the run is not distributed.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_database(url: str, worker: str = WORKER) -> str:
    """On PostgreSQL, the database of this worker: ``DATABASE_URL``'s with ``_<worker>`` added,
    created (from the server's ``postgres`` maintenance database) when it does not exist yet.
    Without a worker, or on another database, ``url`` itself."""
    parsed = make_url(url)
    if not worker or parsed.get_backend_name() != "postgresql":
        return url
    name = f"{parsed.database}_{worker}"
    maintenance = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                # CREATE DATABASE takes no parameters; the name is the base name and gw<number>.
                quoted = connection.dialect.identifier_preparer.quote(name)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        maintenance.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DATABASE_URL")
    return worker_database(url) if url else f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


test_database_url.__test__ = False  # type: ignore[attr-defined]


def build_app(database_url: str, **overrides: object) -> Flask:
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_URL": "memory://",
        "RATELIMIT_ENABLED": False,
        # Each worker counts under its own prefix, and limiter.reset() below clears only that
        # prefix: on a shared Redis, one worker's reset must not wipe another's counts mid-test.
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"LIMITS-{WORKER}"} if WORKER else {},
    }
    config.update(overrides)
    app = create_app(config)
    if config["RATELIMIT_ENABLED"]:
        # Redis (CI's third pass) keeps counts between tests: a rate-limit test starts from none,
        # not from what an earlier test in the same minute spent.
        with app.app_context():
            limiter.reset()
    return app


def pytest_configure(config: pytest.Config) -> None:
    # Registered here, in the conftest every process of a run loads, so benchmark figures recorded
    # in pytest-xdist's workers reach the summary of the main process (tests/benchmarks/figures.py).
    from tests.benchmarks.figures import BenchmarkFigures

    config.pluginmanager.register(BenchmarkFigures(), "benchmark-figures")
    # The Nu HTML Checker over every page the browser tests were served, once, at the run's end.
    from tests.browser.html_checker import HtmlChecker

    config.pluginmanager.register(HtmlChecker(config), "html-checker")


@pytest.fixture(autouse=True)
def limiter_left_as_found() -> Iterator[None]:
    """The limiter is one object shared by every app built in the run: a test that builds a
    rate-limited app must not leave the session's app counting (and refusing) later tests' posts."""
    was_enabled = limiter.enabled
    yield
    limiter.enabled = was_enabled


def reset_schema(app: Flask) -> None:
    """Drop whatever an earlier run left (CI reuses one PostgreSQL database) and migrate afresh."""
    from flask_migrate import upgrade

    with app.app_context():
        with db.engine.begin() as connection:
            for table in inspect(connection).get_table_names():
                quoted = connection.dialect.identifier_preparer.quote(table)
                cascade = " CASCADE" if connection.dialect.name == "postgresql" else ""
                connection.execute(text(f"DROP TABLE IF EXISTS {quoted}{cascade}"))
            if connection.dialect.name == "postgresql":
                connection.execute(text("DROP FUNCTION IF EXISTS audit_entries_refuse_change() CASCADE"))
        upgrade()


def empty_tables(app: Flask) -> None:
    """Every table back to its freshly migrated state. On PostgreSQL by TRUNCATE, which the audit
    log's append-only trigger (a row trigger on UPDATE and DELETE) does not stop."""
    with app.app_context():
        db.session.remove()
        tables = [table for table in reversed(db.metadata.sorted_tables) if table.name not in KEPT_TABLES]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(connection.dialect.identifier_preparer.quote(table.name) for table in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
            connection.execute(
                text("UPDATE audit_chain_head SET length = 0, last_hash = :genesis"), {"genesis": "0" * 64}
            )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return test_database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = build_app(database_url)
    app.test_client_class = CheckingClient  # every test client of the session's app checks its pages
    reset_schema(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" in request.fixturenames:
        empty_tables(request.getfixturevalue("app"))


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def outbox(app: Flask) -> Iterator[list]:
    mailer = app.extensions["portal_mailer"]
    mailer.outbox.clear()
    yield mailer.outbox
    mailer.outbox.clear()


class PageChecker(HTMLParser):
    """Collects what the page checks need: h1 count, title, ids, forms."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.h1 = 0
        self.title = ""
        self.in_title = False
        self.ids: Counter[str] = Counter()
        self.forms: list[dict[str, str | None]] = []
        self.form_has_token: list[bool] = []
        self.in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        if tag == "title":
            self.in_title = True
        if attributes.get("id"):
            self.ids[attributes["id"] or ""] += 1
        if tag == "form":
            self.forms.append(attributes)
            self.form_has_token.append(False)
            self.in_form = True
        if tag == "input" and self.in_form and attributes.get("name") == "csrf_token" and attributes.get("value"):
            self.form_has_token[-1] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag == "form":
            self.in_form = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data


def check_page(response, path: str) -> None:
    """Every HTML page: one h1, a real title, unique ids, forms that say where they post and carry
    a CSRF token when they post, no inline script; personal-data pages are never cached."""
    if response.mimetype != "text/html" or 300 <= response.status_code < 400:
        return
    page = PageChecker()
    page.feed(response.get_data(as_text=True))
    assert page.h1 == 1, f"{path}: {page.h1} h1 elements"
    assert page.title.strip() and "SEND Partnership Service" in page.title, f"{path}: title {page.title!r}"
    duplicates = [element_id for element_id, count in page.ids.items() if count > 1]
    assert not duplicates, f"{path}: duplicate ids {duplicates}"
    for form, has_token in zip(page.forms, page.form_has_token, strict=True):
        assert form.get("action"), f"{path}: a form without an action"
        method = (form.get("method") or "get").lower()
        assert method in ("get", "post"), f"{path}: odd form method"
        # Every POST passes CSRFProtect, so a posting form without the token fails for everyone.
        assert method == "get" or has_token, f"{path}: a form posting to {form.get('action')} without a CSRF token"
    body = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), f"{path}: inline script"
    assert " style=" not in body, f"{path}: inline style attribute"
    assert not re.search(r'>\s*None\s*<|="None"', body), f"{path}: a missing value printed as None"
    if path.startswith(PERSONAL_PREFIXES):
        assert response.headers.get("Cache-Control") == "no-store", f"{path}: personal data page may be cached"


class CheckingClient(FlaskClient):
    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
        check_page(response, path.split("?")[0])
        return response

    def csrf_token(self, path: str) -> str:
        """A CSRF token for posting a form at ``path``.

        Public pages keep their session in a signed cookie, so the token is made as Flask-WTF's
        ``generate_csrf`` makes it, straight into this client's session: fetching and rendering a
        whole form page (every GOV.UK widget on it) only to read one hidden field was a quarter of
        the web tests' time. That form pages carry the token is checked on every page fetched
        (``check_page``). Back-office pages, whose session is in the database and whose GETs may
        be audited, are fetched as a browser would."""
        if not path.startswith("/staff"):
            return self._signed_cookie_csrf_token(path)
        page = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def _signed_cookie_csrf_token(self, path: str) -> str:
        config = self.application.config
        field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        with self.session_transaction(path) as session:
            # What generate_csrf keeps in the session, made the same way when there is none yet.
            raw = session.get(field) or hashlib.sha1(os.urandom(64)).hexdigest()
            session[field] = raw
        secret = config.get("WTF_CSRF_SECRET_KEY") or self.application.secret_key
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
