"""Staff accounts for tests, and signing in through the real two-step flow."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import subprocess

import pyotp
from flask import Flask

from portal.extensions import db
from portal.models.staff import StaffUser
from portal.services import accounts, mfa
from portal.services.clock import london_today

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def make_staff(
    app: Flask,
    *roles: str,
    trained: bool = True,
    agreement: bool = True,
    enrolled: bool = True,
    name: str | None = None,
) -> StaffUser:
    """A staff account, committed; ``user.secret`` holds its TOTP secret when enrolled."""
    number = next(_numbers)
    with app.app_context():
        user = accounts.create_user(
            f"staff{number}@sps.example",
            name or f"Test {' '.join(roles).title()} {number}",
            list(roles),
            PASSWORD,
            trained_on=london_today() if trained else None,
        )
        secret = mfa.new_secret()
        if enrolled:
            user.totp_secret, user.totp_confirmed_at = secret, dt.datetime.now(dt.UTC)
        if agreement and "volunteer" in roles:
            user.volunteer_agreement_version = app.config["VOLUNTEER_AGREEMENT_VERSION"]
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    user.secret = secret  # type: ignore[attr-defined]
    return user


def fresh_code(app: Flask, user: StaffUser) -> str:
    """A code the account has not used yet: replay protection refuses a step already used, so a
    second sign-in within 30 seconds takes the next step's code (within the allowed drift)."""
    with app.app_context():
        last = db.session.get(StaffUser, user.id).totp_last_step or 0
    now = int(dt.datetime.now(dt.UTC).timestamp()) // mfa.STEP_SECONDS
    # Now's step first, then the next: an older one could go stale before the server checks it.
    step = next(step for step in (now, now + 1) if step > last)
    return pyotp.TOTP(s=user.secret).at(step * mfa.STEP_SECONDS)  # type: ignore[attr-defined]


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, app: Flask, user: StaffUser):
    """Both steps of sign-in; returns the response that follows the final redirect."""
    page = client.get("/staff/login")
    response = client.post(
        "/staff/login",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "email": user.email, "password": PASSWORD},
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
