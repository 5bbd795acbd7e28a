"""Reminders by e-mail from the daily command (issue 13), at set dates, without HTTP: who is
reminded of what, once per item and again when its date moves, with counts and a link and nothing
personal, never to a deactivated account, and not at all without the portal's address.

The clock stands at 10am in London on Wednesday 25 November 2026; each run is handed its day, as
the daily command hands it, and its e-mails go to a memory:// mailer of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage

import pytest
from sqlalchemy import delete, func, select

from portal.config import load_config
from portal.extensions import db
from portal.models import AuditEntry, Case, InformationRequest, ReminderSent, StaffUser
from portal.services import accounts, consent, reminders, requests
from portal.services.audit import Actor, system_actor
from portal.services.clock import add_months
from portal.services.deadlines import UK, FreedomOfInformation, SubjectAccess
from portal.services.mail import Mailer
from portal.services.reminders import ReminderFailed, ReminderSummary, working_days_on
from tests.clock import clock_on, london
from tests.factories import open_case
from tests.staff import make_staff
from tests.unit.test_config import PRODUCTION
from tests.web.test_staff_requests import CHILD, PARENT, make_complaint, make_foi, make_sar

TODAY = dt.date(2026, 11, 25)  # a Wednesday
PORTAL = "https://sps.example.gov.uk"
DAY = dt.timedelta(days=1)
REFERENCE = re.compile(r"\b[A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")

clock_on_today = clock_on(TODAY)


def run_on(day: dt.date, mailer: Mailer | None = None) -> tuple[ReminderSummary, list[EmailMessage]]:
    mailer = mailer or Mailer("memory://", "sps@example.invalid")
    db.session.expire_all()
    summary = reminders.send_due(day, system_actor(london(day, hour=6)), mailer, PORTAL)
    return summary, mailer.outbox


def to(outbox: list[EmailMessage], person: StaffUser) -> list[EmailMessage]:
    return [message for message in outbox if message["To"] == person.email]


def words(message: EmailMessage) -> str:
    return f"{message['Subject']}\n{message.get_content()}"


def training_expires(person: StaffUser, expires: dt.date) -> None:
    """Training recorded so that it expires on ``expires`` (TRAINING_VALID_MONTHS is 12)."""
    db.session.get(StaffUser, person.id).training_completed_on = add_months(expires, -12)
    db.session.commit()


def case_of(app, worker: StaffUser, review_due: dt.date) -> int:
    case_id = open_case(app, worker.id)
    case = db.session.get(Case, case_id)
    case.assigned_to_id, case.consent_review_due = worker.id, review_due
    db.session.commit()
    return case_id


def request_due(made, due_on: dt.date) -> None:
    db.session.get(InformationRequest, made.id).due_on = due_on
    db.session.commit()


def reminded_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(ReminderSent))


@pytest.fixture
def team(app, app_context):
    return {
        "admin": make_staff(app, "admin"),
        "manager": make_staff(app, "manager"),
        "dpo": make_staff(app, "dpo"),
        "caseworker": make_staff(app, "caseworker", name="Ruth Okonkwo-Baptiste"),
        "volunteer": make_staff(app, "volunteer"),
    }


def test_training_expiring_within_30_days_reminds_the_person_and_tells_the_administrators_once(team):
    soon, last_day = team["caseworker"], team["volunteer"]
    training_expires(soon, TODAY + 10 * DAY)
    training_expires(last_day, TODAY + 30 * DAY)
    training_expires(team["dpo"], TODAY + 45 * DAY)  # not yet within 30 days
    training_expires(team["admin"], TODAY)  # expired today: the back office tells them already

    summary, outbox = run_on(TODAY)

    for person in (soon, last_day):
        [mail] = to(outbox, person)
        assert mail["Subject"] == "Your confidentiality training is due for renewal"
        assert "expires within the next 30 days" in mail.get_content()
        assert f"{PORTAL}/staff/" in mail.get_content()
    assert to(outbox, team["dpo"]) == []
    # Holders of manage_accounts: the administrator and the Strategic Manager.
    for administrator in (team["admin"], team["manager"]):
        [mail] = to(outbox, administrator)
        assert mail["Subject"] == "Confidentiality training due for renewal"
        assert mail.get_content().startswith("2 people's confidentiality training expires within the next 30 days")
        assert f"{PORTAL}/staff/admin/users" in mail.get_content()
    assert len(outbox) == 4
    assert (summary.training_emails, summary.administrator_emails, summary.trainings_expiring) == (2, 2, 2)

    assert run_on(TODAY + DAY)[1] == [], "each person's training is reminded once, not every day"


def test_consent_reviews_due_this_week_or_overdue_are_reminded_to_their_worker_once(app, team):
    worker, other = team["caseworker"], team["volunteer"]
    case_of(app, worker, TODAY + 7 * DAY)
    case_of(app, worker, TODAY - 40 * DAY)  # overdue and never reminded
    case_of(app, worker, TODAY + 20 * DAY)  # not this week
    case_of(app, other, TODAY + 1 * DAY)
    closed = case_of(app, other, TODAY)
    closed_case = db.session.get(Case, closed)
    closed_case.status, closed_case.closed_on = "closed", TODAY - DAY
    db.session.commit()

    summary, outbox = run_on(TODAY)

    [mail] = to(outbox, worker)
    assert mail["Subject"] == "Consent reviews due on your cases"
    assert "- 1 consent review due within the next 7 days\n- 1 consent review overdue" in mail.get_content()
    assert f"{PORTAL}/staff/cases?mine=yes&review=due" in mail.get_content()
    [mail] = to(outbox, other)
    assert "- 1 consent review due within the next 7 days\n" in mail.get_content()
    assert "overdue" not in mail.get_content()
    assert len(outbox) == 2
    assert (summary.consent_review_emails, summary.consent_reviews_due) == (2, 3)

    assert run_on(TODAY + DAY)[1] == [], "a review is reminded once, not again when it goes overdue"


def test_a_consent_review_recorded_moves_the_date_and_is_reminded_again_when_that_falls_due(app, team):
    worker = team["caseworker"]
    case_id = case_of(app, worker, TODAY + 3 * DAY)
    assert len(run_on(TODAY)[1]) == 1

    acts = Actor(worker.id, "192.0.2.7", london(TODAY + DAY))
    consent.record_review(db.session.get(Case, case_id), TODAY + DAY, "confirmed", None, acts, TODAY + DAY, 6)
    db.session.commit()
    next_due = db.session.get(Case, case_id).consent_review_due
    assert next_due == add_months(TODAY + DAY, 6)

    assert run_on(TODAY + 3 * DAY)[1] == [], "the old date, now reviewed, is not reminded"
    assert run_on(next_due - 8 * DAY)[1] == []
    [mail] = run_on(next_due - 7 * DAY)[1]
    assert mail["To"] == worker.email


def test_requests_due_within_5_working_days_or_overdue_go_to_those_who_handle_their_kind(app, team):
    sar_soon = make_sar(app, TODAY - 25 * DAY)
    sar_later = make_sar(app, TODAY - 20 * DAY)
    foi_overdue = make_foi(app, TODAY - 40 * DAY)
    complaint_acknowledged = make_complaint(app, TODAY - 29 * DAY)
    # Wednesday 25 November: the fifth working day after it is Wednesday 2 December.
    horizon = working_days_on(SubjectAccess().calendar, TODAY, 5)
    assert horizon == dt.date(2026, 12, 2)
    request_due(sar_soon, horizon)
    request_due(sar_later, working_days_on(SubjectAccess().calendar, TODAY, 15))
    request_due(foi_overdue, TODAY - DAY)
    db.session.get(InformationRequest, complaint_acknowledged.id).acknowledged_on = TODAY - DAY
    db.session.commit()

    summary, outbox = run_on(TODAY)

    [mail] = to(outbox, team["dpo"])
    assert mail["Subject"] == "Information requests due"
    assert "- Subject access requests: 1 due within 5 working days, 0 overdue" in mail.get_content()
    assert "Complaints" not in mail.get_content()
    assert "Freedom of Information" not in mail.get_content()
    assert f"{PORTAL}/staff/requests" in mail.get_content()
    [mail] = to(outbox, team["manager"])
    assert "- Freedom of Information requests: 0 due within 5 working days, 1 overdue" in mail.get_content()
    assert "Subject access" not in mail.get_content()
    assert len(outbox) == 2, "nobody else handles requests, and nothing else is due"
    assert (summary.request_emails, summary.requests_due_soon, summary.requests_overdue) == (2, 1, 1)

    assert run_on(TODAY + DAY)[1] == [], "reminded once, not every day"
    # Once more when it goes overdue, and only then.
    [mail] = run_on(horizon + DAY)[1]
    assert mail["To"] == team["dpo"].email
    assert "- Subject access requests: 0 due within 5 working days, 1 overdue" in mail.get_content()
    assert run_on(horizon + 2 * DAY)[1] == []


def test_an_foi_request_extended_is_reminded_again_as_its_new_date_comes(app, team):
    received = TODAY - 28 * DAY
    made = make_foi(app, received)
    due = FreedomOfInformation().initial(received).due_on
    assert TODAY <= due <= working_days_on(UK, TODAY, 5)
    assert len(run_on(TODAY)[1]) == 1

    found = db.session.get(InformationRequest, made.id)
    acts = system_actor(london(TODAY))
    requests.extend_for_public_interest(found, 20, "Section 36: prejudice to public affairs", TODAY, acts, TODAY)
    new_due = db.session.get(InformationRequest, made.id).due_on
    assert new_due > due

    assert run_on(due + DAY)[1] == [], "extended: not overdue, and the new date is weeks away"
    [mail] = run_on(new_due)[1]
    assert mail["To"] == team["manager"].email
    assert "1 due within 5 working days, 0 overdue" in mail.get_content()


def test_no_email_holds_a_name_a_reference_or_an_address_of_the_records(app, team):
    worker = team["caseworker"]
    training_expires(worker, TODAY + 5 * DAY)
    case_id = case_of(app, worker, TODAY - DAY)
    referral = db.session.get(Case, case_id).referral
    sar = make_sar(app, TODAY - 25 * DAY)
    complaint = make_complaint(app, TODAY - 29 * DAY)
    foi = make_foi(app, TODAY - 40 * DAY)
    for made in (sar, complaint, foi):
        request_due(made, TODAY)

    _, outbox = run_on(TODAY)

    assert {message["To"] for message in outbox} == {
        team[role].email for role in ("admin", "manager", "dpo", "caseworker")
    }
    secrets = [
        str(referral.reference),
        sar.reference,
        complaint.reference,
        foi.reference,
        CHILD,
        PARENT.full_name,
        PARENT.email,
        "Zoë",
        "Siân",
        "zoe.family@example.com",
        "Riverside",
        worker.name,
        "Okonkwo",
        *(team[role].email for role in team),
        *(team[role].name for role in team),
    ]
    for message in outbox:
        text = words(message)
        found = [secret for secret in secrets if secret.casefold() in text.casefold()]
        assert found == [], f"{message['Subject']!r} gives away {found}"
        assert not REFERENCE.search(text)
        assert not re.search(
            r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|"
            r"November|December)\b|\d{4}-\d{2}-\d{2}",
            text,
        ), "no date that could identify"


def test_deactivated_people_get_nothing_and_their_items_wait_for_them(app, team):
    worker, admin, dpo = team["caseworker"], team["admin"], team["dpo"]
    training_expires(worker, TODAY + 5 * DAY)
    case_of(app, worker, TODAY + 2 * DAY)
    request_due(make_sar(app, TODAY - 25 * DAY), TODAY + DAY)
    acts = system_actor(london(TODAY))
    for person in (worker, admin, dpo):
        accounts.deactivate(db.session.get(StaffUser, person.id), acts)

    summary, outbox = run_on(TODAY)

    assert [message["To"] for message in outbox] == [], "nobody active has anything to be reminded of"
    assert summary.emails == 0 and reminded_rows() == 0

    accounts.reactivate(db.session.get(StaffUser, worker.id), acts)
    _, outbox = run_on(TODAY + DAY)
    assert sorted(message["Subject"] for message in to(outbox, worker)) == [
        "Consent reviews due on your cases",
        "Your confidentiality training is due for renewal",
    ]
    # The Strategic Manager is the only administrator left; the data protection team is away.
    assert [message["To"] for message in outbox if "Information requests" in message["Subject"]] == []
    assert to(outbox, team["manager"])[0]["Subject"] == "Confidentiality training due for renewal"


def test_production_starts_without_portal_url_but_the_reminders_step_fails_clearly(app, team):
    assert load_config(PRODUCTION)["PORTAL_URL"] == "", "the portal still starts"
    assert load_config(PRODUCTION | {"PORTAL_URL": " https://sps.example.gov.uk/ "})["PORTAL_URL"] == PORTAL
    assert load_config({"PORTAL_ENV": "test"})["PORTAL_URL"] == "http://127.0.0.1:5000"
    training_expires(team["caseworker"], TODAY + 5 * DAY)
    mailer = Mailer("memory://", "sps@example.invalid")
    actor = system_actor(london(TODAY, hour=6))

    with pytest.raises(ReminderFailed, match="PORTAL_URL is not set: set it to the portal's public address"):
        reminders.send_due(TODAY, actor, mailer, "")
    for wrong in ("sps.example.gov.uk", "javascript:alert(1)", "https://sps.example.gov.uk/?next=x"):
        with pytest.raises(ReminderFailed, match="PORTAL_URL must be the portal's public address"):
            reminders.send_due(TODAY, actor, mailer, wrong)

    assert mailer.outbox == [] and reminded_rows() == 0
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "reminders sent")) == 0


class RefusingRelay(Mailer):
    def send(self, to: str, subject: str, body: str) -> bool:
        return False


def test_a_relay_that_refuses_records_nothing_so_the_next_run_sends_again(team):
    training_expires(team["caseworker"], TODAY + 5 * DAY)

    with pytest.raises(ReminderFailed, match="the next run sends the reminders again"):
        run_on(TODAY, RefusingRelay("smtp://relay.example", "sps@example.invalid"))
    assert reminded_rows() == 0

    _, outbox = run_on(TODAY)
    assert len(to(outbox, team["caseworker"])) == 1


def test_an_item_another_run_claimed_after_this_one_looked_is_not_sent_twice(app, team, monkeypatch):
    """Two runs at once: the other wrote its row after this one's look-up found none. The unique
    constraint (ON CONFLICT DO NOTHING) still keeps this run from sending it."""
    training_expires(team["caseworker"], TODAY + 5 * DAY)
    case_id = case_of(app, team["caseworker"], TODAY + DAY)
    first, _ = run_on(TODAY)
    assert first.emails == 4  # training to the person and two administrators, and the review
    monkeypatch.setattr(reminders, "_already_sent", lambda items: set())

    assert run_on(TODAY)[1] == []
    assert reminded_rows() == 2
    assert db.session.scalar(select(ReminderSent.item_key).where(ReminderSent.case_id == case_id)) == f"case:{case_id}"


def test_each_run_is_audited_once_with_counts_only(app, team):
    training_expires(team["volunteer"], TODAY + 5 * DAY)
    case_of(app, team["caseworker"], TODAY + DAY)

    summary, _ = run_on(TODAY)
    run_on(TODAY + DAY)

    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "reminders sent").order_by(AuditEntry.sequence)
    ).all()
    assert [entry.detail for entry in entries] == [
        summary.describe(),
        ReminderSummary().describe(),
    ]
    assert summary.describe() == (
        "Reminders: 4 e-mails sent (1 training, 2 to administrators, 1 consent reviews, 0 requests) about "
        "1 person's training, 1 consent review, 0 requests due soon and 0 overdue."
    )
    assert all(entry.record_type is None and entry.record_id is None for entry in entries)


def test_destroying_a_case_or_request_takes_its_reminders_with_it(app, team):
    """What the retention purge relies on: each row goes with the record it is about."""
    case_id = case_of(app, team["caseworker"], TODAY + DAY)
    made = make_foi(app, TODAY - 40 * DAY)
    request_due(made, TODAY - DAY)
    run_on(TODAY)
    assert reminded_rows() == 2

    db.session.execute(delete(Case).where(Case.id == case_id))
    db.session.execute(delete(InformationRequest).where(InformationRequest.id == made.id))
    db.session.commit()

    assert reminded_rows() == 0
