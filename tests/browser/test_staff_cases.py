"""Casework in a real browser, through the case's pages (overview, timeline, consent and
disclosures) and a page for each action: a caseworker takes a referral to a case and records
consent, disclosures in two steps, a consent review, notes and the case's closure after checking
it, each confirmed by a banner; the same by keyboard alone without JavaScript; two people editing
one note at once meet the conflict page and lose nothing; a volunteer sees only their own case and
none of the decisions, and is offered no print summary; and axe-core finds nothing on any casework
page, in any state, for any role."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask

from portal.extensions import db
from portal.models import Case, Referral
from portal.models.cases import CaseNote
from portal.services import casework, clock, triage
from portal.services.audit import Actor
from portal.services.clock import add_months, london_today
from portal.services.consent import CaseConsent, record_case_consent
from portal.services.disclosures import DisclosureRequest, named_parties, record_disclosure
from portal.services.validation import add_years
from tests.browser.conftest import SCREENSHOTS, TIMEOUT_MS
from tests.browser.helpers import (
    Findings,
    PageWatch,
    Screenshots,
    assert_heading,
    error_links,
    press_and_arrive,
    tab_until,
    visit,
)
from tests.browser.staff_helpers import (
    Made,
    error_summary_text,
    fill_date,
    notification,
    sign_in,
    sign_out,
    submit_public_referral,
    summary_value,
)
from tests.staff import make_staff

SCHOOL = "Riverside Primary School"
CHILD = "Siân 李 Ó Briain"
WHERE = "192.0.2.44"
NO_PARTY = "Choose a third party named in the family's consent"
NO_JUSTIFICATION = "Explain why the law requires or allows sharing without consent"
CONFLICT = "Someone else saved a change first"
# Words a print, export or download control would carry (volunteers may do none of these).
OFF_LIMITS = re.compile(r"print|export|download|csv|spreadsheet|pdf", re.IGNORECASE)


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


# Casework made straight in the database (quicker than the browser, for tests about other things)


def _actor(user) -> Actor:
    return Actor(user.id, WHERE, clock.now())


def open_case_in_database(app: Flask, made: Made, opener, assignee=None) -> int:
    """Accept the referral as ``opener`` would; returns the new case's id."""
    with app.app_context():
        referral = db.session.get(Referral, made.id)
        case = triage.accept(referral, _actor(opener), london_today(), app.config["CONSENT_REVIEW_MONTHS"])
        if assignee is not None:
            case.assigned_to_id = assignee.id
            db.session.commit()
        case_id = case.id
        db.session.remove()
    return case_id


def make_review_overdue(app: Flask, case_id: int) -> dt.date:
    due = london_today() - dt.timedelta(days=10)
    with app.app_context():
        db.session.get(Case, case_id).consent_review_due = due
        db.session.commit()
        db.session.remove()
    return due


def consent_and_disclosure_in_database(app: Flask, case_id: int, caseworker) -> None:
    today = london_today()
    with app.app_context():
        case = db.session.get(Case, case_id)
        consent = CaseConsent("parent_carer", today - dt.timedelta(days=7), "written", True, [SCHOOL])
        record_case_consent(case, consent, None, _actor(caseworker), today, app.config["CONSENT_REVIEW_MONTHS"])
        [school] = named_parties(case)
        shared = DisclosureRequest(today, "The draft EHC plan.", "consent", consent_party_id=school.id)
        record_disclosure(case, shared, _actor(caseworker), today)
        db.session.remove()


def note_in_database(app: Flask, case_id: int, author, text: str) -> int:
    with app.app_context():
        note = casework.add_note(db.session.get(Case, case_id), text, _actor(author))
        note_id = note.id
        db.session.remove()
    return note_id


def edit_note_in_database(app: Flask, case_id: int, note_id: int, editor, text: str) -> None:
    """A colleague's save, made while the browser has the note open."""
    with app.app_context():
        note = casework.note_on(db.session.get(Case, case_id), note_id)
        casework.edit_note(note, text, note.version, _actor(editor))
        db.session.remove()


def close_in_database(app: Flask, case_id: int, caseworker) -> None:
    today = london_today()
    with app.app_context():
        casework.close(
            db.session.get(Case, case_id), "Advice given; no further action.", today, _actor(caseworker), today
        )
        db.session.remove()


# Driving the case's pages ------------------------------------------------------------------------


def press(page, scope, button: str, slug: str) -> int:
    """Press a form's button and wait for the page it brings; returns the HTTP status."""
    with page.expect_navigation(wait_until="load") as navigation:
        scope.get_by_role("button", name=button, exact=True).click()
    page.shots.take(slug)
    return navigation.value.status


def follow(page, name: str, slug: str) -> None:
    """Follow the link in the page's main part whose text is ``name``."""
    with page.expect_navigation(wait_until="load"):
        page.locator("main").get_by_role("link", name=name, exact=True).first.click()
    page.shots.take(slug)


