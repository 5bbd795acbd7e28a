"""The three public request journeys in the browser: a subject access request (/requests/records), a
Freedom of Information request (/requests/foi) and a data protection complaint (/requests/complaint),
each form → check your answers → confirmation.

The journeys are done with the keyboard alone, as in test_keyboard.py: every box gets its answer only
after Tab has brought the focus to it, so the tab order is tested too. The subject access journey is
done again with JavaScript switched off. axe-core checks every page and every error state, and the
error summaries are checked to take focus and to move it to the box at fault.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import InformationRequest
from portal.services.clock import long_date
from tests.browser.helpers import (
    Findings,
    arrive,
    asked_here,
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
from tests.journeys import complaint_answers, foi_answers, records_answers

CONTINUE = "form button.govuk-button"
RADIOS = {"acting_as", "preferred_contact", "identity_check"}
DATES = {"subject_date_of_birth"}
DECLARATION_MISSING = "Confirm that you are the person the records are about, or are entitled to ask for them"
NO_SUBJECT_NAME = "Enter the full name of the person whose records you want"
NO_EMAIL = "Enter an email address, or choose another way for us to contact you"
NO_PHONE = "Enter a telephone number, or choose another way for us to contact you"


@dataclass(frozen=True)
class Kind:
    name: str  # as in the URL
    title: str
    service_kind: str  # as the requests service names it
    prefix: str
    noun: str
    answers: Callable[..., dict[str, object]]
    # The questions in the order Tab reaches them.
    fields: tuple[str, ...]
    send_button: str
    # What an empty form lists in its error summary, in page order.
    empty_errors: tuple[tuple[str, str], ...]
    # Received at, and the due date the confirmation must then show.
    received: dt.datetime
    due: dt.date


RECORDS = Kind(
    name="records",
    title="Ask for a copy of your records",
    service_kind="sar",
    prefix="SAR",
    noun="request",
    answers=records_answers,
    # A parent asking for their child's records, over the question pages in turn.
    fields=(
        "acting_as",
        "subject_name",
        "subject_other_names",
        "subject_date_of_birth",
        "reference_given",
        "full_name",
        "preferred_contact",
        "email",
        "phone",
        "address_line_1",
        "address_line_2",
        "address_town",
        "postcode",
        "wanted",
        "identity_check",
    ),
    send_button="Confirm and send",
    # Its first question page, sent empty (each later page's: tests/browser/test_question_pages.py).
    empty_errors=(("#acting_as", "Select who is asking for the records"),),
    # Saturday 31 January: a month on has no 31st, and 28 February 2026 is a Saturday.
    received=dt.datetime(2026, 1, 31, 10, 0, tzinfo=dt.UTC),
    due=dt.date(2026, 3, 2),
)
FOI = Kind(
    name="foi",
    title="Make a Freedom of Information request",
    service_kind="foi",
    prefix="FOI",
    noun="request",
    answers=foi_answers,
    fields=(
        "wanted",
        "full_name",
        "email",
        "address_line_1",
        "address_line_2",
        "address_town",
        "postcode",
        "preferred_contact",
    ),
    send_button="Send request",
    empty_errors=(
        ("#wanted", "Enter the information you want"),
        ("#full_name", "Enter your full name"),
        ("#preferred_contact", "Select how you would like us to reply"),
    ),
    # 20 working days, not counting Christmas, Boxing Day, New Year's Day or Scotland's 4 January.
    received=dt.datetime(2026, 12, 18, 15, 30, tzinfo=dt.UTC),
    due=dt.date(2027, 1, 21),
)
COMPLAINT = Kind(
    name="complaint",
    title="Complain about how we handled your personal data",
    service_kind="complaint",
    prefix="DPC",
    noun="complaint",
    answers=complaint_answers,
    fields=(
        "full_name",
        "email",
        "phone",
        "address_line_1",
        "address_line_2",
        "address_town",
        "postcode",
        "preferred_contact",
        "reference_given",
        "complaint",
        "remedy_wanted",
    ),
    send_button="Send complaint",
    empty_errors=(
        ("#full_name", "Enter your full name"),
        ("#preferred_contact", "Select how you would like us to contact you"),
        ("#complaint", "Enter what went wrong"),
    ),
    received=dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC),
    due=dt.date(2026, 4, 9),
)
KINDS = {kind.name: kind for kind in (RECORDS, FOI, COMPLAINT)}


def check_heading(kind: Kind) -> str:
    return f"Check your answers before sending your {kind.noun}"


def received_at(time_machine, moment: dt.datetime) -> None:
    """Set the clock to the moment the request is sent (the live server runs in this process, so
    it reads the same clock); it ticks on from there, as the browser's waits expect."""
    time_machine.move_to(moment, tick=True)


