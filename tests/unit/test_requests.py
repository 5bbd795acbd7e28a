"""Information requests without HTTP: intake, the queue, the SAR and FOI clocks, extensions, stalled
complaints, a child's confirmation, finding and choosing records, the redacted response PDF, and
closure. The clock stands at 10am in London on 20 March 2026 unless a test moves it; the dates the
requests arrived are given, as the public forms would record them."""

import datetime as dt
from dataclasses import replace

import pytest

from portal.extensions import db
from portal.models import AuditEntry, InformationRequest, Referral
from portal.services import casework, clock, requests, subject_access, triage
from portal.services.audit import Actor
from portal.services.consent import CaseConsent, record_case_consent, record_review
from portal.services.contact import ContactDetails, log_contact
from portal.services.deadlines import FreedomOfInformation
from portal.services.requests import (
    Closure,
    ComplaintAnswers,
    DeclarationMissing,
    FoiAnswers,
    Requester,
    RequestFilter,
    RequestRefused,
    SubjectAccessAnswers,
)
from tests.clock import clock_on, london
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff, pdf_text

clock_on_today = clock_on(dt.date(2026, 3, 20))

RECEIVED = dt.datetime(2026, 1, 31, 10, 0, tzinfo=dt.UTC)
PARENT = Requester("Zoë Ó Briain-Nakamura", "zoe.family@example.com", None, None, None, "email")


def sar_answers(**overrides):
    values = {
        "acting_as": "parent_carer",
        "requester": PARENT,
        "authority": None,
        "subject_name": "Siân 李 Ó Briain",
        "subject_other_names": None,
        "subject_date_of_birth": dt.date(2012, 3, 14),
        "reference_given": None,
        "wanted": "Everything you hold about my daughter.",
        "identity_check": "documents",
    }
    values.update(overrides)
    return SubjectAccessAnswers(**values)


@pytest.fixture
def team(app, app_context):
    return {
        "dpo": make_staff(app, "dpo", name="Dana Protection"),
        "manager": make_staff(app, "manager", name="Morgan Manager"),
        "caseworker": make_staff(app, "caseworker", name="Casey Worker"),
    }


def actor(user):
    return Actor(user.id, "192.0.2.9", clock.now())


def sar(app, received_at=RECEIVED, key="k1", **overrides):
    mailer = app.extensions["portal_mailer"]
    return requests.submit_subject_access(sar_answers(**overrides), True, key, mailer, received_at)


def test_a_subject_access_request_is_due_one_calendar_month_later_and_acknowledged_by_reference_only(
    app, app_context, outbox
):
    request = sar(app)
    assert request.reference.startswith("SAR-")
    # 31 January: February has no 31st, so the month ends on 28 February 2026 (a Saturday),
    # and the deadline moves to the next working day.
    assert request.due_on == dt.date(2026, 3, 2)
    assert [event.event for event in request.clock_events] == ["start"]
    (message,) = outbox
    body = message.get_content()
    assert request.reference in body
    assert "Siân" not in body and "daughter" not in body and "Zoë" not in body


def test_the_same_submission_key_makes_one_request(app, app_context, outbox):
    assert sar(app).id == sar(app).id
    assert db.session.scalar(db.select(db.func.count()).select_from(InformationRequest)) == 1


def test_a_subject_access_request_needs_the_declaration_and_the_rules(app, app_context, outbox):
    mailer = app.extensions["portal_mailer"]
    with pytest.raises(DeclarationMissing):
        requests.submit_subject_access(sar_answers(), False, "k", mailer, RECEIVED)
    with pytest.raises(RequestRefused) as refused:
        requests.submit_subject_access(
            sar_answers(acting_as="authorised", subject_name=None, requester=replace(PARENT, email=None)),
            True,
            "k",
            mailer,
            RECEIVED,
        )
    assert set(refused.value.problems) == {"subject_name", "authority", "email"}
    assert not outbox
    assert db.session.scalar(db.select(db.func.count()).select_from(InformationRequest)) == 0


