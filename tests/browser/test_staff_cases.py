"""Casework in a real browser: a caseworker takes a referral to a case and records consent,
disclosures, a consent review, notes and the case's closure; two people editing one note at once
meet the conflict page and lose nothing; a volunteer sees only their own case and none of the
decisions; and axe-core finds nothing on any casework page, in any state, for any role."""

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
    visit,
)
from tests.browser.staff_helpers import (
    Made,
    error_summary_text,
    fill_date,
    sign_in,
    sign_out,
    submit_public_referral,
    summary_value,
)
from tests.staff import make_staff

SCHOOL = "Riverside Primary School"
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


# Driving the case page ---------------------------------------------------------------------------


def expand(page, summary: str, within=None):
    """Open the govukDetails whose summary reads ``summary`` (unless open); returns the details."""
    scope = within or page
    details = scope.locator("details.govuk-details").filter(
        has=page.locator("summary", has_text=re.compile(rf"^\s*{re.escape(summary)}\s*$"))
    )
    assert details.count() == 1, f"{details.count()} details headed {summary!r} at {page.url}"
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def press(page, scope, button: str, slug: str) -> int:
    """Press a form's button and wait for the page it brings; returns the HTTP status."""
    with page.expect_navigation(wait_until="load") as navigation:
        scope.get_by_role("button", name=button, exact=True).click()
    page.shots.take(slug)
    return navigation.value.status


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
            wrong.append(f"{href} ({text}): the field is hidden (in a closed details?)")
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
    """Follow a note's Edit link to the page where it is edited."""
    link = note_entry(page, note_id).get_by_role("link", name=re.compile(r"^Edit the note of "))
    with page.expect_navigation(wait_until="load"):
        link.click()
    page.shots.take(slug)
    assert_heading(page, "Edit a note")
    assert page.url.endswith(f"/notes/{note_id}"), page.url


