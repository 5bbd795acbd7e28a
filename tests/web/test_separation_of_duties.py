"""Separation of duties in casework, through the pages: sharing without consent waits for a second
manager's approval, and reassigning a case moves its referral (the penetration test's findings)."""

import html as html_lib
import re

import pytest

from portal.extensions import db
from portal.models import Case, Disclosure, Referral
from portal.services import clock, triage
from portal.services.audit import Actor
from tests.factories import open_case
from tests.journeys import error_summary
from tests.staff import csrf_token, date_fields, make_staff, sign_in


@pytest.fixture
def case_id(app):
    return open_case(app, make_staff(app, "caseworker", name="First Caseworker").id)


def signed_in(app, user):
    browser = app.test_client()
    sign_in(browser, app, user)
    return browser


def post(browser, path: str, **data: object):
    return browser.post(path, data={"csrf_token": csrf_token(browser), **data})


def text_of(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def record_without_consent(browser, case_id: int, what: str = "The family's address and the worries raised"):
    return post(
        browser,
        f"/staff/cases/{case_id}/disclosures/new/without-consent",
        basis="child_protection",
        recipient="Children's Social Care",
        justification="The child described harm at home.",
        what_was_shared=what,
        **date_fields("disclosed_on", clock.london_today()),
    )


def only_disclosure_id(app) -> int:
    with app.app_context():
        return db.session.scalars(db.select(Disclosure.id)).one()


def test_a_pending_disclosure_is_not_on_the_timeline_or_list_until_a_second_manager_approves(app, case_id):
    caseworker = signed_in(app, make_staff(app, "caseworker", name="Casey Worker"))
    base = f"/staff/cases/{case_id}"
    recorded = record_without_consent(caseworker, case_id)
    assert recorded.status_code == 302 and recorded.headers["Location"].endswith("/consent-and-disclosures")
    page = text_of(caseworker.get(recorded.headers["Location"]))
    assert "Disclosure to Children's Social Care recorded as awaiting approval" in page  # the confirmation banner
    assert "Awaiting approval" in page and "To Children's Social Care" in page
    assert "Shared with Children's Social Care" not in page
    assert "No disclosures." in text_of(caseworker.get(f"{base}/disclosures"))

    manager = signed_in(app, make_staff(app, "manager", name="Morgan Manager"))
    dashboard = text_of(manager.get("/staff/"))
    assert re.search(r">1</span>\s*disclosure without consent awaiting your approval", dashboard)
    listing = text_of(manager.get("/staff/disclosures/awaiting-approval"))
    disclosure_id = only_disclosure_id(app)
    decision_path = f"{base}/disclosures/{disclosure_id}"
    assert f'href="{decision_path}"' in listing and "Casey Worker" in listing
    assert "The child described harm at home." in text_of(manager.get(decision_path))
    unanswered = post(manager, decision_path)
    assert unanswered.status_code == 400 and error_summary(text_of(unanswered))[0][0] == "#decision"

    approved = post(manager, decision_path, decision="approve")
    assert approved.status_code == 302 and approved.headers["Location"] == "/staff/disclosures/awaiting-approval"
    after = text_of(manager.get(approved.headers["Location"]))
    assert "You approved the disclosure on case" in after and "Nothing is awaiting approval." in after
    page = text_of(caseworker.get(f"{base}/timeline"))
    assert "Shared with Children's Social Care on the basis of child protection or safeguarding" in page
    assert "approved by Morgan Manager" in page and "Awaiting approval" not in page
    assert "The family's address and the worries raised" in text_of(caseworker.get(f"{base}/disclosures"))


def test_a_manager_cannot_approve_their_own_legal_basis_disclosure_through_the_page(app, case_id):
    manager = signed_in(app, make_staff(app, "manager", name="Morgan Manager"))
    assert record_without_consent(manager, case_id).status_code == 302
    decision_path = f"/staff/cases/{case_id}/disclosures/{only_disclosure_id(app)}"
    page = text_of(manager.get(decision_path))
    assert "You recorded this disclosure, so a manager other than you must approve or decline it." in page
    assert 'name="decision"' not in page
    assert "You recorded it: another manager decides" in text_of(manager.get("/staff/disclosures/awaiting-approval"))
    refused = post(manager, decision_path, decision="approve")
    assert refused.status_code == 403
    assert error_summary(text_of(refused)) == [
        ("#decision", "You recorded this disclosure: a manager other than you must approve or decline it")
    ]
    with app.app_context():
        assert db.session.scalars(db.select(Disclosure.status)).one() == "pending"


def test_a_declined_disclosure_never_shows_as_shared(app, case_id):
    caseworker = signed_in(app, make_staff(app, "caseworker"))
    record_without_consent(caseworker, case_id)
    manager = signed_in(app, make_staff(app, "manager", name="Morgan Manager"))
    decision_path = f"/staff/cases/{case_id}/disclosures/{only_disclosure_id(app)}"
    no_reason = post(manager, decision_path, decision="decline")
    assert no_reason.status_code == 400 and error_summary(text_of(no_reason))[0][0] == "#decline_reason"
    declined = post(manager, decision_path, decision="decline", decline_reason="Speak to the family first.")
    assert declined.status_code == 302
    page = text_of(caseworker.get(f"/staff/cases/{case_id}/consent-and-disclosures"))
    assert "Declined" in page and "Speak to the family first." in page
    assert "Shared with Children's Social Care" not in page
    assert "No disclosures." in text_of(caseworker.get(f"/staff/cases/{case_id}/disclosures"))


def test_reassigning_a_case_moves_its_referral(app, case_id):
    """The penetration test's case: case and referral assigned to volunteer A, then reassigned from
    the case page to volunteer B. A loses the referral page, the family's details and the contact
    log; B gains both."""
    first = make_staff(app, "volunteer", name="Volunteer A")
    second = make_staff(app, "volunteer", name="Volunteer B")
    manager_user = make_staff(app, "manager")
    with app.app_context():
        case = db.session.get(Case, case_id)
        triage.assign(case.referral, first.id, Actor(manager_user.id, "192.0.2.1", clock.now()))
        referral_id = case.referral_id
    volunteer_a = signed_in(app, first)
    referral_page, case_page = f"/staff/referrals/{referral_id}", f"/staff/cases/{case_id}"
    assert volunteer_a.get(referral_page).status_code == 200 and volunteer_a.get(case_page).status_code == 200

    manager = signed_in(app, manager_user)
    moved = post(manager, f"{case_page}/assign", assignee=str(second.id))
    assert moved.status_code == 302
    assert "The case and its referral are now assigned to Volunteer B." in text_of(manager.get(case_page))

    call = {
        "method": "call",
        "direction": "outgoing",
        "summary": "Rang mum.",
        **date_fields("occurred_on", clock.london_today()),
    }
    assert volunteer_a.get(referral_page).status_code == 404
    assert post(volunteer_a, f"{referral_page}/contact", **call).status_code == 404
    assert volunteer_a.get(case_page).status_code == 404
    assert post(volunteer_a, f"{case_page}/contact", **call).status_code == 404
    volunteer_b = signed_in(app, second)
    assert volunteer_b.get(referral_page).status_code == 200 and volunteer_b.get(case_page).status_code == 200
    assert "Siân 李 Ó Briain" in text_of(volunteer_b.get(referral_page))
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        assert (referral.assigned_to_id, db.session.get(Case, case_id).assigned_to_id) == (second.id, second.id)


def test_assigning_a_referral_says_so_and_moves_its_case(app, case_id):
    volunteer = make_staff(app, "volunteer", name="Volunteer C")
    caseworker = signed_in(app, make_staff(app, "caseworker"))
    with app.app_context():
        referral_id = db.session.get(Case, case_id).referral_id
    moved = post(caseworker, f"/staff/referrals/{referral_id}/assign", assignee=str(volunteer.id))
    assert moved.status_code == 302
    page = text_of(caseworker.get(f"/staff/referrals/{referral_id}"))
    assert "The referral is now assigned to Volunteer C, and so is any case opened from it." in page
    refused = post(caseworker, f"/staff/cases/{case_id}/assign", assignee="9223372036854775808")
    assert refused.status_code == 400 and error_summary(text_of(refused))[0][0] == "#assignee"
    with app.app_context():
        assert db.session.get(Case, case_id).assigned_to_id == volunteer.id