def test_foi_and_complaint_deadlines(app, app_context, outbox):
    mailer = app.extensions["portal_mailer"]
    received = dt.datetime(2026, 12, 18, 15, 0, tzinfo=dt.UTC)
    foi = requests.submit_foi(FoiAnswers(PARENT, "How many referrals did you get in 2025?"), "f", mailer, received)
    assert foi.reference.startswith("FOI-")
    assert foi.due_on == FreedomOfInformation().initial(dt.date(2026, 12, 18)).due_on == dt.date(2027, 1, 21)
    complaint = requests.submit_complaint(
        ComplaintAnswers(PARENT, "You sent my letter to the wrong address.", None, None), "c", mailer, received
    )
    assert complaint.reference.startswith("DPC-")
    # Day 30 from the day after receipt is Sunday 17 January 2027: the next working day.
    assert complaint.due_on == dt.date(2027, 1, 18)


def test_the_services_nation_decides_whose_holidays_move_a_subject_access_deadline(
    app, app_context, outbox, monkeypatch
):
    # Tuesday 2 December 2025: a month on is Friday 2 January 2026, a bank holiday in Scotland only.
    received = dt.datetime(2025, 12, 2, 10, 0, tzinfo=dt.UTC)
    assert sar(app, received, key="england").due_on == dt.date(2026, 1, 2)
    monkeypatch.setitem(app.config, "SERVICE_NATION", "scotland")
    assert sar(app, received, key="scotland").due_on == dt.date(2026, 1, 5)


def test_the_queue_shows_each_role_its_own_kinds_and_the_overdue_views(app, team, outbox, time_machine):
    mailer = app.extensions["portal_mailer"]
    time_machine.move_to(london(dt.date(2026, 3, 5)), tick=False)
    today = clock.london_today()
    overdue_long = sar(app, key="a", received_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))  # due 5 February
    overdue_recent = sar(app, key="b")  # due 2 March
    due_soon = sar(app, key="c", received_at=dt.datetime(2026, 2, 10, tzinfo=dt.UTC))  # due 10 March
    foi = requests.submit_foi(FoiAnswers(PARENT, "Budget?"), "f", mailer, dt.datetime(2026, 2, 2, tzinfo=dt.UTC))
    # Acknowledged on 20 January and not answered within 30 days (by 19 February): stalled.
    stalled = requests.submit_complaint(
        ComplaintAnswers(PARENT, "Lost letter", None, None), "c1", mailer, dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    )
    requests.acknowledge_complaint(stalled, dt.date(2026, 1, 20), actor(team["dpo"]), today)
    # Acknowledged on 5 February: 30 days run to 7 March, so not stalled yet.
    answering = requests.submit_complaint(
        ComplaintAnswers(PARENT, "Wrong name", None, None), "c2", mailer, dt.datetime(2026, 2, 2, tzinfo=dt.UTC)
    )
    requests.acknowledge_complaint(answering, dt.date(2026, 2, 5), actor(team["dpo"]), today)
    dpo, manager = team["dpo"], team["manager"]

    def listed(viewer, view):
        page = requests.requests_page(viewer, RequestFilter(view=view), actor(viewer))
        return {item.request.id for item in page.items}

    assert listed(dpo, "open") == {overdue_long.id, overdue_recent.id, due_soon.id, stalled.id, answering.id}
    assert listed(dpo, "stalled") == {stalled.id}
    assert requests.is_stalled(stalled, today) and not requests.is_stalled(answering, today)
    assert "stalled" in requests.views_for(dpo) and "stalled" not in requests.views_for(manager)
    assert listed(manager, "open") == {foi.id}
    assert listed(dpo, "overdue") == {overdue_long.id, overdue_recent.id}
    assert listed(dpo, "recently_overdue") == {overdue_recent.id}
    assert listed(dpo, "due_week") == {due_soon.id}
    assert listed(manager, "overdue") == {foi.id}  # 2 February + 20 working days = 2 March
    assert requests.dashboard_counts(dpo, today) == requests.RequestCounts(due_this_week=1, overdue=2, stalled=1)
    assert requests.dashboard_counts(manager, today) == requests.RequestCounts(due_this_week=0, overdue=1)
    assert requests.dashboard_counts(team["caseworker"], today) is None
    assert requests.get_request(manager, overdue_long.id) is None
    assert requests.get_request(dpo, foi.id) is None


