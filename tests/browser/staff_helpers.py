"""What the back-office browser tests share: signing in (a planted session, or through the real
pages for the tests about signing in), referrals to work on, and a few lookups in the database the
live server uses."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from sqlalchemy import update

from portal.extensions import db
from portal.models.referrals import Referral
from portal.models.staff import StaffSession, StaffUser
from portal.services import clock, mfa
from portal.services.audit import system_actor
from portal.sessions import cookie_name
from tests.browser.helpers import assert_heading, submit, visit
from tests.factories import Made, submit_referral
from tests.journeys import professional_answers, self_referral_answers
from tests.staff import PASSWORD, fresh_code, plant_session

SIGN_IN_HEADING = "Sign in to the back office"
WRONG_PASSWORD = "Enter a correct email address and password"
SIGNED_OUT = "You have signed out."
IDLE = "You were signed out because you had not done anything for a while."


def enter_password(page, email: str, password: str = PASSWORD, slug: str = "after password") -> None:
    visit(page, "/staff/login", "sign in")
    assert_heading(page, SIGN_IN_HEADING)
    page.fill("#email", email)
    page.fill("#password", password)
    submit(page, slug)


# The live server listens here (conftest.live_server), so its cookies belong to this host.
LIVE_SERVER_HOST = "127.0.0.1"


def sign_in(page, app: Flask, user: StaffUser) -> None:
    """Signed in, for a test about something else, and on the dashboard as after signing in:
    the session is planted in the database and its cookie in the browser context, which saves
    the two sign-in pages (and their screenshots) in every back-office test."""
    token = plant_session(app, user)
    page.context.add_cookies(
        [
            {
                "name": cookie_name(app),
                "value": token,
                "domain": LIVE_SERVER_HOST,
                "path": "/",
                "httpOnly": True,
                "secure": bool(app.config["SESSION_COOKIE_SECURE"]),
                "sameSite": "Lax",
            }
        ]
    )
    visit(page, "/staff/", "signed in")
    assert "/staff/login" not in page.url, f"the planted session did not sign in: {page.url}"


def sign_in_through_forms(page, app: Flask, user: StaffUser, code: str | None = None) -> None:
    """Both steps of sign-in in the browser: password, then a TOTP code (or ``code``)."""
    enter_password(page, user.email, slug="enter your code")
    assert_heading(page, "Enter your code")
    page.fill("#code", code or fresh_code(app, user))
    submit(page, "signed in", button="Sign in")
    assert "/staff/login" not in page.url, f"sign-in did not finish: {page.url}"


def sign_out(page) -> None:
    navigation = page.locator(".govuk-service-navigation")
    with page.expect_navigation(wait_until="load"):
        navigation.get_by_role("button", name=re.compile(r"^Sign out")).click()
    page.shots.take("signed out")


def notification(page) -> str:
    return " ".join(page.locator(".govuk-notification-banner").inner_text().split())


def error_summary_text(page) -> str:
    return " ".join(page.locator(".govuk-error-summary").inner_text().split())


def summary_value(page, key: str) -> str:
    """The value beside ``key`` in the first summary list row that has it."""
    row = page.locator(".govuk-summary-list__row", has=page.locator(".govuk-summary-list__key", has_text=key)).first
    return " ".join(row.locator(".govuk-summary-list__value").inner_text().split())


def give_recovery_codes(app: Flask, user: StaffUser) -> list[str]:
    """Ten recovery codes for an account made already enrolled (make_staff does not make any)."""
    with app.app_context():
        codes = mfa.new_recovery_codes(db.session.get(StaffUser, user.id))
        db.session.commit()
    return codes


def age_sessions(app: Flask, user: StaffUser, minutes: int) -> int:
    """Move the last activity of every session of ``user`` ``minutes`` into the past."""
    with app.app_context():
        result = db.session.execute(
            update(StaffSession)
            .where(StaffSession.user_id == user.id)
            .values(last_seen_at=clock.now() - dt.timedelta(minutes=minutes))
        )
        db.session.commit()
        return result.rowcount


# Referrals -------------------------------------------------------------------------------------


def submit_public_referral(app: Flask, route: str, **overrides: object) -> Made:
    """A referral as the public form would send it, with the form's valid answers (``overrides``
    changed), made through the referral service: the back-office tests are not about the form."""
    answers = self_referral_answers(**overrides) if route == "self" else professional_answers(**overrides)
    return submit_referral(app, route, answers)


def keyed_in_without_attestation(app: Flask) -> Made:
    """A professional referral keyed in from a letter with no consent attestation (as the demo
    data makes one)."""
    from portal.services.consent import current_privacy_notice
    from portal.services.demo import _keyed_in_without_attestation

    with app.app_context():
        referral = _keyed_in_without_attestation(current_privacy_notice().version, system_actor(clock.now()))
        made = Made(referral.id, str(referral.reference), referral.route)
        db.session.remove()
    return made


def assign_in_database(app: Flask, made: Made, user: StaffUser) -> None:
    with app.app_context():
        db.session.get(Referral, made.id).assigned_to_id = user.id
        db.session.commit()


def queue_references(page) -> list[str]:
    """The references listed in the queue table (the last table on the referrals page)."""
    table = page.locator("table.govuk-table").last
    return [link.inner_text().strip() for link in table.locator("tbody a.govuk-link").all()]


def fill_date(page, prefix: str, day: dt.date) -> None:
    page.fill(f"#{prefix}-day", str(day.day))
    page.fill(f"#{prefix}-month", str(day.month))
    page.fill(f"#{prefix}-year", str(day.year))