def stored_requests(app) -> list[InformationRequest]:
    """Every request in the live server's database, detached so a test can read it afterwards."""
    with app.app_context():
        found = list(db.session.scalars(db.select(InformationRequest).order_by(InformationRequest.id)))
        db.session.expunge_all()
        db.session.remove()
    return found


# The keyboard --------------------------------------------------------------------------------------


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


def type_answers(page, kind: Kind, answers: dict[str, object]) -> None:
    """From the box before the first question, Tab through the page answering each question it asks,
    and stop on the Continue button."""
    for name in [name for name in kind.fields if asked_here(page, name, answers[name])]:
        value = answers[name]
        if name in DATES:
            for part, box in zip(value, ("day", "month", "year"), strict=True):
                tab_and_type(page, f"#{name}-{box}", part)
        elif name in RADIOS:
            choose_radio(page, name, str(value))
        else:
            tab_and_type(page, f"#{name}", value)
    tab_until(page, CONTINUE, limit=6)  # past any optional question left empty


def type_every_page(page, kind: Kind, answers: dict[str, object]) -> None:
    """Answer the page in view and each question page after it by the keyboard, to the check page."""
    type_answers(page, kind, answers)
    press_and_arrive(page, "Enter", f"{kind.name} next page")
    while "/check" not in page.url:
        tab_past_the_header(page)
        type_answers(page, kind, answers)
        press_and_arrive(page, "Enter", f"{kind.name} {page.url.split('/')[-1]}")


def tab_past_the_header(page) -> None:
    """A page just loaded: Tab reaches the skip link, the service name and the Back link."""
    assert is_focused(page, "body")
    tab(page, ".govuk-skip-link")
    tab(page, ".govuk-generic-header__homepage-link")
    tab(page, ".govuk-back-link")


def open_from_the_start_page(page, kind: Kind) -> None:
    """The journey starts where people find it: Tab to the start page's link, Enter."""
    page.goto("/")
    arrive(page, "start page")
    tab_until(page, f'main a[href="/requests/{kind.name}"]', limit=40)
    press_and_arrive(page, "Enter", f"{kind.name} form")
    if kind is not RECORDS:  # its first page is headed by its title, the others by their question
        assert_heading(page, kind.title)
    tab_past_the_header(page)
    if kind is FOI:
        # The question's hint sends anyone after their own records to the other form.
        tab(page, 'main a[href="/requests/records"]')


def assert_answers_kept(page, kind: Kind, answers: dict[str, object]) -> None:
    """The page shows every answer given to the questions it asks."""
    for name in [name for name in kind.fields if asked_here(page, name, answers[name])]:
        value = answers[name]
        if name in DATES:
            for part, box in zip(value, ("day", "month", "year"), strict=True):
                expect(page.locator(f"#{name}-{box}")).to_have_value(str(part))
        elif name in RADIOS:
            expect(page.locator(f'input[name="{name}"][value="{value}"]')).to_be_checked()
        else:
            expect(page.locator(f"#{name}")).to_have_value(str(value))


def change_an_answer(page, kind: Kind, field: str, wrong: str, right: str, javascript: bool = True) -> None:
    """On the check page: Tab to the question's Change link, Enter; its page comes back with every
    answer kept, the question in view (and, with JavaScript, focused); put it right and continue."""
    assert wrong in page.locator("main").inner_text()
    tab_until(page, f'a[href$="?return=check#{field}"]', limit=len(kind.fields) + 4)
    press_and_arrive(page, "Enter", f"{kind.name} form to change {field}")
    assert f"/requests/{kind.name}" in page.url and page.url.endswith(f"?return=check#{field}"), page.url
    assert_answers_kept(page, kind, {**kind.answers(), field: wrong})
    expect(page.locator(f"#{field}")).to_be_in_viewport()
    if javascript:
        # application.mjs puts the cursor in the question being changed.
        expect(page.locator(f"#{field}")).to_be_focused()
    else:
        # Without a script the fragment still moves the place Tab starts from to the question:
        # Shift+Tab back from the next box reaches it.
        page.keyboard.press("Tab")
        tab(page, f"#{field}", key="Shift+Tab")
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(right)
    tab_until(page, CONTINUE, limit=len(kind.fields) + 5)
    press_and_arrive(page, "Enter", f"{kind.name} check answers after change")
    assert_heading(page, check_heading(kind))
    summary = page.locator("main").inner_text()
    assert right in summary and wrong not in summary