def test_pausing_the_clock_moves_the_deadline_by_the_days_paused(app, team, outbox):
    request = sar(app)
    dpo = actor(team["dpo"])
    today = dt.date(2026, 3, 20)
    requests.record_clock_event(request, "pause", dt.date(2026, 2, 10), "Which meeting notes?", dpo, today)
    assert request.status == "paused"
    assert requests.paused_since(request) == dt.date(2026, 2, 10)
    with pytest.raises(RequestRefused) as refused:
        requests.record_clock_event(request, "pause", dt.date(2026, 2, 11), "Again", dpo, today)
    assert refused.value.problems["clock_event"] == (
        "The clock is paused until the clarification arrives: record that first"
    )
    requests.record_clock_event(request, "resume", dt.date(2026, 2, 20), "They told us", dpo, today)
    assert request.status == "open" and requests.paused_since(request) is None
    # 10 to 20 February, both days included, is 11 days: 28 February + 11 = Wednesday 11 March.
    assert request.due_on == dt.date(2026, 3, 11)
    assert any("paused for 11 days" in step for step in requests.working(request).steps)
    with pytest.raises(RequestRefused) as refused:
        requests.record_clock_event(request, "resume", dt.date(2026, 2, 21), "x", dpo, today)
    assert refused.value.problems == {"clock_event": "The clock is not paused"}
    # Identity evidence arriving later starts the clock again from that day.
    requests.record_clock_event(request, "start", dt.date(2026, 3, 3), "Passport copy arrived", dpo, today)
    # 3 April 2026 is Good Friday and 6 April Easter Monday: due Tuesday 7 April.
    assert request.due_on == dt.date(2026, 4, 7)
    with pytest.raises(RequestRefused) as refused:
        requests.record_clock_event(request, "pause", dt.date(2026, 3, 1), "Earlier than the last", dpo, today)
    assert "on or after the last clock change" in refused.value.problems["clock_on"]
    with pytest.raises(RequestRefused) as refused:
        requests.record_clock_event(request, "fees_notice", dt.date(2026, 3, 4), "A fee", dpo, today)
    assert refused.value.problems["clock_event"] == "Select what happened to the clock"
    clock_changes = db.session.scalars(
        db.select(AuditEntry.detail).where(
            AuditEntry.record_id == request.id, AuditEntry.action == "request clock changed"
        )
    )
    assert {"pause", "resume", "start"} <= set(clock_changes)


def test_an_foi_clock_stops_for_a_clarification_and_a_fee_and_is_extended_for_the_public_interest(app, team, outbox):
    mailer = app.extensions["portal_mailer"]
    manager = actor(team["manager"])
    today = clock.london_today()  # 20 March 2026
    received = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # Monday 2 March: due Tuesday 31 March
    foi = requests.submit_foi(FoiAnswers(PARENT, "Staff numbers?"), "f", mailer, received)
    assert foi.due_on == dt.date(2026, 3, 31)
    assert list(requests.clock_choices(foi)) == ["clarification_asked", "fees_notice"]

    requests.record_clock_event(foi, "clarification_asked", dt.date(2026, 3, 4), "Which year?", manager, today)
    assert foi.status == "paused" and list(requests.clock_choices(foi)) == ["clarification_received"]
    with pytest.raises(RequestRefused) as refused:
        requests.record_clock_event(foi, "fees_notice", dt.date(2026, 3, 5), "£25", manager, today)
    assert refused.value.problems["clock_event"] == (
        "The clock is paused until the clarification arrives: record that first"
    )
    requests.record_clock_event(foi, "clarification_received", dt.date(2026, 3, 10), "2025", manager, today)
    # Date of receipt 10 March: St Patrick's Day, Good Friday and Easter Monday skipped: Friday 10 April.
    assert foi.status == "open" and foi.due_on == dt.date(2026, 4, 10)

    requests.record_clock_event(foi, "fees_notice", dt.date(2026, 3, 12), "£40 for copies", manager, today)
    assert requests.recorded_message(foi) == "Recorded. The clock is paused until the fee is paid."
    requests.record_clock_event(foi, "fee_paid", dt.date(2026, 3, 13), "Paid by card", manager, today)
    # Thursday 12 and Friday 13 March not counted: two working days later, Tuesday 14 April.
    assert foi.due_on == dt.date(2026, 4, 14)

    with pytest.raises(RequestRefused) as refused:
        requests.extend_for_public_interest(foi, 21, "", None, manager, today)
    assert set(refused.value.problems) == {"pi_working_days", "pi_exemption", "pi_told_on"}
    with pytest.raises(RequestRefused) as refused:
        requests.extend_for_public_interest(foi, 20, "s.36", dt.date(2026, 3, 21), manager, today)
    assert refused.value.problems == {"pi_told_on": "The date the requester was told must be today or in the past"}
    exemption = "Section 36: effective conduct of public affairs"
    requests.extend_for_public_interest(foi, 20, exemption, today, manager, today)
    # 20 more working days from Tuesday 14 April (the early May holiday skipped): Wednesday 13 May.
    assert foi.due_on == dt.date(2026, 5, 13)
    assert foi.extension_working_days == 20 and foi.extension_notice_sent_on == today
    assert requests.recorded_message(foi) == "Recorded. The reply is due by 13 May 2026."
    with pytest.raises(RequestRefused, match="already been extended"):
        requests.extend_for_public_interest(foi, 5, "s.36", today, manager, today)
    assert requests.event_labels("foi")["fee_paid"] == "Fee paid: clock running again"

    complaint = requests.submit_complaint(ComplaintAnswers(PARENT, "Wrong address", None, None), "c", mailer, received)
    with pytest.raises(RequestRefused) as refused:
        requests.record_clock_event(complaint, "pause", dt.date(2026, 3, 4), "x", manager, today)
    assert refused.value.problems == {"clock_event": "A complaint has no clock to stop or start"}
    sar_request = sar(app, key="s")
    with pytest.raises(RequestRefused, match="Only a Freedom of Information request"):
        requests.extend_for_public_interest(sar_request, 20, "s.36", today, manager, today)


