"""Both journeys work with JavaScript switched off: the forms are plain HTML forms and nothing
needs a script to be sent."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ANSWERS,
    answer_pages,
    assert_heading,
    error_links,
    send_referral,
    submit,
    visit,
)

TITLES = {"self": "Refer yourself or your child", "professional": "About you"}  # its first question page


@pytest.mark.parametrize("route", ["self", "professional"])
def test_journey_without_javascript(no_js_page, route):
    page = no_js_page
    visit(page, f"/refer/{route}", f"{route} form")
    assert_heading(page, TITLES[route])
    # init.js never ran, so GOV.UK Frontend's "hide until enhanced" styles do not apply.
    assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
    if route == "self":
        expect(page.get_by_label("Your full name")).to_be_editable()

    # A first try with mistakes: the error summary works without a script too.
    submit(page, f"{route} errors")
    assert page.title().startswith("Error: ")
    assert ("#child_date_of_birth-day" if route == "self" else "#referrer_name") in dict(error_links(page))

    answer_pages(page, ANSWERS[route](), route)
    assert_heading(page, "Check your answers before sending your referral")
    send_referral(page, route)
    page.watch.assert_clean()
