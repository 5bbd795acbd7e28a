"""Family feedback at closure, without HTTP: who may be sent a link, the link works once and
expires, the answer keeps nothing that leads back to the case or the family, and the counts by
academic year."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, inspect, select, text
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import AuditEntry, Case, FeedbackAnswer, FeedbackInvitation, Referral
from portal.services import casework, clock, feedback, triage
from portal.services.academic_year import AcademicYear
from portal.services.audit import Actor
from portal.services.feedback import FeedbackAnswers, FeedbackLinkRefused, FeedbackLinkUnusable
from tests.clock import clock_on, london
from tests.factories import open_case, submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff

TODAY = dt.date(2026, 8, 20)
clock_on_today = clock_on(TODAY)
ANSWERS = FeedbackAnswers("very", "a_little", "yes", "The adviser explained the EHC process clearly.")


@pytest.fixture
def caseworker(app):
    return make_staff(app, "caseworker")


def closed_case(app, caseworker, **answers: object) -> int:
    """A self-referral's case (the family's answers ``answers`` over the usual ones), closed today."""
    submit_referral(app, "self", self_referral_answers(**answers))
    with app.app_context():
        referral = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
        accepts = Actor(caseworker.id, "192.0.2.1", clock.now())
        case_id = triage.accept(referral, accepts, accepts.today, 6).id
    with app.app_context():
        actor = Actor(caseworker.id, "192.0.2.1", clock.now())
        casework.close(db.session.get(Case, case_id), "Advice given.", actor.today, actor, actor.today)
    return case_id


def send(app, caseworker, case_id: int, outbox: list) -> str:
    """Send the family's link as ``caseworker``; the token, read from the e-mail."""
    with app.app_context():
        actor = Actor(caseworker.id, "192.0.2.1", clock.now())
        feedback.send_link(
            db.session.get(Case, case_id),
            app.extensions["portal_mailer"],
            lambda token: f"https://sps.example/feedback/{token}",
            actor,
        )
    return re.search(r"/feedback/(\S+)", outbox[-1].get_content()).group(1)


def give(app, token: str, answers: FeedbackAnswers = ANSWERS, day: dt.date = TODAY) -> None:
    with app.app_context():
        feedback.answer(token, answers, london(day), day)


def test_a_family_that_chose_email_is_sent_a_link_that_works_once(app, caseworker, outbox):
    case_id = closed_case(app, caseworker)
    token = send(app, caseworker, case_id, outbox)
    assert outbox[-1]["To"] == self_referral_answers()["email"]
    with app.app_context():
        assert feedback.invitation_open(token, clock.now())
    give(app, token)
    with app.app_context():
        assert not feedback.invitation_open(token, clock.now())
        assert db.session.scalar(select(FeedbackInvitation)) is None, "the spent invitation is forgotten"
    with pytest.raises(FeedbackLinkUnusable):
        give(app, token, FeedbackAnswers("no", "no", "no", None))
    with app.app_context():
        assert db.session.scalars(select(FeedbackAnswer)).all()[0].helpful == "very"
        assert len(db.session.scalars(select(FeedbackAnswer)).all()) == 1


def test_the_stored_answer_has_no_link_to_the_case_or_the_family(app, caseworker, outbox):
    closed_case(app, caseworker)  # a first case, so the family's case id is not the answer's id by chance
    case_id = closed_case(app, caseworker)
    token = send(app, caseworker, case_id, outbox)
    give(app, token)
    with app.app_context():
        columns = {column["name"] for column in inspect(db.engine).get_columns("feedback_answers")}
        assert columns == {"id", "academic_year", "helpful", "involved", "recommend", "comment"}
        assert inspect(db.engine).get_foreign_keys("feedback_answers") == []
        case = db.session.get(Case, case_id)
        family = self_referral_answers()
        known = {
            str(case.id),
            case.referral.reference,
            str(case.referral_id),
            token,
            family["email"],
            family["parent_carer_name"],
            family["child_name"],
            family["phone"],
            TODAY.isoformat(),
        }
        stored = db.session.execute(text("SELECT * FROM feedback_answers")).mappings().one()
        assert stored["id"] != case.id
        for column, value in stored.items():
            assert str(value) not in known, f"{column} holds {value!r}"
            for detail in known - {str(case.id), str(case.referral_id)}:
                assert detail not in str(value), f"{column} holds {detail!r}"
        assert stored["academic_year"] == "2025-26"
        assert db.session.scalar(select(FeedbackAnswer)).comment == ANSWERS.comment


def test_the_token_is_kept_only_as_its_digest_and_never_in_the_audit_log(app, caseworker, outbox):
    case_id = closed_case(app, caseworker)
    token = send(app, caseworker, case_id, outbox)
    with app.app_context():
        invitation = db.session.scalar(select(FeedbackInvitation))
        assert invitation.case_id == case_id and token not in invitation.token_sha256
        sent = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "feedback link sent")).one()
        assert (sent.record_type, sent.record_id, sent.actor_id) == ("case", case_id, caseworker.id)
        assert token not in (sent.detail or "")