def test_an_extension_is_made_once_by_at_most_two_months_with_a_reason_and_a_timely_notice(app, team, outbox):
    request = sar(app)
    dpo = actor(team["dpo"])
    today = dt.date(2026, 3, 20)
    with pytest.raises(RequestRefused) as refused:
        subject_access.extend(request, 3, "", None, dpo, today)
    assert set(refused.value.problems) == {"extension_months", "extension_reason", "notice_sent_on"}
    with pytest.raises(RequestRefused) as refused:
        subject_access.extend(request, 2, "Many records", dt.date(2026, 3, 3), dpo, today)
    assert "within the original deadline" in refused.value.problems["notice_sent_on"]
    subject_access.extend(request, 2, "Many records across two cases", dt.date(2026, 2, 20), dpo, today)
    assert request.due_on == dt.date(2026, 4, 30)  # 31 January + 3 months: April's last day
    with pytest.raises(RequestRefused) as refused:
        subject_access.extend(request, 1, "More", dt.date(2026, 2, 21), dpo, today)
    assert "already been extended" in refused.value.problems["extension_months"]


# Received 31 January 2026: a child born 31 January 2014 is 12 that day, one born 1 February 2014 is
# still 11; one born 30 January 2008 is 18, an adult.
@pytest.mark.parametrize(
    ("acting_as", "born", "needed"),
    [
        ("parent_carer", dt.date(2014, 1, 31), True),
        ("parent_carer", dt.date(2014, 2, 1), False),
        ("parent_carer", dt.date(2013, 1, 30), True),
        ("parent_carer", dt.date(2008, 1, 30), False),
        ("authorised", dt.date(2014, 1, 31), True),
        ("self", dt.date(2014, 1, 31), False),
    ],
)
def test_someone_asking_for_a_child_of_12_or_over_needs_the_childs_confirmation_recorded(
    app, team, outbox, acting_as, born, needed
):
    authority = "Appointed by the court" if acting_as == "authorised" else None
    request = sar(app, subject_date_of_birth=born, acting_as=acting_as, authority=authority)
    assert subject_access.needs_child_confirmation(request) is needed
    if needed:
        assert "the outcome of seeking the child's confirmation has not been recorded" in (
            subject_access.release_problems(request)
        )
        with pytest.raises(RequestRefused) as refused:
            subject_access.record_child_confirmation(request, "not_sought", "", actor(team["dpo"]))
        assert refused.value.problems == {"child_confirmation_note": "Enter why it was not sought"}
        subject_access.record_child_confirmation(
            request, "agreed", "Spoke to her at school; she agreed.", actor(team["dpo"])
        )
        assert request.child_confirmation == "agreed"
        with pytest.raises(RequestRefused, match="already recorded"):
            subject_access.record_child_confirmation(request, "refused", "Changed her mind", actor(team["dpo"]))
    else:
        with pytest.raises(RequestRefused):
            subject_access.record_child_confirmation(request, "agreed", "x", actor(team["dpo"]))


