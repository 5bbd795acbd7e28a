"""The referral page and the triage actions on it: what a professional referral without the
family's consent says and refuses, the warning when the child was referred before, the success
banner after each action, accepting landing on the new case, and the assign list offering only
people who may see the family."""

from __future__ import annotations

import re
from html import unescape

import pytest

from portal.extensions import db
from portal.models import AuditEntry, Case, Referral
from portal.services import clock
from portal.services.audit import system_actor
from portal.services.consent import current_privacy_notice
from portal.services.demo import _keyed_in_without_attestation
from tests.factories import Made, open_case, submit_referral
from tests.journeys import professional_answers, self_referral_answers
from tests.staff import csrf_token, date_fields, make_staff, sign_in


@pytest.fixture
def caseworker(app):
    browser = app.test_client()
    browser.user = make_staff(app, "caseworker", name="Deciding Caseworker")
    sign_in(browser, app, browser.user)
    return browser


def unattested(app) -> Made:
    with app.app_context():
        referral = _keyed_in_without_attestation(current_privacy_notice().version, system_actor(clock.now()))
        made = Made(referral.id, str(referral.reference), referral.route)
        db.session.remove()
    return made


def page_text(browser, referral_id: int) -> str:
    return unescape(browser.get(f"/staff/referrals/{referral_id}").get_data(as_text=True))


def post(browser, referral_id: int, action: str, **data: object):
    return browser.post(f"/staff/referrals/{referral_id}/{action}", data={"csrf_token": csrf_token(browser), **data})


def banner(html: str) -> str:
    found = re.search(
        r'govuk-notification-banner--success.*?<p class="govuk-notification-banner__heading">(.*?)</p>', html, re.S
    )
    assert found, "no success banner"
    return " ".join(found.group(1).split())


def assignee_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="assignee".*?</select>', html, re.S)
    assert select
    return [" ".join(text.split()) for text in re.findall(r"<option[^>]*>(.*?)</option>", select.group(0), re.S)]


# Consent not yet on record -----------------------------------------------------------------------


def test_a_referral_without_consent_says_once_what_to_do_and_offers_no_accept(app, caseworker):
    made = unattested(app)

    page = page_text(caseworker, made.id)

    assert (
        "Nobody may contact this family, log contact with them or accept this referral until their consent is "
        "on record." in page
    )
    assert "Confirm consent with the family, or with the professional who referred them, then record it below." in page
    assert "Accept and open a case" not in page
    assert "You can accept this referral once the family's consent is on record" in page
    assert "No contact can be logged until the family's consent is on record" in page
    assert page.count('class="govuk-warning-text"') == 1, "one warning, not several saying different things"
    assert 'id="record-attestation"' in page and "Decline" in page


def test_a_volunteer_is_told_a_caseworker_records_consent(app):
    made = unattested(app)
    volunteer = make_staff(app, "volunteer")
    with app.app_context():
        db.session.get(Referral, made.id).assigned_to_id = volunteer.id
        db.session.commit()
    browser = app.test_client()
    sign_in(browser, app, volunteer)

    page = page_text(browser, made.id)

    assert "A caseworker records it once they have confirmed consent" in page
    assert 'id="record-attestation"' not in page


def test_accepting_a_referral_without_consent_is_refused(app, caseworker):
    made = unattested(app)

    refused = post(caseworker, made.id, "accept")

    assert refused.status_code == 400
    assert "Record the consent attestation before accepting this referral" in unescape(refused.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Referral, made.id).status == "new"
        assert db.session.scalar(db.select(Case).where(Case.referral_id == made.id)) is None


def test_once_consent_is_recorded_the_page_says_so_and_offers_accept(app, caseworker):
    made = unattested(app)

    done = post(
        caseworker,
        made.id,
        "attestation",
        consent_given_by="parent_carer",
        consent_method="verbal",
        consent_confirmed="y",
        **date_fields("consent_given_on", clock.london_today()),
    )

    assert done.status_code == 302
    page = unescape(caseworker.get(done.headers["Location"]).get_data(as_text=True))
    assert banner(page) == "The consent attestation is recorded. You can now contact the family and log it."
    assert "Accept and open a case" in page
    assert "Nobody may contact this family" not in page


# Banners and where each action lands ----------------------------------------------------------------


