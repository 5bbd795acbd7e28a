"""One reader of a case's records (``case_records.read``) serves both the case's timeline and the
subject access response, so staff and the family see the same records."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Case, StaffUser
from portal.services import case_records, casework, subject_access
from tests.bulk import insert_cases, insert_timeline
from tests.staff import make_staff


def a_case_with_a_timeline(app) -> tuple[int, int]:
    manager, caseworker = make_staff(app, "manager"), make_staff(app, "caseworker")
    cases = insert_cases(app, 1, opened_by=manager.id, assigned_to=caseworker.id, seed=5)
    insert_timeline(app, cases.first_id, 60, recorded_by=(caseworker.id, manager.id), approved_by=manager.id, seed=5)
    return cases.first_id, manager.id


def test_the_timeline_and_the_subject_access_response_both_read_through_case_records(app, app_context, monkeypatch):
    case_id, manager_id = a_case_with_a_timeline(app)
    case, manager = db.session.get(Case, case_id), db.session.get(StaffUser, manager_id)
    read = case_records.read
    callers: list[int | None] = []
    monkeypatch.setattr(
        case_records,
        "read",
        lambda referral_id, case_id, **options: callers.append(case_id) or read(referral_id, case_id, **options),
    )
    casework.timeline(case, manager)
    subject_access._records_of(case.referral)
    assert callers == [case_id, case_id]


def test_the_timeline_and_the_subject_access_response_see_the_same_records(app, app_context):
    case_id, manager_id = a_case_with_a_timeline(app)
    case, manager = db.session.get(Case, case_id), db.session.get(StaffUser, manager_id)
    entries = casework.timeline(case, manager)
    held = subject_access._records_of(case.referral).held

    def on_timeline(kind: str) -> list[int]:
        return sorted(entry.item.id for entry in entries if entry.kind == kind)

    assert on_timeline("note") == sorted(note.id for note in held.notes)
    assert on_timeline("contact") == sorted(contact.id for contact in held.contacts)
    assert on_timeline("consent") == sorted(consent.id for consent in held.consents)
    assert on_timeline("review") == sorted(review.id for review in held.reviews)
    assert on_timeline("disclosure") == sorted(disclosure.id for disclosure in held.shared_disclosures)
    assert on_timeline("note") and on_timeline("contact") and on_timeline("disclosure")

    sections, _ = subject_access._sections_of(subject_access._records_of(case.referral), set(), [])
    counted = {section.title: len(section.entries) for section in sections}
    assert counted["Case notes"] == len(on_timeline("note"))
    assert counted["Contact with the service"] == len(on_timeline("contact"))
    assert counted["Consent"] == len(on_timeline("consent"))
    assert counted["Consent reviews"] == len(on_timeline("review"))
    assert counted["Information shared with others"] == len(on_timeline("disclosure"))


def test_a_referral_without_a_case_has_only_its_contacts(app, app_context):
    case_id, _ = a_case_with_a_timeline(app)
    case = db.session.get(Case, case_id)
    on_referral = case_records.read(case.referral_id, None)
    assert on_referral.notes == [] and on_referral.consents == [] and on_referral.disclosures == []
    with_case = case_records.read(case.referral_id, case.id)
    assert {contact.id for contact in on_referral.contacts} < {contact.id for contact in with_case.contacts}