def test_no_link_is_offered_or_sent_when_the_family_asked_not_to_be_emailed(app, caseworker, outbox):
    case_id = closed_case(app, caseworker, preferred_contact="phone")
    with app.app_context():
        case = db.session.get(Case, case_id)
        offered = feedback.offer(case)
        assert offered.address is None and offered.sent_at is None
        assert "telephone, not by email" in offered.refusal
        with pytest.raises(FeedbackLinkRefused, match="telephone"):
            feedback.send_link(case, app.extensions["portal_mailer"], str, Actor(caseworker.id, None, clock.now()))
        assert db.session.scalar(select(FeedbackInvitation)) is None
    assert [message["Subject"] for message in outbox if message["Subject"] == feedback.SUBJECT] == []


def test_no_link_before_the_case_closes_and_one_link_per_closure(app, caseworker, outbox, time_machine):
    case_id = open_case(app, caseworker.id)
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert feedback.offer(case) is None
        with pytest.raises(FeedbackLinkRefused, match="closed"):
            feedback.send_link(case, app.extensions["portal_mailer"], str, Actor(caseworker.id, None, clock.now()))
        actor = Actor(caseworker.id, None, clock.now())
        casework.close(case, "Advice given.", actor.today, actor, actor.today)
    first = send(app, caseworker, case_id, outbox)
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert feedback.offer(case).sent_at is not None
        with pytest.raises(FeedbackLinkRefused, match="already sent"):
            feedback.send_link(case, app.extensions["portal_mailer"], str, Actor(caseworker.id, None, clock.now()))
    give(app, first)
    with app.app_context():
        assert feedback.offer(db.session.get(Case, case_id)).sent_at is not None, "answered or not, it was sent"

    # Reopened and closed again: a new closure may have a link of its own.
    time_machine.move_to(london(TODAY + dt.timedelta(days=3)), tick=False)
    with app.app_context():
        case = db.session.get(Case, case_id)
        actor = Actor(caseworker.id, None, clock.now())
        casework.reopen(case, actor, actor.today, 3, 6)
        casework.close(case, "Advice given again.", actor.today, actor, actor.today)
        assert feedback.offer(case).address == self_referral_answers()["email"]
    assert send(app, caseworker, case_id, outbox) != first


def test_an_expired_link_is_refused_and_forgotten(app, caseworker, outbox, time_machine):
    case_id = closed_case(app, caseworker)
    token = send(app, caseworker, case_id, outbox)
    later = clock.now() + feedback.VALID_FOR
    time_machine.move_to(later, tick=False)
    with app.app_context():
        assert not feedback.invitation_open(token, later)
    with pytest.raises(FeedbackLinkUnusable):
        give(app, token, day=clock.london_today())
    with app.app_context():
        assert feedback.delete_expired_invitations(later) == 1
        assert db.session.scalar(select(FeedbackInvitation)) is None
        assert db.session.scalar(select(FeedbackAnswer)) is None


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 5000])
def test_an_unknown_or_absurd_token_opens_nothing(app, token):
    with app.app_context():
        assert not feedback.invitation_open(token, clock.now())
        with pytest.raises(FeedbackLinkUnusable):
            feedback.answer(token, ANSWERS, clock.now(), TODAY)


def test_an_answer_keeps_the_academic_year_of_the_day_it_was_given(app, caseworker, outbox):
    tokens = [send(app, caseworker, closed_case(app, caseworker), outbox) for _ in range(2)]
    give(app, tokens[0], day=dt.date(2026, 8, 31))
    give(app, tokens[1], day=dt.date(2026, 9, 1))
    with app.app_context():
        years = db.session.scalars(select(FeedbackAnswer.academic_year).order_by(FeedbackAnswer.id)).all()
    assert years == ["2025-26", "2026-27"]


def test_answer_counts_give_every_answer_of_a_year_in_one_query(app):
    with app.app_context():
        given = [
            ("2025-26", "very", "yes", "yes"),
            ("2025-26", "very", "a_little", "yes"),
            ("2025-26", "quite", "a_little", "maybe"),
            ("2025-26", "very", "yes", "yes"),
            ("2026-27", "not_at_all", "no", "no"),
        ]
        for year, helpful, involved, recommend in given:
            db.session.add(FeedbackAnswer(academic_year=year, helpful=helpful, involved=involved, recommend=recommend))
        db.session.commit()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731 - the cursor's statement
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            counts = feedback.answer_counts(AcademicYear.named("2025-26"))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert counts == {
        "helpful": {"very": 3, "quite": 1, "not_very": 0, "not_at_all": 0},
        "involved": {"yes": 2, "a_little": 2, "no": 0, "not_sure": 0},
        "recommend": {"yes": 3, "maybe": 1, "no": 0},
    }
    assert len(statements) == 1 and "GROUP BY" in statements[0]
    assert "comment" not in statements[0], "comments never reach the statistics"
    with app.app_context():
        assert feedback.answer_counts(AcademicYear.named("2024-25"))["recommend"] == {"yes": 0, "maybe": 0, "no": 0}


def test_the_database_refuses_an_answer_the_questions_do_not_offer(app):
    with app.app_context():
        offered = {question: set(labels) for question, (_, labels) in feedback.QUESTIONS.items()}
        assert offered["helpful"] == {"very", "quite", "not_very", "not_at_all"}
        db.session.add(FeedbackAnswer(academic_year="2025-26", helpful="brilliant", involved="yes", recommend="yes"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
