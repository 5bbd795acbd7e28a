"""Triage decisions, a volunteer's scope, and the consent gate on contact (design 6.2), without HTTP."""

import datetime as dt

import pytest

from portal.extensions import db
from portal.models import AuditEntry, Case, ContactEntry, Referral
from portal.services import clock, contact, triage
from portal.services.audit import Actor
from portal.services.consent import Attestation, IncompleteAttestation, record_attestation_by_staff
from portal.services.contact import ContactDetails, ContactNotPermitted, InvalidContact
from portal.services.demo import _keyed_in_without_attestation
from portal.services.triage import AssignmentRefused, QueueFilter, TriageError
from tests.clock import clock_on
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff

TODAY = dt.date(2026, 11, 25)
clock_on_today = clock_on(TODAY)
CALL = ContactDetails(TODAY, "call", "outgoing", "Spoke to mum about the EHC needs assessment.")


@pytest.fixture
def people(app):
    return {role: make_staff(app, role) for role in ("volunteer", "caseworker", "manager")}


@pytest.fixture
def unattested(app_context):
    return _keyed_in_without_attestation("1.0", Actor(None, "192.0.2.5", clock.now()))


@pytest.fixture
def self_referral(app, app_context):
    submit_referral(app, "self", self_referral_answers())
    return db.session.scalars(db.select(Referral).where(Referral.route == "self")).one()


def actor(user) -> Actor:
    return Actor(user.id, "192.0.2.5", clock.now())


def test_contact_with_an_unattested_professional_referral_is_refused(people, unattested):
    with pytest.raises(ContactNotPermitted, match="no record of their consent"):
        contact.log_contact(unattested, CALL, actor(people["caseworker"]), TODAY)
    assert db.session.scalar(db.select(db.func.count(ContactEntry.id))) == 0
    refused = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action.like("contact refused%"))).all()
    assert [entry.record_id for entry in refused] == [unattested.id]


def test_recording_an_attestation_opens_the_gate(people, unattested):
    caseworker = people["caseworker"]
    attestation = Attestation("parent_carer", TODAY - dt.timedelta(days=1), "verbal", True)
    record = record_attestation_by_staff(unattested, attestation, actor(caseworker), TODAY)
    assert (record.source, record.recorded_by_id, record.referrer_name) == ("staff", caseworker.id, None)
    assert contact.contact_refusal(unattested) is None
    entry = contact.log_contact(unattested, CALL, actor(caseworker), TODAY)
    assert entry.summary == CALL.summary and entry.recorded_by_id == caseworker.id


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"given_by": None}, "consent_given_by"),
        ({"method": None}, "consent_method"),
        ({"statement_confirmed": False}, "consent_confirmed"),
        ({"given_on": TODAY + dt.timedelta(days=1)}, "consent_given_on"),
    ],
)
def test_an_incomplete_staff_attestation_is_refused(people, unattested, change, problem):
    attestation = Attestation(**{**Attestation("parent_carer", TODAY, "verbal", True).__dict__, **change})
    with pytest.raises(IncompleteAttestation) as refusal:
        record_attestation_by_staff(unattested, attestation, actor(people["caseworker"]), TODAY)
    assert problem in refusal.value.problems
    assert unattested.attestations == []


def test_self_referrals_need_no_attestation(people, self_referral):
    assert contact.contact_refusal(self_referral) is None
    contact.log_contact(self_referral, CALL, actor(people["volunteer"]), TODAY)
    with pytest.raises(IncompleteAttestation, match="Only a professional referral"):
        record_attestation_by_staff(
            self_referral, Attestation("parent_carer", TODAY, "verbal", True), actor(people["caseworker"]), TODAY
        )
    assert self_referral.attestations == []


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (ContactDetails(TODAY + dt.timedelta(days=1), "call", "outgoing", "x"), "occurred_on"),
        (ContactDetails(TODAY, "pigeon", "outgoing", "x"), "method"),
        (ContactDetails(TODAY, "call", "sideways", "x"), "direction"),
        (ContactDetails(TODAY, "call", "outgoing", "  \x00 "), "summary"),
    ],
)
def test_a_contact_entry_must_be_complete(people, self_referral, details, field):
    with pytest.raises(InvalidContact) as refusal:
        contact.log_contact(self_referral, details, actor(people["caseworker"]), TODAY)
    assert list(refusal.value.problems) == [field]


def test_every_problem_with_a_contact_entry_is_reported_at_once(people, self_referral):
    with pytest.raises(InvalidContact) as refusal:
        contact.log_contact(self_referral, ContactDetails(None, "", "", ""), actor(people["caseworker"]), TODAY)
    assert list(refusal.value.problems) == ["occurred_on", "method", "direction", "summary"]


