"""Staff accounts for tests, and signing in: ``sign_in`` plants a signed-in session straight into
the database (what a sign-in leaves behind), ``sign_in_through_forms`` walks the real two-step
flow for the tests that are about signing in."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
import secrets
import subprocess

import pyotp
from flask import Flask
from sqlalchemy import insert

from portal.extensions import db
from portal.models.staff import StaffSession, StaffUser
from portal.services import accounts, audit, clock, mfa
from portal.services.audit import Actor, system_actor
from portal.sessions import cookie_name

PASSWORD = "correct horse battery staple"
LINK_VALID_FOR = dt.timedelta(hours=24)
_numbers = itertools.count(1)


def make_staff(
    app: Flask,
    *roles: str,
    trained: bool = True,
    agreement: bool = True,
    enrolled: bool = True,
    name: str | None = None,
) -> StaffUser:
    """A staff account, committed, set up as its person would set it up (``PASSWORD``, chosen
    through the service, and when ``enrolled`` an authenticator) without walking the set-up pages;
    ``user.secret`` holds its TOTP secret when enrolled."""
    number = next(_numbers)
    with app.app_context():
        actor = system_actor(clock.now())
        user = accounts.create_user(
            f"staff{number}@sps.example",
            name or f"Test {' '.join(roles).title()} {number}",
            list(roles),
            actor,
            LINK_VALID_FOR,
            trained_on=clock.london_today() if trained else None,
        ).user
        accounts.set_password(user, PASSWORD, actor)
        secret = mfa.new_secret()
        if enrolled:
            user.totp_secret, user.totp_confirmed_at = secret, clock.now()
        if agreement and "volunteer" in roles:
            user.volunteer_agreement_version = app.config["VOLUNTEER_AGREEMENT_VERSION"]
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    user.secret = secret  # type: ignore[attr-defined]
    return user


def new_account(app: Flask, *roles: str, email: str | None = None) -> tuple[StaffUser, str]:
    """An account as an administrator leaves it: no usable password, no authenticator, and its
    set-up link's token (what the e-mail carries), for the tests of setting up."""
    number = next(_numbers)
    with app.app_context():
        issued = accounts.create_user(
            email or f"newcomer{number}@sps.example",
            f"Newcomer {number}",
            list(roles),
            system_actor(clock.now()),
            LINK_VALID_FOR,
        )
        user = issued.user
        db.session.refresh(user)
        db.session.expunge(user)
    return user, issued.token


def code_for(app: Flask, user_id: int, secret: str) -> str:
    """A code from ``secret`` that the account's replay protection has not seen yet: the current
    step's or the next one's, so it cannot drift out of the window before the server checks it."""
    with app.app_context():
        last = db.session.get(StaffUser, user_id).totp_last_step or 0
    now = int(clock.now().timestamp()) // mfa.STEP_SECONDS
    step = next(step for step in (now, now + 1) if step > last)
    return pyotp.TOTP(secret).at(step * mfa.STEP_SECONDS)


def fresh_code(app: Flask, user: StaffUser) -> str:
    """A code the account has not used yet (``code_for`` its own secret): replay protection
    refuses a step already used, so a second sign-in within 30 seconds takes the next step's code
    (within the allowed drift)."""
    return code_for(app, user.id, user.secret)  # type: ignore[attr-defined]


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


# Where a test client's requests come from (Werkzeug's default REMOTE_ADDR).
TEST_CLIENT_ADDRESS = "127.0.0.1"


def plant_session(app: Flask, user: StaffUser) -> str:
    """What a completed sign-in leaves behind, made directly: the staff session row holding what
    ``staff_auth._complete_sign_in`` puts in the session (Flask-Login's ``_user_id``, ``_fresh``
    and ``_id``, nothing else: the half-way keys are cleared), created, signed in and last seen
    now by the portal's clock, and the "signed in" audit entry. Returns the cookie's token.

    Each sign-in through the forms costs two password-and-code round trips (and a TOTP step, which
    replay protection lets each account use once): most tests only need to be signed in."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    # A context of its own (never one the test holds open), so removing its session at the end
    # leaves the test's own objects attached.
    with app.app_context(), app.test_request_context("/staff/login", environ_base={"REMOTE_ADDR": TEST_CLIENT_ADDRESS}):
        data = {
            "_user_id": user.get_id(),
            "_fresh": True,
            "_id": app.login_manager._session_identifier_generator(),  # type: ignore[attr-defined]
        }
        with db.engine.begin() as connection:
            connection.execute(
                insert(StaffSession).values(
                    token_sha256=hashlib.sha256(token.encode("ascii")).hexdigest(),
                    user_id=user.id,
                    data=json.dumps(data),
                    created_at=now,
                    signed_in_at=now,
                    last_seen_at=now,
                )
            )
        audit.record(
            Actor(user.id, TEST_CLIENT_ADDRESS, now), "signed in", "staff_user", user.id, detail="test session"
        )
        db.session.commit()
        db.session.remove()
    return token


def sign_in(client, app: Flask, user: StaffUser) -> str:
    """Sign ``client`` (a Flask test client) in as ``user`` without the sign-in pages, for a test
    about something else: a planted session and its cookie, as the browser would hold it after
    signing in. Returns the token."""
    token = plant_session(app, user)
    client.set_cookie(
        cookie_name(app),
        token,
        httponly=True,
        secure=app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
        path="/",
    )
    return token


def sign_in_through_forms(client, app: Flask, user: StaffUser, password: str = PASSWORD):
    """Both steps of sign-in through the pages, for tests about signing in; returns the response
    that follows the final redirect."""
    page = client.get("/staff/login")
    response = client.post(
        "/staff/login",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "email": user.email, "password": password},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    code_page = client.get(response.headers["Location"])
    response = client.post(
        response.headers["Location"],
        data={"csrf_token": csrf_from(code_page.get_data(as_text=True)), "code": fresh_code(app, user)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return response


def csrf_token(client) -> str:
    """A CSRF token of the signed-in session (the account page is open to every role)."""
    return csrf_from(client.get("/staff/account").get_data(as_text=True))


def date_fields(prefix: str, day: dt.date) -> dict[str, str]:
    """A GOV.UK date input's three boxes, filled in with ``day``."""
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


def pdf_text(content: bytes) -> str:
    """The text of a PDF as pdftotext lays it out; pages are separated by form feeds."""
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True, timeout=60
    ).stdout.decode()
