"""axe-core (WCAG 2.2 A and AA, and best practice) finds nothing on any public page, in any state a
person can meet: the forms empty, with every kind of error, the check pages, the confirmations."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import (
    assert_accessible,
    error_links,
    fill_form,
    reach_check_page,
    send_referral,
    submit,
    visit,
)

ROUTES = ["self", "professional"]

# Several kinds of mistake at once: each shows its message in the summary and by the field.
INVALID = {
    "self": {
        "completed_by": "parent_carer",
        "parent_carer_name": "",
        "child_date_of_birth": ["31", "2", "2015"],
        "email": "not-an-email",
        "phone": "12345",
        "postcode": "NOT A POSTCODE",
        "preferred_contact": "letter",
    },
    # Its first question page (each later page's errors: tests/browser/test_question_pages.py).
    "professional": {
        "referrer_name": "",
        "referrer_job_title": "",
        "referrer_email": "p.shah@",
        "referrer_phone": "call me",
    },
}
FIRST_INVALID = {"self": "#child_date_of_birth-day", "professional": "#referrer_email"}


@pytest.mark.parametrize(
    "path",
    ["/", "/privacy", "/accessibility", "/contact", "/refer/self", "/refer/professional", "/no-such-page"],
    ids=["start", "privacy", "accessibility", "contact", "refer-self", "refer-professional", "not-found"],
)
def test_page_has_no_axe_violations(page, path):
    response = visit(page, path)
    assert response.status == (404 if path == "/no-such-page" else 200)
    assert_accessible(page, path)
    page.watch.assert_clean()


@pytest.mark.parametrize("route", ROUTES)
def test_form_submitted_empty_has_no_axe_violations(page, route):
    visit(page, f"/refer/{route}", f"{route} form")
    submit(page, f"{route} form empty errors")
    assert page.title().startswith("Error: ")
    assert len(error_links(page)) >= 3
    assert_accessible(page, f"/refer/{route} submitted empty")
    page.watch.assert_clean()


@pytest.mark.parametrize("route", ROUTES)
def test_form_with_invalid_answers_has_no_axe_violations(page, route):
    visit(page, f"/refer/{route}", f"{route} form")
    fill_form(page, INVALID[route])
    submit(page, f"{route} form invalid errors")
    links = dict(error_links(page))
    assert FIRST_INVALID[route] in links, links
    assert len(links) >= 4, links
    # Each message is shown by its field too.
    assert page.locator(".govuk-error-message").count() >= len(links)
    assert_accessible(page, f"/refer/{route} with invalid answers")
    page.watch.assert_clean()


@pytest.mark.parametrize("route", ROUTES)
def test_check_page_has_no_axe_violations(page, route):
    reach_check_page(page, route)
    assert_accessible(page, f"{route} check answers")
    page.watch.assert_clean()


@pytest.mark.parametrize("route", ROUTES)
def test_check_page_without_agreement_has_no_axe_violations(page, route):
    reach_check_page(page, route)
    submit(page, f"{route} check without agreement", button="Accept and send")
    assert error_links(page) == [
        ("#privacy_agreed", "Confirm you have read the privacy notice and agree to the service keeping these details")
    ]
    assert page.title().startswith("Error: ")
    assert_accessible(page, f"{route} check page sent without agreement")
    page.watch.assert_clean()


@pytest.mark.parametrize("route", ROUTES)
def test_confirmation_page_has_no_axe_violations(page, route):
    reach_check_page(page, route)
    send_referral(page, route)
    assert_accessible(page, f"{route} confirmation")
    page.watch.assert_clean()


@pytest.mark.parametrize("route", ROUTES)
def test_form_without_scripts_has_no_axe_violations(page, route):
    """As a browser without JavaScript shows them: none of
    GOV.UK Frontend's enhancements. (axe itself needs JavaScript, which a context with JavaScript
    switched off cannot run, so here the page's own scripts are served empty instead.)"""
    page.route(re.compile(r"\.m?js$"), lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))
    visit(page, f"/refer/{route}", f"{route} form without scripts")
    assert page.evaluate("document.body.className") == "govuk-template__body"
    assert_accessible(page, f"/refer/{route} without scripts")
    submit(page, f"{route} form empty without scripts")
    assert_accessible(page, f"/refer/{route} submitted empty without scripts")
    page.watch.assert_clean()
