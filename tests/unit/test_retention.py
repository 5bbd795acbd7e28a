"""Retention and destruction (design section 8, issue 13) at set dates, without HTTP: when a root
falls due, what holds it, what the purge deletes and what the destruction log keeps of it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import MetaData, func, inspect, select, update

from portal.extensions import db
from portal.models import (
    AuditEntry,
    Case,
    CaseNote,
    CaseNoteRevision,
    ConsentParty,
    ConsentRecord,
    ConsentReview,
    ContactEntry,
    DestructionLogEntry,
    Disclosure,
    FeedbackInvitation,
    FrozenYear,
    InformationRequest,
    Person,
    Referral,
    ReminderSent,
    RetentionHold,
)
from portal.services import casework, retention, triage
from portal.services.audit import Actor, system_actor
from portal.services.retention import Periods, latest_closure_due
from portal.services.validation import add_years
from tests.clock import london
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff
from tests.web.test_staff_requests import CHILD, CHILD_BORN, PARENT, make_complaint, make_sar

PERIODS = Periods(referral_years=3, request_years=3)
SUBMITTED = dt.date(2026, 10, 5)  # academic year 2026-27
DUE = dt.date(2029, 10, 5)


@pytest.fixture
def caseworker(app, app_context):
    return make_staff(app, "caseworker")


def acting(user, day: dt.date) -> Actor:
    return Actor(user.id, "192.0.2.7", london(day))


def referral_on(app, time_machine, day: dt.date = SUBMITTED, **answers: object) -> int:
    time_machine.move_to(london(day), tick=False)
    return submit_referral(app, "self", self_referral_answers(**answers)).id


def declined_on(app, time_machine, caseworker, day: dt.date = SUBMITTED) -> int:
    referral_id = referral_on(app, time_machine, day)
    triage.decline(db.session.get(Referral, referral_id), "Outside the area.", acting(caseworker, day))
    return referral_id


def freeze(*years: str) -> None:
    for year in years:
        db.session.add(FrozenYear(year=year, frozen_at=london(dt.date(2027, 9, 2))))
    db.session.commit()


def purge_on(day: dt.date, dry_run: bool = False) -> retention.PurgeReport:
    db.session.expire_all()
    return retention.purge(system_actor(london(day, hour=2)), PERIODS, "daily", dry_run=dry_run)


def exists(model, record_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(model, record_id) is not None


# --- When a root falls due -----------------------------------------------------------------------


@pytest.mark.parametrize("years", [1, 3, 4, 6])
def test_the_last_closing_date_due_is_exactly_the_inverse_of_adding_the_years(years):
    start = dt.date(2027, 1, 1)
    for offset in range(0, 365 * 9, 1):
        today = start + dt.timedelta(days=offset)
        cutoff = latest_closure_due(today, years)
        assert add_years(cutoff, years) <= today
        assert add_years(cutoff + dt.timedelta(days=1), years) > today, (today, cutoff)


def test_a_declined_referral_is_destroyed_on_the_day_it_falls_due_and_not_the_day_before(app, time_machine, caseworker):
    referral_id = declined_on(app, time_machine, caseworker)
    freeze("2026-27")
    report = purge_on(DUE - dt.timedelta(days=1))
    assert report.destroyed("referral") == 0 and exists(Referral, referral_id)
    report = purge_on(DUE)
    assert report.destroyed("referral") == 1 and not exists(Referral, referral_id)
    assert report.rows()["people"] == 2 and report.rows()["referrals"] == 1


def test_a_reopened_case_starts_its_clock_again_at_its_next_closure(app, time_machine, caseworker):
    referral_id = referral_on(app, time_machine)
    case = triage.accept(db.session.get(Referral, referral_id), acting(caseworker, SUBMITTED), SUBMITTED, 6)
    first_closure = dt.date(2026, 11, 2)
    casework.close(case, "Advice given.", first_closure, acting(caseworker, first_closure), first_closure)
    reopened = dt.date(2027, 1, 11)
    casework.reopen(case, acting(caseworker, reopened), reopened, 3, 6)
    second_closure = dt.date(2027, 3, 1)
    casework.close(case, "Meeting attended.", second_closure, acting(caseworker, second_closure), second_closure)
    freeze("2026-27")
    assert purge_on(add_years(first_closure, 3)).destroyed("referral") == 0
    assert purge_on(add_years(second_closure, 3) - dt.timedelta(days=1)).destroyed("referral") == 0
    case_id = case.id
    assert purge_on(add_years(second_closure, 3)).destroyed("referral") == 1
    assert not exists(Case, case_id) and not exists(Referral, referral_id)


def test_a_29_february_closure_is_destroyed_on_28_february_three_years_on(app, time_machine, caseworker):
    leap_day = dt.date(2028, 2, 29)
    referral_id = declined_on(app, time_machine, caseworker, leap_day)
    freeze("2027-28")
    assert purge_on(dt.date(2031, 2, 27)).destroyed("referral") == 0
    assert purge_on(dt.date(2031, 2, 28)).destroyed("referral") == 1
    assert not exists(Referral, referral_id)


def test_an_open_referral_and_an_open_case_are_never_due(app, time_machine, caseworker):
    new_id = referral_on(app, time_machine)
    accepted_id = referral_on(app, time_machine)
    triage.accept(db.session.get(Referral, accepted_id), acting(caseworker, SUBMITTED), SUBMITTED, 6)
    freeze("2026-27")
    report = purge_on(dt.date(2040, 1, 1))
    assert report.destroyed("referral") == 0
    assert exists(Referral, new_id) and exists(Referral, accepted_id)


# --- What holds a root ---------------------------------------------------------------------------


def test_an_unfrozen_year_holds_its_records_and_the_purge_names_it_then_carries_on(app, time_machine, caseworker):
    held_id = declined_on(app, time_machine, caseworker)  # 2026-27, not frozen
    gone_id = declined_on(app, time_machine, caseworker, dt.date(2027, 9, 6))  # 2027-28, frozen
    freeze("2027-28")
    report = purge_on(dt.date(2030, 9, 6))
    assert exists(Referral, held_id) and not exists(Referral, gone_id)
    assert report.years_to_freeze == {"2026-27": 1}
    assert report.held_by_reason() == {"year_not_frozen": 1}
    assert any("flask --app wsgi report freeze --year 2026-27" in line for line in report.lines())
    freeze("2026-27")
    assert purge_on(dt.date(2030, 9, 6)).destroyed("referral") == 1


def test_a_referral_counts_in_every_year_from_its_arrival_to_its_closure(app, time_machine, caseworker):
    referral_id = referral_on(app, time_machine, dt.date(2026, 8, 20))  # 2025-26
    triage.decline(
        db.session.get(Referral, referral_id), "No longer needed.", acting(caseworker, dt.date(2026, 9, 3))
    )  # closed in 2026-27
    freeze("2026-27")
    report = purge_on(dt.date(2029, 9, 3))
    assert report.years_to_freeze == {"2025-26": 1} and exists(Referral, referral_id)


def test_a_manual_hold_keeps_a_due_record_until_it_is_lifted(app, time_machine, caseworker):
    referral_id = declined_on(app, time_machine, caseworker)
    freeze("2026-27")
    hold = RetentionHold(
        referral_id=referral_id,
        reason="send_tribunal_or_mediation",
        note="Appeal lodged; the tribunal may ask for our records.",
        review_on=dt.date(2029, 12, 1),
        placed_by_id=caseworker.id,
        placed_at=london(dt.date(2029, 9, 1)),
    )
    db.session.add(hold)
    db.session.commit()
    report = purge_on(DUE)
    assert exists(Referral, referral_id)
    assert report.held_by_reason() == {"send_tribunal_or_mediation": 1}
    db.session.execute(
        update(RetentionHold)
        .where(RetentionHold.id == hold.id)
        .values(lifted_at=london(DUE), lifted_by_id=caseworker.id, lift_reason="Tribunal decided.")
    )
    db.session.commit()
    assert purge_on(DUE).destroyed("referral") == 1
    assert not exists(Referral, referral_id)
    assert db.session.scalar(select(func.count()).select_from(RetentionHold)) == 0


def _close_request(request_id: int, closed_on: dt.date) -> None:
    db.session.execute(
        update(InformationRequest)
        .where(InformationRequest.id == request_id)
        .values(
            status="closed",
            outcome="records_sent" if db.session.get(InformationRequest, request_id).kind == "sar" else "upheld",
            closed_on=closed_on,
            closed_at=london(closed_on),
            response="Sent.",
        )
    )
    db.session.commit()


def test_an_open_subject_access_request_that_matches_a_record_holds_it_and_six_months_after_it_closed(
    app, time_machine, caseworker
):
    referral_id = declined_on(app, time_machine, caseworker)
    other_id = declined_on(app, time_machine, caseworker)
    db.session.execute(update(Person).where(Person.referral_id == other_id).values(identity_hash=None, email_hash=None))
    db.session.commit()
    freeze("2026-27")
    asked_on = dt.date(2029, 9, 20)
    sar = make_sar(app, asked_on, subject_name=CHILD, subject_date_of_birth=CHILD_BORN)
    assert _matched_by(sar.id) == {referral_id}
    report = purge_on(DUE)
    assert exists(Referral, referral_id) and not exists(Referral, other_id)
    assert report.held_by_reason() == {"open_request": 1}
    answered = dt.date(2029, 10, 10)
    _close_request(sar.id, answered)
    assert purge_on(dt.date(2030, 4, 9)).held_by_reason() == {"recent_request": 1}
    assert exists(Referral, referral_id)
    assert purge_on(dt.date(2030, 4, 10)).destroyed("referral") == 1


def _matched_by(request_id: int) -> set[int]:
    from portal.services import subject_access

    return set(subject_access.referrals_matching(db.session.get(InformationRequest, request_id)))


def test_a_complaint_quoting_a_referral_reference_holds_it(app, time_machine, caseworker):
    referral_id = declined_on(app, time_machine, caseworker)
    freeze("2026-27")
    reference = db.session.get(Referral, referral_id).reference
    complaint = make_complaint(app, dt.date(2029, 9, 1))
    db.session.execute(
        update(InformationRequest).where(InformationRequest.id == complaint.id).values(reference_given=reference)
    )
    db.session.commit()
    assert purge_on(DUE).held_by_reason() == {"open_request": 1}
    assert exists(Referral, referral_id)


def test_a_chosen_record_is_held_even_when_nothing_else_matches_it(app, time_machine, caseworker):
    from portal.models import ChosenRecord

    referral_id = declined_on(app, time_machine, caseworker)
    db.session.execute(
        update(Person).where(Person.referral_id == referral_id).values(identity_hash=None, email_hash=None)
    )
    freeze("2026-27")
    sar = make_sar(app, dt.date(2029, 9, 20), requester=PARENT)
    db.session.add(
        ChosenRecord(
            request_id=sar.id, referral_id=referral_id, chosen_by_id=caseworker.id, chosen_at=london(SUBMITTED)
        )
    )
    db.session.commit()
    assert purge_on(DUE).held_by_reason() == {"open_request": 1}


# --- Information requests ------------------------------------------------------------------------


def test_a_closed_request_is_destroyed_with_its_clock_events_three_years_after_it_closed(app, app_context):
    sar = make_sar(app, dt.date(2026, 10, 1))
    _close_request(sar.id, dt.date(2026, 10, 20))
    freeze("2026-27")
    assert purge_on(dt.date(2029, 10, 19)).destroyed("information_request") == 0
    report = purge_on(dt.date(2029, 10, 20))
    assert report.destroyed("information_request") == 1
    assert report.rows()["request_clock_events"] >= 1
    assert not exists(InformationRequest, sar.id)


# --- Lapsing -------------------------------------------------------------------------------------


def test_a_referral_new_for_90_days_with_no_contact_lapses_on_the_90th_day(app, time_machine, caseworker):
    referral_id = referral_on(app, time_machine, dt.date(2027, 1, 1))
    assert retention.lapse_stale_referrals(acting(caseworker, dt.date(2027, 3, 31)), 90) == 0
    assert retention.lapse_stale_referrals(acting(caseworker, dt.date(2027, 4, 1)), 90) == 1
    db.session.expire_all()
    referral = db.session.get(Referral, referral_id)
    assert (referral.status, referral.closed_on) == ("lapsed", dt.date(2027, 4, 1))
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.sequence.desc())).first()
    assert (entry.action, entry.record_id) == ("referral lapsed", referral_id)
    assert retention.lapse_stale_referrals(acting(caseworker, dt.date(2027, 4, 2)), 90) == 0


def test_a_referral_with_a_contact_or_an_attestation_does_not_lapse(app, time_machine, caseworker):
    contacted_id = referral_on(app, time_machine, dt.date(2027, 1, 1))
    db.session.add(
        ContactEntry(
            referral_id=contacted_id,
            occurred_on=dt.date(2027, 1, 4),
            method="call",
            direction="outgoing",
            summary="Left a message.",
            recorded_by_id=caseworker.id,
            recorded_at=london(dt.date(2027, 1, 4)),
        )
    )
    db.session.commit()
    time_machine.move_to(london(dt.date(2027, 1, 1)), tick=False)
    attested_id = submit_referral(app, "professional").id
    assert retention.lapse_stale_referrals(acting(caseworker, dt.date(2027, 6, 1)), 90) == 0
    db.session.expire_all()
    assert {db.session.get(Referral, i).status for i in (contacted_id, attested_id)} == {"new"}


# --- The whole bundle, and the log ---------------------------------------------------------------


def _full_bundle(app, time_machine, caseworker) -> tuple[int, int]:
    """A referral with a case and a row in every table a case has, closed on 1 March 2027."""
    referral_id = referral_on(app, time_machine, SUBMITTED, email="only.this.family@example.org")
    case = triage.accept(db.session.get(Referral, referral_id), acting(caseworker, SUBMITTED), SUBMITTED, 6)
    at = london(SUBMITTED)
    note = CaseNote(case_id=case.id, text="Talked through the EHC process.", written_by_id=caseworker.id, written_at=at)
    consent = ConsentRecord(
        case_id=case.id,
        given_by="parent_carer",
        given_on=SUBMITTED,
        method="verbal",
        keeps_contact_information=True,
        privacy_notice_version=db.session.get(Referral, referral_id).privacy_notice_version,
        recorded_by_id=caseworker.id,
        recorded_at=at,
        parties=[ConsentParty(name="Riverside Primary SENCO")],
    )
    db.session.add_all([note, consent])
    db.session.flush()
    db.session.add_all(
        [
            CaseNoteRevision(
                note_id=note.id, version=1, text="First draft.", written_by_id=caseworker.id, written_at=at
            ),
            ConsentReview(
                case_id=case.id,
                reviewed_on=SUBMITTED,
                outcome="confirmed",
                recorded_by_id=caseworker.id,
                recorded_at=at,
            ),
            Disclosure(
                case_id=case.id,
                disclosed_on=SUBMITTED,
                recipient="Riverside Primary SENCO",
                what_was_shared="The needs summary.",
                basis="consent",
                consent_party_id=consent.parties[0].id,
                status="approved",
                recorded_by_id=caseworker.id,
                recorded_at=at,
            ),
            ContactEntry(
                case_id=case.id,
                occurred_on=SUBMITTED,
                method="meeting",
                direction="outgoing",
                summary="Met at school.",
                recorded_by_id=caseworker.id,
                recorded_at=at,
            ),
            FeedbackInvitation(
                token_sha256="f" * 64, case_id=case.id, sent_at=at, expires_at=london(dt.date(2027, 4, 1))
            ),
            ReminderSent(
                kind="consent_review",
                item_key=f"case:{case.id}",
                due_on=dt.date(2027, 4, 5),
                sent_on=dt.date(2027, 3, 30),
                case_id=case.id,
            ),
        ]
    )
    db.session.commit()
    closed = dt.date(2027, 3, 1)
    casework.close(db.session.get(Case, case.id), "Advice given.", closed, acting(caseworker, closed), closed)
    return referral_id, case.id


def _long_values_by_table() -> dict[str, set[str]]:
    """Every long text value (ciphertexts, keyed hashes, references) in every table: what someone
    holding the database, and the keys, could decrypt or look up."""
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    return {
        table.name: {
            value
            for row in db.session.execute(select(table))
            for value in row
            if isinstance(value, str) and len(value) >= 12
        }
        for table in metadata.sorted_tables
    }


def test_the_purge_leaves_nothing_of_the_bundle_to_decrypt_or_find_by_hash(app, time_machine, caseworker):
    make_staff(app, "manager")
    before = _long_values_by_table()
    _full_bundle(app, time_machine, caseworker)
    freeze("2026-27")
    with_bundle = _long_values_by_table()
    bundle_values = {
        value
        for table in retention.BUNDLE_TABLES["referral"]
        for value in with_bundle.get(table, set()) - before.get(table, set())
    }
    assert len(bundle_values) > 20  # names, e-mail, notes, hashes, the reference
    report = purge_on(dt.date(2030, 3, 1))
    assert report.destroyed("referral") == 1
    assert set(report.rows()) == {
        "referrals",
        "people",
        "cases",
        "case_notes",
        "case_note_revisions",
        "consent_records",
        "consent_parties",
        "consent_reviews",
        "disclosures",
        "contact_entries",
        "feedback_invitations",
        "reminders_sent",
    }
    left = {value for values in _long_values_by_table().values() for value in values} & bundle_values
    assert left == set()


def test_a_dry_run_counts_exactly_what_a_real_run_destroys_and_changes_nothing(app, time_machine, caseworker):
    referral_id, _ = _full_bundle(app, time_machine, caseworker)
    declined_on(app, time_machine, caseworker)
    freeze("2026-27")
    dry = purge_on(dt.date(2030, 3, 1), dry_run=True)
    assert exists(Referral, referral_id)
    real = purge_on(dt.date(2030, 3, 1))
    assert dry.rows() == real.rows() and dry.destroyed("referral") == real.destroyed("referral") == 2
    logged = db.session.scalars(select(DestructionLogEntry).order_by(DestructionLogEntry.id)).all()
    assert [(row.run_number, row.dry_run) for row in logged] == [(1, True), (1, True), (2, False), (2, False)]
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.sequence)).all()
    assert actions[-2:] == ["retention purge dry run", "retention purge run"]


def test_the_destruction_log_holds_counts_by_closure_month_and_no_identifier(app, time_machine, caseworker):
    referral_id, _ = _full_bundle(app, time_machine, caseworker)
    held_id = declined_on(app, time_machine, caseworker)
    db.session.add(
        RetentionHold(
            referral_id=held_id,
            reason="litigation_or_claim",
            note="Claim letter received.",
            review_on=dt.date(2030, 6, 1),
            placed_by_id=caseworker.id,
            placed_at=london(dt.date(2029, 1, 1)),
        )
    )
    db.session.commit()
    referral = db.session.get(Referral, referral_id)
    identifiers = [
        referral.reference,
        referral.reference_hash,
        *(person.full_name for person in referral.people),
        *(person.identity_hash for person in referral.people if person.identity_hash),
        *(person.email_hash for person in referral.people if person.email_hash),
        "only.this.family@example.org",
        "2015-03-14",
        "14 March 2015",
        "2027-03-01",
        "1 March 2027",
        "2026-10-05",
    ]
    freeze("2026-27")
    purge_on(dt.date(2030, 3, 1))
    rows = db.session.scalars(select(DestructionLogEntry).order_by(DestructionLogEntry.closure_month)).all()
    assert [(row.closure_month, row.roots_destroyed, row.roots_held) for row in rows] == [
        ("2026-10", 0, 1),
        ("2027-03", 1, 0),
    ]
    assert json.loads(rows[0].held_by_reason) == {"litigation_or_claim": 1}
    assert json.loads(rows[1].rows_by_table)["people"] == 2
    # The log has no column that could hold an id, a reference or a date finer than the month.
    assert {column["name"] for column in inspect(db.engine).get_columns("destruction_log")} == {
        "id",
        "run_number",
        "ran_at",
        "ran_by",
        "dry_run",
        "root_type",
        "closure_month",
        "roots_destroyed",
        "roots_held",
        "rows_by_table",
        "held_by_reason",
    }
    log_text = "\n".join(
        str(value) for row in db.session.execute(select(DestructionLogEntry.__table__)) for value in row
    )
    run_entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.sequence.desc())).first()
    log_text += f"\n{run_entry.detail} {run_entry.record_id} {run_entry.record_type}"
    assert [found for found in identifiers if found in log_text] == []
    assert (run_entry.record_type, run_entry.record_id) == (None, None)


def test_every_table_that_refers_to_a_root_is_destroyed_with_it():
    """A table added later that points at a referral, a case or a request must be in the purge's
    bundle, or destroying a root would fail on its foreign key (or leave it uncounted)."""
    bundle_tables = {
        "referral": {"referrals", "cases"},
        "information_request": {"information_requests"},
    }
    destroyed = set(retention.BUNDLE_TABLES["referral"]) | set(retention.BUNDLE_TABLES["information_request"])
    metadata = db.Model.metadata
    pending = {name for names in bundle_tables.values() for name in names}
    seen: set[str] = set()
    while pending:
        parent = pending.pop()
        seen.add(parent)
        for table in metadata.sorted_tables:
            if any(key.column.table.name == parent for key in table.foreign_keys) and table.name not in seen:
                pending.add(table.name)
    assert seen <= destroyed


def test_a_case_with_nothing_recorded_for_12_months_is_listed_for_review_and_never_closed(
    app, time_machine, caseworker
):
    referral_id = referral_on(app, time_machine)
    case = triage.accept(db.session.get(Referral, referral_id), acting(caseworker, SUBMITTED), SUBMITTED, 6)
    last_contact = dt.date(2026, 11, 2)
    db.session.add(
        ContactEntry(
            case_id=case.id,
            occurred_on=last_contact,
            method="call",
            direction="incoming",
            summary="Mum rang with an update.",
            recorded_by_id=caseworker.id,
            recorded_at=london(last_contact),
        )
    )
    closed_id = referral_on(app, time_machine)
    closed = triage.accept(db.session.get(Referral, closed_id), acting(caseworker, SUBMITTED), SUBMITTED, 6)
    casework.close(closed, "Advice given.", SUBMITTED, acting(caseworker, SUBMITTED), SUBMITTED)
    assert retention.inactive_cases(dt.date(2027, 11, 2)) == []
    [listed] = retention.inactive_cases(dt.date(2027, 11, 3))
    assert (listed.case_id, listed.status, listed.last_activity_on) == (case.id, "open", last_contact)
    freeze("2026-27")
    purge_on(dt.date(2040, 1, 1))
    assert exists(Case, case.id) and db.session.get(Case, case.id).status == "open"


def test_an_open_complaint_quoting_a_closed_requests_reference_holds_that_request(app, app_context):
    sar = make_sar(app, dt.date(2026, 10, 1))
    _close_request(sar.id, dt.date(2026, 10, 20))
    complaint = make_complaint(app, dt.date(2029, 10, 1))
    db.session.execute(
        update(InformationRequest).where(InformationRequest.id == complaint.id).values(reference_given=sar.reference)
    )
    db.session.commit()
    freeze("2026-27")
    report = purge_on(dt.date(2029, 10, 20))
    assert report.held_by_reason() == {"open_request": 1} and exists(InformationRequest, sar.id)
    _close_request(complaint.id, dt.date(2029, 10, 25))
    assert purge_on(dt.date(2030, 4, 25)).destroyed("information_request") == 1
