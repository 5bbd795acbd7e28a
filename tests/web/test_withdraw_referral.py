"""Recording, on the referral page, that a family withdrew: the date they said so and how, the
referral and its open case closed with it the same day, and dates that cannot be true refused with
the form's errors."""

import datetime as dt
from html import unescape

import pytest

from portal.extensions import db
from portal.models import Case, Referral
from portal.services.clock import long_date
from tests.clock import clock_on, london
from tests.factories import open_case, submit_referral
from tests.journeys import error_summary
from tests.staff import csrf_token, date_fields, make_staff, sign_in

TODAY = dt.date(2026, 3, 18)
clock_on_today = clock_on(TODAY)
WITHDREW = "The date the family withdrew"


@pytest.fixture
def caseworker(app):
    browser = app.test_client()
    sign_in(browser, app, make_staff(app, "caseworker"))
    return browser


def withdraw(browser, referral_id: int, **data: object):
    return browser.post(f"/staff/referrals/{referral_id}/withdraw", data={"csrf_token": csrf_token(browser), **data})


def test_withdrawing_closes_the_referral_and_its_open_case_the_same_day(app, caseworker, time_machine):
    time_machine.move_to(london(TODAY - dt.timedelta(days=7)), tick=False)
    case_id = open_case(app, make_staff(app, "caseworker", name="Opening Caseworker").id)
    time_machine.move_to(london(TODAY), tick=False)
    with app.app_context():
        referral_id = db.session.get(Case, case_id).referral_id
    page = caseworker.get(f"/staff/referrals/{referral_id}").get_data(as_text=True)
    assert "Record a withdrawal" in page and 'name="withdrawal_method"' in page
    withdrew_on = TODAY - dt.timedelta(days=2)

    done = withdraw(caseworker, referral_id, withdrawal_method="letter", **date_fields("withdrawn_on", withdrew_on))

    assert done.status_code == 302
    page = unescape(caseworker.get(done.headers["Location"]).get_data(as_text=True))
    assert "The family's withdrawal is recorded." in page
    assert f"Withdrawn on {long_date(withdrew_on)}, by letter" in page
    assert "Record a withdrawal" not in page, "nothing more to withdraw"
    case_page = caseworker.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert f"closed on {long_date(withdrew_on)}" in case_page and "Family withdrew" in case_page
    with app.app_context():
        referral, case = db.session.get(Referral, referral_id), db.session.get(Case, case_id)
        assert (referral.status, referral.closed_on, referral.withdrawal_method) == ("withdrawn", withdrew_on, "letter")
        assert (case.status, case.closed_on) == ("closed", withdrew_on)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (TODAY + dt.timedelta(days=1), f"{WITHDREW} must be today or in the past"),
        (TODAY - dt.timedelta(days=1), f"{WITHDREW} must be on or after the day the referral was made"),
    ],
    ids=["in the future", "before the referral was made"],
)
def test_a_withdrawal_date_in_the_future_or_before_submission_is_refused_with_a_form_error(
    app, caseworker, day, message
):
    referral_id = submit_referral(app).id

    refused = withdraw(caseworker, referral_id, withdrawal_method="phone", **date_fields("withdrawn_on", day))

    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert error_summary(html) == [("#withdrawn_on-day", message)]
    assert f'value="{day.day}"' in html, "what was typed is shown again"
    with app.app_context():
        assert db.session.get(Referral, referral_id).status == "new"


def test_a_withdrawal_without_a_real_date_or_how_the_family_said_so_is_refused(app, caseworker):
    referral_id = submit_referral(app).id

    refused = withdraw(caseworker, referral_id, **{"withdrawn_on-day": "31", "withdrawn_on-month": "2"})

    assert refused.status_code == 400
    hrefs = [href for href, _ in error_summary(refused.get_data(as_text=True))]
    assert hrefs == ["#withdrawn_on-day", "#withdrawal_method"]
