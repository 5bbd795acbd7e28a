"""The resilience tests run the portal as production does (gunicorn, PostgreSQL, Redis) and break
its dependencies for real. They need PostgreSQL (``DATABASE_URL``) and ``redis-server``: CI's
third pass has both (``.ci/run``); elsewhere they are skipped.

Each test has its own database beside the one ``DATABASE_URL`` names (dropped at the end) and its
own redis-server on a free port; the shared Redis on 6379 and the shared PostgreSQL cluster are
never stopped, since other pytest-xdist workers use them at the same time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal.extensions import db
from tests.conftest import WORKER, build_app, reset_schema, worker_database
from tests.processes import RedisServer, Secrets

DATABASE_URL = os.environ.get("DATABASE_URL", "")


@pytest.fixture(autouse=True)
def _needs_postgresql_and_redis() -> None:
    if not DATABASE_URL.startswith("postgresql"):
        pytest.skip("needs DATABASE_URL to name a PostgreSQL database (CI's third pass)")
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server installed (CI's third pass installs it)")


@dataclass
class OwnDatabase:
    url: str
    app: Flask  # in this test process, with the servers' keys: makes accounts, reads what was stored


@pytest.fixture
def keys() -> Secrets:
    return Secrets()


@pytest.fixture
def own_database(request: pytest.FixtureRequest, keys: Secrets) -> Iterator[OwnDatabase]:
    """A database of this test's own, migrated afresh, dropped afterwards."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    url = worker_database(DATABASE_URL, f"{module}_{WORKER or 'solo'}")
    app = build_app(url, **keys.app_overrides())
    reset_schema(app)
    try:
        yield OwnDatabase(url, app)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _drop(url)


def _drop(url: str) -> None:
    parsed = make_url(url)
    maintenance = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(parsed.database or "")
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        maintenance.dispose()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()
