"""Case pages through HTTP: the casework journey, conflicting edits, and who sees what."""

import re

import pytest

from portal.extensions import db
from portal.models import Case, StaffUser
from portal.services import case_codes, clock
from portal.services.clock import long_date
from portal.services.validation import add_years
from tests.factories import open_case
from tests.journeys import error_summary
from tests.staff import csrf_token, date_fields, make_staff, sign_in


@pytest.fixture
def case_id(app):
    return open_case(app, make_staff(app, "caseworker", name="First Caseworker").id)


def signed_in_as(app, *roles, name=None):
    browser = app.test_client()
    sign_in(browser, app, make_staff(app, *roles, name=name))
    return browser


def post(browser, path: str, **data: object):
    return browser.post(path, data={"csrf_token": csrf_token(browser), **data})


def test_the_casework_journey(app, case_id):
    today = clock.london_today()
    browser = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    assert "Siân 李 Ó Briain" in browser.get(base).get_data(as_text=True)

    refused = post(browser, f"{base}/consent")
    assert refused.status_code == 400
    assert [href for href, _ in error_summary(refused.get_data(as_text=True))] == [
        "#given_by",
        "#given_on-day",
        "#consent_method",
        "#keeps_contact_information",
    ]
    consent = post(
        browser,
        f"{base}/consent",
        given_by="parent_carer",
        consent_method="written",
        keeps_contact_information="yes",
        parties="Riverside Primary School\nDr Patel, community paediatrician",
        **date_fields("given_on", today),
    )
    assert consent.status_code == 302
    page = browser.get(base).get_data(as_text=True)
    party_id = re.search(r'<option value="(\d+)">Riverside Primary School</option>', page).group(1)

    shared = post(
        browser,
        f"{base}/disclosures",
        basis="consent",
        consent_party_id=party_id,
        what_was_shared="The EHC needs assessment request",
        **date_fields("disclosed_on", today),
    )
    assert shared.status_code == 302
    not_named = post(
        browser,
        f"{base}/disclosures",
        basis="consent",
        consent_party_id="",
        what_was_shared="Reports",
        **date_fields("disclosed_on", today),
    )
    assert not_named.status_code == 400
    assert error_summary(not_named.get_data(as_text=True))[0][0] == "#consent_party_id"

    closed = post(browser, f"{base}/close", case_outcome="Advice given.", **date_fields("closed_on", today))
    assert closed.status_code == 302
    page = browser.get(base).get_data(as_text=True)
    assert f"due for destruction on {long_date(add_years(today, 3))}" in page
    listing = browser.get(f"{base}/disclosures").get_data(as_text=True)
    assert "Riverside Primary School" in listing and "The EHC needs assessment request" in listing


def test_a_second_save_of_a_note_gets_the_conflict_page_with_both_texts(app, case_id):
    first = signed_in_as(app, "caseworker")
    second = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    assert post(first, f"{base}/notes", note="Mum called.").status_code == 302
    note_id = re.search(r'id="note-(\d+)"', first.get(base).get_data(as_text=True)).group(1)
    assert post(first, f"{base}/notes/{note_id}", note="Mum called about transport.", version="1").status_code == 302
    conflict = post(second, f"{base}/notes/{note_id}", note="Mum called about the EHC plan.", version="1")
    assert conflict.status_code == 409
    html = conflict.get_data(as_text=True)
    assert "Someone else saved a change first" in html
    assert "Mum called about transport." in html and "Mum called about the EHC plan." in html
    kept = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert post(second, f"{base}/notes/{note_id}", note="Transport and the EHC plan.", version=kept).status_code == 302
    manager = signed_in_as(app, "manager")
    page = manager.get(base).get_data(as_text=True)
    assert "Earlier versions (2)" in page and "Mum called about transport." in page


def test_the_data_protection_team_sees_disclosures_but_not_the_case(app, case_id):
    dpo = signed_in_as(app, "dpo")
    assert dpo.get(f"/staff/cases/{case_id}").status_code == 403
    assert dpo.get(f"/staff/cases/{case_id}/disclosures").status_code == 200
    assert dpo.get("/staff/cases/999999/disclosures").status_code == 404


def test_a_volunteer_reaches_only_their_case_and_cannot_print_it(app, case_id):
    volunteer = signed_in_as(app, "volunteer")
    assert volunteer.get(f"/staff/cases/{case_id}").status_code == 404
    with app.app_context():
        [volunteer_id] = [
            user.id for user in db.session.scalars(db.select(StaffUser)).all() if user.role_set == {"volunteer"}
        ]
        db.session.get(Case, case_id).assigned_to_id = volunteer_id
        db.session.commit()
    page = volunteer.get(f"/staff/cases/{case_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "sps-no-print" in html
    assert "Record consent" not in html and "Close case" not in html and "Record a disclosure" not in html
    assert not re.search(r"(?i)download|export|\.pdf", html)
    assert post(volunteer, f"/staff/cases/{case_id}/notes", note="Visited the school with mum.").status_code == 302
    assert post(volunteer, f"/staff/cases/{case_id}/close", case_outcome="x").status_code == 403


def stored_codes(app, case_id: int) -> tuple[str | None, str | None]:
    """The case's topic and level as the database holds them, not as any page shows them."""
    with app.app_context():
        query = db.text("SELECT topic, intervention_level FROM cases WHERE id = :id")
        return tuple(db.session.execute(query, {"id": case_id}).one())


def test_topics_and_levels_are_stored_as_codes_shown_as_labels_and_a_renamed_label_changes_no_row(
    app, case_id, monkeypatch
):
    browser = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    page = browser.get(base).get_data(as_text=True)
    assert '<option value="ehc_plan">EHC plan</option>' in page
    assert '<option value="level_3">Level 3: casework</option>' in page
    saved = post(browser, f"{base}/details", topic="ehc_plan", intervention_level="level_3", status="open", version="1")
    assert saved.status_code == 302
    assert stored_codes(app, case_id) == ("ehc_plan", "level_3")
    page = browser.get(base).get_data(as_text=True)
    assert "EHC plan" in page and "Level 3: casework" in page

    monkeypatch.setitem(case_codes.TOPICS, "ehc_plan", "Education, health and care plan")
    page = browser.get(base).get_data(as_text=True)
    assert "Education, health and care plan" in page
    assert stored_codes(app, case_id) == ("ehc_plan", "level_3"), "rewording a label leaves every row as it was"

    as_text = post(browser, f"{base}/details", topic="EHC plan", intervention_level="", status="open", version="2")
    assert as_text.status_code == 400
    assert error_summary(as_text.get_data(as_text=True)) == [("#topic", "Choose a topic from the list")]