def error_links_that_lead_nowhere(page) -> list[str]:
    """Error summary links whose target is not a visible form field (GOV.UK: each link takes
    the person to the field to correct), with what is wrong with each."""
    wrong = []
    for href, text in error_links(page):
        target = page.locator(f"[id='{href.removeprefix('#')}']")
        if target.count() != 1:
            wrong.append(f"{href} ({text}): {target.count()} elements have that id")
            continue
        tag = target.evaluate("element => element.tagName.toLowerCase()")
        if tag not in ("input", "select", "textarea"):
            wrong.append(f"{href} ({text}): leads to a <{tag}>, not a form field")
        elif not target.is_visible():
            wrong.append(f"{href} ({text}): the field is hidden")
    messages = page.locator(".govuk-error-message")
    for index in range(messages.count()):
        if not messages.nth(index).is_visible():
            wrong.append(f"error message not in view: {' '.join((messages.nth(index).text_content() or '').split())}")
    return wrong


def card_value(card, key: str) -> str:
    """The value beside ``key`` in a summary card."""
    row = card.locator(".govuk-summary-list__row").filter(
        has=card.page.locator(".govuk-summary-list__key", has_text=key)
    )
    return " ".join(row.locator(".govuk-summary-list__value").inner_text().split())


def timeline(page) -> list[str]:
    return [" ".join(text.split()) for text in page.locator("ol.sps-timeline > li").all_inner_texts()]


def note_entry(page, note_id: int):
    return page.locator(f"li#note-{note_id}")


def open_note_editor(page, note_id: int, slug: str) -> None:
    """Follow a note's Edit link (on the timeline) to the page where it is edited."""
    link = note_entry(page, note_id).get_by_role("link", name=re.compile(r"^Edit the note of "))
    with page.expect_navigation(wait_until="load"):
        link.click()
    page.shots.take(slug)
    assert_heading(page, "Edit a note")
    assert page.url.endswith(f"/notes/{note_id}"), page.url


def open_case_page(page, case_id: int, slug: str, part: str = "") -> None:
    """One of the case's three pages: the overview (``part`` empty), ``/timeline`` or
    ``/consent-and-disclosures``."""
    response = visit(page, f"/staff/cases/{case_id}{part}", slug)
    assert response.status == 200, response.status


def note_ids(app: Flask, case_id: int) -> list[int]:
    with app.app_context():
        found = list(db.session.scalars(db.select(CaseNote.id).where(CaseNote.case_id == case_id)).all())
        db.session.remove()
    return found


# 1. A referral becomes a case, and the case's work is recorded -----------------------------------


