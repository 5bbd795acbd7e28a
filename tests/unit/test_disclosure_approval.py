"""Sharing without consent waits for a second manager (design section 5's separation of duties),
without HTTP: who may decide, what a decision records, and where an undecided or declined
disclosure never shows as shared."""

import datetime as dt

import pytest

from portal.extensions import db
from portal.models import AuditEntry, Disclosure, Referral
from portal.services import casework, clock, disclosures, requests, subject_access, triage
from portal.services.audit import Actor
from portal.services.consent import CaseConsent, record_case_consent
from portal.services.disclosures import (
    DecisionRefused,
    DisclosureRequest,
    SelfApprovalRefused,
    decide,
    named_parties,
    record_disclosure,
)
from portal.services.requests import Requester, SubjectAccessAnswers
from tests.clock import clock_on
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff

TODAY = dt.date(2026, 11, 25)
clock_on_today = clock_on(TODAY)


def acting(user) -> Actor:
    return Actor(user.id, "192.0.2.7", clock.now())


@pytest.fixture
def world(app, app_context):
    people = {
        "caseworker": make_staff(app, "caseworker", name="Casey Worker"),
        "manager": make_staff(app, "manager", name="Morgan Manager"),
        "second manager": make_staff(app, "manager", name="Sam Second"),
    }
    submit_referral(app, "self", self_referral_answers())
    referral = db.session.scalars(db.select(Referral)).one()
    case = triage.accept(referral, acting(people["caseworker"]), TODAY, 6)
    return people, case


def without_consent(case, recorder, shared="The family's address and the worries raised") -> Disclosure:
    request = DisclosureRequest(
        TODAY,
        shared,
        "child_protection",
        recipient="Children's Social Care",
        justification="The child described harm at home.",
    )
    return record_disclosure(case, request, acting(recorder), TODAY)


def actions() -> list[str]:
    return list(db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_manager_cannot_approve_their_own_legal_basis_disclosure(world):
    people, case = world
    manager = people["manager"]
    disclosure = without_consent(case, manager)
    for decision, reason in (("approve", ""), ("decline", "Changed my mind")):
        with pytest.raises(SelfApprovalRefused) as refusal:
            decide(disclosure, decision, reason, acting(manager))
        assert "a manager other than you" in refusal.value.problems["decision"]
    assert (disclosure.status, disclosure.decided_by_id) == ("pending", None)
    refused = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "disclosure approval refused")).all()
    assert [(entry.record_id, entry.actor_id) for entry in refused] == [(case.id, manager.id)] * 2
    assert disclosures.awaiting_approval_count(manager) == 0
    assert disclosures.awaiting_approval_count(people["second manager"]) == 1


def test_a_second_manager_approves_and_the_approval_names_them_and_the_moment(world, time_machine):
    people, case = world
    disclosure = without_consent(case, people["caseworker"])
    assert casework.timeline(case, people["manager"]) == [] and disclosures.disclosures_of(case) == []
    time_machine.shift(dt.timedelta(hours=2))
    approver = acting(people["second manager"])
    decide(disclosure, "approve", "", approver)
    assert (disclosure.status, disclosure.decided_by_id) == ("approved", people["second manager"].id)
    assert clock.as_utc(disclosure.decided_at) == clock.as_utc(approver.at)
    assert disclosure.shared and disclosures.disclosures_of(case) == [disclosure]
    [entry] = casework.timeline(case, people["manager"])
    assert (entry.kind, entry.item.id, entry.approved_by) == ("disclosure", disclosure.id, "Sam Second")
    assert actions()[-1] == "disclosure approved"
    with pytest.raises(DecisionRefused, match="already been approved"):
        decide(disclosure, "decline", "Too late", acting(people["manager"]))


