"""Triage in a real browser: referrals sent through the public forms reach the queue, a
caseworker finds, assigns, contacts, accepts and declines them, the consent gate holds contact
back until an attestation is recorded, and a volunteer sees only what is assigned to them."""

from __future__ import annotations

import datetime as dt
import re

from portal.services.clock import london_today
from tests.browser.helpers import (
    assert_accessible,
    assert_heading,
    error_links,
    press_and_arrive,
    submit,
    tab,
    tab_until,
    visit,
)
from tests.browser.staff_helpers import (
    assign_in_database,
    error_summary_text,
    fill_date,
    keyed_in_without_attestation,
    notification,
    queue_references,
    sign_in,
    submit_public_referral,
    summary_value,
)
from tests.staff import make_staff

NO_CONSENT = (
    "Nobody may contact this family, log contact with them or accept this referral until their consent is on record."
)
CONTACT_WAITS = "No contact can be logged until the family's consent is on record"
ACCEPT_WAITS = "You can accept this referral once the family's consent is on record"
CASE_PAGE = re.compile(r"/staff/cases/\d+$")


def open_queue(page) -> None:
    page.locator(".govuk-service-navigation").get_by_role("link", name="Referrals", exact=True).click()
    page.wait_for_load_state("load")
    page.shots.take("referrals queue")
    assert_heading(page, "Referrals")


def open_referral(page, made) -> None:
    visit(page, f"/staff/referrals/{made.id}", f"referral {made.reference}")
    assert_heading(page, f"Referral {made.reference}")


def contact_form(page):
    return page.locator("form[action$='/contact']")


def log_contact(page, summary: str, slug: str = "contact logged") -> None:
    form = contact_form(page)
    fill_date(page, "occurred_on", london_today())
    form.locator("input[name='method'][value='call']").check()
    form.locator("input[name='direction'][value='outgoing']").check()
    form.locator("#summary").fill(summary)
    submit(page, slug, button="Log contact")


def contact_log_rows(page) -> list[str]:
    table = page.locator("#contact-log ~ .sps-table-scroll table.govuk-table")
    return [" ".join(row.split()) for row in table.locator("tbody tr").all_inner_texts()]


def test_caseworker_finds_assigns_contacts_and_accepts_a_referral(page, app):
    self_made = submit_public_referral(app, "self")
    professional_made = submit_public_referral(app, "professional")
    make_staff(app, "volunteer", name="Vic Volunteer")
    caseworker = make_staff(app, "caseworker", name="Cass Caseworker")
    sign_in(page, app, caseworker)
    assert_heading(page, "Dashboard")

    open_queue(page)
    listed = queue_references(page)
    assert sorted(listed) == sorted([self_made.reference, professional_made.reference]), listed
    assert "2 referrals, newest first" in page.locator("table.govuk-table caption").last.inner_text()

    # The reference as someone might read it out: lower case, no dashes.
    typed = self_made.reference.lower().replace("-", "")
    search = page.locator("form", has=page.locator("#reference"))
    search.locator("#reference").fill(typed)
    with page.expect_navigation(wait_until="load"):
        search.get_by_role("button", name="Find").click()
    page.shots.take("found by reference")
    assert page.url.endswith(f"/staff/referrals/{self_made.id}"), page.url
    assert_heading(page, f"Referral {self_made.reference}")
    assert summary_value(page, "Status") == "New"
    assert summary_value(page, "Assigned to") == "No one yet"

    page.select_option("#assignee", label="Vic Volunteer")
    submit(page, "assigned", button="Assign")
    assert "now assigned to Vic Volunteer" in notification(page)
    assert summary_value(page, "Assigned to") == "Vic Volunteer"
    assert page.locator("#assignee option:checked").inner_text() == "Vic Volunteer"

    assert "No contact logged yet." in page.locator("main").inner_text()
    log_contact(page, "Rang Zoë; she would like a call back on Tuesday.")
    assert page.url.endswith("#contact-log"), page.url
    rows = contact_log_rows(page)
    assert len(rows) == 1 and "Phone call, to the family" in rows[0], rows
    assert "Rang Zoë; she would like a call back on Tuesday." in rows[0]

    submit(page, "accepted", button="Accept and open a case")
    assert CASE_PAGE.search(page.url), f"accepting did not land on the new case: {page.url}"
    assert f"Referral {self_made.reference} is accepted. This is the case opened from it." in notification(page)
    open_referral(page, self_made)
    status = summary_value(page, "Status")
    assert status.startswith("Accepted"), status
    assert page.get_by_role("button", name="Accept and open a case").count() == 0
    assert page.get_by_role("button", name="Decline").count() == 0
    page.watch.assert_clean()


