"""Casework rules without HTTP: disclosures, consent and its reviews, conflicting saves, closure."""

import datetime as dt

import pytest

from portal.extensions import db
from portal.models import AuditEntry, Case, CaseNote, Referral
from portal.services import casework, clock, triage
from portal.services.audit import Actor
from portal.services.casework import CaseDetails, CaseFilter, CaseworkError, EditConflict
from portal.services.clock import add_months
from portal.services.consent import (
    CaseConsent,
    ConsentNotRecorded,
    case_consent_problems,
    record_case_consent,
    record_review,
    withdraw_consent,
)
from portal.services.disclosures import DisclosureRefused, DisclosureRequest, named_parties, record_disclosure
from portal.services.triage import AssignmentRefused
from tests.clock import clock_on
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff

TODAY = dt.date(2026, 11, 25)
clock_on_today = clock_on(TODAY)


@pytest.mark.parametrize(
    ("start_on", "months", "due"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
        (dt.date(2027, 8, 31), 6, dt.date(2028, 2, 29)),
        (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),
        (dt.date(2026, 5, 31), 6, dt.date(2026, 11, 30)),
        (dt.date(2026, 11, 25), 6, dt.date(2027, 5, 25)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
    ],
)
def test_review_dates_across_month_ends_and_leap_years(start_on, months, due):
    assert add_months(start_on, months) == due


@pytest.fixture
def world(app, app_context):
    people = {role: make_staff(app, role) for role in ("volunteer", "caseworker", "manager")}
    submit_referral(app, "self", self_referral_answers(child_date_of_birth=["1", "3", "2012"]))
    referral = db.session.scalars(db.select(Referral)).one()
    actor = Actor(people["caseworker"].id, "192.0.2.3", clock.now())
    case = triage.accept(referral, actor, TODAY, 6)
    return people, case, actor


def consent(parties=("Riverside Primary School",), given_by="parent_carer", sought=False, view=""):
    return CaseConsent(given_by, dt.date(2026, 11, 1), "written", True, list(parties), sought, view)


def give_consent(case, actor, **kwargs):
    return record_case_consent(case, consent(**kwargs), dt.date(2012, 3, 1), actor, TODAY, 6)


def test_a_disclosure_to_a_party_the_family_named_is_allowed(world):
    people, case, actor = world
    give_consent(case, actor)
    [school] = named_parties(case)
    disclosure = record_disclosure(
        case, DisclosureRequest(TODAY, "The EHC plan draft", "consent", school.id), actor, TODAY
    )
    assert disclosure.recipient == "Riverside Primary School" and disclosure.shared
    assert (disclosure.decided_by_id, disclosure.decided_at) == (None, None)
    logged = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "disclosure recorded")).one()
    assert logged.record_id == case.id
    assert next(entry.kind for entry in casework.timeline(case, people["caseworker"])) == "disclosure"


def test_a_disclosure_to_anyone_else_on_consent_is_refused(world):
    _, case, actor = world
    give_consent(case, actor)
    with pytest.raises(DisclosureRefused) as refusal:
        record_disclosure(
            case, DisclosureRequest(TODAY, "Notes", "consent", None, recipient="The council"), actor, TODAY
        )
    assert "consent_party_id" in refusal.value.problems
    assert "safeguarding or legal basis" in refusal.value.problems["consent_party_id"]


def test_a_party_named_on_another_case_does_not_count(world, app, client):
    _people, case, actor = world
    give_consent(case, actor)
    other = Case(referral_id=case.referral_id, opened_by_id=actor.staff_id)
    [school] = named_parties(case)
    with pytest.raises(DisclosureRefused):
        record_disclosure(other, DisclosureRequest(TODAY, "Notes", "consent", school.id), actor, TODAY)


def test_nothing_can_be_shared_on_withdrawn_consent(world):
    _, case, actor = world
    record = give_consent(case, actor)
    [school] = named_parties(case)
    withdraw_consent(record, "parent_carer", TODAY, "email", actor, TODAY)
    assert named_parties(case) == []
    with pytest.raises(DisclosureRefused) as refusal:
        record_disclosure(case, DisclosureRequest(TODAY, "Notes", "consent", school.id), actor, TODAY)
    assert "withdrawn on 25 November 2026" in refusal.value.problems["consent_party_id"]


def test_a_safeguarding_disclosure_needs_a_justification_and_waits_for_approval(world):
    _, case, actor = world
    bare = DisclosureRequest(TODAY, "Concerns", "child_protection", recipient="Children's social care")
    with pytest.raises(DisclosureRefused) as refusal:
        record_disclosure(case, bare, actor, TODAY)
    assert set(refusal.value.problems) == {"justification"}
    justified = DisclosureRequest(
        TODAY, "Concerns", "child_protection", recipient="Children's social care", justification="Disclosure of harm"
    )
    disclosure = record_disclosure(case, justified, actor, TODAY)
    assert (disclosure.status, disclosure.decided_by_id, disclosure.decided_at) == ("pending", None, None)
    assert not disclosure.shared and disclosure.consent_party_id is None
    logged = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "disclosure awaiting approval")).one()
    assert logged.record_id == case.id and logged.detail == f"disclosure {disclosure.id}, basis child_protection"