def test_caseworker_takes_a_referral_to_a_case_and_works_it_to_closure(page, app):
    made = submit_public_referral(app, "self")
    make_staff(app, "manager", name="Mo Manager")
    sign_in(page, app, make_staff(app, "caseworker", name="Cass Caseworker"))
    today = london_today()
    months = app.config["CONSENT_REVIEW_MONTHS"]

    visit(page, f"/staff/referrals/{made.id}", "referral")
    press(page, page.locator("form[action$='/accept']"), "Accept and open a case", "referral accepted")
    if not re.search(r"/staff/cases/\d+$", page.url):
        with page.expect_navigation(wait_until="load"):
            page.get_by_role("link", name="Go to the case opened from this referral").click()
    page.shots.take("the new case: overview")
    opened = re.search(r"/staff/cases/(\d+)$", page.url)
    assert opened, page.url
    case_id = int(opened.group(1))
    assert_heading(page, CHILD)
    assert made.reference in page.locator(".govuk-caption-l").inner_text()
    assert "Autism and speech delay." in page.locator("main").inner_text()
    assert summary_value(page, "Status") == "Open"
    assert summary_value(page, "Next consent review").startswith(f"Due {long_date(add_months(today, months))}")

    # Consent, on its own page: a parent, two weeks ago, in writing, for contact details and the school.
    follow(page, "Consent and disclosures", "consent and disclosures: none yet")
    assert "No consent recorded on the case yet" in page.locator("main").inner_text()
    follow(page, "Record consent", "record consent")
    given_on = today - dt.timedelta(days=14)
    form = page.locator("main form")
    form.locator("input[name='given_by'][value='parent_carer']").check()
    fill_date(page, "given_on", given_on)
    form.locator("input[name='consent_method'][value='written']").check()
    form.locator("#keeps_contact_information").check()
    form.locator("#parties").fill(SCHOOL)
    assert press(page, form, "Record consent", "consent recorded") == 200
    assert page.url.endswith(f"/cases/{case_id}/consent-and-disclosures"), page.url
    assert notification(page).endswith("Consent recorded."), notification(page)
    card = page.locator(".govuk-summary-card", has_text=f"Consent given {long_date(given_on)}")
    assert "Current" in card.locator(".govuk-tag").inner_text()
    assert card_value(card, "Given by") == "Parent or carer"
    assert card_value(card, "How") == "In writing"
    assert card_value(card, "Keeping contact information") == "Yes"
    assert card_value(card, "May be shared with") == SCHOOL
    assert card.get_by_text("Child’s view sought").count() == 0  # the child is 11
    assert f"due {long_date(add_months(given_on, months))}" in page.locator("main").inner_text()

    # A disclosure in two steps: with the family's consent, then to the school they named.
    follow(page, "Record a disclosure", "disclosure: step 1")
    assert press(page, page.locator("main form"), "Continue", "disclosure: step 1 unanswered") == 400
    assert [href for href, _ in error_links(page)] == ["#route"], error_links(page)
    assert not error_links_that_lead_nowhere(page), error_links_that_lead_nowhere(page)
    page.locator("input[name='route'][value='with_consent']").check()
    assert press(page, page.locator("main form"), "Continue", "disclosure: with consent") == 200
    assert_heading(page, "Record a disclosure with the family’s consent")
    assert page.locator("#consent_party_id option").all_inner_texts() == ["Choose a named third party", SCHOOL]
    assert page.locator("input[name='basis']").count() == 0 and page.locator("#justification").count() == 0
    form = page.locator("main form")
    # To no one the family named: refused, and the summary says why.
    form.locator("#what_was_shared").fill("Her school reports.")
    fill_date(page, "disclosed_on", today)
    assert press(page, form, "Record disclosure", "disclosure to no named party") == 400
    assert page.title().startswith("Error: ")
    assert [href for href, _ in error_links(page)] == ["#consent_party_id"], error_links(page)
    assert NO_PARTY in error_summary_text(page)
    assert page.locator("#what_was_shared").input_value() == "Her school reports."
    form = page.locator("main form")
    form.locator("#consent_party_id").select_option(label=SCHOOL)
    form.locator("#what_was_shared").fill("Siân's communication passport, for her new teacher.")
    assert press(page, form, "Record disclosure", "disclosure to the school") == 200
    assert f"Disclosure to {SCHOOL} recorded." in notification(page), notification(page)
    assert f"shared with {SCHOOL} on the basis of the family's consent" in page.locator("main").inner_text()

    # Without consent and without a justification: what is missing is said, nothing recorded.
    follow(page, "Record a disclosure", "disclosure: step 1 again")
    page.locator("input[name='route'][value='without_consent']").check()
    assert press(page, page.locator("main form"), "Continue", "disclosure: without consent") == 200
    assert_heading(page, "Record a disclosure without consent")
    assert page.locator("input[name='basis'][value='consent']").count() == 0
    form = page.locator("main form")
    form.locator("input[name='basis'][value='child_protection']").check()
    form.locator("#recipient").fill("Children's Social Care")
    form.locator("#what_was_shared").fill("The family's address.")
    fill_date(page, "disclosed_on", today)
    assert press(page, form, "Record disclosure", "safeguarding without justification") == 400
    assert [href for href, _ in error_links(page)] == ["#justification"], error_links(page)
    assert NO_JUSTIFICATION in error_summary_text(page)
    assert page.locator("input[name='basis'][value='child_protection']").is_checked(), "the basis was lost"
    assert page.locator("#recipient").input_value() == "Children's Social Care"

    # A consent review, confirmed: the next one falls due six months on.
    visit(page, f"/staff/cases/{case_id}/consent-and-disclosures", "back to consent")
    follow(page, "Record a consent review", "consent review")
    form = page.locator("main form")
    fill_date(page, "reviewed_on", today)
    form.locator("input[name='outcome'][value='confirmed']").check()
    assert press(page, form, "Record review", "consent review recorded") == 200
    next_due = long_date(add_months(today, months))
    assert notification(page).endswith(f"Consent review recorded. The next review is due {next_due}.")

    # A note, on the timeline with the time it was written; then an edit to it.
    follow(page, "Timeline", "timeline")
    follow(page, "Add a note", "add a note")
    page.locator("#note").fill("Met Zoë at school.\nSiân is settling in.")
    assert press(page, page.locator("main form"), "Add note", "note added") == 200
    assert page.url.endswith(f"/cases/{case_id}/timeline"), page.url
    assert notification(page).endswith("Note added to the timeline.")
    first = timeline(page)[0]
    assert first.startswith(f"Note, {long_date(today)}"), first
    assert re.search(rf"Written {long_date(today)}, \d{{1,2}}:\d\d[ap]m by Cass Caseworker", first), first
    [note_id] = note_ids(app, case_id)
    entry = note_entry(page, note_id)
    assert entry.locator("p.sps-preserve-lines").inner_text() == "Met Zoë at school.\nSiân is settling in."
    open_note_editor(page, note_id, "editing the note")
    too_long = "Met Zoë and Siân at school. " + "Notes from the visit. " * 240
    page.locator("#note").fill(too_long)
    assert press(page, page.locator("main form"), "Save note", "note edit too long") == 400
    assert "5,000 characters or fewer" in error_summary_text(page)
    assert not error_links_that_lead_nowhere(page), error_links_that_lead_nowhere(page)
    assert page.locator("#note").input_value().strip() == too_long.strip(), "what was typed was lost"
    page.locator("#note").fill("Met Zoë and Siân at school.\nSiân is settling in well.")
    assert press(page, page.locator("main form"), "Save note", "note edited") == 200
    assert notification(page).endswith("Note saved. Its earlier text is kept.")
    entry = note_entry(page, note_id)
    assert "(version 2)" in entry.inner_text()
    assert entry.get_by_text("Earlier versions").count() == 0  # for managers only

    # The timeline filtered by kind through its form: only the notes.
    page.locator("input[name='kind'][value='note']").check()
    assert press(page, page.locator("main form[method='get']"), "Show these", "timeline: notes only") == 200
    assert "kind=note" in page.url, page.url
    assert [entry.split(",")[0] for entry in timeline(page)] == ["Note"]
    assert page.locator("input[name='kind'][value='note']").is_checked()

    # Closing asks first, showing the outcome and date; only then is the case closed.
    visit(page, f"/staff/cases/{case_id}", "overview before closing")
    follow(page, "Close the case", "close the case")
    page.locator("#case_outcome").fill("EHC needs assessment agreed. Family happy to close.")
    fill_date(page, "closed_on", today)
    assert press(page, page.locator("main form"), "Continue", "close: are you sure") == 200
    assert_heading(page, "Are you sure you want to close this case?")
    years = app.config["RETENTION_YEARS"]
    destroyed = long_date(add_years(today, years))
    assert summary_value(page, "Outcome") == "EHC needs assessment agreed. Family happy to close."
    assert summary_value(page, "Date closed") == long_date(today)
    assert summary_value(page, "Records destroyed on") == destroyed
    confirm = page.locator("form[action$='/close/confirm']")
    assert press(page, confirm, "Close the case", "case closed") == 200
    assert notification(page).endswith(f"Case closed. Its records are due for destruction on {destroyed}.")
    assert summary_value(page, "Status") == f"Closed, closed on {long_date(today)}"
    warning = " ".join(page.locator(".govuk-warning-text").inner_text().split())
    assert f"due for destruction on {destroyed}" in warning, warning
    assert summary_value(page, "Next consent review") == "Not due (case closed)"
    for gone in ("Add a note", "Record consent", "Record a disclosure", "Close the case"):
        assert page.locator("main").get_by_role("link", name=gone, exact=True).count() == 0, gone
    response = visit(page, f"/staff/cases/{case_id}/notes/{note_id}", "editing a note of a closed case")
    assert response.status == 404, response.status

    visit(page, f"/staff/cases/{case_id}", "back to the closed case")
    follow(page, "Reopen the case", "reopen")
    assert f"destroyed on {destroyed}" in page.locator("main").inner_text()
    assert press(page, page.locator("main form"), "Reopen case", "case reopened") == 200
    assert notification(page).startswith("Success Case reopened.") or "Case reopened." in notification(page)
    assert summary_value(page, "Status") == "Open"
    assert page.locator(".govuk-warning-text").count() == 0
    page.watch.assert_clean()


