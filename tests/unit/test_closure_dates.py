"""When a referral closes (design section 8): the London date it was declined, the date the family
withdrew (closing its open case with it), the day its case closed, cleared when the case reopens;
and the child's age band on the day of referral (design section 9), without HTTP."""

import datetime as dt

import pytest

from portal.extensions import db
from portal.models import AuditEntry, Case, Referral
from portal.models.referrals import WITHDRAWAL_METHODS
from portal.services import casework, triage
from portal.services.audit import Actor
from portal.services.referrals import age_band_on
from portal.services.triage import WITHDRAWN_CASE_OUTCOME, WithdrawalRefused
from tests.clock import london
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff

# A summer day: London is on BST, an hour ahead of UTC, so half past midnight in London is still
# the day before in UTC.
SUBMITTED_ON = dt.date(2026, 7, 14)


@pytest.fixture
def caseworker(app, app_context):
    return make_staff(app, "caseworker")


def referral_made_on(app, time_machine, day: dt.date, **answers: object) -> Referral:
    time_machine.move_to(london(day), tick=False)
    made = submit_referral(app, "self", self_referral_answers(**answers))
    return db.session.get(Referral, made.id)


def acting(user, at: dt.datetime) -> Actor:
    return Actor(user.id, "192.0.2.7", at)


def test_a_declined_referral_closes_on_the_london_day_it_was_declined_across_midnight_bst(
    app, time_machine, caseworker
):
    referral = referral_made_on(app, time_machine, SUBMITTED_ON)
    just_after_midnight = london(SUBMITTED_ON + dt.timedelta(days=1), hour=0, minute=30)
    assert just_after_midnight.astimezone(dt.UTC).date() == SUBMITTED_ON  # still the 14th in UTC
    triage.decline(referral, "Outside the area the service covers.", acting(caseworker, just_after_midnight))
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).closed_on == dt.date(2026, 7, 15)


def test_withdrawing_closes_the_referral_and_its_open_case_the_same_day(app, time_machine, caseworker):
    referral = referral_made_on(app, time_machine, SUBMITTED_ON)
    case = triage.accept(referral, acting(caseworker, london(SUBMITTED_ON)), SUBMITTED_ON, 6)
    withdrew_on = SUBMITTED_ON + dt.timedelta(days=3)
    triage.withdraw(referral, withdrew_on, "phone", acting(caseworker, london(SUBMITTED_ON + dt.timedelta(days=5))))
    db.session.expire_all()
    referral, case = db.session.get(Referral, referral.id), db.session.get(Case, case.id)
    assert (referral.status, referral.closed_on, referral.withdrawal_method) == ("withdrawn", withdrew_on, "phone")
    assert (case.status, case.closed_on, case.outcome) == ("closed", withdrew_on, WITHDRAWN_CASE_OUTCOME)
    assert case.consent_review_due is None
    actions = db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.sequence)).all()
    assert actions[-2:] == ["case closed", "referral withdrawn"]


def test_withdrawing_a_new_referral_closes_it_on_the_day_the_family_withdrew(app, time_machine, caseworker):
    referral = referral_made_on(app, time_machine, SUBMITTED_ON)
    triage.withdraw(referral, SUBMITTED_ON, "via_referrer", acting(caseworker, london(SUBMITTED_ON, hour=15)))
    assert (referral.status, referral.closed_on) == ("withdrawn", SUBMITTED_ON)
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0


@pytest.mark.parametrize(
    ("withdrew_on", "method", "problems"),
    [
        (SUBMITTED_ON + dt.timedelta(days=2), "phone", {"withdrawn_on": "must be today or in the past"}),
        (SUBMITTED_ON - dt.timedelta(days=1), "email", {"withdrawn_on": "on or after the day the referral was made"}),
        (None, "letter", {"withdrawn_on": "Enter the date the family withdrew"}),
        (SUBMITTED_ON, "carrier pigeon", {"withdrawal_method": "Select how the family told us"}),
    ],
)
def test_a_withdrawal_in_the_future_before_submission_or_without_how_is_refused(
    app, time_machine, caseworker, withdrew_on, method, problems
):
    referral = referral_made_on(app, time_machine, SUBMITTED_ON)
    with pytest.raises(WithdrawalRefused) as refusal:
        triage.withdraw(referral, withdrew_on, method, acting(caseworker, london(SUBMITTED_ON + dt.timedelta(days=1))))
    assert set(refusal.value.problems) == set(problems)
    for field, words in problems.items():
        assert words in refusal.value.problems[field]
    db.session.rollback()
    assert db.session.get(Referral, referral.id).status == "new"


