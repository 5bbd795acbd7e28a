"""The professional referral and the subject access request as GOV.UK question pages, in the
browser: every page and its error state clean under axe (and kept as screenshots), by the keyboard
alone, without JavaScript, and the check page's Change links back to the right page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import InformationRequest, Referral
from tests.browser.helpers import (
    answer_pages,
    arrive,
    asked_here,
    assert_accessible,
    assert_heading,
    confirmed_reference,
    error_links,
    fill_form,
    is_focused,
    press_and_arrive,
    send_referral,
    submit,
    tab,
    tab_and_type,
    tab_until,
    visit,
)
from tests.journeys import professional_answers, records_answers

CHECK_REFERRAL = "Check your answers before sending your referral"
CHECK_REQUEST = "Check your answers before sending your request"
JOURNEYS = {
    "professional": ("/refer/professional", professional_answers, CHECK_REFERRAL),
    "records": ("/requests/records", records_answers, CHECK_REQUEST),
}


@pytest.mark.parametrize("name", list(JOURNEYS))
def test_every_question_page_and_its_errors_and_the_check_page_pass_axe(page, name):
    """Each page submitted empty first (its error state), then answered: both kept as screenshots."""
    path, answers, check_heading = JOURNEYS[name]
    visit(page, path, f"{name} first page")
    answers = answers()
    seen = []
    while "/check" not in page.url:
        here = page.url.split("/", 3)[-1]
        seen.append(here)
        page.shots.keep(f"{name} {here}")
        assert_accessible(page, here)
        submit(page, f"{name} {here} empty")
        if page.locator(".govuk-error-summary").count():
            assert page.title().startswith("Error: "), here
            expect(page.locator(".govuk-error-summary")).to_be_focused()
            page.shots.keep(f"{name} {here} errors")
            assert_accessible(page, f"{here} with errors")
        fill_form(page, {key: value for key, value in answers.items() if asked_here(page, key, value)})
        submit(page, f"{name} after {here}")
    assert len(seen) >= 7, seen
    assert_heading(page, check_heading)
    page.shots.keep(f"{name} check answers")
    assert_accessible(page, f"{name} check answers")
    page.watch.assert_clean()


def test_a_change_link_goes_to_its_page_and_continue_returns_to_the_check_page(page):
    visit(page, "/refer/professional", "professional first page")
    answer_pages(page, professional_answers(), "professional")
    page.get_by_role("link", name="Change parent or carer (the family)").click()
    arrive(page, "professional change parent")
    assert "/refer/professional/parent-carer?return=check" in page.url
    expect(page.locator("#parent_carer_name")).to_have_value("Anna Kowalska")
    page.fill("#parent_carer_name", "Anna Maria Kowalska")
    submit(page, "professional check after change")
    assert_heading(page, CHECK_REFERRAL)
    assert "Anna Maria Kowalska" in page.locator("main").inner_text()
    page.go_back()
    arrive(page, "professional back to the question page")
    page.go_forward()
    arrive(page, "professional forward to the check page")
    assert_heading(page, CHECK_REFERRAL)
    page.watch.assert_clean()


def test_back_after_sending_lands_on_the_confirmation_and_stores_one_referral(page, app):
    visit(page, "/refer/professional", "professional first page")
    answer_pages(page, professional_answers(), "professional")
    reference = send_referral(page, "professional")
    page.go_back()
    arrive(page, "back after sending")
    assert page.url.endswith("/refer/professional/confirmation"), page.url
    assert reference not in page.locator("main").inner_text(), "the reference is shown once"
    with app.app_context():
        assert Referral.query.count() == 1
    page.watch.assert_clean()


def test_contacting_the_young_person_directly_asks_no_parent_questions(page):
    visit(page, "/refer/professional", "professional first page")
    answers = professional_answers(contact_through="young_person", consent_given_by="young_person")
    answers["child_date_of_birth"] = ["2", "9", "2008"]
    answered = answer_pages(page, answers, "professional young person")
    assert "refer/professional/parent-carer" not in answered, answered
    assert "Parent or carer" not in page.locator("main").inner_text()
    page.watch.assert_clean()


def test_someone_asking_for_their_own_records_is_not_asked_whose_records(page):
    visit(page, "/requests/records", "records first page")
    answered = answer_pages(page, records_answers(acting_as="self"), "records self")
    assert "requests/records/whose-records" not in answered and "requests/records/about-you" in answered
    assert_heading(page, CHECK_REQUEST)
    page.watch.assert_clean()


def test_professional_referral_question_pages_with_the_keyboard_alone(page, app):
    answers = professional_answers()
    visit(page, "/refer/professional", "professional keyboard first page")

    def text_page(names: list[str], slug: str) -> None:
        tab_until(page, f"#{names[0]}", limit=8)
        page.keyboard.type(str(answers[names[0]]))
        for name in names[1:]:
            tab_and_type(page, f"#{name}", answers[name])
        tab_until(page, "form button.govuk-button", limit=6)  # past questions left empty (optional)
        press_and_arrive(page, "Enter", slug)

    def radio_page(name: str, slug: str) -> None:
        tab_until(page, f'input[name="{name}"]', limit=8)
        while not is_focused(page, f'[value="{answers[name]}"]'):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Space")
        tab(page, "form button.govuk-button")
        press_and_arrive(page, "Enter", slug)

    text_page(
        ["referrer_name", "referrer_job_title", "referrer_organisation", "referrer_email", "referrer_phone"],
        "keyboard child",
    )
    tab_until(page, "#child_name", limit=8)
    page.keyboard.type(str(answers["child_name"]))
    for part, box in zip(answers["child_date_of_birth"], ("day", "month", "year"), strict=True):
        tab_and_type(page, f"#child_date_of_birth-{box}", part)
    tab_and_type(page, "#school_or_setting", answers["school_or_setting"])
    tab(page, "form button.govuk-button")
    press_and_arrive(page, "Enter", "keyboard who to contact")
    radio_page("contact_through", "keyboard parent")
    text_page(["parent_carer_name"], "keyboard contact method")
    radio_page("preferred_contact", "keyboard contact details")
    text_page(["email", "phone"], "keyboard reason")
    text_page(["reason"], "keyboard consent")
    tab_until(page, 'input[name="consent_given_by"]', limit=8)
    page.keyboard.press("Space")
    for part, box in zip(answers["consent_given_on"], ("day", "month", "year"), strict=True):
        tab_and_type(page, f"#consent_given_on-{box}", part)
    tab(page, 'input[name="consent_method"]')
    while not is_focused(page, '[value="verbal"]'):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    tab(page, "#consent_confirmed")
    page.keyboard.press("Space")
    tab(page, "form button.govuk-button")
    press_and_arrive(page, "Enter", "keyboard check answers")
    assert_heading(page, CHECK_REFERRAL)

    tab_until(page, "#privacy_agreed", limit=40)
    page.keyboard.press("Space")
    tab(page, 'button[name="send"]')
    press_and_arrive(page, "Enter", "keyboard confirmation")
    reference = confirmed_reference(page, "professional")
    with app.app_context():
        assert Referral.query.one().reference == reference
    page.watch.assert_clean()


@pytest.mark.parametrize("name", list(JOURNEYS))
def test_the_question_pages_without_javascript(no_js_page, app, name):
    page = no_js_page
    path, answers, check_heading = JOURNEYS[name]
    visit(page, path, f"{name} without javascript")
    submit(page, f"{name} empty without javascript")
    assert page.title().startswith("Error: ") and error_links(page)
    answer_pages(page, answers(), f"{name} without javascript")
    assert_heading(page, check_heading)
    if name == "records":
        page.check("#declared")
        submit(page, "records sent without javascript", button="Confirm and send")
        with app.app_context():
            assert InformationRequest.query.count() == 1
    else:
        send_referral(page, name)
    page.watch.assert_clean()
