"""Signing in to the back office in a real browser: a set-up link that sets the password and the
authenticator app, sign-ins with a TOTP code or a recovery code, a wrong password, signing
out, and the idle timeout."""

from __future__ import annotations

import re

import pyotp

from tests.browser.helpers import arrive, assert_heading, error_links, submit, visit
from tests.browser.staff_helpers import (
    IDLE,
    SIGN_IN_HEADING,
    SIGNED_OUT,
    WRONG_PASSWORD,
    age_sessions,
    enter_password,
    error_summary_text,
    give_recovery_codes,
    notification,
    sign_in,
    sign_in_through_forms,
    sign_out,
)
from tests.staff import PASSWORD, fresh_code, make_staff, new_account

RECOVERY_CODE = re.compile(r"^[a-z2-9]{5}-[a-z2-9]{5}$")
CHOSEN = "granite lantern orbits a quiet meadow"


def test_a_set_up_link_sets_the_password_and_the_authenticator_and_shows_ten_recovery_codes(page, app):
    _, token = new_account(app, "caseworker")
    visit(page, f"/staff/set-up/{token}", "choose your password")
    assert_heading(page, "Choose your password")
    page.fill("#new", CHOSEN)
    page.fill("#confirm", CHOSEN)
    submit(page, "set up your authenticator app")
    assert page.url.endswith(f"/staff/set-up/{token}/authenticator"), page.url
    assert_heading(page, "Set up your authenticator app")

    # The QR code is drawn into the page, not fetched; the key is there to type instead.
    qr = page.locator("figure.sps-qr-code svg")
    assert qr.count() == 1
    assert qr.bounding_box()["width"] > 100
    key = "".join(page.locator("code.sps-secret").inner_text().split())
    assert re.fullmatch(r"[A-Z2-7]{16,}", key), key

    page.fill("#code", pyotp.TOTP(key).now())
    submit(page, "after confirming the code", button="Confirm")
    # The codes must be shown now: they are made once, here, and kept nowhere else readable.
    assert page.url.endswith("/staff/set-up/done"), page.url
    assert_heading(page, "Your account is set up")
    codes = [code.strip() for code in page.locator(".sps-recovery-codes code").all_inner_texts()]
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    assert all(RECOVERY_CODE.match(code) for code in codes), codes

    page.get_by_role("button", name="I have kept my recovery codes, sign in").click()
    arrive(page, "sign in after set-up")
    assert_heading(page, SIGN_IN_HEADING)

    # Shown once: going back to the page now shows the sign-in page instead.
    visit(page, "/staff/set-up/done", "set-up done again")
    assert_heading(page, SIGN_IN_HEADING)
    page.watch.assert_clean()


def test_enrolled_user_signs_in_with_a_code_from_the_app(page, app):
    user = make_staff(app, "manager", name="Morgan Manager")
    sign_in_through_forms(page, app, user)
    assert page.url.endswith("/staff/"), page.url
    assert_heading(page, "Dashboard")
    navigation = page.locator(".govuk-service-navigation")
    assert navigation.get_by_role("link", name="Audit log").count() == 1
    assert navigation.get_by_role("button", name="Sign out (Morgan Manager)").count() == 1
    page.watch.assert_clean()


def test_a_recovery_code_signs_in_once_instead_of_a_code_from_the_app(page, app):
    user = make_staff(app, "caseworker")
    codes = give_recovery_codes(app, user)
    sign_in_through_forms(page, app, user, code=codes[3])
    assert_heading(page, "Dashboard")
    visit(page, "/staff/account", "account")
    assert "You have 9 unused recovery codes." in page.locator("main").inner_text()

    # The same recovery code does not work twice.
    sign_out(page)
    enter_password(page, user.email, slug="enter your code")
    page.fill("#code", codes[3])
    submit(page, "recovery code used again", button="Sign in")
    assert page.url.endswith("/staff/login/code"), page.url
    assert "That code is wrong. Codes change every 30 seconds" in error_summary_text(page)
    page.watch.assert_clean()


def test_wrong_password_shows_the_error_summary(page, app):
    user = make_staff(app, "caseworker")
    enter_password(page, user.email, password="not the password at all", slug="wrong password")
    assert page.url.split("?")[0].endswith("/staff/login"), page.url
    assert page.title().startswith("Error: ")
    assert error_links(page) == [("#email", WRONG_PASSWORD)]
    # The summary takes the focus (GOV.UK Frontend's JavaScript), so a screen reader reads it out.
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    # An address nobody has gets the very same answer.
    enter_password(page, "nobody@sps.example", slug="unknown address")
    assert error_links(page) == [("#email", WRONG_PASSWORD)]
    page.watch.assert_clean()


def test_sign_out_returns_to_the_sign_in_page_and_ends_the_session(page, app):
    user = make_staff(app, "dpo")
    sign_in(page, app, user)
    sign_out(page)
    assert re.search(r"/staff/login\?ended=signed-out$", page.url), page.url
    assert_heading(page, SIGN_IN_HEADING)
    assert notification(page).endswith(SIGNED_OUT), notification(page)
    # The session is over: the dashboard asks to sign in again.
    visit(page, "/staff/", "dashboard after sign out")
    assert page.url.split("?")[0].endswith("/staff/login"), page.url
    assert page.locator(".govuk-notification-banner").count() == 0
    page.watch.assert_clean()


def test_thirty_minutes_idle_signs_out(page, app):
    user = make_staff(app, "caseworker")
    sign_in(page, app, user)
    assert_heading(page, "Dashboard")
    assert age_sessions(app, user, minutes=31) == 1
    page.reload()
    arrive(page, "signed out after inactivity")
    assert page.url.split("?")[0].endswith("/staff/login"), page.url
    assert "ended=idle" in page.url, page.url
    assert_heading(page, SIGN_IN_HEADING)
    assert IDLE in notification(page), notification(page)

    # Signing in again from there goes back to the page the person was on.
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    submit(page, "enter your code")
    page.fill("#code", fresh_code(app, user))
    submit(page, "signed in again", button="Sign in")
    assert page.url.endswith("/staff/"), page.url
    assert_heading(page, "Dashboard")
    page.watch.assert_clean()


def test_twenty_nine_minutes_idle_does_not(page, app):
    user = make_staff(app, "caseworker")
    sign_in(page, app, user)
    assert age_sessions(app, user, minutes=29) == 1
    visit(page, "/staff/account", "account after 29 minutes")
    assert_heading(page, "Your account")
    page.watch.assert_clean()