# 2. By keyboard alone, without JavaScript --------------------------------------------------------


def test_the_case_pages_work_by_keyboard_without_javascript(no_js_page, app):
    page = no_js_page
    made = submit_public_referral(app, "self")
    caseworker = make_staff(app, "caseworker", name="Kim Keys")
    case_id = open_case_in_database(app, made, caseworker)
    consent_and_disclosure_in_database(app, case_id, caseworker)
    sign_in(page, app, caseworker)
    today = london_today()
    open_case_page(page, case_id, "keyboard: overview")

    # To the timeline by its link, then a note through its own page.
    tab_until(page, f"main a[href='/staff/cases/{case_id}/timeline']", limit=40)
    press_and_arrive(page, "Enter", "keyboard: timeline")
    assert_heading(page, "Timeline")
    tab_until(page, f"main a[href='/staff/cases/{case_id}/notes']", limit=40)
    press_and_arrive(page, "Enter", "keyboard: add a note")
    tab_until(page, "#note", limit=40)
    page.keyboard.type("Spoke to Zoë by phone.")
    tab_until(page, "main form button", limit=5)
    press_and_arrive(page, "Enter", "keyboard: note added")
    assert "Note added to the timeline." in notification(page)
    assert "Spoke to Zoë by phone." in timeline(page)[0]

    # The timeline's filter: a checkbox chosen with Space, sent with Enter.
    tab_until(page, "input[name='kind'][value='contact']", limit=40)
    page.keyboard.press("Space")
    tab_until(page, "main form[method='get'] button", limit=10)
    press_and_arrive(page, "Enter", "keyboard: timeline filtered")
    assert "kind=contact" in page.url and timeline(page) == ["Nothing on the timeline to show."]

    # A disclosure in two steps: the first radio chosen with Space, on to the form for it.
    visit(page, f"/staff/cases/{case_id}/disclosures/new", "keyboard: disclosure step 1")
    tab_until(page, "input[name='route'][value='with_consent']", limit=40)
    page.keyboard.press("Space")
    tab_until(page, "main form button", limit=5)
    press_and_arrive(page, "Enter", "keyboard: disclosure step 2")
    assert_heading(page, "Record a disclosure with the family’s consent")
    tab_until(page, "#consent_party_id", limit=40)
    page.keyboard.press("ArrowDown")  # a closed select changes its choice with the arrow keys
    tab_until(page, "#what_was_shared", limit=5)
    page.keyboard.type("Her one-page profile.")
    for box, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        tab_until(page, f"#disclosed_on-{box}", limit=3)
        page.keyboard.type(str(value))
    tab_until(page, "main form button", limit=5)
    press_and_arrive(page, "Enter", "keyboard: disclosure recorded")
    assert f"Disclosure to {SCHOOL} recorded." in notification(page), notification(page)

    # Closing: the form, the check page, then the button that closes.
    visit(page, f"/staff/cases/{case_id}/close", "keyboard: close")
    tab_until(page, "#case_outcome", limit=40)
    page.keyboard.type("Advice given.")
    for box, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        tab_until(page, f"#closed_on-{box}", limit=3)
        page.keyboard.type(str(value))
    tab_until(page, "main form button", limit=5)
    press_and_arrive(page, "Enter", "keyboard: close check")
    assert_heading(page, "Are you sure you want to close this case?")
    tab_until(page, "form[action$='/close/confirm'] button", limit=40)
    press_and_arrive(page, "Enter", "keyboard: closed")
    assert "Case closed." in notification(page)
    page.watch.assert_clean()