def send_from_the_check_page(page, kind: Kind) -> None:
    """Tab past every Change link and the privacy notice link; tick the declaration (a subject
    access request's only) with Space; Enter on the send button."""
    changes = page.locator(".govuk-summary-list__actions a").count()
    target = "#declared" if kind is RECORDS else 'button[name="send"]'
    passed = tab_until(page, target, limit=changes + 6)
    assert len([element for element in passed if element.startswith('a "Change')]) == changes, passed
    assert any("privacy notice" in element for element in passed), passed
    if kind is RECORDS:
        page.keyboard.press("Space")
        expect(page.locator("#declared")).to_be_checked()
        tab(page, 'button[name="send"]')
    expect(page.locator('button[name="send"]')).to_have_text(kind.send_button)
    press_and_arrive(page, "Enter", f"{kind.name} confirmation")


def confirmed_reference(page, kind: Kind) -> str:
    """The confirmation panel's reference (checked for the journey's prefix) and the due date."""
    assert page.url.endswith(f"/requests/{kind.name}/confirmation"), page.url
    panel = page.locator(".govuk-panel")
    expect(panel.locator(".govuk-panel__title")).to_have_text(f"{kind.noun.capitalize()} sent")
    match = re.search(rf"\b{kind.prefix}-[0-9A-Z]{{4}}-[0-9A-Z]{{4}}\b", panel.inner_text())
    assert match, f"no {kind.prefix}- reference in the panel: {panel.inner_text()!r}"
    expect(panel.locator("strong")).to_have_text(match.group(0))
    # The due date stands out in its sentence (the page's other bold text is how to reach us).
    due = page.locator("main p strong", has_text=re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4}$"))
    expect(due).to_have_text(long_date(kind.due))
    return match.group(0)


def assert_stored(app, kind: Kind, reference: str) -> InformationRequest:
    [stored] = stored_requests(app)
    assert stored.reference == reference
    assert stored.kind == kind.service_kind
    assert stored.status == "open"
    assert stored.received_on == kind.received.date()
    assert stored.due_on == kind.due
    return stored


# Keyboard journeys ---------------------------------------------------------------------------------


def test_records_request_with_the_keyboard_alone(page, app, time_machine):
    received_at(time_machine, RECORDS.received)
    open_from_the_start_page(page, RECORDS)
    type_every_page(page, RECORDS, records_answers(subject_name="Sian Typo"))
    assert_heading(page, check_heading(RECORDS))
    summary = page.locator("main").inner_text()
    for answer in ("Zoë Ó Briain-Nakamura", "Siân Nakamura", "14 March 2010", "notes from the meeting", "BA1 1AA"):
        assert answer in summary
    assert stored_requests(app) == [], "nothing is stored before the person sends the request"

    change_an_answer(page, RECORDS, "subject_name", "Sian Typo", "Siân 李 Ó Briain")
    send_from_the_check_page(page, RECORDS)
    reference = confirmed_reference(page, RECORDS)

    stored = assert_stored(app, RECORDS, reference)
    assert (stored.acting_as, stored.subject_name) == ("parent_carer", "Siân 李 Ó Briain")
    assert stored.subject_date_of_birth == dt.date(2010, 3, 14)
    assert stored.details == "Everything you hold about my daughter,\nincluding notes from the meeting in March 2026."
    assert (stored.reply_by, stored.postcode, stored.identity_check) == ("letter", "BA1 1AA", "documents")
    page.watch.assert_clean()


def test_foi_request_with_the_keyboard_alone(page, app, time_machine):
    received_at(time_machine, FOI.received)
    open_from_the_start_page(page, FOI)
    type_answers(page, FOI, foi_answers(full_name="Morgan Reyez"))
    press_and_arrive(page, "Enter", "foi check answers")
    assert_heading(page, check_heading(FOI))
    assert "How many families did the service support in 2025" in page.locator("main").inner_text()
    expect(page.locator("#declared")).to_have_count(0)

    change_an_answer(page, FOI, "full_name", "Morgan Reyez", "Morgan Reyes")
    send_from_the_check_page(page, FOI)
    reference = confirmed_reference(page, FOI)

    stored = assert_stored(app, FOI, reference)
    assert (stored.requester_name, stored.reply_by, stored.email) == (
        "Morgan Reyes",
        "email",
        "morgan.reyes@example.net",
    )
    assert stored.phone is None
    page.watch.assert_clean()