def test_contact_waits_for_a_consent_attestation_on_a_professional_referral(page, app):
    made = keyed_in_without_attestation(app)
    caseworker = make_staff(app, "caseworker", name="Cass Caseworker")
    sign_in(page, app, caseworker)
    open_queue(page)
    assert made.reference in queue_references(page)
    row = page.locator("tr", has=page.get_by_role("link", name=made.reference))
    assert "Attestation missing" in row.inner_text()

    open_referral(page, made)
    assert NO_CONSENT in page.locator("#attestation-needed .govuk-warning-text").inner_text()
    assert page.get_by_role("button", name="Accept and open a case").count() == 0
    assert ACCEPT_WAITS in page.locator("main").inner_text()
    assert contact_form(page).count() == 0
    assert page.get_by_role("button", name="Log contact").count() == 0
    explanation = page.locator("#contact-log + p")
    assert CONTACT_WAITS in explanation.inner_text(), explanation.inner_text()
    link = explanation.get_by_role("link", name="see consent")
    assert link.get_attribute("href") == "#consent"
    link.click()
    assert page.url.endswith("#consent"), page.url
    page.shots.take("record attestation", full_page=False)

    form = page.locator("form#record-attestation")
    form.locator("input[name='consent_given_by'][value='parent_carer']").check()
    fill_date(page, "consent_given_on", london_today() - dt.timedelta(days=1))
    form.locator("input[name='consent_method'][value='verbal']").check()
    form.locator("input[name='consent_confirmed']").check()
    submit(page, "attestation recorded", button="Record consent")
    assert page.url.endswith("#consent"), page.url
    assert page.locator(".govuk-error-summary").count() == 0
    assert "The consent attestation is recorded." in notification(page)
    assert page.get_by_role("button", name="Accept and open a case").count() == 1
    assert summary_value(page, "Given by") == "Parent or carer"
    assert summary_value(page, "How") == "Verbally (in person or by phone)"
    assert summary_value(page, "Recorded").endswith("by Cass Caseworker"), summary_value(page, "Recorded")
    assert page.locator(".govuk-warning-text").count() == 0

    # Now the family may be contacted, and the contact logged.
    assert CONTACT_WAITS not in page.locator("main").inner_text()
    assert contact_form(page).count() == 1
    log_contact(page, "Called Max to introduce the service.")
    rows = contact_log_rows(page)
    assert len(rows) == 1 and "Called Max to introduce the service." in rows[0], rows

    open_queue(page)
    row = page.locator("tr", has=page.get_by_role("link", name=made.reference))
    assert "Attestation missing" not in row.inner_text()
    page.watch.assert_clean()