# 3. Two people save the same note ----------------------------------------------------------------


@pytest.fixture
def second_page(browser, live_server: str, request: pytest.FixtureRequest):
    """A second person's browser: its own context (so its own session), screenshots in a
    folder of their own inside the test's."""
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 1024, "height": 768},
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        other = context.new_page()
        other.javascript = True
        other.watch = PageWatch(other)
        other.shots = Screenshots(
            other, SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-") / "second-person"
        )
        yield other
        other.shots.take_if_missed()
    finally:
        context.close()


def test_two_caseworkers_saving_one_note_lose_nothing(page, second_page, app):
    made = submit_public_referral(app, "self")
    first = make_staff(app, "caseworker", name="Ayesha First")
    second = make_staff(app, "caseworker", name="Ben Second")
    case_id = open_case_in_database(app, made, first)
    original = "Called Zoë: wants advice on the EHC needs assessment."
    note_id = note_in_database(app, case_id, first, original)
    ayesha, ben = page, second_page
    sign_in(ayesha, app, first)
    sign_in(ben, app, second)

    typed = {
        ayesha: "Called Zoë: wants advice on the EHC needs assessment. Sent the leaflet.",
        ben: "Called Zoë (mum): wants advice on the EHC needs assessment.\nCall back Tuesday after 3pm.",
    }
    for person in (ayesha, ben):
        open_case_page(person, case_id, "the timeline", "/timeline")
        open_note_editor(person, note_id, "editing the note")
        person.locator("#note").fill(typed[person])
        person.shots.take("typed")

    assert press(ayesha, ayesha.locator("main form"), "Save note", "first to save") == 200
    assert note_entry(ayesha, note_id).locator("p.sps-preserve-lines").inner_text() == typed[ayesha]

    assert press(ben, ben.locator("main form"), "Save note", "second to save: conflict") == 409
    assert_heading(ben, CONFLICT)
    assert ben.title().startswith(CONFLICT), ben.title()
    body = " ".join(ben.locator("main").inner_text().split())
    assert "While you were editing, Ayesha First saved a change to this note." in body, body
    assert "Nothing has been overwritten." in body
    saved_now = ben.locator("h2:has-text('What is saved now') + .govuk-inset-text").inner_text()
    assert saved_now.strip() == typed[ayesha], saved_now
    assert ben.locator("#note").input_value() == typed[ben], "what they typed was not kept"
    assert ben.get_by_role("link", name="Back to the case, keeping what is saved now").count() == 1

    # Saving from the conflict page works: their text over what is saved now.
    assert press(ben, ben.locator("main form"), "Save my version", "saved from the conflict page") == 200
    assert ben.url.endswith(f"/cases/{case_id}/timeline"), ben.url
    entry = note_entry(ben, note_id)
    assert entry.locator("p.sps-preserve-lines").inner_text() == typed[ben]
    assert "(version 3)" in entry.inner_text()
    assert entry.get_by_text("Earlier versions").count() == 0

    # A manager can read every earlier version.
    sign_out(ayesha)
    sign_in(ayesha, app, make_staff(app, "manager", name="Mo Manager"))
    open_case_page(ayesha, case_id, "the timeline as a manager", "/timeline")
    earlier = note_entry(ayesha, note_id).locator("details.govuk-details")
    earlier.locator("summary").click()
    ayesha.shots.take("earlier versions")
    assert "Earlier versions (2)" in earlier.locator("summary").inner_text()
    texts = [text.strip() for text in earlier.locator("p.sps-preserve-lines").all_inner_texts()]
    assert texts == [typed[ayesha], original], texts  # newest first, as the timeline
    versions = earlier.locator("p.govuk-body-s").all_inner_texts()
    assert [version.split(",")[0] for version in versions] == ["Version 2", "Version 1"], versions
    ayesha.watch.assert_clean()
    ben.watch.assert_clean()


# 4. A volunteer's view of casework ---------------------------------------------------------------

