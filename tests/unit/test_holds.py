"""Manual retention holds (design 8, issue 13) without HTTP: placing one on a referral, a case or a
request, what is refused and why, lifting it once with a reason, and the holds past their review."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, InformationRequest, Referral, RetentionHold
from portal.services import clock, holds, triage
from portal.services.audit import Actor
from portal.services.holds import HoldRefused
from portal.services.retention import Periods
from portal.services.validation import add_years
from tests.factories import open_case, submit_referral
from tests.staff import make_staff
from tests.web.test_staff_requests import make_sar

PERIODS = Periods(referral_years=3, request_years=3)


@pytest.fixture
def dpo(app, app_context):
    return make_staff(app, "dpo")


def acting(user, at: dt.datetime | None = None) -> Actor:
    return Actor(user.id, "192.0.2.7", at or clock.now())


def a_referral(app) -> Referral:
    return db.session.get(Referral, submit_referral(app, "self").id)


def placed(app, dpo, review_in_days: int = 30, reason: str = "send_tribunal_or_mediation") -> RetentionHold:
    actor = acting(dpo)
    return holds.place(
        a_referral(app),
        reason,
        "Tribunal SE123/45, hearing in May.",
        actor.today + dt.timedelta(days=review_in_days),
        actor,
    )


def audit_entries(action: str) -> list[tuple[str | None, int | None, str | None]]:
    return [
        tuple(row)
        for row in db.session.execute(
            select(AuditEntry.record_type, AuditEntry.record_id, AuditEntry.detail).where(AuditEntry.action == action)
        )
    ]


def test_a_hold_on_a_referral_is_stored_with_who_placed_it_and_audited_with_the_reason_code_only(app, dpo):
    actor = acting(dpo)
    referral = a_referral(app)
    review_on = actor.today + dt.timedelta(days=90)

    hold = holds.place(
        referral, "litigation_or_claim", "  Claim by the family's solicitor, ref 7781.  ", review_on, actor
    )

    db.session.expire_all()
    stored = db.session.get(RetentionHold, hold.id)
    assert (stored.referral_id, stored.request_id, stored.reason) == (referral.id, None, "litigation_or_claim")
    assert (stored.note, stored.review_on, stored.placed_by_id) == (
        "Claim by the family's solicitor, ref 7781.",
        review_on,
        dpo.id,
    )
    assert stored.lifted_at is None
    assert audit_entries("retention hold placed") == [("referral", referral.id, "litigation_or_claim")]


def test_a_hold_on_a_case_is_stored_on_its_referral(app, dpo):
    case_id = open_case(app, make_staff(app, "caseworker").id)
    target = holds.target_of_case(case_id)
    assert isinstance(target.record, Referral) and target.case_id == case_id
    actor = acting(dpo)

    hold = holds.place(
        target.record, "safeguarding_review", "Review under way.", actor.today + dt.timedelta(days=1), actor
    )

    assert hold.referral_id == triage.case_of(target.record).referral_id
    assert [found.id for found in holds.on_referral(hold.referral_id)] == [hold.id]


def test_a_hold_on_an_information_request_is_stored_on_the_request(app, dpo):
    request = db.session.get(InformationRequest, make_sar(app, clock.london_today()).id)
    actor = acting(dpo)

    hold = holds.place(request, "ico_complaint", "ICO case IC-1234.", actor.today + dt.timedelta(days=60), actor)

    assert (hold.referral_id, hold.request_id) == (None, request.id)
    assert [found.id for found in holds.on_request(request.id)] == [hold.id]
    assert audit_entries("retention hold placed") == [("information_request", request.id, "ico_complaint")]


@pytest.mark.parametrize(
    ("reason", "note", "review_in_days", "field", "message"),
    [
        (None, "A note.", 30, "reason", "Select why the records must be kept"),
        ("open_request", "A note.", 30, "reason", "Select why the records must be kept"),  # automatic, not a person's
        ("not_a_reason", "A note.", 30, "reason", "Select why the records must be kept"),
        ("ico_complaint", "   ", 30, "note", "Enter a note saying what the hold is for"),
        ("ico_complaint", "x" * (holds.NOTE_MAX + 1), 30, "note", "The note must be 2,000 characters or fewer"),
        ("ico_complaint", "A note.", None, "review_on", "Enter the date to review the hold by"),
        ("ico_complaint", "A note.", 0, "review_on", "must be in the future"),
        ("ico_complaint", "A note.", -1, "review_on", "must be in the future"),
    ],
)
def test_a_hold_without_a_known_reason_a_note_or_a_future_review_date_is_refused(
    app, dpo, reason, note, review_in_days, field, message
):
    actor = acting(dpo)
    referral = a_referral(app)
    review_on = None if review_in_days is None else actor.today + dt.timedelta(days=review_in_days)

    with pytest.raises(HoldRefused) as refused:
        holds.place(referral, reason, note, review_on, actor)

    assert list(refused.value.problems) == [field]
    assert message in refused.value.problems[field]
    db.session.rollback()
    assert db.session.scalars(select(RetentionHold)).all() == []
    assert audit_entries("retention hold placed") == []


def test_every_problem_of_a_hold_is_reported_at_once(app, dpo):
    with pytest.raises(HoldRefused) as refused:
        holds.place(a_referral(app), "", "", None, acting(dpo))
    assert set(refused.value.problems) == {"reason", "note", "review_on"}


def test_lifting_a_hold_needs_a_reason_is_audited_and_happens_once(app, dpo):
    hold = placed(app, dpo)
    with pytest.raises(HoldRefused) as refused:
        holds.lift(hold, "  ", acting(dpo))
    assert refused.value.problems == {"lift_reason": "Enter why the hold is lifted"}
    with pytest.raises(HoldRefused) as too_long:
        holds.lift(hold, "x" * (holds.LIFT_REASON_MAX + 1), acting(dpo))
    assert too_long.value.problems == {"lift_reason": "The reason must be 2,000 characters or fewer"}
    assert hold.lifted_at is None

    later = acting(dpo, clock.now() + dt.timedelta(days=3))
    holds.lift(hold, "The tribunal decided; no appeal.", later)

    db.session.expire_all()
    stored = db.session.get(RetentionHold, hold.id)
    assert (stored.lifted_by_id, stored.lift_reason) == (dpo.id, "The tribunal decided; no appeal.")
    assert clock.as_utc(stored.lifted_at) == clock.as_utc(later.at)
    assert audit_entries("retention hold lifted") == [("referral", hold.referral_id, "send_tribunal_or_mediation")]
    with pytest.raises(HoldRefused) as twice:
        holds.lift(stored, "Again.", later)
    assert twice.value.problems == {"lift_reason": "This hold has already been lifted"}
    assert len(audit_entries("retention hold lifted")) == 1


def test_a_lifted_hold_no_longer_counts_past_its_review_date(app, dpo):
    actor = acting(dpo)
    hold = placed(app, dpo, review_in_days=10)
    placed(app, dpo, review_in_days=20)
    ten_days_on = actor.today + dt.timedelta(days=10)
    assert holds.past_review_count(ten_days_on - dt.timedelta(days=1)) == 0
    assert holds.past_review_count(ten_days_on) == 1
    assert holds.past_review_count(ten_days_on + dt.timedelta(days=10)) == 2

    holds.lift(hold, "No longer needed.", actor)

    assert holds.past_review_count(ten_days_on) == 0
    assert holds.past_review_count(ten_days_on + dt.timedelta(days=10)) == 1


def test_the_holds_on_a_record_list_those_in_force_first_soonest_review_first(app, dpo):
    actor = acting(dpo)
    referral = a_referral(app)
    later = holds.place(referral, "ico_complaint", "Later.", actor.today + dt.timedelta(days=60), actor)
    lifted = holds.place(referral, "litigation_or_claim", "Settled.", actor.today + dt.timedelta(days=5), actor)
    sooner = holds.place(referral, "safeguarding_review", "Sooner.", actor.today + dt.timedelta(days=30), actor)
    holds.lift(lifted, "Settled out of court.", actor)

    assert [hold.id for hold in holds.on_referral(referral.id)] == [sooner.id, later.id, lifted.id]


def test_the_retention_summary_is_for_those_who_read_retention(app, dpo):
    actor = acting(dpo)
    referral = a_referral(app)
    hold = holds.place(referral, "ico_complaint", "ICO case.", actor.today + dt.timedelta(days=1), actor)
    referral.status, referral.closed_on = "declined", actor.today
    db.session.commit()

    assert holds.summary(make_staff(app, "caseworker"), referral, PERIODS, actor.today) is None
    shown = holds.summary(make_staff(app, "manager"), referral, PERIODS, actor.today + dt.timedelta(days=1))
    assert shown.destroyed_on == add_years(actor.today, 3)
    assert [(held.hold.id, held.placed_by, held.past_review) for held in shown.in_force] == [(hold.id, dpo.name, True)]
    assert shown.lifted == []
