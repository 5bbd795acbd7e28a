"""Family feedback at closure in a real browser: a manager sends the link from the closed case and
reads the comments, the family answers by keyboard alone and again with JavaScript switched off;
every page axe clean, the spent link a kind page."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Case
from portal.services import casework, clock, feedback
from portal.services.audit import Actor
from tests.browser.helpers import (
    assert_accessible,
    assert_heading,
    error_links,
    focused,
    is_focused,
    press_and_arrive,
    submit,
    tab,
    tab_and_type,
    tab_until,
    visit,
)
from tests.browser.staff_helpers import notification, sign_in
from tests.factories import open_case
from tests.staff import make_staff

FORM_HEADING = "Tell us what you thought of our support"
SEND = "form button.govuk-button"
COMMENT = "The adviser came to the annual review with us."


def closed_case(app, worker_id: int) -> int:
    case_id = open_case(app, worker_id)
    with app.app_context():
        actor = Actor(worker_id, "192.0.2.1", clock.now())
        casework.close(db.session.get(Case, case_id), "Advice given.", actor.today, actor, actor.today)
    return case_id


def choose(page, name: str, value: str) -> None:
    """Tab into a radio group (onto its first radio), arrow to ``value``, press Space."""
    tab(page, f"#{name}")
    for _ in range(4):
        if is_focused(page, f'[value="{value}"]'):
            break
        page.keyboard.press("ArrowDown")
    assert is_focused(page, f'input[name="{name}"][value="{value}"]'), focused(page)
    page.keyboard.press("Space")
    expect(page.locator(f'input[name="{name}"][value="{value}"]')).to_be_checked()


def test_a_manager_sends_the_link_and_the_family_answers_by_keyboard(app, page):
    manager = make_staff(app, "manager")
    case_id = closed_case(app, manager.id)
    sign_in(page, app, manager)
    visit(page, f"/staff/cases/{case_id}/feedback-link", "closed case's feedback page")
    assert_accessible(page, "closed case's feedback page with the offer")
    page.locator("form[action$='/feedback-link'] button").focus()
    press_and_arrive(page, "Enter", "feedback link sent")
    assert "A feedback link was sent to the family at" in notification(page)
    assert_accessible(page, "closed case after the link was sent")
    mail = app.extensions["portal_mailer"].outbox[-1]
    assert mail["Subject"] == feedback.SUBJECT
    path = next(word for word in mail.get_content().split() if "/feedback/" in word)
    path = path[path.index("/feedback/") :]

    visit(page, path, "feedback form")
    assert_heading(page, FORM_HEADING)
    assert_accessible(page, "feedback form")
    # Sent with nothing chosen: the error summary takes the focus, and its first link the
    # keyboard to the first question.
    tab_until(page, SEND)
    press_and_arrive(page, "Enter", "feedback form with errors")
    assert page.title().startswith("Error: ")
    assert [href for href, _ in error_links(page)] == ["#helpful", "#involved", "#recommend"]
    assert_accessible(page, "feedback form with errors")
    tab(page, ".govuk-error-summary__list a[href='#helpful']")
    page.keyboard.press("Enter")
    assert is_focused(page, "#helpful"), focused(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator('input[name="helpful"][value="quite"]')).to_be_checked()
    choose(page, "involved", "a_little")
    choose(page, "recommend", "yes")
    tab_and_type(page, "#comment", COMMENT)
    tab(page, SEND)
    press_and_arrive(page, "Enter", "thank you")
    assert_heading(page, "Thank you for your feedback")
    assert_accessible(page, "thank you")

    response = visit(page, path, "spent link")
    assert response.status == 404
    assert_heading(page, "This feedback link no longer works")
    assert_accessible(page, "spent link")

    visit(page, "/staff/feedback", "feedback comments")
    assert_heading(page, "Feedback comments")
    expect(page.get_by_text(COMMENT)).to_be_visible()
    assert_accessible(page, "feedback comments")
    page.watch.assert_clean()


def test_the_family_answers_without_javascript(app, no_js_page):
    page = no_js_page
    caseworker = make_staff(app, "caseworker")
    case_id = closed_case(app, caseworker.id)
    mailer = app.extensions["portal_mailer"]
    with app.app_context():
        actor = Actor(caseworker.id, "192.0.2.1", clock.now())
        feedback.send_link(db.session.get(Case, case_id), mailer, lambda token: f"/feedback/{token}", actor)
    path = next(word for word in mailer.outbox[-1].get_content().split() if word.startswith("/feedback/"))

    visit(page, path, "feedback form")
    assert_heading(page, FORM_HEADING)
    assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
    page.check('input[name="helpful"][value="very"]')
    submit(page, "feedback form with errors", button="Send your answers")
    assert [href for href, _ in error_links(page)] == ["#involved", "#recommend"]
    expect(page.locator('input[name="helpful"][value="very"]')).to_be_checked()
    page.check('input[name="involved"][value="not_sure"]')
    page.check('input[name="recommend"][value="maybe"]')
    page.fill("#comment", COMMENT)
    submit(page, "thank you", button="Send your answers")
    assert_heading(page, "Thank you for your feedback")
    response = visit(page, path, "spent link")
    assert response.status == 404
    assert_heading(page, "This feedback link no longer works")
    page.watch.assert_clean()