DECISIONS = ("Record consent", "Record a disclosure", "Record a consent review", "Change the case’s details")
DECISIONS += ("Assign the case", "Close the case", "Reopen the case", "Print a summary of the case")


def assert_no_print_export_or_download(page) -> None:
    offered = page.evaluate(
        """() => [...document.querySelectorAll('a, button, input[type=submit], [role=button]')]
          .map(el => `${(el.innerText || el.value || '').trim()} ${el.getAttribute('href') || ''}`
                     + `${el.hasAttribute('download') ? ' [download]' : ''}`)"""
    )
    found = [text for text in offered if OFF_LIMITS.search(text) or "[download]" in text]
    assert not found, f"print, export or download offered to a volunteer at {page.url}: {found}"


def test_volunteer_sees_and_works_only_the_case_assigned_to_them(page, app):
    theirs_made = submit_public_referral(app, "self")
    other_made = submit_public_referral(app, "self", child_name="Another Child")
    caseworker = make_staff(app, "caseworker")
    volunteer = make_staff(app, "volunteer", name="Vic Volunteer")
    theirs = open_case_in_database(app, theirs_made, caseworker, assignee=volunteer)
    other = open_case_in_database(app, other_made, caseworker)
    sign_in(page, app, volunteer)
    assert_no_print_export_or_download(page)

    with page.expect_navigation(wait_until="load"):
        page.locator(".govuk-service-navigation").get_by_role("link", name="Cases", exact=True).click()
    page.shots.take("their cases")
    assert_heading(page, "Cases")
    listed = page.locator("table.govuk-table tbody").inner_text()
    assert theirs_made.reference in listed and other_made.reference not in listed, listed
    assert page.locator("#worker").count() == 0  # they do not filter by other people's work
    assert_no_print_export_or_download(page)

    # Someone else's case is not there for them, by address or by reference.
    for part in ("", "/timeline", "/consent-and-disclosures"):
        response = visit(page, f"/staff/cases/{other}{part}", f"someone else's case{part}")
        assert response.status == 404
        assert other_made.reference not in page.content()
    visit(page, f"/staff/cases?reference={other_made.reference}", "someone else's case by reference")
    assert "No case you can see came from a referral with that reference" in error_summary_text(page)

    open_case_page(page, theirs, "their case")
    assert_heading(page, CHILD)
    assert summary_value(page, "Worker") == "Vic Volunteer"
    for part in ("", "/timeline", "/consent-and-disclosures"):
        visit(page, f"/staff/cases/{theirs}{part}", f"their case{part}")
        for link in DECISIONS:
            assert page.locator("main").get_by_role("link", name=link, exact=True).count() == 0, (part, link)
        assert_no_print_export_or_download(page)
    assert visit(page, f"/staff/cases/{theirs}/print", "their case's print summary").status == 403

    open_case_page(page, theirs, "their timeline", "/timeline")
    follow(page, "Add a note", "add a note")
    page.locator("#note").fill("Phoned Zoë to arrange a home visit.")
    assert press(page, page.locator("main form"), "Add note", "note added") == 200
    follow(page, "Log a contact", "log a contact")
    fill_date(page, "occurred_on", london_today())
    page.locator("input[name='method'][value='meeting']").check()
    page.locator("input[name='direction'][value='outgoing']").check()
    page.locator("#summary").fill("Home visit: talked through the EHC needs assessment.")
    assert press(page, page.locator("main form"), "Log contact", "contact logged") == 200
    assert notification(page).endswith("Contact logged on the timeline.")
    entries = timeline(page)
    assert any(entry.startswith("Note,") and "Phoned Zoë to arrange a home visit." in entry for entry in entries)
    contact = next(entry for entry in entries if entry.startswith("Contact,"))
    assert "Meeting, to the family" in contact and "by Vic Volunteer" in contact, contact
    assert_no_print_export_or_download(page)
    [note_id] = note_ids(app, theirs)
    open_note_editor(page, note_id, "editing their note")
    assert_no_print_export_or_download(page)
    visit(page, f"/staff/cases/{theirs}", "back to their case")

    # Printing shows a refusal, not the case.
    page.emulate_media(media="print")
    assert page.locator(".sps-print-refusal").is_visible()
    assert not page.locator("main").is_visible()
    page.emulate_media(media="screen")
    page.watch.assert_clean()


def test_every_link_on_a_volunteers_case_pages_opens_for_them(page, app):
    made = submit_public_referral(app, "self")
    volunteer = make_staff(app, "volunteer")
    case_id = open_case_in_database(app, made, make_staff(app, "caseworker"), assignee=volunteer)
    sign_in(page, app, volunteer)
    broken = {}
    for part in ("", "/timeline", "/consent-and-disclosures"):
        open_case_page(page, case_id, f"their case{part}", part)
        hrefs = page.locator("main a[href^='/']").evaluate_all("links => links.map(link => link.getAttribute('href'))")
        for href in dict.fromkeys(hrefs):
            status = page.request.get(href).status
            if status >= 400:
                broken[href] = status
    assert not broken, f"links on the case's pages that a volunteer cannot open: {broken}"


