"""One reader of what the service holds on a referral and its case: notes (with their earlier
versions when asked), contacts, consents with the third parties each names, consent reviews and
disclosures, and the names of the staff who recorded them.

The case's timeline (``casework.timeline``) and the subject access response
(``subject_access``) both read a case through here, so the family's copy of their records and
what staff see on the case are the same records, read the same way.

The records are only read, so each kind is one query for the columns shown, as plain rows: no ORM
objects to build and track (a long case holds hundreds of entries), and nothing decrypted that no
page or response prints (a disclosure's justification, say). Each kind comes oldest first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.models.cases import CaseNote, CaseNoteRevision, ContactEntry
from portal.models.consent import ConsentParty, ConsentRecord, ConsentReview, Disclosure
from portal.services.accounts import staff_names


@dataclass(frozen=True)
class ConsentShown:
    """A consent as read: plain values, not a record to change."""

    id: int
    given_by: str
    given_on: dt.date
    method: str
    keeps_contact_information: bool
    privacy_notice_version: str
    child_view_sought: bool | None
    child_view: str | None
    withdrawn_on: dt.date | None
    withdrawn_by: str | None
    withdrawn_method: str | None
    recorded_by_id: int
    recorded_at: dt.datetime
    withdrawal_recorded_by_id: int | None
    parties: list[Any]  # the third parties it covers (rows of id and name), in the order they were recorded

    @property
    def current(self) -> bool:
        return self.withdrawn_on is None


@dataclass
class CaseRecords:
    """Everything held on a referral and its case. Rows carry the ids of the staff named in
    them; ``names`` gives every one of those names."""

    notes: list[Any] = field(default_factory=list)
    revisions: dict[int, list[Any]] = field(default_factory=dict)  # a note's earlier versions, newest first
    contacts: list[Any] = field(default_factory=list)  # on the case and on its referral before it
    consents: list[ConsentShown] = field(default_factory=list)
    reviews: list[Any] = field(default_factory=list)
    disclosures: list[Any] = field(default_factory=list)  # every one recorded; ``shared`` when approved
    names: dict[int, str] = field(default_factory=dict)

    @property
    def shared_disclosures(self) -> list[Any]:
        """Only approved disclosures were shared: one awaiting approval or declined was not."""
        return [disclosure for disclosure in self.disclosures if disclosure.shared]


def read(referral_id: int, case_id: int | None, with_revisions: bool = False) -> CaseRecords:
    """The records of the referral and, when it has one, of its case. Earlier versions of notes
    are read (and decrypted) only ``with_revisions``."""
    on_referral = ContactEntry.referral_id == referral_id
    records = CaseRecords(
        contacts=db.session.execute(
            select(
                ContactEntry.id,
                ContactEntry.occurred_on,
                ContactEntry.method,
                ContactEntry.direction,
                ContactEntry.summary,
                ContactEntry.recorded_by_id,
                ContactEntry.recorded_at,
            )
            .where(on_referral if case_id is None else on_referral | (ContactEntry.case_id == case_id))
            .order_by(ContactEntry.occurred_on, ContactEntry.id)
        ).all()
    )
    if case_id is not None:
        _read_case(records, case_id, with_revisions)
    staff_ids = {note.written_by_id for note in records.notes}
    staff_ids |= {revision.written_by_id for versions in records.revisions.values() for revision in versions}
    staff_ids |= {entry.recorded_by_id for entry in (*records.contacts, *records.reviews, *records.disclosures)}
    staff_ids |= {consent.recorded_by_id for consent in records.consents}
    staff_ids |= {consent.withdrawal_recorded_by_id for consent in records.consents}
    staff_ids |= {disclosure.decided_by_id for disclosure in records.disclosures}
    records.names = staff_names(staff_ids)
    return records


def _read_case(records: CaseRecords, case_id: int, with_revisions: bool) -> None:
    records.notes = db.session.execute(
        select(
            CaseNote.id,
            CaseNote.text,
            CaseNote.version,
            CaseNote.written_by_id,
            CaseNote.written_at,
            CaseNote.edited_at,
        )
        .where(CaseNote.case_id == case_id)
        .order_by(CaseNote.written_at, CaseNote.id)
    ).all()
    if with_revisions:
        for revision in db.session.execute(
            select(
                CaseNoteRevision.note_id,
                CaseNoteRevision.version,
                CaseNoteRevision.text,
                CaseNoteRevision.written_by_id,
                CaseNoteRevision.written_at,
            )
            .join(CaseNote, CaseNote.id == CaseNoteRevision.note_id)
            .where(CaseNote.case_id == case_id)
            .order_by(CaseNoteRevision.note_id, CaseNoteRevision.version.desc())
        ):
            records.revisions.setdefault(revision.note_id, []).append(revision)
    records.consents = _consents(case_id)
    records.reviews = db.session.execute(
        select(
            ConsentReview.id,
            ConsentReview.reviewed_on,
            ConsentReview.outcome,
            ConsentReview.next_due,
            ConsentReview.recorded_by_id,
            ConsentReview.recorded_at,
        )
        .where(ConsentReview.case_id == case_id)
        .order_by(ConsentReview.reviewed_on, ConsentReview.id)
    ).all()
    records.disclosures = db.session.execute(
        select(
            Disclosure.id,
            Disclosure.disclosed_on,
            Disclosure.recipient,
            Disclosure.what_was_shared,
            Disclosure.basis,
            Disclosure.shared.label("shared"),
            Disclosure.recorded_by_id,
            Disclosure.decided_by_id,
            Disclosure.recorded_at,
        )
        .where(Disclosure.case_id == case_id)
        .order_by(Disclosure.disclosed_on, Disclosure.id)
    ).all()


def _consents(case_id: int) -> list[ConsentShown]:
    """The case's consents with the parties each covers: two queries however many."""
    parties: dict[int, list[Any]] = {}
    for party in db.session.execute(
        select(ConsentParty.consent_id, ConsentParty.id, ConsentParty.name)
        .join(ConsentRecord, ConsentRecord.id == ConsentParty.consent_id)
        .where(ConsentRecord.case_id == case_id)
        .order_by(ConsentParty.id)
    ):
        parties.setdefault(party.consent_id, []).append(party)
    rows = db.session.execute(
        select(
            ConsentRecord.id,
            ConsentRecord.given_by,
            ConsentRecord.given_on,
            ConsentRecord.method,
            ConsentRecord.keeps_contact_information,
            ConsentRecord.privacy_notice_version,
            ConsentRecord.child_view_sought,
            ConsentRecord.child_view,
            ConsentRecord.withdrawn_on,
            ConsentRecord.withdrawn_by,
            ConsentRecord.withdrawn_method,
            ConsentRecord.recorded_by_id,
            ConsentRecord.recorded_at,
            ConsentRecord.withdrawal_recorded_by_id,
        )
        .where(ConsentRecord.case_id == case_id)
        .order_by(ConsentRecord.given_on, ConsentRecord.id)
    ).all()
    return [ConsentShown(*row, parties=parties.get(row.id, [])) for row in rows]