def test_accepting_lands_on_the_new_case_with_a_banner(app, caseworker):
    made = submit_referral(app, "professional", professional_answers())

    done = post(caseworker, made.id, "accept")

    with app.app_context():
        case_id = db.session.scalar(db.select(Case.id).where(Case.referral_id == made.id))
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/staff/cases/{case_id}")
    page = unescape(caseworker.get(done.headers["Location"]).get_data(as_text=True))
    assert banner(page) == f"Referral {made.reference} is accepted. This is the case opened from it."


def test_assigning_declining_and_logging_contact_each_confirm_themselves(app, caseworker):
    made = submit_referral(app, "self", self_referral_answers())
    worker = make_staff(app, "caseworker", name="Assigned Worker")

    assigned = post(caseworker, made.id, "assign", assignee=worker.id)
    assert banner(caseworker.get(assigned.headers["Location"]).get_data(as_text=True)) == (
        "The referral is now assigned to Assigned Worker, and so is any case opened from it."
    )

    logged = post(
        caseworker,
        made.id,
        "contact",
        method="call",
        direction="outgoing",
        summary="Called the family to introduce the service.",
        **date_fields("occurred_on", clock.london_today()),
    )
    assert logged.status_code == 302
    assert banner(caseworker.get(logged.headers["Location"]).get_data(as_text=True)) == "The contact is logged."

    declined = post(caseworker, made.id, "decline", reason="Outside the service's area.")
    assert declined.status_code == 302
    assert banner(caseworker.get(declined.headers["Location"]).get_data(as_text=True)) == (
        "The referral is declined and closed. The reason is recorded below."
    )


# The same child referred before ---------------------------------------------------------------------


def test_a_child_referred_before_is_pointed_out_with_links_and_the_look_audited(app, caseworker):
    case_id = open_case(app, caseworker.user.id)
    with app.app_context():
        first = db.session.get(Case, case_id).referral
        first = Made(first.id, str(first.reference), first.route)
    unrelated = submit_referral(app, "professional", professional_answers())
    again = submit_referral(app, "self", self_referral_answers())

    page = page_text(caseworker, again.id)

    assert "This child may already be known to the service: another referral names a child" in page
    assert f'href="/staff/referrals/{first.id}">Referral {first.reference}</a>' in page
    assert f'href="/staff/cases/{case_id}"' in page
    assert unrelated.reference not in page
    with app.app_context():
        viewed = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "referral viewed", AuditEntry.record_id == again.id)
        ).one()
        assert viewed.detail == f"same child as referrals {first.id}"


def test_a_child_referred_once_has_no_warning(app, caseworker):
    made = submit_referral(app, "self", self_referral_answers())
    submit_referral(app, "professional", professional_answers())

    assert "may already be known to the service" not in page_text(caseworker, made.id)


def test_a_volunteer_is_not_told_of_referrals_they_may_not_open(app):
    submit_referral(app, "self", self_referral_answers())
    again = submit_referral(app, "self", self_referral_answers())
    volunteer = make_staff(app, "volunteer")
    with app.app_context():
        db.session.get(Referral, again.id).assigned_to_id = volunteer.id
        db.session.commit()
    browser = app.test_client()
    sign_in(browser, app, volunteer)

    assert "may already be known to the service" not in page_text(browser, again.id)


# Who a referral may be given to -------------------------------------------------------------------


def test_the_assign_list_offers_only_people_who_may_see_the_family(app, caseworker):
    made = submit_referral(app, "self", self_referral_answers())
    make_staff(app, "caseworker", name="Cleared Caseworker")
    make_staff(app, "volunteer", name="Cleared Volunteer")
    make_staff(app, "caseworker", name="Untrained Caseworker", trained=False)
    make_staff(app, "volunteer", name="Unsigned Volunteer", agreement=False)
    make_staff(app, "manager", name="Only A Manager")
    gone = make_staff(app, "caseworker", name="Deactivated Caseworker")
    with app.app_context():
        db.session.get(type(gone), gone.id).active = False
        db.session.commit()

    offered = assignee_options(page_text(caseworker, made.id))

    assert offered == ["Choose someone", "Cleared Caseworker", "Cleared Volunteer", "Deciding Caseworker"]


def test_assigning_to_someone_whose_access_is_paused_is_refused(app, caseworker):
    made = submit_referral(app, "self", self_referral_answers())
    untrained = make_staff(app, "caseworker", name="Untrained Caseworker", trained=False)

    refused = post(caseworker, made.id, "assign", assignee=untrained.id)

    assert refused.status_code == 400
    assert "whose confidentiality training is in date" in unescape(refused.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Referral, made.id).assigned_to_id is None