def test_the_print_summary_prints_the_case_without_the_service_around_it(page, app):
    made = submit_public_referral(app, "self")
    caseworker = make_staff(app, "caseworker")
    case_id = open_case_in_database(app, made, caseworker)
    consent_and_disclosure_in_database(app, case_id, caseworker)
    note_in_database(app, case_id, caseworker, "First visit booked.")
    sign_in(page, app, caseworker)
    open_case_page(page, case_id, "overview")
    follow(page, "Print a summary of the case", "print summary")
    assert_heading(page, CHILD)
    assert "First visit booked." in page.locator("main").inner_text()
    page.emulate_media(media="print")
    page.shots.take("print summary as printed")
    assert page.locator("main h1").is_visible()
    for chrome in (".govuk-header", ".govuk-service-navigation", ".govuk-footer", ".govuk-back-link"):
        assert not page.locator(chrome).first.is_visible(), f"{chrome} is printed"
    page.emulate_media(media="screen")
    page.watch.assert_clean()


def test_the_case_overview_links_to_its_referral(page, app):
    made = submit_public_referral(app, "self")
    caseworker = make_staff(app, "caseworker")
    case_id = open_case_in_database(app, made, caseworker)
    sign_in(page, app, caseworker)
    open_case_page(page, case_id, "the case")
    link = page.locator("#details").get_by_role("link", name=made.reference)
    assert link.get_attribute("href") == f"/staff/referrals/{made.id}"


def test_an_empty_consent_withdrawal_comes_back_with_its_fields_and_errors_in_view(page, app):
    made = submit_public_referral(app, "self")
    caseworker = make_staff(app, "caseworker")
    case_id = open_case_in_database(app, made, caseworker)
    consent_and_disclosure_in_database(app, case_id, caseworker)
    sign_in(page, app, caseworker)
    open_case_page(page, case_id, "consent", "/consent-and-disclosures")
    follow(page, re.compile(r"^Record that this consent was withdrawn"), "withdrawal")
    assert press(page, page.locator("main form"), "Record withdrawal", "withdrawal sent empty") == 400
    assert error_links(page), "no error summary"
    wrong = error_links_that_lead_nowhere(page)
    assert not wrong, "; ".join(wrong)


# 5. axe-core on every casework page --------------------------------------------------------------


def empty_form_sent_back(page, path: str, button: str, label: str) -> None:
    """Open an action's page, send its form empty, and check it comes back with an error summary
    whose links lead to the fields."""
    visit(page, path, f"{label}: before")
    status = press(page, page.locator("main form").last, button, label)
    assert status == 400, f"{label}: {status}"
    assert page.title().startswith("Error: "), page.title()
    assert error_links(page), f"{label}: no error summary"
    wrong = error_links_that_lead_nowhere(page)
    assert not wrong, f"{label}: " + "; ".join(wrong)


