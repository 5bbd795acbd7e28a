"""axe-core (WCAG 2.2 A and AA, and best practice) finds nothing on any back-office page, signed
in as each role, nor in the states a person meets along the way: sign-in mistakes, setting up the
authenticator, the recovery codes, forms sent back with errors, and access paused for training.

Each role's test visits every page the role can open and reports the violations of all of them
at once, so one failing page does not hide the others."""

from __future__ import annotations

import pyotp
import pytest

from portal.extensions import db
from portal.models import Case
from portal.services import clock, disclosures
from portal.services.audit import Actor
from tests.browser.helpers import Findings, assert_heading, error_links, submit, visit
from tests.browser.staff_helpers import (
    assign_in_database,
    enter_password,
    keyed_in_without_attestation,
    sign_in,
    sign_out,
    submit_public_referral,
)
from tests.factories import open_case
from tests.staff import fresh_code, make_staff, new_account

ROLES = ("volunteer", "caseworker", "manager", "dpo", "admin")
TRIAGE = {"volunteer", "caseworker", "manager"}
AUDIT = {"manager", "dpo"}
ADMINS = {"admin", "manager"}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_has_no_axe_violations(page, app, role):
    self_made = submit_public_referral(app, "self")
    professional_made = submit_public_referral(app, "professional")
    keyed_in = keyed_in_without_attestation(app)
    colleague = make_staff(app, "volunteer", name="Vic Volunteer")
    user = make_staff(app, role, name=f"Axe {role.title()}")
    if role == "volunteer":
        assign_in_database(app, self_made, user)
    sign_in(page, app, user)
    found = Findings(page)

    found.visit_and_check("/staff/", f"{role} dashboard")
    if role in TRIAGE:
        found.visit_and_check("/staff/referrals", f"{role} referrals queue")
        found.visit_and_check(f"/staff/referrals/{self_made.id}", f"{role} self-referral")
        if role != "volunteer":
            found.visit_and_check(f"/staff/referrals/{professional_made.id}", f"{role} professional referral")
            found.visit_and_check(f"/staff/referrals/{keyed_in.id}", f"{role} referral without attestation")
            found.visit_and_check(
                "/staff/referrals?status=new&attestation=missing", f"{role} queue filtered to missing attestations"
            )
    if role in AUDIT:
        found.visit_and_check("/staff/audit", f"{role} audit log")
    if role in ADMINS:
        found.visit_and_check("/staff/admin/users", f"{role} staff accounts")
        found.visit_and_check(f"/staff/admin/users/{colleague.id}", f"{role} staff account page")
        found.visit_and_check("/staff/admin/users/new", f"{role} create an account")
    found.visit_and_check("/staff/account", f"{role} your account")
    found.assert_none()
    page.watch.assert_clean()


def test_sign_in_pages_and_their_errors_have_no_axe_violations(page, app):
    user = make_staff(app, "caseworker")
    found = Findings(page)
    found.visit_and_check("/staff/login", "sign in")

    submit(page, "sign in empty")
    assert page.title().startswith("Error: ")
    assert [message for _, message in error_links(page)] == ["Enter your email address", "Enter your password"]
    found.check("sign in submitted empty")

    enter_password(page, user.email, password="wrong password entirely", slug="wrong password")
    assert [message for _, message in error_links(page)] == ["Enter a correct email address and password"]
    found.check("sign in with a wrong password")

    enter_password(page, user.email, slug="enter your code")
    assert_heading(page, "Enter your code")
    found.check("enter your code")
    page.fill("#code", "000000")
    submit(page, "wrong code", button="Sign in")
    assert page.title().startswith("Error: ")
    found.check("enter your code with a wrong code")

    page.fill("#code", fresh_code(app, user))
    submit(page, "signed in", button="Sign in")
    sign_out(page)
    assert page.locator(".govuk-notification-banner").count() == 1
    found.check("signed out")
    found.assert_none()
    page.watch.assert_clean()


def test_set_up_pages_and_recovery_codes_have_no_axe_violations(page, app):
    _, token = new_account(app, "volunteer")
    found = Findings(page)
    visit(page, f"/staff/set-up/{token}", "choose your password")
    assert_heading(page, "Choose your password")
    found.check("choose your password")
    page.fill("#new", "granite lantern orbits a quiet meadow")
    page.fill("#confirm", "something else")
    submit(page, "passwords that do not match")
    assert page.title().startswith("Error: ")
    found.check("choose your password with passwords that do not match")
    page.fill("#new", "granite lantern orbits a quiet meadow")
    page.fill("#confirm", "granite lantern orbits a quiet meadow")
    submit(page, "set up your authenticator app")
    assert_heading(page, "Set up your authenticator app")
    found.check("set up your authenticator app")

    submit(page, "enrol empty", button="Confirm")
    assert page.title().startswith("Error: ")
    found.check("set up your authenticator app submitted empty")
    page.fill("#code", "123456")
    submit(page, "enrol wrong code", button="Confirm")
    found.check("set up your authenticator app with a wrong code")

    key = "".join(page.locator("code.sps-secret").inner_text().split())
    page.fill("#code", pyotp.TOTP(key).now())
    submit(page, "after confirming", button="Confirm")
    assert_heading(page, "Your account is set up")
    found.check("your account is set up, with recovery codes")
    found.assert_none()
    page.watch.assert_clean()