def test_complaint_with_the_keyboard_alone(page, app, time_machine):
    received_at(time_machine, COMPLAINT.received)
    open_from_the_start_page(page, COMPLAINT)
    type_answers(page, COMPLAINT, complaint_answers(remedy_wanted="Update my adress."))
    press_and_arrive(page, "Enter", "complaint check answers")
    assert_heading(page, check_heading(COMPLAINT))
    assert "sent to my old address" in page.locator("main").inner_text()

    change_an_answer(page, COMPLAINT, "remedy_wanted", "Update my adress.", "Update my address.")
    send_from_the_check_page(page, COMPLAINT)
    reference = confirmed_reference(page, COMPLAINT)

    stored = assert_stored(app, COMPLAINT, reference)
    assert stored.remedy_wanted == "Update my address."
    assert stored.details == "A letter about my son's exclusion was sent to my old address."
    assert (stored.reply_by, stored.phone) == ("phone", "07700 900123")
    page.watch.assert_clean()


def test_records_request_without_javascript(no_js_page, app, time_machine):
    """With JavaScript off: the error summaries still link to the questions, Change still returns to
    the question, the declaration is still required, and the request is sent."""
    page = no_js_page
    received_at(time_machine, RECORDS.received)
    open_from_the_start_page(page, RECORDS)
    assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")

    # Sent empty first: the errors come back without a script.
    tab_until(page, CONTINUE, limit=len(RECORDS.fields) + 5)
    press_and_arrive(page, "Enter", "records errors")
    assert page.title().startswith("Error: ")
    assert tuple(error_links(page)) == RECORDS.empty_errors
    expect(page.locator(".govuk-error-summary")).not_to_be_focused()
    expect(page.locator(".govuk-error-message")).to_have_count(len(RECORDS.empty_errors))

    page.goto("/requests/records")
    arrive(page, "records form again")
    tab_past_the_header(page)
    type_every_page(page, RECORDS, records_answers(subject_name="Sian Typo"))
    assert_heading(page, check_heading(RECORDS))
    change_an_answer(page, RECORDS, "subject_name", "Sian Typo", "Siân 李 Ó Briain", javascript=False)

    # "Confirm and send" without the declaration: refused, with the error at the box.
    tab_until(page, 'button[name="send"]', limit=len(RECORDS.fields) + 4)
    press_and_arrive(page, "Enter", "records check without the declaration")
    assert page.title().startswith("Error: ")
    assert error_links(page) == [("#declared", DECLARATION_MISSING)]
    expect(page.locator("#declared-error")).to_contain_text(DECLARATION_MISSING)
    assert stored_requests(app) == []

    send_from_the_check_page(page, RECORDS)
    reference = confirmed_reference(page, RECORDS)
    stored = assert_stored(app, RECORDS, reference)
    assert stored.subject_name == "Siân 李 Ó Briain"
    page.watch.assert_clean()


# Error summaries (JavaScript on) --------------------------------------------------------------------