def test_a_disclosure_without_a_basis_is_refused(world):
    _, case, actor = world
    with pytest.raises(DisclosureRefused) as refusal:
        record_disclosure(case, DisclosureRequest(None, "", "because"), actor, TODAY)
    assert set(refusal.value.problems) == {"disclosed_on", "what_was_shared", "basis"}


def test_a_parent_acting_for_a_child_over_12_must_say_whether_the_childs_view_was_sought(world):
    _, _case, _actor = world
    born = dt.date(2012, 3, 1)  # 14 on the day consent was given
    problems = case_consent_problems(consent(sought=None), born, TODAY)
    assert "child_view_sought" in problems
    assert "child_view" in case_consent_problems(consent(sought=True, view=""), born, TODAY)
    assert case_consent_problems(consent(sought=True, view="Happy for school to know"), born, TODAY) == {}
    assert case_consent_problems(consent(sought=None), dt.date(2016, 1, 1), TODAY) == {}, "a 10-year-old"
    assert case_consent_problems(consent(sought=None, given_by="young_person"), born, TODAY) == {}


def test_consent_must_cover_something(world):
    _, case, actor = world
    nothing = CaseConsent("parent_carer", TODAY, "written", False, [], False)
    with pytest.raises(ConsentNotRecorded) as refusal:
        record_case_consent(case, nothing, None, actor, TODAY, 6)
    assert "covers" in refusal.value.problems


def test_reviews_set_the_next_due_date_and_withdrawal_ends_every_consent(world):
    _, case, actor = world
    give_consent(case, actor)
    assert case.consent_review_due == dt.date(2027, 5, 1)
    review = record_review(case, dt.date(2026, 11, 20), "confirmed", None, actor, TODAY, 6)
    assert review.next_due == case.consent_review_due == dt.date(2027, 5, 20)
    record_review(case, TODAY, "withdrawn", "verbal", actor, TODAY, 6)
    assert named_parties(case) == []
    with pytest.raises(ConsentNotRecorded):
        record_review(case, TODAY, "withdrawn", None, actor, TODAY, 6)


def test_overdue_reviews_show_for_the_worker_and_managers(world):
    people, case, _actor = world
    case.consent_review_due = TODAY - dt.timedelta(days=1)
    case.assigned_to_id = people["volunteer"].id
    db.session.commit()
    volunteer = db.session.get(type(people["volunteer"]), people["volunteer"].id)
    manager = db.session.get(type(people["manager"]), people["manager"].id)
    caseworker = db.session.get(type(people["caseworker"]), people["caseworker"].id)
    assert casework.overdue_reviews(volunteer, TODAY) == 1
    assert casework.overdue_reviews(manager, TODAY) == 1
    assert casework.overdue_reviews(caseworker, TODAY) == 0, "not theirs"
    looking = Actor(manager.id, None, clock.now())
    assert casework.cases_page(manager, CaseFilter(review_overdue=True), looking).total == 1


def test_two_saves_of_the_same_note_conflict_and_keep_both_texts(world):
    people, case, actor = world
    note = casework.add_note(case, "Mum called about transport.", actor)
    manager = Actor(people["manager"].id, "192.0.2.4", clock.now())
    casework.edit_note(note, "Mum called about transport and the EHC plan.", 1, manager)
    with pytest.raises(EditConflict) as conflict:
        casework.edit_note(note, "Mum called about school transport.", 1, actor)
    assert conflict.value.saved == "Mum called about transport and the EHC plan."
    assert conflict.value.yours == "Mum called about school transport."
    stored = db.session.get(CaseNote, note.id)
    assert stored.version == 2 and [revision.text for revision in stored.revisions] == ["Mum called about transport."]


def test_two_saves_of_the_case_details_conflict(world):
    _, case, actor = world
    casework.update_details(case, CaseDetails("education", "level_1", "open"), 1, actor)
    with pytest.raises(EditConflict) as conflict:
        casework.update_details(case, CaseDetails("tribunal", None, "inactive"), 1, actor)
    assert "Education" in conflict.value.saved and "Tribunal" in conflict.value.yours
    with pytest.raises(CaseworkError) as refusal:
        casework.update_details(case, CaseDetails("Knitting", "Level 1", "open"), case.version, actor)
    assert set(refusal.value.problems) == {"topic", "intervention_level"}


