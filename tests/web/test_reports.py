"""The statistics pages: who reaches them, what the page, the CSV and the PDF hold, freezing a year
through its confirmation step, and an audit entry for every view and download."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, FrozenYear
from tests.clock import london
from tests.factories import submit_referral
from tests.jobs import download_when_made
from tests.staff import csrf_token, make_staff, pdf_text, sign_in

TODAY = dt.date(2026, 10, 15)
YEAR = "2025-26"


@pytest.fixture
def referrals(app: Flask, time_machine: Any) -> None:
    """Nine self-referrals in 2025-26 and two professional ones; the clock then stands in October 2026."""
    for day in range(1, 10):
        time_machine.move_to(london(dt.date(2025, 11, day)), tick=False)
        submit_referral(app, "self")
    for day in (1, 2):
        time_machine.move_to(london(dt.date(2026, 2, day)), tick=False)
        submit_referral(app, "professional")
    time_machine.move_to(london(TODAY), tick=False)


def signed_in(app: Flask, role: str):
    user = make_staff(app, role)
    browser = app.test_client()
    sign_in(browser, app, user)
    browser.user_id = user.id
    return browser


def actions_of(app: Flask, user_id: int) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.detail)
            .where(
                AuditEntry.actor_id == user_id,
                AuditEntry.action.like("statistics%") | AuditEntry.action.like("annual report%"),
            )
            .order_by(AuditEntry.sequence)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize("role", ["manager", "dpo"])
def test_the_manager_and_the_data_protection_team_see_a_years_statistics_and_each_look_is_audited(app, referrals, role):
    browser = signed_in(app, role)
    page = browser.get(f"/staff/reports?year={YEAR}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Referrals received, by route" in body
    assert '<th scope="row" class="govuk-table__header">Self-referral (parent, carer or young person)</th>' in body
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">10</td>' in body  # 9, rounded
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">*</td>' in body  # 2 professional
    assert 'role="img"' in body and "<desc" in body
    assert "A count from 1 to 7 is shown as *" in body
    assert "Freeze the statistics of 2025-26" in body  # the year has ended and is not frozen
    assert actions_of(app, browser.user_id) == [("statistics viewed", YEAR)]


@pytest.mark.parametrize("role", ["volunteer", "caseworker", "admin"])
def test_everyone_else_is_refused_the_page_and_every_download(app, referrals, role):
    browser = signed_in(app, role)
    for path in ("/staff/reports", "/staff/reports/statistics.csv"):
        assert browser.get(f"{path}?year={YEAR}").status_code == 403, path
    assert browser.get("/staff/reports/freeze").status_code == 403
    for path in ("/staff/reports/freeze", "/staff/reports/annual-report"):
        assert browser.post(path, data={"csrf_token": csrf_token(browser), "year": YEAR}).status_code == 403, path
    assert actions_of(app, browser.user_id) == []


def test_the_tidy_csv_holds_every_figure_suppressed_and_one_measures_csv_its_own(app, referrals):
    browser = signed_in(app, "manager")
    response = browser.get(f"/staff/reports/statistics.csv?year={YEAR}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="sps-statistics-2025-26.csv"'
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert lines[0] == ["year", "measure", "category", "second_category", "value"]
    by_route = [line for line in lines if line[1] == "Referrals received, by route"]
    assert by_route == [
        [YEAR, "Referrals received, by route", "Self-referral (parent, carer or young person)", "", "10"],
        [YEAR, "Referrals received, by route", "Professional referral", "", "*"],
        [YEAR, "Referrals received, by route", "Total", "", "10"],  # 11, from the raw counts
    ]
    assert {line[4] for line in lines[1:]} <= {"0", "*"} | {str(five) for five in range(10, 1000, 5)}
    assert [YEAR, "Families and young people supported", "Total", "Total", "0"] in lines

    one = browser.get(f"/staff/reports/statistics.csv?year={YEAR}&measure=referrals_by_route")
    assert one.headers["Content-Disposition"] == 'attachment; filename="sps-statistics-2025-26-referrals-by-route.csv"'
    assert list(csv.reader(io.StringIO(one.get_data(as_text=True))))[1:] == by_route
    assert browser.get(f"/staff/reports/statistics.csv?year={YEAR}&measure=nothing").status_code == 404
    assert actions_of(app, browser.user_id) == [
        ("statistics downloaded", "sps-statistics-2025-26.csv"),
        ("statistics downloaded", "sps-statistics-2025-26-referrals-by-route.csv"),
    ]


def test_the_annual_report_pdf_has_the_tables_and_the_rule_in_words(app, referrals):
    browser = signed_in(app, "dpo")
    queued = browser.post("/staff/reports/annual-report", data={"csrf_token": csrf_token(browser), "year": YEAR})
    response = download_when_made(browser, queued)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    words = " ".join(text.split())
    assert "statistics for the academic year 2025-26" in words
    assert "A count from 1 to 7 is shown as *" in words
    route_line = next(line for line in text.splitlines() if "Professional referral" in line)
    assert route_line.split()[-1] == "*"
    assert "Riverside" not in text and "SPS-" not in text  # no school, no reference
    assert response.headers["Content-Disposition"] == 'attachment; filename="sps-annual-report-2025-26.pdf"'
    assert actions_of(app, browser.user_id) == [
        ("annual report requested", YEAR),
        ("annual report ready", YEAR),
        ("annual report downloaded", YEAR),
    ]


def test_a_year_is_frozen_after_a_confirmation_and_only_once(app, referrals):
    browser = signed_in(app, "manager")
    question = browser.get(f"/staff/reports/freeze?year={YEAR}")
    assert question.status_code == 200
    assert "cannot be unfrozen" in question.get_data(as_text=True)
    token = csrf_token(browser)
    frozen = browser.post("/staff/reports/freeze", data={"csrf_token": token, "year": YEAR})
    assert frozen.status_code == 302
    page = browser.get(frozen.headers["Location"]).get_data(as_text=True)
    assert "The statistics of 2025-26 are frozen." in page
    assert "(frozen)" in page
    again = browser.post("/staff/reports/freeze", data={"csrf_token": token, "year": YEAR})
    assert again.status_code == 400
    assert "2025-26 is frozen already" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(FrozenYear, YEAR).frozen_by_id == browser.user_id
        db.session.remove()
    frozen_entries = [detail for action, detail in actions_of(app, browser.user_id) if action == "statistics frozen"]
    assert len(frozen_entries) == 1 and frozen_entries[0].startswith(f"{YEAR}: ")


def test_the_current_year_cannot_be_frozen_and_no_year_outside_the_records_is_offered(app, referrals):
    browser = signed_in(app, "dpo")
    question = browser.get("/staff/reports/freeze?year=2026-27")
    assert question.status_code == 200
    assert "2026-27 cannot be frozen until it has ended" in question.get_data(as_text=True)
    refused = browser.post("/staff/reports/freeze", data={"csrf_token": csrf_token(browser), "year": "2026-27"})
    assert refused.status_code == 400
    for year in ("2027-28", "2019-20", "2025-27", "<b>", "9" * 40):
        assert browser.get(f"/staff/reports?year={year}").status_code == 404, year
    assert (
        browser.post("/staff/reports/freeze", data={"csrf_token": csrf_token(browser), "year": "x"}).status_code == 400
    )