def open_case_page(page, case_id: int, reference: str, slug: str) -> None:
    response = visit(page, f"/staff/cases/{case_id}", slug)
    assert response.status == 200, response.status
    assert_heading(page, reference)


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
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Go to the case opened from this referral").click()
    page.shots.take("the new case")
    opened = re.search(r"/staff/cases/(\d+)$", page.url)
    assert opened, page.url
    case_id = int(opened.group(1))
    assert_heading(page, made.reference)
    assert summary_value(page, "Status") == "Open"
    assert summary_value(page, "Consent review") == f"Due {long_date(add_months(today, months))}"
    assert "No consent recorded on the case yet" in page.locator("main").inner_text()
    # Nothing can be shared on consent yet: the only choice is the empty one.
    expand(page, "Record a disclosure to a third party")
    assert page.locator("#consent_party_id option").all_inner_texts() == ["Choose a named third party"]

    # Consent: a parent, two weeks ago, in writing, for contact details and the school.
    given_on = today - dt.timedelta(days=14)
    form = expand(page, "Record consent").locator("form")
    form.locator("input[name='given_by'][value='parent_carer']").check()
    fill_date(page, "given_on", given_on)
    form.locator("input[name='consent_method'][value='written']").check()
    form.locator("#keeps_contact_information").check()
    form.locator("#parties").fill(SCHOOL)
    assert press(page, form, "Record consent", "consent recorded") == 200
    assert page.url.endswith("#consent"), page.url
    assert page.locator(".govuk-error-summary").count() == 0, error_summary_text(page)
    card = page.locator(".govuk-summary-card", has_text=f"Consent given {long_date(given_on)}")
    assert "Current" in card.locator(".govuk-tag").inner_text()
    assert card_value(card, "Given by") == "Parent or carer"
    assert card_value(card, "How") == "In writing"
    assert card_value(card, "Keeping contact information") == "Yes"
    assert card_value(card, "May be shared with") == SCHOOL
    assert card.get_by_text("Child’s view sought").count() == 0  # the child is 11
    assert summary_value(page, "Consent review") == f"Due {long_date(add_months(given_on, months))}"

    # A disclosure to the school the family named.
    form = expand(page, "Record a disclosure to a third party").locator("form")
    form.locator("input[name='basis'][value='consent']").check()
    form.locator("#consent_party_id").select_option(label=SCHOOL)
    form.locator("#what_was_shared").fill("Siân's communication passport, for her new teacher.")
    fill_date(page, "disclosed_on", today)
    assert press(page, form, "Record disclosure", "disclosure to the school") == 200
    assert page.url.endswith("#timeline"), page.url
    first = timeline(page)[0]
    assert first.startswith(f"Disclosure, {long_date(today)}"), first
    assert f"Shared with {SCHOOL} on the basis of the family's consent." in first, first
    assert "Siân's communication passport" in first

    # On consent, to no one the family named: refused, and the summary says why.
    form = expand(page, "Record a disclosure to a third party").locator("form")
    form.locator("input[name='basis'][value='consent']").check()
    assert form.locator("#consent_party_id").input_value() == ""
    form.locator("#what_was_shared").fill("Her school reports.")
    fill_date(page, "disclosed_on", today)
    assert press(page, form, "Record disclosure", "disclosure to no named party") == 400
    assert page.title().startswith("Error: ")
    assert [href for href, _ in error_links(page)] == ["#consent_party_id"], error_links(page)
    assert NO_PARTY in error_summary_text(page)
    assert NO_PARTY in page.locator("#consent_party_id-error").inner_text()
    assert expand(page, "Record a disclosure to a third party").get_attribute("open") is not None
    assert sum(entry.startswith("Disclosure,") for entry in timeline(page)) == 1

    # Safeguarding without a justification: what is missing is said, and nothing is recorded.
    form = expand(page, "Record a disclosure to a third party").locator("form")
    form.locator("input[name='basis'][value='child_protection']").check()
    form.locator("#consent_party_id").select_option("")
    form.locator("#recipient").fill("Children's Social Care")
    form.locator("#justification").fill("")
    form.locator("#what_was_shared").fill("The family's address.")
    fill_date(page, "disclosed_on", today)
    assert press(page, form, "Record disclosure", "safeguarding without justification") == 400
    assert [href for href, _ in error_links(page)] == ["#justification"], error_links(page)
    assert NO_JUSTIFICATION in error_summary_text(page)
    kept = page.locator("input[name='basis'][value='child_protection']").is_checked()
    assert kept, "the basis chosen was lost when the form came back"
    assert page.locator("#recipient").input_value() == "Children's Social Care"
    assert sum(entry.startswith("Disclosure,") for entry in timeline(page)) == 1

    # A consent review, confirmed: the next one falls due six months on.
    form = expand(page, "Record a consent review").locator("form")
    fill_date(page, "reviewed_on", today)
    form.locator("input[name='outcome'][value='confirmed']").check()
    assert press(page, form, "Record review", "consent review") == 200
    next_due = long_date(add_months(today, months))
    assert summary_value(page, "Consent review") == f"Due {next_due}"
    review = next(entry for entry in timeline(page) if entry.startswith("Review,"))
    assert f"Outcome: confirmed. Next review due {next_due}." in review, review

    # A note, then an edit to it.
    note_form = page.locator("form[action$='/notes']")
    note_form.locator("#note").fill("Met Zoë at school.\nSiân is settling in.")
    assert press(page, note_form, "Add note", "note added") == 200
    first = timeline(page)[0]
    assert first.startswith(f"Note, {long_date(today)}") and "Recorded by Cass Caseworker" in first, first
    [note_id] = note_ids(app, case_id)
    entry = note_entry(page, note_id)
    assert entry.locator("p.sps-preserve-lines").inner_text() == "Met Zoë at school.\nSiân is settling in."
    assert entry.get_by_role("link", name=f"Edit the note of {long_date(today)}").count() == 1
    open_note_editor(page, note_id, "editing the note")
    assert page.locator("#note").input_value() == "Met Zoë at school.\nSiân is settling in."
    # Too long: refused, and what was typed comes back to be shortened, not lost.
    too_long = "Met Zoë and Siân at school. " + "Notes from the visit. " * 240
    page.locator("#note").fill(too_long)
    assert press(page, page.locator("main form"), "Save note", "note edit too long") == 400
    assert page.title().startswith("Error: ")
    assert "5,000 characters or fewer" in error_summary_text(page)
    assert not error_links_that_lead_nowhere(page), error_links_that_lead_nowhere(page)
    assert page.locator("#note").input_value().strip() == too_long.strip(), "what was typed was lost"
    page.locator("#note").fill("Met Zoë and Siân at school.\nSiân is settling in well.")
    assert press(page, page.locator("main form"), "Save note", "note edited") == 200
    assert page.url.endswith(f"#note-{note_id}"), page.url
    entry = note_entry(page, note_id)
    assert (
        entry.locator("p.sps-preserve-lines").inner_text() == "Met Zoë and Siân at school.\nSiân is settling in well."
    )
    assert "(version 2)" in entry.inner_text()
    assert entry.get_by_text("Earlier versions").count() == 0  # for managers only

    # Closing: an outcome and today's date, and the destruction date three years on.
    close_form = page.locator("form[action$='/close']")
    close_form.locator("#case_outcome").fill("EHC needs assessment agreed. Family happy to close.")
    fill_date(page, "closed_on", today)
    assert press(page, close_form, "Close case", "case closed") == 200
    years = app.config["RETENTION_YEARS"]
    destroyed = long_date(add_years(today, years))
    assert summary_value(page, "Status") == f"Closed, closed on {long_date(today)}"
    warning = " ".join(page.locator(".govuk-warning-text").inner_text().split())
    assert f"due for destruction on {destroyed}" in warning, warning
    assert summary_value(page, "Consent review") == "Not due (case closed)"
    for gone in ("form[action$='/notes']", "form[action$='/consent']", "form[action$='/disclosures']"):
        assert page.locator(gone).count() == 0, f"{gone} is still offered on a closed case"
    assert f"destroyed on {destroyed}" in page.locator("#reopen ~ form").inner_text()
    assert note_entry(page, note_id).get_by_role("link", name=re.compile("^Edit")).count() == 0
    response = visit(page, f"/staff/cases/{case_id}/notes/{note_id}", "editing a note of a closed case")
    assert response.status == 404, response.status
    visit(page, f"/staff/cases/{case_id}", "back to the closed case")

    assert press(page, page.locator("form[action$='/reopen']"), "Reopen case", "case reopened") == 200
    assert summary_value(page, "Status") == "Open"
    assert page.locator(".govuk-warning-text").count() == 0
    assert summary_value(page, "Consent review") == f"Due {next_due}"
    assert page.locator("form[action$='/notes']").count() == 1
    page.watch.assert_clean()


