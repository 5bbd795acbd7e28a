"""A response PDF through the pages (issue 14): the request page's button queues it (303 to its
progress page), the page reloads itself by a meta refresh while the job waits or runs, then offers
the download (a POST with the CSRF token), which hands over the PDF once. The job is held back here
and run as the worker would, so each state is seen; tests/web/test_staff_requests.py and
tests/web/test_reports.py follow jobs the in-process worker runs by itself."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, InformationRequest, Job
from portal.services import jobs
from tests.clock import london
from tests.jobs import REFRESH
from tests.staff import csrf_from, csrf_token, make_staff, pdf_text, sign_in
from tests.unit.test_jobs import DAY, HeldBack, releasable_sar

MADE_AT = london(DAY, 10, 5)


@pytest.fixture
def held(app, time_machine, monkeypatch) -> HeldBack:
    time_machine.move_to(london(DAY), tick=False)
    runner = HeldBack()
    monkeypatch.setitem(app.extensions, "portal_jobs", runner)
    return runner


@pytest.fixture
def dpo(app, held):
    user = make_staff(app, "dpo")
    browser = app.test_client()
    sign_in(browser, app, user)
    browser.user = user
    return browser


@pytest.fixture
def request_id(app, dpo) -> int:
    with app.app_context():
        found = releasable_sar(app, dpo.user).id
        db.session.remove()
    return found


def ask_for(browser, request_id: int, copy: str = "requester"):
    return browser.post(
        f"/staff/requests/{request_id}/response", data={"csrf_token": csrf_token(browser), "copy": copy}
    )


def run_held(app, time_machine, held: HeldBack, at=MADE_AT) -> None:
    """What the worker does with the job the page queued, at ``at``."""
    time_machine.move_to(at, tick=False)
    with app.app_context():
        for token in held.tokens:
            jobs.run(token)
        db.session.remove()


def actions(app, user_id: int) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.actor_id == user_id, AuditEntry.action.like("subject access response%"))
            .order_by(AuditEntry.sequence)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def test_a_response_is_queued_followed_on_its_page_and_downloaded_once(app, held, dpo, request_id, time_machine):
    queued = ask_for(dpo, request_id)
    assert queued.status_code == 303
    location = queued.headers["Location"]
    # The job is named by its random token alone, never by the request's id.
    assert re.fullmatch(r"/staff/jobs/[A-Za-z0-9_-]{43}", location), location

    waiting = dpo.get(location)
    html = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and waiting.headers["Cache-Control"] == "no-store"
    assert '<meta http-equiv="refresh" content="2">' in html.split("</head>", 1)[0]
    assert "Waiting for a worker to start it" in html and ">Check again</a>" in html
    assert "Download the PDF" not in html

    run_held(app, time_machine, held)
    ready = dpo.get(location).get_data(as_text=True)
    assert REFRESH not in ready
    assert "until 25 November 2026, 10:20am (15 minutes after it was made)" in ready
    assert f'<form method="post" action="{location}/download"' in ready

    download = dpo.post(f"{location}/download", data={"csrf_token": csrf_from(ready)})
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Cache-Control"] == "no-store"
    with app.app_context():
        reference = db.session.get(InformationRequest, request_id).reference
    assert download.headers["Content-Disposition"] == f'attachment; filename="{reference}.pdf"'
    text = pdf_text(download.data)
    assert "Siân" in text and reference in text and "Priya" not in text

    again = dpo.post(f"{location}/download", data={"csrf_token": csrf_from(ready)})
    assert again.status_code == 303 and again.headers["Location"] == location
    gone = dpo.get(location).get_data(as_text=True)
    assert "You have downloaded this PDF" in gone and "It was deleted when you downloaded it." in gone
    assert f'href="/staff/requests/{request_id}#response-pdf"' in gone
    assert [action for action, _ in actions(app, dpo.user.id)] == [
        "subject access response requested",
        "subject access response ready",
        "subject access response downloaded",
    ]


def test_someone_elses_job_is_not_found_nor_downloaded(app, held, dpo, request_id, time_machine):
    location = ask_for(dpo, request_id, copy="team").headers["Location"]
    run_held(app, time_machine, held)
    colleague = app.test_client()
    sign_in(colleague, app, make_staff(app, "dpo"))
    assert colleague.get(location).status_code == 404
    assert colleague.post(f"{location}/download", data={"csrf_token": csrf_token(colleague)}).status_code == 404
    assert colleague.get("/staff/jobs/not-a-token").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Job.status)).one() == "ready"


def test_the_page_stops_reloading_itself_when_asked(app, held, dpo, request_id):
    location = ask_for(dpo, request_id).headers["Location"]
    html = dpo.get(f"{location}?refresh=off").get_data(as_text=True)
    assert REFRESH not in html
    assert f'href="{location}?refresh=off">Check again</a>' in html
    assert f'href="{location}">Check again every 2 seconds by itself</a>' in html


def test_a_file_left_15_minutes_is_gone_and_the_page_says_to_make_it_again(app, held, dpo, request_id, time_machine):
    location = ask_for(dpo, request_id).headers["Location"]
    run_held(app, time_machine, held)
    token = csrf_token(dpo)
    time_machine.move_to(MADE_AT + dt.timedelta(minutes=15), tick=False)
    assert dpo.post(f"{location}/download", data={"csrf_token": token}).status_code == 303
    html = dpo.get(location).get_data(as_text=True)
    assert "This PDF is no longer kept" in html and "Make it again" in html
    assert [action for action, _ in actions(app, dpo.user.id)][-1] == "subject access response ready"


def test_a_failed_job_says_why_in_plain_words(app, held, dpo, request_id, time_machine, monkeypatch):
    location = ask_for(dpo, request_id).headers["Location"]
    monkeypatch.setattr("portal.services.subject_access.render_pdf", lambda document: 1 / 0)
    run_held(app, time_machine, held)
    html = dpo.get(location).get_data(as_text=True)
    assert "Your PDF could not be made" in html and "Something went wrong while making the PDF." in html
    assert "ZeroDivisionError" not in html


def test_the_annual_report_button_queues_the_year_shown_and_refuses_a_year_not_offered(app, held):
    manager = make_staff(app, "manager")
    browser = app.test_client()
    sign_in(browser, app, manager)
    page = browser.get("/staff/reports").get_data(as_text=True)
    assert 'action="/staff/reports/annual-report"' in page and 'name="year" value="2026-27"' in page
    token = csrf_from(page)
    assert (
        browser.post("/staff/reports/annual-report", data={"csrf_token": token, "year": "1999-00"}).status_code == 404
    )
    queued = browser.post("/staff/reports/annual-report", data={"csrf_token": token, "year": "2026-27"})
    assert queued.status_code == 303
    html = browser.get(queued.headers["Location"]).get_data(as_text=True)
    assert "Annual Report 2026-27" in html and 'href="/staff/reports?year=2026-27"' in html
    assert len(held.tokens) == 1
