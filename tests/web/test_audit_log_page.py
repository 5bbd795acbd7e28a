"""The audit log names records by their references and links them where the viewer may open them,
filters by London days, and reads a page in the same few queries however many entries it shows."""

from __future__ import annotations

import datetime as dt
import re

from portal.extensions import db
from portal.models import Case
from portal.services import audit, clock
from portal.services.audit import Actor
from tests.clock import london
from tests.factories import open_case, submit_referral
from tests.staff import make_staff, sign_in
from tests.web.test_query_counts import counted

PAGE = "/staff/audit"


def signed_in(app, user):
    browser = app.test_client()
    sign_in(browser, app, user)
    return browser


def record_cells(html: str) -> list[str]:
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, flags=re.S)
    cells = [re.findall(r'<td class="govuk-table__cell"[^>]*>(.*?)</td>', row, flags=re.S) for row in rows]
    return [" ".join(row[4].split()) for row in cells if len(row) == 6]


def test_entries_name_their_records_by_reference_and_link_where_the_viewer_may_open_them(app):
    manager, dpo = make_staff(app, "manager"), make_staff(app, "dpo")
    case_id = open_case(app, manager.id)
    with app.app_context():
        reference = db.session.get(Case, case_id).referral.reference
        referral_id = db.session.get(Case, case_id).referral_id
        acts = Actor(manager.id, None, clock.now())
        audit.record(acts, "case viewed", "case", case_id)
        audit.record(acts, "referral viewed", "referral", 999_999)  # a record since destroyed
        db.session.commit()

    cells = record_cells(signed_in(app, manager).get(PAGE).get_data(as_text=True))
    assert f'Case <a class="govuk-link sps-reference" href="/staff/cases/{case_id}">{reference}</a>' in cells
    assert (
        f'Referral <a class="govuk-link sps-reference" href="/staff/referrals/{referral_id}">{reference}</a>' in cells
    )
    assert "Referral 999999 (no longer held)" in cells
    # The data protection team reads the log but not casework: the reference, without a link.
    cells = record_cells(signed_in(app, dpo).get(PAGE).get_data(as_text=True))
    assert f'Case <span class="sps-reference">{reference}</span>' in cells


def test_the_log_is_filtered_by_london_days(app, time_machine):
    manager = make_staff(app, "manager")
    with app.app_context():
        for day in (dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 11, 4)):
            # Just after midnight in London, in summer or winter time alike.
            audit.record(Actor(manager.id, None, london(day, hour=0, minute=5)), "referral viewed", "referral", 1)
            db.session.commit()
    time_machine.move_to(london(dt.date(2026, 11, 5)), tick=False)
    browser = signed_in(app, manager)
    response = browser.get(
        PAGE,
        query_string={
            "action": "referral viewed",
            **{"from-day": "3", "from-month": "11", "from-year": "2026"},
            **{"to-day": "3", "to-month": "11", "to-year": "2026"},
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1 entry, newest first" in html
    assert "3 November 2026" in html and "2 November 2026" not in html.split("<tbody")[1]


def test_dates_that_are_not_dates_or_out_of_order_are_reported_and_the_log_still_shown(app):
    browser = signed_in(app, make_staff(app, "manager"))
    wrong = browser.get(PAGE, query_string={"from-day": "31", "from-month": "2", "from-year": "2026"})
    assert wrong.status_code == 400
    html = wrong.get_data(as_text=True)
    assert '<a href="#from-day">The date from must be a real date</a>' in html
    assert "Viewed the audit log" in html
    backwards = browser.get(
        PAGE,
        query_string={
            **{"from-day": "3", "from-month": "11", "from-year": "2026"},
            **{"to-day": "2", "to-month": "11", "to-year": "2026"},
        },
    )
    assert backwards.status_code == 400
    assert "The date to must be the same as or after the date from" in backwards.get_data(as_text=True)


def test_statements_per_audit_log_page_do_not_grow_with_the_entries(app):
    manager = make_staff(app, "manager")
    case_id = open_case(app, manager.id)
    made = submit_referral(app, "self")
    browser = signed_in(app, manager)
    counts = {}
    written = 0
    for size in (3, 30, 300):
        with app.app_context():
            acts = Actor(manager.id, None, clock.now())
            kinds = (("case viewed", "case", case_id), ("referral viewed", "referral", made.id))
            for number in range(written, size):
                action, record_type, record_id = kinds[number % 2]
                audit.record(acts, action, record_type, record_id)
                audit.record(acts, "staff account viewed", "staff_user", manager.id)
            db.session.commit()
        written = size
        counts[size] = len(counted(app, browser, PAGE))
    assert len(set(counts.values())) == 1, counts