def test_accepting_opens_a_case_and_cannot_happen_twice(people, self_referral):
    case = triage.accept(self_referral, actor(people["caseworker"]), TODAY, 6)
    assert self_referral.status == "accepted" and case.status == "open" and case.referral_id == self_referral.id
    assert case.consent_review_due == dt.date(2027, 5, 25)
    with pytest.raises(TriageError, match="already been accepted"):
        triage.decline(self_referral, "Not eligible", actor(people["caseworker"]))
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 1


def test_declining_needs_a_reason_and_closes_the_referral(people, self_referral):
    with pytest.raises(TriageError, match="Enter a reason"):
        triage.decline(self_referral, "   ", actor(people["manager"]))
    triage.decline(self_referral, "Outside the area the service covers.", actor(people["manager"]))
    assert self_referral.status == "declined" and self_referral.closed_on == TODAY


def test_only_caseworkers_and_volunteers_can_be_assigned(people, self_referral):
    with pytest.raises(AssignmentRefused) as refusal:
        triage.assign(self_referral, people["manager"].id, actor(people["manager"]))
    assert set(refusal.value.problems) == {"assignee"}
    with pytest.raises(AssignmentRefused):
        triage.assign(self_referral, None, actor(people["manager"]))
    triage.assign(self_referral, people["volunteer"].id, actor(people["manager"]))
    assert self_referral.assigned_to_id == people["volunteer"].id


def test_assigning_moves_the_referral_and_its_case_together_and_the_log_names_both(app, people, self_referral):
    manager = actor(people["manager"])
    case = triage.accept(self_referral, manager, TODAY, 6)
    other_volunteer = make_staff(app, "volunteer", name="Second Volunteer")
    triage.assign(self_referral, people["volunteer"].id, manager)
    triage.assign(case.referral, other_volunteer.id, manager)
    assert (self_referral.assigned_to_id, case.assigned_to_id) == (other_volunteer.id, other_volunteer.id)
    entries = db.session.scalars(
        db.select(AuditEntry)
        .where(AuditEntry.action.in_(("referral assigned", "case assigned")))
        .order_by(AuditEntry.id)
    ).all()
    assert [(entry.action, entry.record_type, entry.record_id, entry.detail) for entry in entries[-2:]] == [
        ("referral assigned", "referral", self_referral.id, f"to staff {other_volunteer.id}, with case {case.id}"),
        ("case assigned", "case", case.id, f"to staff {other_volunteer.id}, with referral {self_referral.id}"),
    ]


def test_a_volunteer_sees_only_what_is_assigned_to_them(app, people, self_referral, unattested):
    volunteer = db.session.get(type(people["volunteer"]), people["volunteer"].id)
    assert triage.queue_page(volunteer, QueueFilter(), actor(volunteer)).total == 0
    assert triage.get_referral(volunteer, self_referral.id) is None
    assert triage.find_by_reference(volunteer, self_referral.reference) is None
    triage.assign(self_referral, volunteer.id, actor(people["manager"]))
    listed = triage.queue_page(volunteer, QueueFilter(), actor(volunteer)).items
    assert [row.referral.id for row in listed] == [self_referral.id]
    assert triage.get_referral(volunteer, unattested.id) is None
    caseworker = db.session.get(type(people["caseworker"]), people["caseworker"].id)
    assert triage.queue_page(caseworker, QueueFilter(), actor(caseworker)).total == 2


def test_queue_filters_and_dashboard_counts(people, self_referral, unattested):
    manager = db.session.get(type(people["manager"]), people["manager"].id)
    assert triage.queue_page(manager, QueueFilter(route="professional"), actor(manager)).total == 1
    assert triage.queue_page(manager, QueueFilter(awaiting_attestation=True), actor(manager)).total == 1
    assert triage.dashboard_counts(manager) == triage.DashboardCounts(new=2, awaiting_attestation=1, assigned_to_me=0)


def test_referrals_are_found_by_email_and_views_are_audited(people, self_referral):
    manager = db.session.get(type(people["manager"]), people["manager"].id)
    assert [row.referral.id for row in triage.find_by_email(manager, "ZOE.family@example.com ", actor(manager))] == [
        self_referral.id
    ]
    triage.view_referral(manager, self_referral.id, actor(manager))
    viewed = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "referral viewed")).one()
    assert (viewed.actor_id, viewed.record_type, viewed.record_id) == (manager.id, "referral", self_referral.id)