def test_caseworker_declines_a_referral_with_a_reason(page, app):
    made = submit_public_referral(app, "professional")
    caseworker = make_staff(app, "caseworker")
    sign_in(page, app, caseworker)
    open_referral(page, made)

    # Without a reason it is not declined. (The box is emptied first: it does not start empty,
    # see the test below.)
    page.fill("#reason", "")
    submit(page, "decline without reason", button="Decline")
    assert page.title().startswith("Error: ")
    assert "reason for declining" in error_summary_text(page).lower(), error_summary_text(page)
    assert summary_value(page, "Status") == "New"

    reason = "Outside our area: the family lives in the next county.\nPassed on their service's number."
    page.fill("#reason", reason)
    submit(page, "declined", button="Decline")
    status = summary_value(page, "Status")
    assert re.fullmatch(r"Declined on \d{1,2} \w+ \d{4}", status), status
    shown = page.locator("h2:has-text('Reason for declining') + p").inner_text()
    assert shown.splitlines() == reason.splitlines(), shown
    assert page.get_by_role("button", name="Decline").count() == 0
    assert page.get_by_role("button", name="Accept and open a case").count() == 0

    open_queue(page)
    row = page.locator("tr", has=page.get_by_role("link", name=made.reference))
    assert "Declined" in row.inner_text()
    page.watch.assert_clean()


def test_the_decline_reason_and_contact_summary_boxes_start_empty(page, app):
    made = submit_public_referral(app, "self")
    caseworker = make_staff(app, "caseworker")
    sign_in(page, app, caseworker)
    open_referral(page, made)
    found = {box: page.input_value(box) for box in ("#reason", "#summary")}
    # Pressing Decline straight away would otherwise decline the referral with the reason "None".
    assert found == {"#reason": "", "#summary": ""}, f"the boxes start filled in: {found}"


def test_an_empty_contact_form_reports_every_missing_answer_at_once(page, app):
    made = submit_public_referral(app, "self")
    sign_in(page, app, make_staff(app, "caseworker"))
    open_referral(page, made)
    page.fill("#summary", "")
    submit(page, "contact form empty", button="Log contact")
    assert page.title().startswith("Error: ")
    linked = [href for href, _ in error_links(page)]
    # GOV.UK pattern: the summary lists every problem, so one submission finds them all.
    assert linked == ["#occurred_on-day", "#method", "#direction", "#summary"], error_links(page)


def test_an_empty_attestation_form_reports_every_missing_answer_at_once(page, app):
    made = keyed_in_without_attestation(app)
    sign_in(page, app, make_staff(app, "caseworker"))
    open_referral(page, made)
    submit(page, "attestation form empty", button="Record consent")
    assert page.title().startswith("Error: ")
    linked = {href for href, _ in error_links(page)}
    expected = {"#consent_given_by", "#consent_given_on-day", "#consent_method", "#consent_confirmed"}
    assert linked == expected, error_links(page)


def test_attestation_answers_are_kept_when_the_form_comes_back_with_an_error(page, app):
    made = keyed_in_without_attestation(app)
    sign_in(page, app, make_staff(app, "caseworker"))
    open_referral(page, made)
    form = page.locator("form#record-attestation")
    form.locator("input[name='consent_given_by'][value='young_person']").check()
    form.locator("input[name='consent_method'][value='email']").check()
    form.locator("input[name='consent_confirmed']").check()
    submit(page, "attestation without a date", button="Record consent")
    assert [href for href, _ in error_links(page)] == ["#consent_given_on-day"], error_links(page)
    form = page.locator("form#record-attestation")
    kept = {
        "who": form.locator("input[name='consent_given_by'][value='young_person']").is_checked(),
        "how": form.locator("input[name='consent_method'][value='email']").is_checked(),
    }
    assert kept == {"who": True, "how": True}, f"answers lost when the form came back: {kept}"


