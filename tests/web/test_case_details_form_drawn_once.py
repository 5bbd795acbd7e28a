"""The case's details form, on its own page: each case's page shows its own choices selected and
its own version, as the page drawn in full does, and nothing of a case is kept between requests."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Case
from portal.services import casework, clock
from portal.services.audit import Actor
from portal.services.casework import CaseDetails
from tests.bulk import insert_cases
from tests.staff import make_staff, sign_in
from tests.web.test_rendering import drawn_in_full, kept_drawings, normalised


def test_each_case_details_page_shows_its_own_details_as_the_page_drawn_in_full(app):
    manager, caseworker = make_staff(app, "manager"), make_staff(app, "caseworker")
    insert_cases(app, 3, opened_by=manager.id, assigned_to=caseworker.id, seed=11)
    with app.app_context():
        open_ids = list(db.session.scalars(db.select(Case.id).where(Case.status != "closed").order_by(Case.id)))
        changed = db.session.get(Case, open_ids[0])
        details = CaseDetails("transport", "level_2", "inactive")
        casework.update_details(changed, details, changed.version, Actor(manager.id, "", clock.now()))
        db.session.remove()
    assert len(open_ids) >= 2, "two open cases to compare"
    browser = app.test_client()
    sign_in(browser, app, manager)
    pages = {}
    for case_id in open_ids[:2]:
        page = f"/staff/cases/{case_id}/details"
        browser.get(page)
        pages[case_id] = browser.get(page).get_data(as_text=True)
        assert normalised(pages[case_id]) == normalised(drawn_in_full(browser, page).get_data(as_text=True))
    changed_page = pages[open_ids[0]]
    assert '<option value="transport" selected>' in changed_page
    assert 'value="inactive" checked' in changed_page
    assert '<input type="hidden" name="version" value="2">' in changed_page
    assert '<input type="hidden" name="version" value="1">' in pages[open_ids[1]]
    kept = kept_drawings(app)
    assert f"/staff/cases/{open_ids[0]}/details" not in kept
    assert 'name="version" value="2"' not in kept