# 2. Two people save the same note ----------------------------------------------------------------


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
        open_case_page(person, case_id, made.reference, "the case")
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
    assert ben.url.endswith(f"#note-{note_id}"), ben.url
    entry = note_entry(ben, note_id)
    assert entry.locator("p.sps-preserve-lines").inner_text() == typed[ben]
    assert "(version 3)" in entry.inner_text()
    assert entry.get_by_text("Earlier versions").count() == 0

    # A manager can read every earlier version.
    sign_out(ayesha)
    sign_in(ayesha, app, make_staff(app, "manager", name="Mo Manager"))
    open_case_page(ayesha, case_id, made.reference, "the case as a manager")
    earlier = expand(ayesha, "Earlier versions (2)", within=note_entry(ayesha, note_id))
    ayesha.shots.take("earlier versions")
    texts = [text.strip() for text in earlier.locator("p.sps-preserve-lines").all_inner_texts()]
    assert texts == [typed[ayesha], original], texts  # newest first, as the timeline
    versions = earlier.locator("p.govuk-body-s").all_inner_texts()
    assert [version.split(",")[0] for version in versions] == ["Version 2", "Version 1"], versions
    ayesha.watch.assert_clean()
    ben.watch.assert_clean()


# 3. A volunteer's view of casework ---------------------------------------------------------------

DECISION_FORMS = ("consent", "reviews", "disclosures", "details", "assign", "close", "reopen")


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
    listed = [link.inner_text() for link in page.locator("table.govuk-table tbody a").all()]
    assert listed == [theirs_made.reference], listed
    assert page.locator("table.govuk-table caption").inner_text().startswith("1 case,")
    assert page.locator("#worker").count() == 0  # they do not filter by other people's work
    assert_no_print_export_or_download(page)

    # Someone else's case is not there for them, by address or by reference.
    response = visit(page, f"/staff/cases/{other}", "someone else's case")
    assert response.status == 404
    assert_heading(page, "Page not found")
    assert other_made.reference not in page.content()
    visit(page, f"/staff/cases?reference={other_made.reference}", "someone else's case by reference")
    assert "No case you can see came from a referral with that reference" in error_summary_text(page)

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name=theirs_made.reference).click()
    page.shots.take("their case")
    assert_heading(page, theirs_made.reference)
    assert summary_value(page, "Worker") == "Vic Volunteer"
    for action in DECISION_FORMS:
        assert page.locator(f"form[action*='/cases/{theirs}/{action}']").count() == 0, f"{action} form offered"
    for button in ("Record consent", "Record review", "Record disclosure", "Save details", "Assign", "Close case"):
        assert page.get_by_role("button", name=button, exact=True).count() == 0, button
    assert page.locator("#assignee, #topic, #case_outcome, #given_on-day, #basis").count() == 0
    assert_no_print_export_or_download(page)

    note_form = page.locator("form[action$='/notes']")
    note_form.locator("#note").fill("Phoned Zoë to arrange a home visit.")
    assert press(page, note_form, "Add note", "note added") == 200
    form = expand(page, "Log a contact").locator("form")
    fill_date(page, "occurred_on", london_today())
    form.locator("input[name='method'][value='meeting']").check()
    form.locator("input[name='direction'][value='outgoing']").check()
    form.locator("#summary").fill("Home visit: talked through the EHC needs assessment.")
    assert press(page, form, "Log contact", "contact logged") == 200
    entries = timeline(page)
    assert any(entry.startswith("Note,") and "Phoned Zoë to arrange a home visit." in entry for entry in entries)
    contact = next(entry for entry in entries if entry.startswith("Contact,"))
    assert "Meeting, to the family" in contact and "Recorded by Vic Volunteer" in contact, contact
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