def test_volunteer_sees_only_the_referral_assigned_to_them(page, app):
    theirs = submit_public_referral(app, "self")
    other = submit_public_referral(app, "self", child_name="Another Child")
    volunteer = make_staff(app, "volunteer", name="Vic Volunteer")
    assign_in_database(app, theirs, volunteer)
    sign_in(page, app, volunteer)

    open_queue(page)
    assert queue_references(page) == [theirs.reference]
    assert "1 referral, newest first" in page.locator("table.govuk-table caption").last.inner_text()

    # Another referral, asked for directly, is not there for them.
    response = visit(page, f"/staff/referrals/{other.id}", "someone else's referral")
    assert response.status == 404
    assert_heading(page, "Page not found")
    assert other.reference not in page.content()

    # Nor by its reference.
    visit(page, f"/staff/referrals?reference={other.reference}", "search for someone else's referral")
    assert "No referral you can see has that reference" in error_summary_text(page)

    open_referral(page, theirs)
    assert summary_value(page, "Assigned to") == "Vic Volunteer"
    for button in ("Assign", "Accept and open a case", "Decline", "Record consent"):
        assert page.get_by_role("button", name=button, exact=True).count() == 0, button
    assert page.locator("#assignee, #reason, form#record-attestation").count() == 0
    # They may still log their contact with the family.
    assert contact_form(page).count() == 1
    log_contact(page, "Emailed Zoë with dates for a first meeting.")
    assert len(contact_log_rows(page)) == 1
    page.watch.assert_clean()


def test_the_referral_page_by_keyboard_from_no_consent_to_an_open_case(page, app):
    """A professional referral of a child already referred once, without the family's consent:
    the warning about the other referral, consent recorded and the referral accepted, by keyboard
    alone, axe clean in each state; the page is kept as a screenshot in each."""
    earlier = keyed_in_without_attestation(app)
    made = keyed_in_without_attestation(app)  # the same child, referred again
    sign_in(page, app, make_staff(app, "caseworker", name="Cass Caseworker"))

    open_referral(page, made)
    same_child = page.locator("#same-child")
    assert "This child may already be known to the service" in same_child.inner_text()
    assert same_child.get_by_role("link", name=f"Referral {earlier.reference}").count() == 1
    assert NO_CONSENT in page.locator("#attestation-needed").inner_text()
    assert page.get_by_role("button", name="Accept and open a case").count() == 0
    assert_accessible(page, "referral without consent, the same child referred before")
    page.shots.keep("referral without consent, same child referred before")

    # From the contact log's pointer to the consent form, and through it, by keyboard.
    page.locator("#contact-log + p a").focus()
    page.keyboard.press("Enter")
    assert page.url.endswith("#consent"), page.url
    tab_until(page, "#consent_given_by", limit=60)
    page.keyboard.press("Space")
    yesterday = london_today() - dt.timedelta(days=1)
    for box, value in (("day", yesterday.day), ("month", yesterday.month), ("year", yesterday.year)):
        tab(page, f"#consent_given_on-{box}")
        page.keyboard.type(str(value))
    tab(page, "#consent_method")
    page.keyboard.press("Space")
    tab(page, "#consent_confirmed")
    page.keyboard.press("Space")
    tab(page, "form#record-attestation button")
    press_and_arrive(page, "Enter", "consent recorded by keyboard")
    assert "The consent attestation is recorded." in notification(page)
    assert page.locator("#attestation-needed").count() == 0
    assert_accessible(page, "referral with consent recorded")
    page.shots.keep("referral with consent recorded")

    page.get_by_role("button", name="Accept and open a case").focus()
    press_and_arrive(page, "Enter", "accepted by keyboard")
    assert CASE_PAGE.search(page.url), page.url
    assert f"Referral {made.reference} is accepted." in notification(page)
    page.watch.assert_clean()


def test_the_assign_list_leaves_out_people_whose_access_is_paused(page, app):
    made = submit_public_referral(app, "self")
    make_staff(app, "volunteer", name="Cleared Volunteer")
    make_staff(app, "volunteer", name="Unsigned Volunteer", agreement=False)
    make_staff(app, "caseworker", name="Untrained Caseworker", trained=False)
    sign_in(page, app, make_staff(app, "caseworker", name="Cass Caseworker"))

    open_referral(page, made)
    offered = [text.strip() for text in page.locator("#assignee option").all_inner_texts()]
    assert offered == ["Choose someone", "Cass Caseworker", "Cleared Volunteer"], offered
    assert_accessible(page, "referral from the family")
    page.shots.keep("referral from the family, assign list")
    page.watch.assert_clean()
