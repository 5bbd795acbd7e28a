"""``/readyz``: 200 only when every dependency the configuration names answers, each named, nothing
secret said; exempt from rate limits; no cookie. (``/healthz``'s own contract is checked in
test_pages_and_headers.py.)"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import fakeredis
import pytest
from flask import Flask

from portal import create_app
from portal.extensions import db, limiter
from tests.conftest import build_app


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def built(database_url: str) -> Iterator[list[Flask]]:
    """Apps a test builds beside the session's, their connections closed afterwards."""
    apps: list[Flask] = []
    yield apps
    for each in apps:
        with each.app_context():
            db.engine.dispose()


def test_readyz_names_each_dependency_and_answers_200_when_all_are_there(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "database": "reachable",
        "rate_limit_storage": "off",  # the tests' apps count no limits
        "job_queue": "in process",
    }


def test_readyz_reports_in_memory_rate_limits_as_ready(database_url, built):
    built.append(build_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://"))
    response = built[0].test_client().get("/readyz")
    assert (response.status_code, response.get_json()["rate_limit_storage"]) == (200, "in memory")


def test_readyz_is_503_naming_the_database_when_it_cannot_be_reached(tmp_path, built):
    built.append(build_app(f"sqlite:///{tmp_path}/no/such/folder/db.sqlite"))
    response = built[0].test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "database": "unreachable",
        "rate_limit_storage": "off",
        "job_queue": "in process",
    }


def test_readyz_is_503_when_the_rate_limit_redis_is_away_and_says_no_address(database_url, built):
    port = closed_port()
    built.append(
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "MAIL_URL": "memory://",
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": f"redis://:hunter2@127.0.0.1:{port}/0",
            }
        )
    )
    response = built[0].test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["rate_limit_storage"] == "unreachable"
    body = response.get_data(as_text=True)
    assert "redis" not in body and str(port) not in body and "hunter2" not in body


def test_readyz_asks_the_job_queues_redis_when_jobs_url_names_one(database_url, built, monkeypatch):
    port = closed_port()
    built.append(build_app(database_url, JOBS_URL=f"redis://127.0.0.1:{port}/0"))
    away = built[0].test_client().get("/readyz")
    assert (away.status_code, away.get_json()["job_queue"]) == (503, "unreachable")
    assert str(port) not in away.get_data(as_text=True)

    monkeypatch.setattr("portal.health.Redis", fakeredis.FakeRedis)
    there = built[0].test_client().get("/readyz")
    assert (there.status_code, there.get_json()["job_queue"]) == (200, "reachable")


@pytest.fixture
def default_limits_removed() -> Iterator[None]:
    """A default limit, once given, stays on the one limiter every app of the run shares."""
    yield
    limiter.limit_manager.set_default_limits([])


def test_health_checks_are_never_rate_limited_and_set_no_cookie(database_url, built, default_limits_removed):
    built.append(build_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute"))
    client = built[0].test_client()
    for path in ("/healthz", "/readyz"):
        answers = [client.get(path) for _ in range(5)]
        assert [answer.status_code for answer in answers] == [200] * 5, path
        assert not any("Set-Cookie" in answer.headers for answer in answers), path
    assert [client.get("/accessibility").status_code for _ in range(3)] == [200, 200, 429], "the limit is on"