def test_topics_and_levels_are_stored_as_codes_and_a_label_posted_as_text_is_refused(world):
    _, case, actor = world
    with pytest.raises(CaseworkError) as refusal:
        casework.update_details(case, CaseDetails("Education", "Level 2: advice and guidance", "open"), 1, actor)
    assert set(refusal.value.problems) == {"topic", "intervention_level"}
    casework.update_details(case, CaseDetails("ehc_plan", "level_2", "open"), 1, actor)
    db.session.expire_all()
    stored = db.session.execute(db.text("SELECT topic, intervention_level FROM cases WHERE id = :id"), {"id": case.id})
    assert stored.one() == ("ehc_plan", "level_2")


def test_closing_starts_the_retention_clock_and_reopening_is_possible_until_destruction(world):
    _, case, actor = world
    with pytest.raises(CaseworkError) as refusal:
        casework.close(case, "", TODAY + dt.timedelta(days=1), actor, TODAY)
    assert set(refusal.value.problems) == {"case_outcome", "closed_on"}
    casework.close(case, "Advice given; EHC assessment agreed.", TODAY, actor, TODAY)
    assert casework.destruction_date(case, 3) == dt.date(2029, 11, 25)
    assert case.consent_review_due is None
    with pytest.raises(CaseworkError, match="due for destruction"):
        casework.reopen(case, actor, dt.date(2029, 11, 25), 3, 6)
    casework.reopen(case, actor, dt.date(2027, 1, 10), 3, 6)
    assert case.status == "open" and case.closed_on is None and case.consent_review_due == dt.date(2027, 7, 10)
    actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.record_type == "case")).all()
    assert "case closed" in actions and "case reopened" in actions


def test_a_volunteer_reaches_only_their_assigned_cases(world):
    people, case, actor = world
    volunteer = db.session.get(type(people["volunteer"]), people["volunteer"].id)
    assert casework.get_case(volunteer, case.id) is None
    assert casework.cases_page(volunteer, CaseFilter(), Actor(volunteer.id, None, clock.now())).total == 0
    triage.assign(case.referral, volunteer.id, actor)
    assert casework.get_case(volunteer, case.id).id == case.id
    assert casework.find_by_reference(volunteer, case.referral.reference).id == case.id


def test_a_closed_case_takes_no_notes_contacts_or_consent_until_reopened(world):
    from portal.services import contact
    from portal.services.contact import ContactDetails, ContactNotPermitted

    _, case, actor = world
    note = casework.add_note(case, "Before closing.", actor)
    casework.close(case, "Advice given.", TODAY, actor, TODAY)
    with pytest.raises(CaseworkError, match="Reopen the case"):
        casework.add_note(case, "After closing.", actor)
    with pytest.raises(CaseworkError, match="Reopen the case"):
        casework.edit_note(note, "Changed after closing.", note.version, actor)
    with pytest.raises(ContactNotPermitted, match="closed"):
        contact.log_contact(case.referral, ContactDetails(TODAY, "call", "outgoing", "x"), actor, TODAY, case=case)
    with pytest.raises(ContactNotPermitted, match="closed"):
        contact.log_contact(case.referral, ContactDetails(TODAY, "call", "outgoing", "x"), actor, TODAY)
    with pytest.raises(ConsentNotRecorded, match="Reopen the case"):
        record_case_consent(case, consent(), dt.date(2012, 3, 1), actor, TODAY, 6)
    with pytest.raises(AssignmentRefused, match="Reopen the case"):
        triage.assign(case.referral, actor.staff_id, actor)


def test_consent_can_be_withdrawn_after_the_case_closed(world):
    _, case, actor = world
    record = give_consent(case, actor)
    casework.close(case, "Advice given.", TODAY, actor, TODAY)
    withdraw_consent(record, "parent_carer", TODAY, "email", actor, TODAY)
    assert not record.current


def test_checking_a_closure_applies_the_closing_rules_and_changes_nothing(world):
    _, case, _ = world
    with pytest.raises(CaseworkError) as refused:
        casework.check_closure(case, " ", TODAY + dt.timedelta(days=1), TODAY, 3)
    assert set(refused.value.problems) == {"case_outcome", "closed_on"}
    checked = casework.check_closure(case, "  Advice given.  ", TODAY, TODAY, 3)
    assert (checked.outcome, checked.closed_on) == ("Advice given.", TODAY)
    assert checked.destroyed_on == casework.retention_ends(TODAY, 3)
    db.session.refresh(case)
    assert case.status == "open" and case.closed_on is None


def test_the_overview_counts_current_consents_notes_and_disclosures_awaiting_approval(world):
    _, case, actor = world
    assert casework.case_facts(case) == casework.CaseFacts(0, None, 0, 0)
    give_consent(case, actor)
    casework.add_note(case, "Called mum.", actor)
    facts = casework.case_facts(case)
    assert (facts.current_consents, facts.notes, facts.awaiting_approval) == (1, 1, 0)