@pytest.mark.parametrize("role", ["caseworker", "manager", "volunteer"])
def test_casework_pages_have_no_axe_violations(page, app, role):
    made = {state: submit_public_referral(app, "self") for state in ("new", "shared", "closed", "overdue")}
    caseworker = make_staff(app, "caseworker", name="Cass Caseworker")
    make_staff(app, "manager", name="Mo Manager")
    user = make_staff(app, role, name=f"Axe {role.title()}") if role != "caseworker" else caseworker
    assignee = user if role == "volunteer" else None
    cases = {state: open_case_in_database(app, made[state], caseworker, assignee) for state in made}
    make_review_overdue(app, cases["overdue"])
    consent_and_disclosure_in_database(app, cases["shared"], caseworker)
    note_id = note_in_database(app, cases["shared"], caseworker, "First visit booked.")
    edit_note_in_database(app, cases["shared"], note_id, caseworker, "First visit booked for Tuesday.")
    close_in_database(app, cases["closed"], caseworker)
    decides = role != "volunteer"
    sign_in(page, app, user)
    found = Findings(page, open_details=True)

    # The list, filtered to overdue reviews through the form.
    visit(page, "/staff/cases", f"{role} cases")
    page.select_option("#review", "overdue")
    press(page, page.locator("form", has=page.locator("#review")), "Apply filters", f"{role} cases overdue")
    assert "review=overdue" in page.url, page.url
    assert made["overdue"].reference in page.locator("table.govuk-table tbody").inner_text()
    found.check(f"{role} cases filtered to overdue reviews")

    for state, what in (("new", "new case"), ("overdue", "review overdue"), ("shared", "consent and a disclosure")):
        for part, name in (("", "overview"), ("/timeline", "timeline"), ("/consent-and-disclosures", "consent")):
            found.visit_and_check(f"/staff/cases/{cases[state]}{part}", f"{role} {what}: {name}")
    found.visit_and_check(f"/staff/cases/{cases['shared']}/timeline?kind=note", f"{role} timeline of notes")
    found.visit_and_check(f"/staff/cases/{cases['closed']}", f"{role} closed case")
    found.visit_and_check(f"/staff/cases/{cases['closed']}/timeline", f"{role} closed case: timeline")

    base = f"/staff/cases/{cases['new']}"
    if decides:
        for path, button, label in (
            ("/consent", "Record consent", "empty consent"),
            ("/reviews", "Record review", "empty review"),
            ("/disclosures/new", "Continue", "empty disclosure step 1"),
            ("/disclosures/new/without-consent", "Record disclosure", "empty disclosure without consent"),
            ("/details", "Save details", "details"),
            ("/assign", "Assign", "empty assignment"),
            ("/close", "Continue", "empty close form"),
        ):
            if label == "details":
                found.visit_and_check(base + path, f"{role} {label}")
                continue
            empty_form_sent_back(page, base + path, button, f"{role} {label}")
            found.check(f"{role} {label}")
        shared = f"/staff/cases/{cases['shared']}"
        empty_form_sent_back(
            page, f"{shared}/disclosures/new/with-consent", "Record disclosure", f"{role} empty disclosure with consent"
        )
        found.check(f"{role} empty disclosure with consent")
        visit(page, f"{shared}/consent-and-disclosures", f"{role} consent before withdrawal")
        follow(page, re.compile(r"^Record that this consent was withdrawn"), f"{role} withdrawal")
        found.check(f"{role} withdrawal form")
        found.visit_and_check(f"{base}/disclosures/new/with-consent", f"{role} disclosure with no consent to use")

        visit(page, f"{base}/close", f"{role} close")
        page.locator("#case_outcome").fill("Advice given.")
        fill_date(page, "closed_on", london_today())
        assert press(page, page.locator("main form"), "Continue", f"{role} close check") == 200
        found.check(f"{role} close check page")
        closed = f"/staff/cases/{cases['closed']}"
        found.visit_and_check(f"{closed}/reopen", f"{role} reopen")
        found.visit_and_check(f"{closed}/feedback-link", f"{role} feedback link")
        found.visit_and_check(f"{shared}/print", f"{role} print summary")
    else:
        found.visit_and_check(f"{base}/print", f"{role} print summary refused", status=403)
    empty_form_sent_back(page, f"{base}/notes", "Add note", f"{role} empty note")
    found.check(f"{role} empty note")
    empty_form_sent_back(page, f"{base}/contact", "Log contact", f"{role} empty contact")
    found.check(f"{role} empty contact")

    # The conflict page: a colleague saves the note while this person has it open.
    visit(page, f"/staff/cases/{cases['shared']}/timeline", f"{role} timeline with a note")
    open_note_editor(page, note_id, f"{role} editing a note")
    found.check(f"{role} note edit page")
    page.locator("#note").fill("")
    assert press(page, page.locator("main form"), "Save note", f"{role} note edit sent empty") == 400
    assert not error_links_that_lead_nowhere(page), error_links_that_lead_nowhere(page)
    found.check(f"{role} note edit page sent back empty")
    page.locator("#note").fill("First visit booked for Tuesday at 10am.")
    edit_note_in_database(app, cases["shared"], note_id, caseworker, "First visit moved to Wednesday.")
    assert press(page, page.locator("main form"), "Save note", f"{role} conflict") == 409
    assert_heading(page, CONFLICT)
    found.check(f"{role} conflict page")

    if decides:
        found.visit_and_check(f"/staff/cases/{cases['shared']}/disclosures", f"{role} disclosures list")
        assert SCHOOL in page.locator("table.govuk-table").inner_text()
        found.visit_and_check(f"/staff/cases/{cases['new']}/disclosures", f"{role} empty disclosures list")
    else:
        found.visit_and_check(
            f"/staff/cases/{cases['shared']}/disclosures", f"{role} disclosures list refused", status=403
        )
    found.assert_none()
    page.watch.assert_clean()


def test_dpo_sees_a_cases_disclosures_but_not_the_case(page, app):
    made = submit_public_referral(app, "self")
    caseworker = make_staff(app, "caseworker")
    case_id = open_case_in_database(app, made, caseworker)
    consent_and_disclosure_in_database(app, case_id, caseworker)
    sign_in(page, app, make_staff(app, "dpo", name="Dee Protection"))
    found = Findings(page, open_details=True)

    navigation = page.locator(".govuk-service-navigation")
    assert navigation.get_by_role("link", name="Cases", exact=True).count() == 0

    found.visit_and_check(f"/staff/cases/{case_id}/disclosures", "dpo disclosures list")
    assert page.locator("h1").inner_text() == "Disclosures"
    assert made.reference in page.locator(".govuk-caption-l").inner_text()
    rows = page.locator("table.govuk-table tbody tr").all_inner_texts()
    assert len(rows) == 1 and SCHOOL in rows[0] and "The family's consent" in rows[0], rows

    for part in ("", "/timeline", "/consent-and-disclosures", "/print"):
        found.visit_and_check(f"/staff/cases/{case_id}{part}", f"dpo case{part} refused", status=403)
        assert_heading(page, "You do not have permission to see this page")
        assert made.reference not in page.content()
    found.visit_and_check("/staff/cases", "dpo cases list refused", status=403)
    found.assert_none()
    page.watch.assert_clean()
