"""Shared fixtures: one migrated database per run, emptied after every test, and a test client
that checks every HTML page it fetches (after alphagov/notifications-admin's client).

The database is the one ``DATABASE_URL`` names (CI's second pass: PostgreSQL) or, by default, a
SQLite file in a temporary folder. Migrations build it, so every run also tests them.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, text

os.environ["PORTAL_ENV"] = "test"

from portal import create_app
from portal.extensions import db, limiter

OUTPUT = Path(__file__).parent / "output"
KEPT_TABLES = {"alembic_version", "privacy_notice_versions", "audit_chain_head"}
PERSONAL_PREFIXES = ("/refer/", "/requests/", "/staff/")


def test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


test_database_url.__test__ = False  # type: ignore[attr-defined]


def build_app(database_url: str, **overrides: object) -> Flask:
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_URL": "memory://",
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    app = create_app(config)
    if config["RATELIMIT_ENABLED"]:
        # Redis (CI's second pass) keeps counts between tests: a rate-limit test starts from none,
        # not from what an earlier test in the same minute spent.
        with app.app_context():
            limiter.reset()
    return app


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

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data


def check_page(response, path: str) -> None:
    """Every HTML page: one h1, a real title, unique ids, forms that say where they post, no
    inline script; personal-data pages are never cached."""
    if response.mimetype != "text/html" or 300 <= response.status_code < 400:
        return
    page = PageChecker()
    page.feed(response.get_data(as_text=True))
    assert page.h1 == 1, f"{path}: {page.h1} h1 elements"
    assert page.title.strip() and "SEND Partnership Service" in page.title, f"{path}: title {page.title!r}"
    duplicates = [element_id for element_id, count in page.ids.items() if count > 1]
    assert not duplicates, f"{path}: duplicate ids {duplicates}"
    for form in page.forms:
        assert form.get("action"), f"{path}: a form without an action"
        assert (form.get("method") or "get").lower() in ("get", "post"), f"{path}: odd form method"
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
        page = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = CheckingClient
    return app.test_client()
