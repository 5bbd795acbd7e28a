"""Triage in a real browser: referrals sent through the public forms reach the queue, a
caseworker finds, assigns, contacts, accepts and declines them, the consent gate holds contact
back until an attestation is recorded, and a volunteer sees only what is assigned to them."""

from __future__ import annotations

import datetime as dt
import re

from portal.services.clock import london_today
from tests.browser.helpers import assert_heading, error_links, submit, visit
from tests.browser.staff_helpers import (
    assign_in_database,
    error_summary_text,
    fill_date,
    keyed_in_without_attestation,
    queue_references,
    sign_in,
    submit_public_referral,
    summary_value,
)
from tests.staff import make_staff

NO_CONSENT = "there is no record of their consent to be contacted"


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
    table = page.locator("#contact-log ~ table.govuk-table")
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
    assert summary_value(page, "Assigned to") == "Vic Volunteer"
    assert page.locator("#assignee option:checked").inner_text() == "Vic Volunteer"

    assert "No contact logged yet." in page.locator("main").inner_text()
    log_contact(page, "Rang Zoë; she would like a call back on Tuesday.")
    assert page.url.endswith("#contact-log"), page.url
    rows = contact_log_rows(page)
    assert len(rows) == 1 and "Phone call, to the family" in rows[0], rows
    assert "Rang Zoë; she would like a call back on Tuesday." in rows[0]

    submit(page, "accepted", button="Accept and open a case")
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
    assert "No consent attestation is on record" in page.locator(".govuk-warning-text").inner_text()
    assert contact_form(page).count() == 0
    assert page.get_by_role("button", name="Log contact").count() == 0
    explanation = page.locator("#contact-log + .govuk-inset-text")
    assert NO_CONSENT in explanation.inner_text(), explanation.inner_text()
    link = explanation.get_by_role("link", name="Record the consent attestation")
    assert link.get_attribute("href") == "#record-attestation"
    link.click()
    assert page.url.endswith("#record-attestation"), page.url
    page.shots.take("record attestation", full_page=False)

    form = page.locator("form#record-attestation")
    form.locator("input[name='consent_given_by'][value='parent_carer']").check()
    fill_date(page, "consent_given_on", london_today() - dt.timedelta(days=1))
    form.locator("input[name='consent_method'][value='verbal']").check()
    form.locator("input[name='consent_confirmed']").check()
    submit(page, "attestation recorded", button="Record consent")
    assert page.url.endswith("#consent"), page.url
    assert page.locator(".govuk-error-summary").count() == 0
    assert summary_value(page, "Given by") == "Parent or carer"
    assert summary_value(page, "How") == "Verbally (in person or by phone)"
    assert summary_value(page, "Recorded").endswith("by Cass Caseworker"), summary_value(page, "Recorded")
    assert page.locator(".govuk-warning-text").count() == 0

    # Now the family may be contacted, and the contact logged.
    assert page.locator("#contact-log + .govuk-inset-text").count() == 0
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
