"""An administrator's pages in a real browser: someone else's account in words about them, the
Volunteer Agreement only on a volunteer's, and deactivating an account after an "Are you sure"
page, by keyboard alone, axe clean on each page; each page is kept as a screenshot."""

from __future__ import annotations

from tests.browser.helpers import assert_accessible, assert_heading, press_and_arrive, tab_until, visit
from tests.browser.staff_helpers import notification, sign_in, summary_value
from tests.staff import make_staff


def test_a_volunteers_account_speaks_of_them_and_shows_their_agreement(page, app):
    volunteer = make_staff(app, "volunteer", name="Vera Volunteer", trained=False, agreement=False)
    caseworker = make_staff(app, "caseworker", name="Colin Caseworker")
    sign_in(page, app, make_staff(app, "admin", name="Ada Admin"))

    visit(page, f"/staff/admin/users/{volunteer.id}", "volunteer's account")
    assert_heading(page, "Vera Volunteer")
    access = summary_value(page, "Access to personal data")
    assert access.startswith("Their confidentiality training has not been recorded."), access
    assert "They have not signed the current Volunteer Agreement" in access
    assert summary_value(page, "Volunteer Agreement") == "Not recorded"
    assert page.get_by_role("group", name="Their roles").count() == 1
    assert_accessible(page, "a volunteer's account")
    page.shots.keep("a volunteer's account")

    visit(page, f"/staff/admin/users/{caseworker.id}", "caseworker's account")
    assert page.locator(".govuk-summary-list__key", has_text="Volunteer Agreement").count() == 0
    assert_accessible(page, "a caseworker's account")
    page.shots.keep("a caseworker's account")
    page.watch.assert_clean()


def test_deactivating_an_account_asks_first_by_keyboard(page, app):
    caseworker = make_staff(app, "caseworker", name="Colin Caseworker")
    sign_in(page, app, make_staff(app, "admin", name="Ada Admin"))
    visit(page, f"/staff/admin/users/{caseworker.id}", "caseworker's account")

    tab_until(page, "a.govuk-button--warning[href$='/deactivate']", limit=60)
    press_and_arrive(page, "Enter", "are you sure")
    assert_heading(page, "Are you sure you want to deactivate Colin Caseworker's account?")
    assert_accessible(page, "deactivation confirmation")
    page.shots.keep("deactivate: are you sure")

    tab_until(page, "button.govuk-button--warning", limit=30)
    press_and_arrive(page, "Enter", "deactivated")
    assert "Colin Caseworker's account is deactivated. Every session it had has ended." in notification(page)
    assert summary_value(page, "Account") == "Deactivated"
    assert_accessible(page, "account deactivated")
    page.shots.keep("account deactivated")
    page.watch.assert_clean()