def test_a_declined_disclosure_needs_a_reason_and_never_shows_as_shared(world):
    people, case = world
    disclosure = without_consent(case, people["caseworker"])
    with pytest.raises(DecisionRefused) as refusal:
        decide(disclosure, "decline", "  ", acting(people["manager"]))
    assert set(refusal.value.problems) == {"decline_reason"}
    with pytest.raises(DecisionRefused) as refusal:
        decide(disclosure, "maybe", "", acting(people["manager"]))
    assert set(refusal.value.problems) == {"decision"}
    decide(disclosure, "decline", "Not enough to share without consent yet.", acting(people["manager"]))
    assert (disclosure.status, disclosure.decline_reason) == ("declined", "Not enough to share without consent yet.")
    assert not disclosure.shared
    assert casework.timeline(case, people["manager"]) == [] and disclosures.disclosures_of(case) == []
    [held] = disclosures.held_back(case, people["manager"])
    assert (held.disclosure.id, held.decided_by, held.viewer_may_decide) == (disclosure.id, "Morgan Manager", False)
    assert actions()[-1] == "disclosure declined"


def test_only_a_manager_decides(app, world):
    people, case = world
    disclosure = without_consent(case, people["manager"])
    caseworker = make_staff(app, "caseworker", name="Another Worker")
    with pytest.raises(DecisionRefused, match="Only a manager"):
        decide(disclosure, "approve", "", acting(caseworker))
    assert disclosure.status == "pending" and actions()[-1] == "disclosure approval refused"


def test_the_approvals_list_marks_what_each_manager_may_decide(world):
    people, case = world
    mine = without_consent(case, people["manager"], "Mine")
    theirs = without_consent(case, people["caseworker"], "Theirs")
    listed = disclosures.awaiting_approval(people["manager"])
    assert [(item.disclosure.id, item.viewer_recorded, item.viewer_may_decide) for item in listed] == [
        (mine.id, True, False),
        (theirs.id, False, True),
    ]
    assert listed[0].reference == case.referral.reference and listed[1].recorded_by == "Casey Worker"


def test_a_disclosure_on_consent_is_shared_at_once(world):
    people, case = world
    worker = acting(people["caseworker"])
    record_case_consent(
        case,
        CaseConsent("parent_carer", TODAY, "written", True, ["Hillside Academy"], None, ""),
        None,
        worker,
        TODAY,
        6,
    )
    [school] = named_parties(case)
    shared = record_disclosure(case, DisclosureRequest(TODAY, "The plan", "consent", school.id), worker, TODAY)
    assert shared.status == "approved" and disclosures.disclosures_of(case) == [shared]
    assert disclosures.held_back(case, people["manager"]) == []
    with pytest.raises(DecisionRefused):
        decide(shared, "approve", "", acting(people["manager"]))


def test_a_subject_access_response_has_only_approved_disclosures(app, world, outbox):
    people, case = world
    approved = without_consent(case, people["caseworker"], "Approved sharing text")
    decide(approved, "approve", "", acting(people["manager"]))
    without_consent(case, people["caseworker"], "Pending sharing text")
    declined = without_consent(case, people["caseworker"], "Declined sharing text")
    decide(declined, "decline", "No.", acting(people["manager"]))

    dpo_user = make_staff(app, "dpo", name="Dana Protection")
    dpo = acting(dpo_user)
    requester = Requester("Zoë Ó Briain-Nakamura", "zoe.family@example.com", None, None, None, "email")
    answers = SubjectAccessAnswers(
        "parent_carer", requester, None, "Siân 李 Ó Briain", None, dt.date(2012, 3, 14), None, "All", "documents"
    )
    request = requests.submit_subject_access(answers, True, "k1", app.extensions["portal_mailer"], clock.now())
    subject_access.verify_identity(request, "photo_id_and_address", TODAY, dpo, TODAY)
    subject_access.choose_records(request, [case.referral_id], dpo)
    document, _ = subject_access.build_response(request, True, False, TODAY)
    shared = [
        value
        for section in document.sections
        for entry in section.entries
        for name, value in entry.fields
        if name == "What was shared"
    ]
    assert shared == ["Approved sharing text"]