@pytest.fixture
def casework_world(app, team, outbox):
    """A referral with a case whose note names a neighbour and whose consent names a school."""
    submit_referral(app, "self", self_referral_answers())
    referral = db.session.scalars(db.select(Referral)).one()
    worker = actor(team["caseworker"])
    case = triage.accept(referral, worker, dt.date(2026, 1, 5), 6)
    casework.add_note(case, "Met Zoë. Her neighbour Priya Raman (priya@example.net, 07700 900123) came along.", worker)
    record_case_consent(
        case,
        CaseConsent("parent_carer", dt.date(2026, 1, 6), "written", True, ["Hillside Academy"], None, ""),
        dt.date(2015, 3, 14),
        worker,
        dt.date(2026, 1, 6),
        6,
    )
    record_review(case, dt.date(2026, 1, 20), "confirmed", None, worker, dt.date(2026, 1, 20), 6)
    log_contact(
        referral,
        ContactDetails(dt.date(2026, 1, 7), "call", "outgoing", "Called Zoë back."),
        worker,
        dt.date(2026, 1, 7),
        case=case,
    )
    return referral, case


def test_records_are_found_by_keyed_hashes_and_the_response_withholds_other_people(app, team, casework_world):
    referral, _ = casework_world
    dpo = actor(team["dpo"])
    today = dt.date(2026, 2, 10)
    # Typed differently from the referral: case, spacing and hyphens do not stop the match.
    request = sar(app, subject_name="SIÂN 李 ó  briain", subject_date_of_birth=dt.date(2015, 3, 14))
    unrelated = sar(
        app, key="k2", subject_name="Someone Else", requester=Requester("X", "x@example.com", None, None, None, "email")
    )
    (match,) = subject_access.matching_records(request, dpo)
    assert match.referral.id == referral.id
    assert match.reasons == ["name and date of birth", "the requester's email address"]
    assert subject_access.matching_records(unrelated, dpo) == []
    with pytest.raises(RequestRefused):
        subject_access.choose_records(unrelated, [referral.id], dpo)

    with pytest.raises(RequestRefused) as refused:
        subject_access.response_pdf(request, False, False, today)
    assert "identity has not been verified" in refused.value.problems["response_pdf"]
    subject_access.verify_identity(request, "photo_id_and_address", dt.date(2026, 2, 3), dpo, today)
    subject_access.choose_records(request, [referral.id], dpo)
    subject_access.add_withheld_name(request, "Priya Raman", dpo)

    made = subject_access.response_pdf(request, False, False, today)
    assert made.filename == f"{request.reference}.pdf"
    text = pdf_text(made.content)
    assert "Priya" not in text and "Raman" not in text
    assert "priya@example.net" not in text and "900123" not in text
    assert "Hillside Academy" not in text
    assert "Met Zoë" in text and "Siân" in text
    assert "Consent reviewed" in text and "20 July 2026" in text  # the next review, 6 months on
    assert "Casey Worker" in text  # staff acting in their role are named by default
    assert "redaction log" not in text.lower()

    with pytest.raises(RequestRefused) as refused:
        subject_access.verify_identity(request, "seen_in_person", dt.date(2026, 2, 4), dpo, today)
    assert refused.value.problems == {"verified_how": "The identity is already recorded as verified"}

    team_copy = subject_access.response_pdf(request, True, True, today)
    team_text = pdf_text(team_copy.content)
    assert "Casey Worker" not in team_text
    assert "Redaction log" in team_text and "not for release" in team_text

    # Once closed, a new PDF would not be a copy of what was sent.
    requests.close(request, Closure("records_sent", dt.date(2026, 2, 10), "Sent by email"), dpo, today)
    with pytest.raises(RequestRefused) as refused:
        subject_access.response_pdf(request, False, False, today)
    assert "closed" in refused.value.problems["response_pdf"]