def follow_error_links(page, expected: tuple[tuple[str, str], ...]) -> None:
    """The error summary has focus and lists ``expected``; each link moves the focus to its box."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    assert tuple(error_links(page)) == expected
    wrong = {}
    for href, _ in expected:
        page.locator(f'.govuk-error-summary__list a[href="{href}"]').click()
        if not is_focused(page, href):
            wrong[href] = focused(page)
    assert not wrong, f"error links that left the focus elsewhere (link: focused): {wrong}"


@pytest.mark.parametrize("name", KINDS)
def test_an_empty_form_has_an_error_summary_that_leads_to_each_question(page, name):
    kind = KINDS[name]
    visit(page, f"/requests/{name}", f"{name} form")
    submit(page, f"{name} errors")
    follow_error_links(page, kind.empty_errors)
    page.watch.assert_clean()


def test_records_check_page_refuses_to_send_without_the_declaration(page, app):
    visit(page, "/requests/records", "records form")
    through_the_pages(page, "records", records_answers())
    submit(page, "records check without the declaration", button=RECORDS.send_button)
    assert_heading(page, check_heading(RECORDS))
    follow_error_links(page, (("#declared", DECLARATION_MISSING),))
    expect(page.locator("#declared-error")).to_contain_text(DECLARATION_MISSING)
    assert stored_requests(app) == []
    # The box is where the link left the focus: tick it and send.
    page.keyboard.press("Space")
    submit(page, "records confirmation", button=RECORDS.send_button)
    confirmed = re.search(r"SAR-[0-9A-Z]{4}-[0-9A-Z]{4}", page.locator(".govuk-panel").inner_text())
    assert confirmed and [stored.reference for stored in stored_requests(app)] == [confirmed.group(0)]
    page.watch.assert_clean()


# axe-core on every page -----------------------------------------------------------------------------


def fill_answers(page, answers: dict[str, object]) -> None:
    """Fill the questions of the request page in view the quick way, for the tests that are not
    about the keyboard."""
    for name, value in answers.items():
        if name == "website" or not asked_here(page, name, value):
            continue
        if name in DATES:
            for part, box in zip(value, ("day", "month", "year"), strict=True):
                page.fill(f"#{name}-{box}", str(part))
        elif name in RADIOS:
            if value:
                page.check(f'input[name="{name}"][value="{value}"]')
        elif page.locator(f"#{name}").count():
            page.fill(f"#{name}", str(value))


def through_the_pages(page, name: str, answers: dict[str, object]) -> None:
    """Answer each question page in turn, to the check page, or to the first page refusing them."""
    while True:
        fill_answers(page, answers)
        submit(page, f"{name} after {page.url.split('/')[-1]}")
        if "/check" in page.url or page.locator(".govuk-error-summary").count():
            return


# The error states each form can show besides the empty form: (label, answers changed, error links).
ERROR_STATES = {
    "records": [
        (
            "someone else's records without their name",
            {"acting_as": "parent_carer", "subject_name": ""},
            [("#subject_name", NO_SUBJECT_NAME)],
        ),
        (
            "acting with authority without saying how",
            {"acting_as": "authorised", "authority": ""},
            [("#authority", "Tell us how you are entitled to act for them, for example a lasting power of attorney")],
        ),
        (
            "reply by email without an email address",
            {"preferred_contact": "email", "email": ""},
            [("#email", NO_EMAIL)],
        ),
        (
            "an impossible date of birth and a wrong reference",
            {"subject_date_of_birth": ["31", "2", "2010"], "reference_given": "not a reference"},
            [
                ("#subject_date_of_birth-day", "Date of birth must be a real date"),
                (
                    "#reference_given",
                    "Enter a reference in the format SPS-7K3Q-9XM2: SPS then 8 letters and numbers",
                ),
            ],
        ),
    ],
    "foi": [
        (
            "reply by email without an email address",
            {"preferred_contact": "email", "email": ""},
            [("#email", NO_EMAIL)],
        ),
        (
            "reply by post without an address",
            {"preferred_contact": "letter"},
            [("#address_line_1", "Enter an address and postcode, or choose another way for us to contact you")],
        ),
    ],
    "complaint": [
        (
            "reply by email without an email address",
            {"preferred_contact": "email", "email": ""},
            [("#email", NO_EMAIL)],
        ),
        ("contact by phone without a number", {"phone": ""}, [("#phone", NO_PHONE)]),
    ],
}


@pytest.mark.parametrize("name", KINDS)
def test_every_page_of_the_journey_has_no_axe_violations(page, app, name):
    """The form; empty, and in each error state; the check page (and, for a subject access request,
    the check page refusing to send without the declaration); the confirmation."""
    kind = KINDS[name]
    findings = Findings(page)
    findings.visit_and_check(f"/requests/{name}", f"{name} form")

    submit(page, f"{name} form empty")
    assert tuple(error_links(page)) == kind.empty_errors
    findings.check(f"{name} form submitted empty")

    for label, changes, expected in ERROR_STATES[name]:
        visit(page, f"/requests/{name}", f"{name} form for {label}")
        through_the_pages(page, name, kind.answers(**changes))
        assert error_links(page) == expected, label
        # Each message is shown by its box too.
        expect(page.locator(".govuk-error-message")).to_have_count(len(expected))
        findings.check(f"{name} form: {label}")

    visit(page, f"/requests/{name}", f"{name} form to send")
    through_the_pages(page, name, kind.answers())
    assert_heading(page, check_heading(kind))
    findings.check(f"{name} check answers")

    if kind is RECORDS:
        submit(page, f"{name} check without the declaration", button=kind.send_button)
        assert error_links(page) == [("#declared", DECLARATION_MISSING)]
        findings.check(f"{name} check answers sent without the declaration")
        page.check("#declared")

    submit(page, f"{name} confirmation", button=kind.send_button)
    expect(page.locator(".govuk-panel__title")).to_have_text(f"{kind.noun.capitalize()} sent")
    findings.check(f"{name} confirmation")
    assert len(stored_requests(app)) == 1
    findings.assert_none()
    page.watch.assert_clean()


@pytest.mark.parametrize("path", ["/", "/privacy"], ids=["start", "privacy"])
def test_pages_linking_to_the_request_forms_have_no_axe_violations(page, path):
    findings = Findings(page, open_details=True)
    findings.visit_and_check(path, path.strip("/") or "start")
    for kind in KINDS.values():
        link = page.locator(f'main a[href="/requests/{kind.name}"]')
        expect(link).to_have_count(1)
        expect(link).to_be_visible()
    findings.assert_none()
    page.watch.assert_clean()
