"""Retention in a real browser: the retention page, the hold form (sent back with an error) and the
lift form, each axe clean; a hold placed and lifted with the keyboard alone (Tab, arrows, typing,
Enter), the error summary leading to the box to correct."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Referral
from portal.services import clock
from portal.services.validation import add_years
from tests.browser.helpers import Findings, press_and_arrive, tab, tab_and_type, tab_until
from tests.browser.staff_helpers import error_summary_text, notification, sign_in, submit_public_referral
from tests.staff import make_staff

BUTTON = "main form button.govuk-button"


def declined_and_due_within_weeks(app) -> tuple[int, str]:
    made = submit_public_referral(app, "self")
    with app.app_context():
        referral = db.session.get(Referral, made.id)
        due = clock.london_today() + dt.timedelta(days=20)
        referral.status, referral.closed_on = "declined", add_years(due, -app.config["RETENTION_YEARS"])
        db.session.commit()
        db.session.remove()
    return made.id, made.reference


def test_a_hold_is_placed_and_lifted_with_the_keyboard_and_every_page_has_no_axe_violations(page, app):
    referral_id, reference = declined_and_due_within_weeks(app)
    sign_in(page, app, make_staff(app, "dpo", name="Axe Data Protection"))
    found = Findings(page)
    found.visit_and_check("/staff/retention", "retention page")
    assert reference in page.locator("main").inner_text()

    found.visit_and_check(f"/staff/referrals/{referral_id}/holds/new", "hold form")
    tab_until(page, "#reason", limit=40)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator('input[name="reason"][value="send_tribunal_or_mediation"]')).to_be_checked()
    tab_and_type(page, "#note", "Tribunal SE123/45: hearing in June.")
    last_year = clock.london_today().year - 1
    for box, value in (("day", 1), ("month", 6), ("year", last_year)):
        tab_and_type(page, f"#review_on-{box}", value)
    tab(page, BUTTON)
    press_and_arrive(page, "Enter", "hold form with an error")
    assert "The date to review the hold by must be in the future" in error_summary_text(page)
    found.check("hold form with an error")

    # The summary has the focus; its link takes the focus to the box to correct.
    tab(page, ".govuk-error-summary__list a")
    page.keyboard.press("Enter")
    expect(page.locator("#review_on-day")).to_be_focused()
    tab(page, "#review_on-month")
    tab(page, "#review_on-year")
    page.keyboard.press("Control+a")
    page.keyboard.type(str(last_year + 2))
    tab(page, BUTTON)
    press_and_arrive(page, "Enter", "hold placed")
    assert page.url.endswith("/staff/retention"), page.url
    assert f"Hold placed: the records of {reference} are kept until the hold is lifted." in notification(page)
    found.check("retention page with a hold")

    tab_until(page, 'main a[href^="/staff/holds/"]', limit=80)
    press_and_arrive(page, "Enter", "lift form")
    found.check("lift form")
    tab_until(page, "#lift_reason", limit=40)
    tab(page, BUTTON)
    press_and_arrive(page, "Enter", "lift form with an error")
    assert "Enter why the hold is lifted" in error_summary_text(page)
    found.check("lift form with an error")
    tab(page, ".govuk-error-summary__list a")
    page.keyboard.press("Enter")
    expect(page.locator("#lift_reason")).to_be_focused()
    page.keyboard.type("The tribunal decided; no appeal.")
    tab(page, BUTTON)
    press_and_arrive(page, "Enter", "hold lifted")
    assert page.url.endswith("/staff/retention"), page.url
    assert f"Hold lifted: the records of {reference}" in notification(page)
    found.check("retention page after lifting")
    found.assert_none()