def test_referral_forms_sent_back_with_errors_have_no_axe_violations(page, app):
    self_made = submit_public_referral(app, "self")
    keyed_in = keyed_in_without_attestation(app)
    caseworker = make_staff(app, "caseworker")
    sign_in(page, app, caseworker)
    found = Findings(page)

    visit(page, f"/staff/referrals/{self_made.id}", "self-referral")
    page.fill("#summary", "")
    submit(page, "contact log empty", button="Log contact")
    assert page.title().startswith("Error: ")
    assert page.locator(".govuk-error-summary").count() == 1
    found.check("referral after a failed contact log (empty form)")

    page.fill("#reason", "")
    submit(page, "decline without reason", button="Decline")
    assert page.title().startswith("Error: ")
    found.check("referral after declining without a reason")

    visit(page, f"/staff/referrals/{keyed_in.id}", "referral without attestation")
    submit(page, "attestation empty", button="Record consent")
    assert page.title().startswith("Error: ")
    assert error_links(page), "no error summary"
    found.check("referral after recording an empty attestation")

    visit(page, "/staff/referrals?reference=SPS-0000", "search for a mistyped reference")
    assert page.title().startswith("Error: ")
    found.check("referrals queue with a search error")
    found.assert_none()
    page.watch.assert_clean()


def test_account_forms_sent_back_with_errors_have_no_axe_violations(page, app):
    admin = make_staff(app, "admin")
    volunteer = make_staff(app, "volunteer", name="Vic Volunteer", trained=False, agreement=False)
    sign_in(page, app, admin)
    found = Findings(page)

    visit(page, "/staff/admin/users/new", "create an account")
    submit(page, "create an account empty", button="Create account")
    assert page.title().startswith("Error: ")
    assert error_links(page), "no error summary"
    found.check("create an account submitted empty")

    page.fill("#name", "Nia Newcomer")
    page.fill("#email", "nia.newcomer@sps.example")
    page.check("input[name='roles'][value='caseworker']")
    submit(page, "account created", button="Create account")
    banner = page.locator(".govuk-notification-banner--success").inner_text()
    assert "Account created" in banner and "set-up link has been emailed to nia.newcomer@sps.example" in banner
    found.check("account created")

    visit(page, f"/staff/admin/users/{volunteer.id}", "volunteer account")
    submit(page, "training without a date", button="Record training")
    assert page.title().startswith("Error: ")
    found.check("staff account page after recording training without a date")
    submit(page, "agreement recorded", button="Record agreement")
    assert page.locator(".govuk-notification-banner--success").count() == 1
    found.check("staff account page after a change")

    visit(page, "/staff/account", "your account")
    page.fill("#password-current", "not it")
    page.fill("#password-new", "a brand new long passphrase")
    page.fill("#password-confirm", "something else")
    submit(page, "password change errors", button="Change password")
    assert page.title().startswith("Error: ")
    found.check("your account after a failed password change")
    found.assert_none()
    page.watch.assert_clean()


@pytest.mark.parametrize("role", ["caseworker", "volunteer"])
def test_access_paused_page_has_no_axe_violations(page, app, role):
    user = make_staff(app, role, trained=False)
    sign_in(page, app, user)
    assert_heading(page, "You cannot see casework yet")
    found = Findings(page)
    found.visit_and_check("/staff/referrals", f"{role} access paused", status=403)
    assert_heading(page, "You cannot see casework yet")
    assert page.locator("main ul.govuk-list--bullet li").count() >= 1
    # Their own account page stays open.
    found.visit_and_check("/staff/account", f"{role} your account while access is paused")
    found.assert_none()
    page.watch.assert_clean()


def test_separation_of_duties_pages_have_no_axe_violations(page, app):
    """The pages the penetration test's fixes added: a disclosure waiting for a second manager (the
    list, the decision page, a decision sent back with an error, the case page showing it held
    back), and an administrator's own account, which offers no changes."""
    recorder = make_staff(app, "manager", name="Rena Recorder")
    approver = make_staff(app, "manager", name="Abe Approver")
    case_id = open_case(app, recorder.id)
    with app.app_context():
        acts = Actor(recorder.id, "192.0.2.1", clock.now())
        held_id = disclosures.record_disclosure(
            db.session.get(Case, case_id),
            disclosures.DisclosureRequest(
                acts.today,
                "The referral form",
                "child_protection",
                recipient="Children's Services",
                justification="Risk",
            ),
            acts,
            acts.today,
        ).id
    found = Findings(page)

    sign_in(page, app, approver)
    found.visit_and_check("/staff/", "dashboard with a disclosure awaiting approval")
    found.visit_and_check("/staff/disclosures/awaiting-approval", "disclosures awaiting approval")
    found.visit_and_check(f"/staff/cases/{case_id}/disclosures/{held_id}", "a disclosure to decide")
    page.check("input[name='decision'][value='decline']")
    submit(page, "declined without a reason", button="Save decision")
    assert page.title().startswith("Error: ")
    assert error_links(page), "no error summary"
    found.check("a decline sent back without a reason")
    found.visit_and_check(f"/staff/cases/{case_id}/consent-and-disclosures", "case with a disclosure held back")
    sign_out(page)

    admin = make_staff(app, "admin", name="Ada Admin")
    sign_in(page, app, admin)
    found.visit_and_check(f"/staff/admin/users/{admin.id}", "your own account, seen as its administrator")
    found.assert_none()
    page.watch.assert_clean()
