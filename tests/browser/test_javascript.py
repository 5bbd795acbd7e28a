"""With JavaScript on, GOV.UK Frontend's ES module loads under the strict Content-Security-Policy
and does its work: the error summary takes focus, its links move focus to their fields, and no
page logs an error or a CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    error_links,
    reach_check_page,
    send_referral,
    submit,
    visit,
)

# The self-referral is the one form page holding every kind of widget at once (a date, radios, a
# character count); the professional referral's question pages use the same widgets, a few a page
# (tests/browser/test_question_pages.py walks them, errors included).
ROUTES = ["self"]

# Which element has focus, and whether all of it is inside the window.
FOCUS_AND_VIEW = """() => {
  const element = document.activeElement
  const rect = element.getBoundingClientRect()
  return {
    focused: element.id,
    in_view: rect.top >= 0 && rect.bottom <= window.innerHeight,
    rect: `top ${Math.round(rect.top)}, bottom ${Math.round(rect.bottom)}`,
    height: window.innerHeight,
  }
}"""


@pytest.mark.parametrize("route", ROUTES)
def test_error_summary_takes_focus_after_a_failed_submit(page, route):
    response = visit(page, f"/refer/{route}", f"{route} form")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    body_class = page.locator("body").get_attribute("class") or ""
    assert "js-enabled" in body_class and "govuk-frontend-supported" in body_class
    # The module ran: the character count has added its live status line.
    expect(page.locator(".govuk-character-count__status")).to_have_count(1)

    submit(page, f"{route} errors")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("tabindex", "-1")
    assert page.title().startswith("Error: ")
    page.watch.assert_clean()


def follow_every_error_link(page, route: str) -> dict[str, dict]:
    """Submit the form empty, then click each error-summary link in turn (date of birth first);
    returns, for each link, where the focus went and whether the focused box is in view."""
    visit(page, f"/refer/{route}", f"{route} form")
    submit(page, f"{route} errors")
    hrefs = [href for href, _ in error_links(page)]
    assert "#child_date_of_birth-day" in hrefs, hrefs
    hrefs.remove("#child_date_of_birth-day")
    found = {}
    for href in ["#child_date_of_birth-day", *hrefs]:
        page.locator(f'.govuk-error-summary__list a[href="{href}"]').click()
        found[href] = page.evaluate(FOCUS_AND_VIEW)
        if not found[href]["in_view"]:
            page.shots.take(f"{route} {href} out of view (window only)", full_page=False)
    page.watch.assert_clean()
    return found


@pytest.mark.parametrize("route", ROUTES)
def test_error_summary_links_move_focus_to_their_fields(page, route):
    found = follow_every_error_link(page, route)
    assert found["#child_date_of_birth-day"]["focused"] == "child_date_of_birth-day"
    wrong = {href: where["focused"] for href, where in found.items() if where["focused"] != href[1:]}
    assert not wrong, f"links that left the focus elsewhere (link: focused id): {wrong}"


@pytest.mark.parametrize("route", ROUTES)
def test_the_field_an_error_link_focuses_is_in_view(page, route):
    """GOV.UK Frontend scrolls the field's legend (radios, checkboxes) or label into view: the
    focused box must then be on screen, in a 1024×768 window."""
    found = follow_every_error_link(page, route)
    hidden = [
        f"{href}: {where['rect']} in a {where['height']}px window"
        for href, where in found.items()
        if not where["in_view"]
    ]
    assert not hidden, "focused but out of view after clicking its error link:\n" + "\n".join(hidden)


def test_no_console_errors_or_csp_violations_on_any_page(page):
    for path in ("/", "/privacy", "/accessibility", "/refer/self", "/refer/professional", "/no-such-page"):
        visit(page, path)
    for route in ROUTES:
        reach_check_page(page, route)
        submit(page, f"{route} check without agreement", button="Accept and send")
        send_referral(page, route)
    page.watch.assert_clean()


def test_the_watch_sees_a_csp_violation(page):
    """The check above would miss nothing: an inline script is refused by the CSP, and the
    refusal reaches the list of problems."""
    visit(page, "/", "start")
    with page.expect_console_message(lambda message: "CSP violation" in message.text):
        page.evaluate(
            """() => {
              const script = document.createElement('script')
              script.textContent = 'window.inlineRan = true'
              document.body.append(script)
            }"""
        )
    assert page.evaluate("window.inlineRan") is None
    problems = page.watch.all_problems()
    assert any("Content Security Policy" in problem for problem in problems), problems
    assert any("CSP violation: script-src" in problem for problem in problems), problems
    page.watch.clear()