def test_closing_follows_each_kinds_rules(app, team, outbox):
    mailer = app.extensions["portal_mailer"]
    dpo, manager = actor(team["dpo"]), actor(team["manager"])
    request = sar(app)
    today = dt.date(2026, 2, 20)
    with pytest.raises(RequestRefused) as refused:
        requests.close(request, Closure("records_sent", dt.date(2026, 2, 19), "Sent by email"), dpo, today)
    assert "cannot be released yet" in refused.value.problems["outcome"]
    requests.close(request, Closure("no_records_held", dt.date(2026, 2, 19), "We hold nothing"), dpo, today)
    assert request.status == "closed"
    assert requests.time_to_respond(request) == "Answered in 19 calendar days from receipt, within the deadline."
    assert requests.destruction_date(request, 3) == dt.date(2029, 2, 19)

    foi = requests.submit_foi(FoiAnswers(PARENT, "Staff numbers?"), "f", mailer, RECEIVED)
    with pytest.raises(RequestRefused) as refused:
        requests.close(foi, Closure("partly_withheld", dt.date(2026, 2, 19), "Sent totals"), manager, today)
    assert set(refused.value.problems) == {"exemptions"}
    requests.close(foi, Closure("partly_withheld", dt.date(2026, 2, 19), "Sent totals", "s.40(2)"), manager, today)
    assert requests.time_to_respond(foi) == "Answered in 14 working days from receipt, within the deadline."

    complaint = requests.submit_complaint(ComplaintAnswers(PARENT, "Wrong address", None, None), "c", mailer, RECEIVED)
    with pytest.raises(RequestRefused) as refused:
        requests.close(complaint, Closure("upheld", dt.date(2026, 2, 19), "Apologised"), dpo, today)
    assert "acknowledgement" in refused.value.problems["outcome"]
    requests.acknowledge_complaint(complaint, dt.date(2026, 2, 2), dpo, today)
    assert not requests.is_overdue(complaint, dt.date(2026, 4, 1))
    requests.close(complaint, Closure("upheld", dt.date(2026, 2, 19), "Apologised"), dpo, today)
    unacknowledged = requests.submit_complaint(
        ComplaintAnswers(PARENT, "Lost letter", None, None), "c2", mailer, RECEIVED
    )
    requests.close(unacknowledged, Closure("withdrawn", dt.date(2026, 2, 19), "Withdrawn by phone"), dpo, today)
    with pytest.raises(RequestRefused, match="closed"):
        requests.acknowledge_complaint(unacknowledged, dt.date(2026, 2, 19), dpo, today)


def ready_response(app, team, referral, **overrides):
    dpo = actor(team["dpo"])
    request = sar(app, subject_date_of_birth=dt.date(2015, 3, 14), **overrides)
    subject_access.verify_identity(request, "photo_id_and_address", dt.date(2026, 2, 3), dpo, dt.date(2026, 2, 10))
    subject_access.choose_records(request, [referral.id], dpo)
    return request, dpo


def test_the_requesting_parents_own_details_are_kept(app, team, casework_world):
    referral, _ = casework_world
    request, _ = ready_response(app, team, referral)
    text = pdf_text(subject_access.response_pdf(request, False, False, dt.date(2026, 2, 10)).content)
    assert "Zoë Ó Briain-Nakamura" in text and "07700 900982" in text and "1 Example Street" in text


def test_another_parents_details_are_withheld_whole(app, team, casework_world):
    """A separated parent asking for their child's records does not get the other parent's
    name, telephone number or address."""
    referral, _ = casework_world
    other_parent = Requester("Sam Other", "sam.other@example.com", None, None, None, "email")
    request, dpo = ready_response(app, team, referral, requester=other_parent, key="other")
    # The portal knows her full name; the note calls her by her first name, which the team adds.
    subject_access.add_withheld_name(request, "Zoë", dpo)
    team_copy = subject_access.response_pdf(request, True, False, dt.date(2026, 2, 10))
    text = pdf_text(team_copy.content)
    for detail in ("Nakamura", "zoe.family@example.com", "900982", "1 Example Street"):
        assert detail not in text
    assert "Siân" in text and "Met [withheld]" in text
    assert "Another person's details" in text
