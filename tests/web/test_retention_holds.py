"""Holds and the retention page in the back office (design 8, issue 13): placing a hold on a
referral, a case or a request and lifting it, through the pages with their CSRF tokens; every
refusal said on the form, never a 500; who reaches what; the dashboard's holds past review; and
the retention page, with the records due shown only to the data protection team."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, Referral, RetentionHold
from portal.services import clock, holds, retention
from portal.services.audit import Actor, system_actor
from portal.services.validation import add_years
from tests.factories import open_case, submit_referral
from tests.staff import csrf_token, date_fields, make_staff, sign_in
from tests.web.test_staff_requests import make_sar

NOTE = "Tribunal SE123/45: hearing on 3 June."


def signed_in(app: Flask, role: str):
    user = make_staff(app, role)
    browser = app.test_client()
    sign_in(browser, app, user)
    browser.user = user
    browser.token = csrf_token(browser)
    return browser


def text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def in_a_year() -> dt.date:
    return clock.london_today() + dt.timedelta(days=365)


def hold_form(review_on: dt.date | None = None, **changes: str) -> dict[str, str]:
    form = {"reason": "send_tribunal_or_mediation", "note": NOTE, **date_fields("review_on", review_on or in_a_year())}
    return form | changes


def stored_holds(app: Flask) -> list[RetentionHold]:
    with app.app_context():
        found = db.session.scalars(select(RetentionHold).order_by(RetentionHold.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return list(found)


def hold_directly(app: Flask, user, referral_id: int, placed_days_ago: int = 0, review_in_days: int = 30) -> int:
    """A hold placed through the service, ``placed_days_ago`` (so its review date may have passed)."""
    with app.app_context():
        actor = Actor(user.id, "192.0.2.7", clock.now() - dt.timedelta(days=placed_days_ago))
        hold = holds.place(
            db.session.get(Referral, referral_id),
            "ico_complaint",
            "ICO case IC-99.",
            actor.today + dt.timedelta(days=review_in_days),
            actor,
        )
        hold_id = hold.id
        db.session.remove()
    return hold_id


def test_a_manager_places_a_hold_on_a_case_and_sees_it_on_the_case_page(app):
    case_id = open_case(app, make_staff(app, "caseworker").id)
    manager = signed_in(app, "manager")
    form_page = manager.get(f"/staff/cases/{case_id}/holds/new")
    assert form_page.status_code == 200
    assert "Place a hold on SPS-" in text(form_page)

    placed = manager.post(
        f"/staff/cases/{case_id}/holds/new", data={"csrf_token": manager.token, **hold_form(in_a_year())}
    )

    assert placed.status_code == 302
    assert placed.headers["Location"] == f"/staff/cases/{case_id}#retention"
    [hold] = stored_holds(app)
    with app.app_context():
        referral_id = db.session.scalar(select(Referral.id))
        reference = db.session.get(Referral, referral_id).reference
        db.session.remove()
    assert (hold.referral_id, hold.reason, hold.note, hold.review_on) == (
        referral_id,
        "send_tribunal_or_mediation",
        NOTE,
        in_a_year(),
    )
    case_page = text(manager.get(f"/staff/cases/{case_id}"))
    assert (
        f"Hold placed: the records of {reference} are kept until the hold is lifted. "
        f"Review it by {clock.long_date(in_a_year())}." in case_page
    )
    assert "Hold: SEND Tribunal or mediation" in case_page
    assert NOTE in case_page
    assert f"Placed {clock.long_date(clock.london_today())} by {manager.user.name}" in case_page
    assert f'href="/staff/holds/{hold.id}/lift"' in manager.get(f"/staff/cases/{case_id}").get_data(as_text=True)


def test_the_data_protection_team_holds_a_referral_it_does_not_read_and_is_sent_to_the_retention_page(app):
    referral = submit_referral(app, "self")
    dpo = signed_in(app, "dpo")
    assert dpo.get(f"/staff/referrals/{referral.id}").status_code == 403

    placed = dpo.post(f"/staff/referrals/{referral.id}/holds/new", data={"csrf_token": dpo.token, **hold_form()})

    assert placed.status_code == 302
    assert placed.headers["Location"] == "/staff/retention"
    assert f"Hold placed: the records of {referral.reference}" in text(dpo.get("/staff/retention"))


def test_a_hold_on_a_subject_access_request_shows_on_the_request_page(app):
    sar = make_sar(app, clock.london_today())
    dpo = signed_in(app, "dpo")

    placed = dpo.post(
        f"/staff/requests/{sar.id}/holds/new",
        data={"csrf_token": dpo.token, **hold_form(reason="ico_complaint")},
    )

    assert placed.headers["Location"] == f"/staff/requests/{sar.id}#retention"
    [hold] = stored_holds(app)
    assert (hold.request_id, hold.referral_id) == (sar.id, None)
    page = text(dpo.get(f"/staff/requests/{sar.id}"))
    assert "Hold: Complaint to the Information Commissioner (ICO)" in page
    assert "Not due for destruction: the date is set when the request closes." in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": ""}, "Select why the records must be kept"),
        ({"reason": "year_not_frozen"}, "Select why the records must be kept"),
        ({"note": "   "}, "Enter a note saying what the hold is for"),
        ({"note": "x" * 2001}, "The note must be 2,000 characters or fewer"),
        ({"review_on-day": "", "review_on-month": "", "review_on-year": ""}, "Enter the date to review the hold by"),
        ({"review_on-day": "31", "review_on-month": "2"}, "The date to review the hold by must be a real date"),
        ({"review_on-day": "١"}, "The date to review the hold by must be a real date"),
        ({"review_on-year": "99999"}, "The date to review the hold by must be a real date"),
        ({"review_on-year": "27"}, "Year must include 4 numbers"),
        ({"review_on-month": ""}, "The date to review the hold by must include a month"),
    ],
)
def test_a_refused_hold_says_what_to_correct_keeps_what_was_typed_and_stores_nothing(app, changes, message):
    referral = submit_referral(app, "self")
    manager = signed_in(app, "manager")

    refused = manager.post(
        f"/staff/referrals/{referral.id}/holds/new", data={"csrf_token": manager.token, **hold_form(**changes)}
    )

    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "There is a problem" in body and "<title>Error: " in body
    assert message in html.unescape(body)
    if "note" not in changes:
        assert NOTE in html.unescape(body)
    assert stored_holds(app) == []


def test_a_review_date_today_is_refused(app):
    referral = submit_referral(app, "self")
    manager = signed_in(app, "manager")
    refused = manager.post(
        f"/staff/referrals/{referral.id}/holds/new",
        data={"csrf_token": manager.token, **hold_form(clock.london_today())},
    )
    assert refused.status_code == 400
    assert '<a href="#review_on-day">The date to review the hold by must be in the future</a>' in refused.get_data(
        as_text=True
    )


def test_holds_are_placed_and_lifted_only_with_the_csrf_token(app):
    referral = submit_referral(app, "self")
    manager = signed_in(app, "manager")
    assert manager.post(f"/staff/referrals/{referral.id}/holds/new", data=hold_form()).status_code == 400
    hold_id = hold_directly(app, manager.user, referral.id)
    assert manager.post(f"/staff/holds/{hold_id}/lift", data={"lift_reason": "Done."}).status_code == 400
    [hold] = stored_holds(app)
    assert hold.lifted_at is None


def test_lifting_a_hold_asks_why_then_goes_back_to_the_record_and_cannot_be_done_twice(app):
    referral = submit_referral(app, "self")
    manager = signed_in(app, "manager")
    hold_id = hold_directly(app, manager.user, referral.id)
    question = manager.get(f"/staff/holds/{hold_id}/lift?back=referral")
    assert question.status_code == 200
    assert "Lift the hold on " + referral.reference in text(question)
    assert '<input type="hidden" name="back" value="referral">' in question.get_data(as_text=True)

    empty = manager.post(
        f"/staff/holds/{hold_id}/lift", data={"csrf_token": manager.token, "lift_reason": " ", "back": "referral"}
    )
    assert empty.status_code == 400
    assert '<a href="#lift_reason">Enter why the hold is lifted</a>' in empty.get_data(as_text=True)

    lifted = manager.post(
        f"/staff/holds/{hold_id}/lift",
        data={"csrf_token": manager.token, "lift_reason": "Claim withdrawn.", "back": "referral"},
    )
    assert lifted.status_code == 302
    assert lifted.headers["Location"] == f"/staff/referrals/{referral.id}#retention"
    page = text(manager.get(f"/staff/referrals/{referral.id}"))
    assert f"Hold lifted: the records of {referral.reference} are destroyed when they fall due" in page
    assert "No hold placed by a person keeps these records." in page
    assert "Holds lifted (1)" in page and "Claim withdrawn." in page
    [hold] = stored_holds(app)
    assert (hold.lifted_by_id, hold.lift_reason) == (manager.user.id, "Claim withdrawn.")

    again = manager.post(f"/staff/holds/{hold_id}/lift", data={"csrf_token": manager.token, "lift_reason": "Again."})
    assert again.status_code == 400
    assert "This hold has already been lifted" in again.get_data(as_text=True)
    with app.app_context():
        lifts = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention hold lifted")).all()
        db.session.remove()
    assert len(lifts) == 1


def test_lifting_from_the_retention_page_goes_back_there_and_no_other_place_can_be_asked_for(app):
    referral = submit_referral(app, "self")
    manager = signed_in(app, "manager")
    first, second = (hold_directly(app, manager.user, referral.id) for _ in range(2))
    back_there = manager.post(
        f"/staff/holds/{first}/lift",
        data={"csrf_token": manager.token, "lift_reason": "Done.", "back": "retention"},
    )
    assert back_there.headers["Location"] == "/staff/retention"
    elsewhere = manager.post(
        f"/staff/holds/{second}/lift",
        data={"csrf_token": manager.token, "lift_reason": "Done.", "back": "https://evil.example/"},
    )
    assert elsewhere.headers["Location"] == f"/staff/referrals/{referral.id}#retention"


@pytest.mark.parametrize("role", ["volunteer", "caseworker", "admin"])
def test_volunteers_caseworkers_and_administrators_neither_see_nor_hold(app, role):
    referral = submit_referral(app, "self")
    case_id = open_case(app, make_staff(app, "caseworker").id)
    sar = make_sar(app, clock.london_today())
    hold_id = hold_directly(app, make_staff(app, "dpo"), referral.id)
    browser = signed_in(app, role)
    for path in (
        "/staff/retention",
        f"/staff/referrals/{referral.id}/holds/new",
        f"/staff/cases/{case_id}/holds/new",
        f"/staff/requests/{sar.id}/holds/new",
        f"/staff/holds/{hold_id}/lift",
    ):
        assert browser.get(path).status_code == 403, path
        if path != "/staff/retention":
            assert browser.post(path, data={"csrf_token": browser.token, **hold_form()}).status_code == 403, path
    assert [hold.lifted_at for hold in stored_holds(app)] == [None]
    assert "Retention" not in text(browser.get("/staff/"))


def test_a_hold_on_a_record_or_a_hold_that_is_not_there_is_not_found(app):
    manager = signed_in(app, "manager")
    for path in (
        "/staff/referrals/999999/holds/new",
        "/staff/cases/999999/holds/new",
        "/staff/requests/999999/holds/new",
        "/staff/holds/999999/lift",
        "/staff/holds/2147483648/lift",
    ):
        assert manager.get(path).status_code == 404, path
        assert manager.post(path, data={"csrf_token": manager.token, "lift_reason": "x"}).status_code == 404, path


def test_a_caseworker_sees_no_retention_part_on_the_referral_page(app):
    referral = submit_referral(app, "self")
    hold_directly(app, make_staff(app, "dpo"), referral.id)
    page = text(signed_in(app, "caseworker").get(f"/staff/referrals/{referral.id}"))
    assert "Retention" not in page and "ICO case IC-99." not in page


def test_the_dashboard_counts_the_holds_past_their_review_date_for_those_who_read_retention(app):
    referral = submit_referral(app, "self")
    dpo = signed_in(app, "dpo")
    hold_directly(app, dpo.user, referral.id, placed_days_ago=40, review_in_days=10)  # review was 30 days ago
    lifted = hold_directly(app, dpo.user, referral.id, placed_days_ago=40, review_in_days=20)
    hold_directly(app, dpo.user, referral.id)  # review still to come
    dpo.post(f"/staff/holds/{lifted}/lift", data={"csrf_token": dpo.token, "lift_reason": "Done."})

    for browser in (dpo, signed_in(app, "manager")):
        dashboard = browser.get("/staff/").get_data(as_text=True)
        assert re.search(r'sps-count__number">1</span>\s*hold past their review date', dashboard)
        assert 'href="/staff/retention#holds"' in dashboard


def declined_due_in(app: Flask, days: int) -> tuple[int, str]:
    """A declined referral that falls due for destruction ``days`` from today."""
    made = submit_referral(app, "self")
    due = clock.london_today() + dt.timedelta(days=days)
    with app.app_context():
        referral = db.session.get(Referral, made.id)
        referral.status, referral.closed_on = "declined", add_years(due, -app.config["RETENTION_YEARS"])
        db.session.commit()
        db.session.remove()
    return made.id, made.reference


def test_the_retention_page_lists_the_records_due_only_for_the_data_protection_team(app):
    referral_id, reference = declined_due_in(app, 20)
    dpo = signed_in(app, "dpo")
    hold_directly(app, dpo.user, referral_id, placed_days_ago=40, review_in_days=10)
    due_month = clock.london_today() + dt.timedelta(days=20)

    checked = dpo.get("/staff/retention")
    assert checked.status_code == 200
    page = text(checked)
    assert "Due in the next 90 days" in page
    assert f"{due_month:%B %Y} Referral and its case 1 1" in page
    assert "The records due" in page and reference in page
    assert f'href="/staff/referrals/{referral_id}/holds/new"' in checked.get_data(as_text=True)
    assert "Complaint to the Information Commissioner (ICO)" in page
    assert "Past its review date" in page
    assert "flask --app wsgi retention purge --dry-run" in page
    assert "The purge has not run yet." in page

    manager_page = signed_in(app, "manager").get("/staff/retention")
    assert manager_page.status_code == 200
    assert f"{due_month:%B %Y} Referral and its case 1 1" in text(manager_page)
    assert "The records due" not in text(manager_page)
    # The manager sees the hold itself (with its reference), since a manager may lift it.
    assert f'href="/staff/referrals/{referral_id}"' in manager_page.get_data(as_text=True)


def test_the_destruction_log_shows_each_run_by_closure_month_with_counts_and_no_reference(app):
    referral_id, reference = declined_due_in(app, -1)
    with app.app_context():
        closed_on = db.session.get(Referral, referral_id).closed_on
        retention.purge(system_actor(clock.now()), retention.periods_from(app.config), "daily", dry_run=True)
        db.session.remove()

    page = signed_in(app, "manager").get("/staff/retention")

    body = text(page)
    assert re.search(r"Run 1: .+, by daily \(dry run: nothing destroyed\)", body)
    assert f"Would be destroyed Rows by table Held Held by {closed_on:%B %Y} Referral and its case 1 " in body
    assert "referrals: 1" in body
    assert reference not in body
    assert "<code>flask --app wsgi retention purge --dry-run</code>" in page.get_data(as_text=True)
