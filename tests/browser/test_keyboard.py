"""Both referral journeys done with the keyboard alone: Tab and Shift+Tab to move, Space for radios
and checkboxes, arrow keys within a radio group, typing, Enter on a button to submit.

Nothing here clicks or fills: each box gets its answer only after Tab has brought the focus to it,
and every Tab is checked against the element it should reach, so the tab order is tested too.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import Referral
from tests.browser.helpers import (
    arrive,
    assert_heading,
    confirmed_reference,
    focused,
    is_focused,
    press_and_arrive,
    tab,
    tab_and_type,
    tab_until,
)
from tests.journeys import self_referral_answers

CONTINUE = "form button.govuk-button"
CHECK_HEADING = "Check your answers before sending your referral"


def enter_date(page, name: str, parts: list[str]) -> None:
    for part, box in zip(parts, ("day", "month", "year"), strict=True):
        tab_and_type(page, f"#{name}-{box}", part)


def choose_radio(page, name: str, value: str) -> None:
    """Tab into a radio group (focus lands on its first radio), arrow to ``value``, press Space."""
    tab(page, f"#{name}")
    for _ in range(5):
        if is_focused(page, f'[value="{value}"]'):
            break
        page.keyboard.press("ArrowDown")
    assert is_focused(page, f'input[name="{name}"][value="{value}"]'), focused(page)
    page.keyboard.press("Space")
    expect(page.locator(f'input[name="{name}"][value="{value}"]')).to_be_checked()


def enter_contact_details(page, answers: dict[str, object]) -> None:
    for name in ("email", "phone", "address_line_1", "address_line_2", "address_town", "postcode"):
        tab_and_type(page, f"#{name}", answers[name])
    choose_radio(page, "preferred_contact", str(answers["preferred_contact"]))


def walk_to_form(page, route: str) -> None:
    page.goto(f"/refer/{route}")
    arrive(page, f"{route} form")
    assert is_focused(page, "body")
    tab(page, ".govuk-skip-link")
    tab(page, ".govuk-generic-header__homepage-link")
    tab(page, ".govuk-back-link")
    # Shift+Tab goes back the way it came.
    tab(page, ".govuk-generic-header__homepage-link", key="Shift+Tab")
    tab(page, ".govuk-back-link")


def check_and_send(page, route: str, change_links: int) -> str:
    """On the check page: every Change link is on the tab path, then the privacy notice link, its
    summary, the agreement box (Space) and "Accept and send" (Enter)."""
    assert_heading(page, CHECK_HEADING)
    passed = tab_until(page, "#privacy_agreed", limit=change_links + 8)
    changes = [element for element in passed if element.startswith('a "Change')]
    assert len(changes) == change_links == page.locator(".govuk-summary-list__actions a").count(), passed
    assert any("privacy notice" in element for element in passed), passed
    assert any(element.startswith("summary") for element in passed), passed
    page.keyboard.press("Space")
    expect(page.locator("#privacy_agreed")).to_be_checked()
    tab(page, 'button[name="send"]')
    press_and_arrive(page, "Enter", f"{route} confirmation")
    return confirmed_reference(page, route)


def assert_stored(app, reference: str, route: str) -> None:
    with app.app_context():
        referral = Referral.query.one()
        assert (referral.reference, referral.route) == (reference, route)


def fill_self_form(page, answers: dict[str, object]) -> None:
    # The honeypot (tabindex=-1) is skipped: the first stop in the form is the first radio.
    tab(page, "#completed_by")
    page.keyboard.press("Space")
    expect(page.locator("#completed_by")).to_be_checked()
    # One Tab leaves the radio group for the next question.
    tab_and_type(page, "#parent_carer_name", answers["parent_carer_name"])
    tab_and_type(page, "#child_name", answers["child_name"])
    enter_date(page, "child_date_of_birth", answers["child_date_of_birth"])
    tab_and_type(page, "#school_or_setting", answers["school_or_setting"])
    tab_and_type(page, "#needs", answers["needs"])
    enter_contact_details(page, answers)
    tab(page, CONTINUE)


def test_self_referral_with_the_keyboard_alone(page, app):
    walk_to_form(page, "self")
    fill_self_form(page, self_referral_answers())
    press_and_arrive(page, "Enter", "self check answers")
    assert_heading(page, CHECK_HEADING)
    summary = page.locator("main").inner_text()
    for answer in ("Zoë Ó Briain-Nakamura", "Siân 李 Ó Briain", "14 March 2015", "We would like help", "BA1 1AA"):
        assert answer in summary
    reference = check_and_send(page, "self", change_links=10)
    assert_stored(app, reference, "self")
    page.watch.assert_clean()


def test_change_link_with_the_keyboard_and_continue(page):
    """A Change link, followed with Enter, brings the form back with every answer in it; the
    corrected form then goes back to the check page."""
    walk_to_form(page, "self")
    fill_self_form(page, self_referral_answers(parent_carer_name="Zoe Typo"))
    press_and_arrive(page, "Enter", "self check answers")
    assert_heading(page, CHECK_HEADING)
    tab_until(page, 'a[href="/refer/self?return=check#parent_carer_name"]', limit=8)
    press_and_arrive(page, "Enter", "self form to change name")
    assert_heading(page, "Refer yourself or your child")
    expect(page.locator("#completed_by")).to_be_checked()
    expect(page.locator("#parent_carer_name")).to_have_value("Zoe Typo")
    expect(page.locator("#child_name")).to_have_value("Siân 李 Ó Briain")
    # The form opens at the question being changed, with the cursor already in it.
    expect(page.locator("#parent_carer_name")).to_be_focused()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("Zoë Ó Briain-Nakamura")
    tab_until(page, CONTINUE, limit=20)
    press_and_arrive(page, "Enter", "self check answers after change")
    assert_heading(page, CHECK_HEADING)
    about_you = page.locator(".govuk-summary-list").first.inner_text()
    assert "Zoë Ó Briain-Nakamura" in about_you and "Zoe Typo" not in about_you
    page.watch.assert_clean()


# The professional referral, now question pages, is walked by the keyboard in
# tests/browser/test_question_pages.py.


@pytest.mark.parametrize("route", ["self", "professional"])
def test_enter_in_a_text_box_submits_the_form(page, route):
    """Enter in a one-line box submits, as people expect; here with nothing else filled in."""
    walk_to_form(page, route)
    first = "#completed_by" if route == "self" else "#referrer_name"
    tab(page, first)
    if route == "self":
        tab(page, "#parent_carer_name")
    page.keyboard.type("Sam")
    press_and_arrive(page, "Enter", f"{route} errors")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    page.watch.assert_clean()
