"""Family feedback at closure through the pages: the link offered when a case closes, the family's
page (answered once, then a kind page), and the comments only managers read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, Case, FeedbackAnswer, FeedbackInvitation, Referral
from portal.services import casework, clock, feedback, triage
from portal.services.audit import Actor
from tests.clock import clock_on
from tests.factories import open_case, submit_referral
from tests.journeys import self_referral_answers
from tests.staff import csrf_token, date_fields, make_staff, sign_in

TODAY = dt.date(2026, 8, 20)
clock_on_today = clock_on(TODAY)
ANSWERS = {"helpful": "quite", "involved": "yes", "recommend": "maybe", "comment": "Kind and patient.\nThank you."}


@pytest.fixture
def caseworker(app):
    return make_staff(app, "caseworker")


def close_through_the_page(app, browser, case_id: int) -> str:
    """Close the case through its pages (confirmed after the check); the page the closure leads to."""
    response = browser.post(
        f"/staff/cases/{case_id}/close/confirm",
        data={"csrf_token": csrf_token(browser), "case_outcome": "Advice given.", **date_fields("closed_on", TODAY)},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/cases/{case_id}")
    return browser.get(f"/staff/cases/{case_id}/feedback-link").get_data(as_text=True)


def feedback_path(outbox: list) -> str:
    message = next(message for message in outbox if message["Subject"] == feedback.SUBJECT)
    return re.search(r"https?://[^/\s]+(/feedback/\S+)", message.get_content()).group(1)


def test_send_a_link_at_closure_the_family_answers_once_then_the_link_is_spent(app, client, caseworker, outbox):
    case_id = open_case(app, caseworker.id)
    staff = app.test_client()
    sign_in(staff, app, caseworker)
    page = close_through_the_page(app, staff, case_id)
    assert "Send the family a feedback link" in page
    assert self_referral_answers()["email"] in page

    sent = staff.post(f"/staff/cases/{case_id}/feedback-link", data={"csrf_token": csrf_token(staff)})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/staff/cases/{case_id}")
    assert "A feedback link was sent to the family at z***@example.com" in staff.get(sent.headers["Location"]).get_data(
        as_text=True
    )  # the banner
    page = staff.get(f"/staff/cases/{case_id}/feedback-link").get_data(as_text=True)
    assert "A feedback link was sent to the family on" in page
    assert "Send the family a feedback link" not in page, "one link per closure"
    again = staff.post(f"/staff/cases/{case_id}/feedback-link", data={"csrf_token": csrf_token(staff)})
    assert again.status_code == 400 and "already sent" in again.get_data(as_text=True)
    assert len([message for message in outbox if message["Subject"] == feedback.SUBJECT]) == 1

    path = feedback_path(outbox)
    form = client.get(path)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    body = form.get_data(as_text=True)
    for question, _ in feedback.QUESTIONS.values():
        assert question in body
    assert "do not include any names" in body
    assert self_referral_answers()["child_name"] not in body

    unanswered = client.post(path, data={"csrf_token": client.csrf_token(path)})
    assert unanswered.status_code == 200
    refused = unanswered.get_data(as_text=True)
    assert "There is a problem" in refused and 'href="#helpful"' in refused
    assert "Select whether you would recommend the service" in refused

    answered = client.post(path, data={"csrf_token": client.csrf_token(path), **ANSWERS})
    assert answered.status_code == 302 and answered.headers["Location"].endswith("/feedback/thank-you")
    thanks = client.get("/feedback/thank-you")
    assert "Thank you for your feedback" in thanks.get_data(as_text=True)

    spent = client.get(path)
    assert spent.status_code == 404 and "This feedback link no longer works" in spent.get_data(as_text=True)
    resent = client.post(path, data={"csrf_token": client.csrf_token(path), **ANSWERS})
    assert resent.status_code == 404
    with app.app_context():
        stored = db.session.scalars(select(FeedbackAnswer)).all()
        assert [(row.helpful, row.involved, row.recommend, row.comment) for row in stored] == [
            ("quite", "yes", "maybe", "Kind and patient.\nThank you.")
        ]
        assert db.session.scalar(select(FeedbackInvitation)) is None


def test_an_unknown_used_or_mangled_link_gets_the_same_kind_page(app, client):
    for path in ("/feedback/nothing-like-a-token", "/feedback/" + "A" * 43, "/feedback/" + "x" * 3000):
        shown = client.get(path)
        assert shown.status_code == 404, path
        assert "This feedback link no longer works" in shown.get_data(as_text=True)
        posted = client.post(path, data={"csrf_token": client.csrf_token(path), **ANSWERS})
        assert posted.status_code == 404, path
    with app.app_context():
        assert db.session.scalar(select(FeedbackAnswer)) is None


def test_a_too_long_comment_is_refused_with_the_form(app, client, caseworker, outbox):
    case_id = open_case(app, caseworker.id)
    staff = app.test_client()
    sign_in(staff, app, caseworker)
    close_through_the_page(app, staff, case_id)
    staff.post(f"/staff/cases/{case_id}/feedback-link", data={"csrf_token": csrf_token(staff)})
    path = feedback_path(outbox)
    too_long = ANSWERS | {"comment": "a" * (feedback.COMMENT_MAX + 1)}
    refused = client.post(path, data={"csrf_token": client.csrf_token(path), **too_long})
    assert refused.status_code == 200 and 'href="#comment"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(FeedbackAnswer)) is None


def test_no_link_is_offered_when_the_family_asked_not_to_be_emailed(app, caseworker, outbox):
    submit_referral(app, "self", self_referral_answers(preferred_contact="letter"))
    with app.app_context():
        referral = db.session.scalars(select(Referral)).one()
        actor = Actor(caseworker.id, "192.0.2.1", clock.now())
        case_id = triage.accept(referral, actor, actor.today, 6).id
    staff = app.test_client()
    sign_in(staff, app, caseworker)
    page = close_through_the_page(app, staff, case_id)
    assert "The family asked to be contacted by letter, not by email, so no feedback link is sent to them." in page
    assert "Send the family a feedback link" not in page
    refused = staff.post(f"/staff/cases/{case_id}/feedback-link", data={"csrf_token": csrf_token(staff)})
    assert refused.status_code == 400
    assert not [message for message in outbox if message["Subject"] == feedback.SUBJECT]


def answered(app, caseworker, *comments: str | None) -> None:
    """Families' answers with ``comments``, each through its own closed case and link."""
    mailer = app.extensions["portal_mailer"]
    for comment in comments:
        case_id = open_case(app, caseworker.id)
        with app.app_context():
            actor = Actor(caseworker.id, "192.0.2.1", clock.now())
            case = db.session.get(Case, case_id)
            casework.close(case, "Advice given.", actor.today, actor, actor.today)
            feedback.send_link(case, mailer, lambda token: f"/feedback/{token}", actor)
            token = mailer.outbox[-1].get_content().split("/feedback/")[1].split()[0]
            feedback.answer(token, feedback.FeedbackAnswers("very", "no", "yes", comment), actor.at, actor.today)


def test_comments_are_shown_to_managers_only_and_the_look_is_audited(app, caseworker, outbox):
    answered(app, caseworker, "The adviser came to the meeting with us.", None)
    manager = make_staff(app, "manager")
    browser = app.test_client()
    sign_in(browser, app, manager)
    page = browser.get("/staff/feedback")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "The adviser came to the meeting with us." in shown
    assert "2025-26" in shown and "Very helpful" in shown
    assert "1 comment" in shown, "an answer without a comment is not listed"
    with app.app_context():
        looks = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "feedback comments viewed")).all()
        assert [(entry.actor_id, entry.record_id) for entry in looks] == [(manager.id, None)]
    for role in ("volunteer", "caseworker", "dpo", "admin"):
        other = app.test_client()
        sign_in(other, app, make_staff(app, role))
        refused = other.get("/staff/feedback")
        assert refused.status_code == 403, role
        assert "The adviser came to the meeting" not in refused.get_data(as_text=True)
