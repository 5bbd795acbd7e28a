"""The statistics pages in a real browser: a year's tables and charts, a warning, the freeze
question and a refused freeze, each axe clean; then freezing a year that has ended."""

from __future__ import annotations

import datetime as dt

from portal.services import clock
from portal.services.academic_year import AcademicYear
from tests.browser.helpers import Findings, submit, visit
from tests.browser.staff_helpers import notification, sign_in
from tests.factories import submit_referral
from tests.staff import make_staff


def test_the_statistics_pages_have_no_axe_violations_and_a_past_year_freezes(page, app, time_machine):
    now = clock.now()
    last_year = AcademicYear.of(clock.london_today()).previous()
    # Referrals in the year that has ended (one route only: the warning shows), and one this year.
    time_machine.move_to(dt.datetime.combine(last_year.first_day + dt.timedelta(days=40), dt.time(10), dt.UTC))
    for _ in range(9):
        submit_referral(app, "self")
    time_machine.move_to(now, tick=True)
    submit_referral(app, "professional")
    sign_in(page, app, make_staff(app, "manager", name="Axe Manager"))
    found = Findings(page)

    found.visit_and_check("/staff/reports", "statistics of the current year")
    assert page.locator("svg.sps-chart[role=img]").count() > 0
    found.visit_and_check(f"/staff/reports?year={last_year}", "statistics of the year that has ended")
    assert "Check before publishing" in page.locator("main").inner_text()
    found.visit_and_check(f"/staff/reports/freeze?year={AcademicYear.of(clock.london_today())}", "cannot freeze yet")
    found.visit_and_check(f"/staff/reports/freeze?year={last_year}", "freeze question")

    submit(page, "frozen", button=f"Freeze {last_year}")
    assert f"The statistics of {last_year} are frozen." in notification(page)
    assert f"Academic year {last_year} (frozen)" in page.locator("h1").inner_text()
    found.check("frozen year")

    visit(page, f"/staff/reports/freeze?year={last_year}", "freeze again")
    found.check("a frozen year's freeze page")
    found.assert_none()