def test_every_link_on_a_volunteers_case_page_opens_for_them(page, app):
    made = submit_public_referral(app, "self")
    volunteer = make_staff(app, "volunteer")
    case_id = open_case_in_database(app, made, make_staff(app, "caseworker"), assignee=volunteer)
    sign_in(page, app, volunteer)
    open_case_page(page, case_id, made.reference, "their case")
    hrefs = page.locator("main a[href^='/']").evaluate_all("links => links.map(link => link.getAttribute('href'))")
    broken = {}
    for href in dict.fromkeys(hrefs):
        status = page.request.get(href).status
        if status >= 400:
            broken[href] = status
    assert not broken, f"links on the case page that a volunteer cannot open: {broken}"


# Forms sent back with errors ---------------------------------------------------------------------


def test_the_case_page_links_to_its_referral(page, app):
    made = submit_public_referral(app, "self")
    caseworker = make_staff(app, "caseworker")
    case_id = open_case_in_database(app, made, caseworker)
    sign_in(page, app, caseworker)
    open_case_page(page, case_id, made.reference, "the case")
    assert "<a " not in summary_value(page, "Referral"), summary_value(page, "Referral")
    link = page.locator("#details").get_by_role("link", name=made.reference)
    assert link.get_attribute("href") == f"/staff/referrals/{made.id}"


def test_an_empty_consent_withdrawal_comes_back_with_its_fields_and_errors_in_view(page, app):
    made = submit_public_referral(app, "self")
    caseworker = make_staff(app, "caseworker")
    case_id = open_case_in_database(app, made, caseworker)
    consent_and_disclosure_in_database(app, case_id, caseworker)
    sign_in(page, app, caseworker)
    open_case_page(page, case_id, made.reference, "the case")
    form = expand(page, "Record that this consent was withdrawn").locator("form")
    assert press(page, form, "Record withdrawal", "withdrawal sent empty") == 400
    assert error_links(page), "no error summary"
    wrong = error_links_that_lead_nowhere(page)
    assert not wrong, "; ".join(wrong)


# 4. axe-core on every casework page --------------------------------------------------------------


def empty_form_sent_back(page, case_id: int, summary: str | None, action: str, button: str, label: str) -> None:
    """Open the case, send one of its forms empty, and check it comes back with an error summary."""
    visit(page, f"/staff/cases/{case_id}", f"{label}: before")
    scope = expand(page, summary).locator("form") if summary else page.locator(f"form[action$='/{action}']")
    status = press(page, scope, button, label)
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
    assert [link.inner_text() for link in page.locator("table.govuk-table tbody a").all()] == [
        made["overdue"].reference
    ]
    assert "Overdue" in page.locator("table.govuk-table tbody").inner_text()
    found.check(f"{role} cases filtered to overdue reviews")

    found.visit_and_check(f"/staff/cases/{cases['new']}", f"{role} new case")
    found.visit_and_check(f"/staff/cases/{cases['overdue']}", f"{role} case with its review overdue")
    found.visit_and_check(f"/staff/cases/{cases['shared']}", f"{role} case with consent and a disclosure")
    found.visit_and_check(f"/staff/cases/{cases['closed']}", f"{role} closed case")

    if decides:
        empty_form_sent_back(page, cases["new"], "Record consent", "", "Record consent", f"{role} empty consent")
        assert expand(page, "Record consent").get_attribute("open") is not None
        found.check(f"{role} empty consent form")
        empty_form_sent_back(
            page,
            cases["shared"],
            "Record a disclosure to a third party",
            "",
            "Record disclosure",
            f"{role} empty disclosure",
        )
        found.check(f"{role} empty disclosure form")
        empty_form_sent_back(page, cases["new"], None, "close", "Close case", f"{role} empty close form")
        found.check(f"{role} empty close form")
        empty_form_sent_back(page, cases["new"], "Record a consent review", "", "Record review", f"{role} empty review")
        found.check(f"{role} empty consent review form")
    empty_form_sent_back(page, cases["new"], None, "notes", "Add note", f"{role} empty note")
    found.check(f"{role} empty note")

    # The conflict page: a colleague saves the note while this person has it open.
    visit(page, f"/staff/cases/{cases['shared']}", f"{role} case with a note")
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

    found.visit_and_check(f"/staff/cases/{case_id}", "dpo case refused", status=403)
    assert_heading(page, "You do not have permission to see this page")
    assert made.reference not in page.content()
    found.visit_and_check("/staff/cases", "dpo cases list refused", status=403)
    found.assert_none()
    page.watch.assert_clean()
