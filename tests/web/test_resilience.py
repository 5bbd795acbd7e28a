"""When Redis or the database falter (issue 14): the rate limits fail open to each process's
memory, nothing that runs after a save turns it into an error page, and a database that is away
gets the 503 page, never a 500, a 400 or a trip to the sign-in page, whatever the route.

The real thing (gunicorn, PostgreSQL, Redis killed and restarted) is in tests/resilience/.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import socket
from collections.abc import Iterator

import pytest
from flask import Flask
from limits.storage import MemoryStorage
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.extensions import db, limiter
from portal.models import Referral
from portal.models.staff import StaffSession
from tests.clock import london
from tests.conftest import CheckingClient, build_app
from tests.journeys import self_referral_answers as answers
from tests.journeys import send, start
from tests.staff import PASSWORD, csrf_from, fresh_code, make_staff, sign_in, sign_in_through_forms

UNAVAILABLE = "Sorry, the service is unavailable"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go): connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def limiter_back_on_its_storage() -> Iterator[None]:
    """The limiter is one object for every app of the run, and remembers that its storage died
    (and what it counted in memory meanwhile) across apps: later tests start from its storage."""
    yield
    limiter._storage_dead = False
    fallback = getattr(limiter, "_fallback_storage", None)  # made by the first app with limits on
    if fallback is not None:
        fallback.reset()


@pytest.fixture
def redis_away(app, database_url, limiter_back_on_its_storage) -> Iterator[Flask]:
    """Rate limits on, with their storage a Redis that refuses every connection; ``app`` migrates
    the database and empties it afterwards."""
    away = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_URL": "memory://",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{closed_port()}/0",
            "SUBMISSION_RATE_LIMIT": "3 per minute",
            "SIGN_IN_RATE_LIMIT": "3 per minute",
            "PROPAGATE_EXCEPTIONS": False,
        }
    )  # not tests.conftest.build_app, which would clear the limits' storage first: it is away
    away.test_client_class = CheckingClient
    yield away
    with away.app_context():
        db.engine.dispose()


def stored_referrals(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Referral.reference)))


def test_public_forms_fail_open_to_a_per_process_limit_when_redis_is_away(app, redis_away):
    client = redis_away.test_client()
    check_page = start(client, "self", answers())
    assert check_page.status_code == 200
    sent = send(client, "self", check_page)
    assert sent.status_code == 302, "the referral is sent although the limits' storage is away"
    confirmation = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert stored_referrals(redis_away) == re.findall(r"SPS-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation)[:1]

    token = client.csrf_token("/refer/self")
    assert client.post("/refer/self", data={"csrf_token": token}).status_code == 200
    assert client.post("/refer/self", data={"csrf_token": token}).status_code == 429, "still limited, in memory"


def test_sign_in_works_and_stays_limited_when_redis_is_away(app, redis_away):
    user = make_staff(redis_away, "caseworker")
    client = redis_away.test_client()
    assert sign_in_through_forms(client, redis_away, user).headers["Location"] == "/staff/"
    stranger = redis_away.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "10.20.30.40"  # limits count per address: not the user's
    token = csrf_from(stranger.get("/staff/login").get_data(as_text=True))
    tries = [
        stranger.post("/staff/login", data={"csrf_token": token, "email": "x@sps.example", "password": "wrong"})
        for _ in range(4)
    ]
    assert [answer.status_code for answer in tries] == [200, 200, 200, 429]


class DiesAfterCounting(MemoryStorage):
    """Rate-limit storage that counts a request, then fails when the limiter reads its window
    back for the response's headers: after the view has run, as Redis did when it went down
    between the two."""

    STORAGE_SCHEME = ["dies-after-counting"]  # noqa: RUF012  (limits registers storages by this)

    def get_expiry(self, key: str) -> float:
        raise ConnectionError("Redis went away")


def test_a_referral_saved_before_the_rate_limit_headers_fail_is_confirmed(
    app, database_url, limiter_back_on_its_storage
):
    flaky = build_app(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="dies-after-counting://",
        PROPAGATE_EXCEPTIONS=False,
    )
    flaky.test_client_class = CheckingClient
    client = flaky.test_client()
    sent = send(client, "self", start(client, "self", answers()))
    assert sent.status_code == 302
    assert len(stored_referrals(flaky)) == 1
    with flaky.app_context():
        db.engine.dispose()


def test_an_after_request_step_that_fails_after_a_save_lets_the_response_through(app, client, monkeypatch):
    def broken(response, production):
        raise RuntimeError("a step after the view failed")

    check_page = start(client, "self", answers())
    monkeypatch.setattr("portal.security.apply_security_headers", broken)
    sent = send(client, "self", check_page)
    assert sent.status_code == 302
    assert len(stored_referrals(app)) == 1


@contextlib.contextmanager
def database_away(app: Flask) -> Iterator[None]:
    """Every new connection refused and the pooled ones dropped, as when the database stops."""
    with app.app_context():
        engine = db.engine

    def refuse(*_: object) -> None:
        raise engine.dialect.loaded_dbapi.OperationalError("connection refused")

    event.listen(engine, "do_connect", refuse)
    engine.dispose()
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)


def shows_503_with_its_request_id(response) -> bool:
    request_id = response.headers["X-Request-Id"]
    body = response.get_data(as_text=True)
    return response.status_code == 503 and UNAVAILABLE in body and request_id in body


def test_a_back_office_session_the_database_cannot_read_gets_503_not_sign_in_and_survives(app, client):
    user = make_staff(app, "caseworker")
    sign_in(client, app, user)
    with database_away(app):
        assert shows_503_with_its_request_id(client.get("/staff/"))
        assert shows_503_with_its_request_id(client.get("/staff/login"))
        assert shows_503_with_its_request_id(client.get("/staff/no-such-page"))
        assert shows_503_with_its_request_id(client.post("/staff/logout", data={"csrf_token": "unread"})), "not a 400"
    assert client.get("/staff/").status_code == 200, "still signed in once the database is back"


def test_public_and_set_up_pages_that_need_the_database_get_503_while_it_is_away(app, client):
    check_page = start(client, "self", answers())
    with database_away(app):
        assert shows_503_with_its_request_id(send(client, "self", check_page))
        assert shows_503_with_its_request_id(client.get("/feedback/some-token"))
        assert shows_503_with_its_request_id(client.get("/staff/set-up/some-token"))
        assert shows_503_with_its_request_id(client.get("/staff/login")), "a sign-in form that could not sign in"
        assert client.get("/").status_code == 200, "a page that only explains still works"
    assert send(client, "self", check_page).status_code == 302


def test_a_sign_in_whose_session_cannot_be_saved_gets_the_503_page(app, database_url, monkeypatch):
    fragile = build_app(database_url, PROPAGATE_EXCEPTIONS=False)
    fragile.test_client_class = CheckingClient
    user = make_staff(fragile, "caseworker")

    def database_gone(*_: object) -> int:
        raise OperationalError("DELETE FROM staff_sessions", {}, Exception("server closed the connection"))

    client = fragile.test_client()
    page = client.get("/staff/login")
    password = client.post(
        "/staff/login",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "email": user.email, "password": PASSWORD},
    )
    code_page = client.get(password.headers["Location"])
    monkeypatch.setattr("portal.sessions.purge_expired", database_gone)  # the first step of writing the row
    signed_in = client.post(
        password.headers["Location"],
        data={"csrf_token": csrf_from(code_page.get_data(as_text=True)), "code": fresh_code(fragile, user)},
    )
    assert shows_503_with_its_request_id(signed_in), "not a 500, nor a redirect into a session that is not there"
    with fragile.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0
        db.engine.dispose()


def test_a_session_that_cannot_be_touched_after_the_page_still_gets_the_page(app, client, time_machine):
    time_machine.move_to(london(dt.date(2027, 5, 12)), tick=False)
    user = make_staff(app, "caseworker")
    sign_in(client, app, user)
    time_machine.shift(dt.timedelta(minutes=5))  # due a touch of last_seen_at

    with app.app_context():
        engine = db.engine

    def refuse_session_updates(connection, cursor, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE STAFF_SESSIONS"):
            raise OperationalError(statement, {}, Exception("server closed the connection"))

    event.listen(engine, "before_cursor_execute", refuse_session_updates)
    try:
        assert client.get("/staff/account").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", refuse_session_updates)
