"""Information requests in a real browser: the data protection team take a subject access request
from its arrival to the response PDF through the real pages (the queue, the request, identity,
choosing the records, a name withheld, the job's progress page and the download); a volunteer and
a caseworker cannot reach the request nor get its PDF; and axe-core finds nothing on the queue, the
request in each state, the records page, the forms sent back empty, the job's page waiting, ready
and downloaded, or the Strategic Manager's FOI request and queue."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from flask import Flask

from portal.extensions import db
from portal.models import AuditEntry, InformationRequest, Referral
from portal.models.jobs import TOKEN_LENGTH
from portal.services import casework, clock, requests, triage
from portal.services.audit import Actor
from portal.services.clock import london_today, long_date
from portal.services.requests import FoiAnswers, Requester
from tests.browser.helpers import Findings, assert_heading, error_links, visit
from tests.browser.staff_helpers import Made, fill_date, sign_in, submit_public_referral, summary_value
from tests.browser.test_staff_cases import error_links_that_lead_nowhere, press
from tests.journeys import records_answers, request_send, request_start
from tests.staff import make_staff, pdf_text
from tests.unit.test_jobs import HeldBack

WHERE = "192.0.2.45"
NEIGHBOUR = "Priya Raman"
CHILD = "Siân 李 Ó Briain"
MADE = "subject access response ready"
REQUESTED = "subject access response requested"
MAKE = "Make the requester’s copy (PDF)"

TOKEN_PATH = re.compile(rf"/staff/jobs/[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")


# Made straight in the database, or through the public form by the test client (quicker) ----------


def expand(page, summary: str):
    """Open the govukDetails whose summary reads ``summary`` (unless open); returns the details."""
    details = page.locator("details.govuk-details").filter(
        has=page.locator("summary", has_text=re.compile(rf"^\s*{re.escape(summary)}\s*$"))
    )
    assert details.count() == 1, f"{details.count()} details headed {summary!r} at {page.url}"
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def sar_through_the_public_form(app: Flask) -> Made:
    """A parent asks for Siân's records (she is 11, so no confirmation of hers is needed) through
    /requests/records; returns the request as stored."""
    client = app.test_client()
    answers = records_answers(subject_date_of_birth=["14", "3", "2015"], subject_other_names="")
    check_page = request_start(client, "records", answers)
    assert check_page.status_code == 200, check_page.status_code
    response = request_send(client, "records", check_page)
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"].endswith("/requests/records/confirmation"), response.headers["Location"]
    with app.app_context():
        found = db.session.scalars(
            db.select(InformationRequest).where(InformationRequest.kind == "sar").order_by(InformationRequest.id.desc())
        ).first()
        made = Made(found.id, found.reference, "sar")
        db.session.remove()
    return made


def case_with_a_note_naming_the_neighbour(app: Flask, made: Made, caseworker) -> None:
    with app.app_context():
        who = Actor(caseworker.id, WHERE, clock.now())
        case = triage.accept(
            db.session.get(Referral, made.id), who, london_today(), app.config["CONSENT_REVIEW_MONTHS"]
        )
        casework.add_note(case, f"Met Zoë and Siân at school. Their neighbour {NEIGHBOUR} came too.", who)
        db.session.remove()


def foi_received_before_christmas(app: Flask) -> Made:
    # 18 December, at least 60 days ago: overdue, and its 20 working days skip Christmas.
    year = (london_today() - dt.timedelta(days=60)).year - 1
    received = dt.datetime(year, 12, 18, 12, tzinfo=dt.UTC)
    requester = Requester("Morgan Reyes", "morgan.reyes@example.net", None, None, None, "email")
    with app.app_context():
        found = requests.submit_foi(
            FoiAnswers(requester, "How many families did you support in 2025?"),
            "browser-foi",
            app.extensions["portal_mailer"],
            received,
        )
        made = Made(found.id, found.reference, "foi")
        db.session.remove()
    return made


def entries(app: Flask, request_id: int, action: str) -> list[str]:
    with app.app_context():
        details = list(
            db.session.scalars(
                db.select(AuditEntry.detail).where(AuditEntry.action == action, AuditEntry.record_id == request_id)
            )
        )
        db.session.remove()
    return details


# Driving the pages -------------------------------------------------------------------------------


def follow(page, name: str, slug: str, scope=None) -> None:
    with page.expect_navigation(wait_until="load"):
        (scope or page).get_by_role("link", name=name, exact=True).click()
    page.shots.take(slug)


def navigation_links(page) -> list[str]:
    navigation = page.locator(".govuk-service-navigation")
    return [" ".join(text.split()) for text in navigation.get_by_role("link").all_inner_texts()]


def sent_back_empty(page, found: Findings, form, button: str, label: str, fields: set[str]) -> None:
    """Press ``button`` on ``form`` with nothing filled in: a 400 whose error summary links to
    ``fields`` (ids), each a visible form field; then axe the page."""
    assert press(page, form, button, label) == 400, label
    assert page.title().startswith("Error: "), page.title()
    assert {href.removeprefix("#") for href, _ in error_links(page)} == fields, error_links(page)
    wrong = error_links_that_lead_nowhere(page)
    assert not wrong, f"{label}: " + "; ".join(wrong)
    found.check(label)


# 1. From arrival to the PDF ----------------------------------------------------------------------


def test_the_data_protection_team_take_a_subject_access_request_to_the_downloaded_pdf(page, app, tmp_path, monkeypatch):
    referral = submit_public_referral(app, "self")
    caseworker = make_staff(app, "caseworker", name="Casey Worker")
    case_with_a_note_naming_the_neighbour(app, referral, caseworker)
    made = sar_through_the_public_form(app)
    today = london_today()
    sign_in(page, app, make_staff(app, "dpo", name="Dana Protection"))
    found = Findings(page, open_details=True)

    # The queue, from the navigation.
    assert "Requests" in navigation_links(page)
    follow(page, "Requests", "the queue", scope=page.locator(".govuk-service-navigation"))
    assert_heading(page, "Requests")
    rows = page.locator("table.govuk-table tbody tr").all_inner_texts()
    assert len(rows) == 1 and made.reference in rows[0] and "Subject access request" in rows[0], rows
    found.check("dpo queue")

    # The request, as it arrived.
    follow(page, made.reference, "the request")
    assert_heading(page, made.reference)
    assert page.url.endswith(f"/staff/requests/{made.id}"), page.url
    assert summary_value(page, "Status") == "Open"
    assert summary_value(page, "Whose records") == CHILD
    steps = page.locator("#deadline + ol").inner_text()
    assert f"The clock started on {today:%A} {today.day} {today:%B %Y}." in steps, steps
    assert "Not verified yet" in page.locator("main").inner_text()
    assert page.get_by_role("button", name=MAKE).count() == 0
    found.check("dpo request as it arrived")

    # Identity: sent empty first, then recorded.
    identity = page.locator("form[action$='/identity']")
    sent_back_empty(
        page,
        found,
        identity,
        "Record identity as verified",
        "dpo empty identity form",
        {"verified_how", "verified_on-day"},
    )
    identity = page.locator("form[action$='/identity']")
    identity.locator("input[name='verified_how'][value='photo_id_and_address']").check()
    fill_date(page, "verified_on", today)
    assert press(page, identity, "Record identity as verified", "identity verified") == 200
    assert page.url.endswith("#identity"), page.url
    assert page.locator(".govuk-error-summary").count() == 0
    verified = page.locator("#identity + p").inner_text()
    assert verified.startswith(f"Verified on {long_date(today)} by Dana Protection"), verified

    # The records: the referral matches, is ticked and saved.
    follow(page, "Find and choose the records", "the records found")
    assert_heading(page, "Choose the records for the response")
    box = page.locator(f"input[name='records'][value='{referral.id}']")
    assert box.count() == 1 and not box.is_checked()
    label = page.locator(f"label[for='{box.get_attribute('id')}']").inner_text()
    assert label.startswith(f"{referral.reference}: {CHILD}"), label
    hint = page.locator(f"#{box.get_attribute('aria-describedby')}").inner_text()
    assert "Matched on name and date of birth and the requester's email address." in hint, hint
    found.check("dpo records page")
    box.check()
    assert press(page, page.locator("main form"), "Save the records chosen", "records chosen") == 200
    assert page.url.endswith("#records"), page.url
    assert "1 referral (with its case, where one was opened) chosen." in page.locator("main").inner_text()

    # A name in the notes the portal cannot know is someone else's.
    page.fill("#withheld_name", NEIGHBOUR)
    assert press(page, page.locator("form[action$='/withheld-names']"), "Add name", "name withheld") == 200
    assert page.url.endswith("#withheld"), page.url
    assert NEIGHBOUR in page.locator("#withheld ~ ul.govuk-list").first.inner_text()
    found.check("dpo request ready to release")

    # The response is made by a job, held back at first so its waiting page can be checked.
    runner = app.extensions["portal_jobs"]
    held = HeldBack()
    monkeypatch.setitem(app.extensions, "portal_jobs", held)
    assert press(page, page.locator("form[action$='/response']"), MAKE, "response queued") == 200
    progress_path = urlsplit(page.url).path
    # The job is named by its random token alone, never by the request's id.
    assert TOKEN_PATH.fullmatch(progress_path), page.url
    assert_heading(page, "Your PDF is waiting to be made")
    assert page.locator('meta[http-equiv="refresh"]').get_attribute("content") == "2"
    assert summary_value(page, "Step") == "Waiting for a worker to start it"
    # The page reloads itself every 2 seconds, which axe's meta-refresh rule (WCAG 2.2.1) flags
    # whatever the page offers; 2.2.1 is met by the link that turns the reloading off, which axe
    # cannot see. The page without its reloading is checked in full.
    follow(page, "Stop checking by itself", "job waiting, not reloading")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    found.check("dpo response job waiting")
    assert entries(app, made.id, REQUESTED) == ["requester copy; 1 records"]

    # The worker takes it; the page, reloading itself again, shows the download when it is ready.
    [token] = held.tokens
    monkeypatch.setitem(app.extensions, "portal_jobs", runner)
    runner.submit(token)
    follow(page, "Check again every 2 seconds by itself", "job reloading")
    download_button = page.get_by_role("button", name="Download the PDF", exact=True)
    download_button.wait_for(timeout=120_000)
    assert_heading(page, "Your PDF is ready")
    page.shots.take("job ready")
    found.check("dpo response job ready")

    # The download: a PDF of the records, the neighbour withheld.
    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.failure() is None, download.failure()
    # Chromium ends a navigation that turns into a download as a failed request (net::ERR_ABORTED),
    # which the page watch notes; that one, and only that one, is expected.
    download_url = f"{progress_path}/download"
    page.watch.problems[:] = [
        problem
        for problem in page.watch.problems
        if not (problem.startswith("request failed: ") and problem.endswith(download_url))
    ]
    assert download.suggested_filename == f"{made.reference}.pdf", download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"%PDF-"), content[:16]
    text = pdf_text(content)
    assert "Priya" not in text and "Raman" not in text, "the withheld name is in the PDF"
    assert "[withheld]" in text
    assert "Met Zoë and Siân at school." in text
    assert made.reference in text
    assert "Redaction log" not in text
    page.shots.take("after the download")
    assert urlsplit(page.url).path == progress_path, "the download navigated away"
    assert [detail.split(";")[0] for detail in entries(app, made.id, MADE)] == ["requester copy"]
    visit(page, progress_path, "job downloaded")
    assert_heading(page, "You have downloaded this PDF")
    found.check("dpo response job downloaded")

    # The forms that are left, sent back empty.
    visit(page, f"/staff/requests/{made.id}", "before the empty close form")
    sent_back_empty(
        page,
        found,
        page.locator("form[action$='/close']"),
        "Close the request",
        "dpo empty close form",
        {"outcome", "closed_on-day", "response"},
    )
    visit(page, f"/staff/requests/{made.id}", "before the empty clock form")
    clock = expand(page, "Start, pause or resume the clock").locator("form")
    sent_back_empty(
        page, found, clock, "Record", "dpo empty clock form", {"clock_event", "clock_on-day", "clock_reason"}
    )
    assert expand(page, "Start, pause or resume the clock").get_attribute("open") is not None
    found.assert_none()
    page.watch.assert_clean()


# 2. Nobody else gets the PDF ---------------------------------------------------------------------


def ready_to_release(app: Flask, dpo) -> Made:
    """A subject access request with its identity verified and its record chosen."""
    from portal.services import subject_access

    referral = submit_public_referral(app, "self")
    made = sar_through_the_public_form(app)
    today = london_today()
    with app.app_context():
        found = db.session.get(InformationRequest, made.id)
        who = Actor(dpo.id, WHERE, clock.now())
        subject_access.verify_identity(found, "seen_in_person", today, who, today)
        subject_access.choose_records(found, [referral.id], who)
        assert not subject_access.release_problems(found)
        db.session.remove()
    return made


@pytest.mark.parametrize("role", ["volunteer", "caseworker"])
def test_a_volunteer_or_caseworker_cannot_reach_a_request_nor_get_its_pdf(page, app, role):
    dpo = make_staff(app, "dpo")
    made = ready_to_release(app, dpo)
    sign_in(page, app, make_staff(app, role, name=f"Not {role.title()}"))

    links = navigation_links(page)
    assert "Requests" not in links, links
    assert page.locator(".govuk-service-navigation a[href^='/staff/requests']").count() == 0

    for path in ("/staff/requests", f"/staff/requests/{made.id}", f"/staff/requests/{made.id}/records"):
        response = visit(page, path, f"{role} refused {path}")
        assert response.status == 403, (path, response.status)
        assert_heading(page, "You do not have permission to see this page")
        assert made.reference not in page.content()

    # A valid token of their own session, from a page they may open: refused for their role.
    visit(page, "/staff/account", f"{role} account")
    token = page.locator("input[name='csrf_token']").first.get_attribute("value")
    assert token
    for copy in ("requester", "team"):
        response = page.request.post(
            f"/staff/requests/{made.id}/response", form={"csrf_token": token, "copy": copy}, max_redirects=0
        )
        assert response.status == 403, (copy, response.status)
        assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
        assert not response.body().startswith(b"%PDF")
    # Without a token the CSRF check stops it first.
    response = page.request.post(f"/staff/requests/{made.id}/response", form={"copy": "requester"}, max_redirects=0)
    assert response.status == 400, response.status
    assert entries(app, made.id, REQUESTED) == []
    page.watch.assert_clean()


# 3. axe-core as the Strategic Manager ------------------------------------------------------------


def test_the_managers_foi_queue_and_request_have_no_axe_violations(page, app):
    made = foi_received_before_christmas(app)
    sign_in(page, app, make_staff(app, "manager", name="Morgan Manager"))
    found = Findings(page, open_details=True)

    found.visit_and_check("/staff/requests", "manager queue")
    assert "Freedom of Information requests" in page.locator("main").inner_text()
    rows = page.locator("table.govuk-table tbody tr").all_inner_texts()
    assert len(rows) == 1 and made.reference in rows[0] and "Overdue" in rows[0], rows
    found.visit_and_check("/staff/requests?view=overdue", "manager queue overdue")

    found.visit_and_check(f"/staff/requests/{made.id}", "manager FOI request")
    assert_heading(page, made.reference)
    steps = page.locator("#deadline + ol").inner_text()
    assert "Christmas Day" in steps and "was not counted" in steps, steps
    assert "This request is overdue." in page.locator(".govuk-warning-text").inner_text()
    assert page.locator("form[action$='/identity'], form[action$='/response']").count() == 0
    sent_back_empty(
        page,
        found,
        page.locator("form[action$='/close']"),
        "Close the request",
        "manager empty close form",
        {"outcome", "closed_on-day", "response"},
    )
    found.visit_and_check(f"/staff/requests/{made.id + 1000}", "manager missing request", status=404)
    found.assert_none()
    page.watch.assert_clean()