def test_a_declined_or_withdrawn_referral_or_one_whose_case_is_closed_cannot_be_withdrawn(
    app, time_machine, caseworker
):
    declined = referral_made_on(app, time_machine, SUBMITTED_ON)
    acts = acting(caseworker, london(SUBMITTED_ON))
    triage.decline(declined, "Not eligible.", acts)
    with pytest.raises(WithdrawalRefused) as refusal:
        triage.withdraw(declined, SUBMITTED_ON, "phone", acts)
    assert refusal.value.problems["withdrawn_on"] == "This referral has already been declined"
    accepted = referral_made_on(app, time_machine, SUBMITTED_ON)
    case = triage.accept(accepted, acts, SUBMITTED_ON, 6)
    casework.close(case, "Advice given.", SUBMITTED_ON, acts, SUBMITTED_ON)
    with pytest.raises(WithdrawalRefused) as refusal:
        triage.withdraw(accepted, SUBMITTED_ON, "phone", acts)
    assert refusal.value.problems["withdrawn_on"] == "The case opened from this referral is already closed"


def test_closing_a_case_closes_its_referral_and_reopening_clears_the_referrals_closing_date(
    app, time_machine, caseworker
):
    referral = referral_made_on(app, time_machine, SUBMITTED_ON)
    case = triage.accept(referral, acting(caseworker, london(SUBMITTED_ON)), SUBMITTED_ON, 6)
    acts = acting(caseworker, london(SUBMITTED_ON + dt.timedelta(days=10)))
    closed_on = acts.today - dt.timedelta(days=1)
    casework.close(case, "Advice given.", closed_on, acts, acts.today)
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).closed_on == closed_on
    casework.reopen(db.session.get(Case, case.id), acts, acts.today, 3, 6)
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).closed_on is None


def test_reopening_the_case_of_a_family_who_withdrew_accepts_their_referral_again(app, time_machine, caseworker):
    referral = referral_made_on(app, time_machine, SUBMITTED_ON)
    acts = acting(caseworker, london(SUBMITTED_ON))
    case = triage.accept(referral, acts, SUBMITTED_ON, 6)
    triage.withdraw(referral, SUBMITTED_ON, "email", acts)
    casework.reopen(case, acts, SUBMITTED_ON, 3, 6)
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    assert (referral.status, referral.closed_on, referral.withdrawal_method) == ("accepted", None, None)
    assert db.session.get(Case, case.id).status == "open"


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (dt.date(2021, 7, 15), "0-4"),  # the day before the 5th birthday
        (dt.date(2021, 7, 14), "5-10"),  # the 5th birthday itself
        (dt.date(2015, 7, 15), "5-10"),
        (dt.date(2015, 7, 14), "11-15"),
        (dt.date(2010, 7, 14), "16-19"),
        (dt.date(2006, 7, 14), "20-25"),
        (dt.date(2000, 7, 15), "20-25"),
        (dt.date(2000, 7, 14), "over-25"),
    ],
)
def test_the_age_band_is_the_childs_age_on_the_day_of_referral(born, band):
    assert age_band_on(born, SUBMITTED_ON) == band


@pytest.mark.parametrize(
    ("born", "band"),
    [(["15", "7", "2021"], "0-4"), (["14", "7", "2021"], "5-10")],
    ids=["the day before the 5th birthday", "the 5th birthday"],
)
def test_a_referral_stores_the_childs_age_band_on_its_london_day(app, time_machine, born, band):
    # Made at half past midnight in London on the 14th: still the 13th in UTC, the 14th in London.
    time_machine.move_to(london(SUBMITTED_ON, hour=0, minute=30), tick=False)
    made = submit_referral(app, "self", self_referral_answers(child_date_of_birth=born))
    with app.app_context():
        assert db.session.get(Referral, made.id).child_age_band == band


def test_every_way_of_withdrawing_the_database_accepts_has_a_label():
    assert tuple(triage.WITHDRAWAL_METHOD_LABELS) == WITHDRAWAL_METHODS
