"""A case's timeline is only read: it is built from the columns the page shows, as plain rows,
without ORM objects for its entries, and decrypts nothing the page does not print."""

from __future__ import annotations

from sqlalchemy import Text, select, type_coerce

from portal.crypto import Keyring
from portal.extensions import db
from portal.models import (
    Case,
    CaseNote,
    CaseNoteRevision,
    ConsentParty,
    ConsentRecord,
    ContactEntry,
    Disclosure,
    StaffUser,
)
from portal.models.consent import ConsentReview
from portal.services import casework
from portal.services.disclosures import named_parties
from tests.bulk import insert_cases, insert_timeline
from tests.staff import make_staff

ENTRY_MODELS = (CaseNote, CaseNoteRevision, ContactEntry, ConsentRecord, ConsentParty, ConsentReview, Disclosure)


def a_case_with_a_timeline(app) -> tuple[int, int]:
    manager, caseworker = make_staff(app, "manager"), make_staff(app, "caseworker")
    cases = insert_cases(app, 1, opened_by=manager.id, assigned_to=caseworker.id, seed=3)
    insert_timeline(app, cases.first_id, 60, recorded_by=(caseworker.id, manager.id), approved_by=manager.id, seed=3)
    return cases.first_id, manager.id


def test_the_timeline_builds_no_orm_objects_for_its_entries(app, app_context):
    case_id, manager_id = a_case_with_a_timeline(app)
    case, manager = db.session.get(Case, case_id), db.session.get(StaffUser, manager_id)
    entries = casework.timeline(case, manager)
    assert {entry.kind for entry in entries} >= {"note", "contact", "consent", "review", "disclosure"}
    assert any(entry.revisions for entry in entries), "a manager sees earlier versions of notes"
    tracked = [instance for instance in db.session.identity_map.values() if isinstance(instance, ENTRY_MODELS)]
    assert tracked == []


def test_the_timeline_decrypts_no_justification_of_a_disclosure(app, app_context, monkeypatch):
    case_id, manager_id = a_case_with_a_timeline(app)
    case, manager = db.session.get(Case, case_id), db.session.get(StaffUser, manager_id)
    # The stored tokens, read as stored (the column's type would decrypt them).
    justifications = set(
        db.session.execute(
            select(type_coerce(Disclosure.justification, Text)).where(
                Disclosure.case_id == case_id, Disclosure.shared, Disclosure.justification.is_not(None)
            )
        ).scalars()
    )
    assert justifications, "the case has shared disclosures without consent"
    decrypted: list[str] = []
    decrypt = Keyring.decrypt
    monkeypatch.setattr(Keyring, "decrypt", lambda keyring, token: decrypted.append(token) or decrypt(keyring, token))
    shown = [entry for entry in casework.timeline(case, manager) if entry.kind == "disclosure"]
    assert shown and all(entry.item.what_was_shared for entry in shown)
    assert decrypted, "the timeline decrypts what it shows"
    assert justifications.isdisjoint(decrypted)


def test_the_parties_offered_for_a_disclosure_are_those_of_current_consents_as_named_parties_finds(app, app_context):
    case_id, manager_id = a_case_with_a_timeline(app)
    case, manager = db.session.get(Case, case_id), db.session.get(StaffUser, manager_id)
    entries = casework.timeline(case, manager)
    consents = [entry.item for entry in entries if entry.kind == "consent"]
    assert any(consent.current for consent in consents) and not all(consent.current for consent in consents)
    offered = [(party.id, party.name) for party in casework.parties_to_disclose_to(entries)]
    assert offered and offered == [(party.id, party.name) for party in named_parties(case)]
