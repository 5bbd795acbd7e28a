"""Each measure of the year's statistics, counted from a world made through the services at set
dates (the clock moved with time-machine), around the year 2025-26: the 31 August / 1 September
boundary in London's time, a case opened in one year and closed in the next, a withdrawn referral;
then freezing the year, and what every output reads once its records are gone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import (
    AuditEntry,
    Case,
    CaseNote,
    ConsentReview,
    ContactEntry,
    Disclosure,
    InformationRequest,
    Person,
    Referral,
)
from portal.models.referrals import ConsentAttestation
from portal.models.statistics import FrozenCount, FrozenYear
from portal.services import casework, clock, consent, contact, disclosures, requests, statistics, triage
from portal.services.academic_year import AcademicYear
from portal.services.audit import Actor, system_actor
from portal.services.statistics import FreezeRefused, publish, year_counts
from tests.clock import london
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff

YEAR = AcademicYear.named("2025-26")
AFTER_THE_YEAR = dt.date(2026, 10, 15)
REVIEW_MONTHS = 6


@dataclass
class World:
    app: Flask
    time_machine: Any
    worker_id: int

    def at(self, day: dt.date, hour: int = 10, minute: int = 0) -> Actor:
        """Move the clock to ``day`` in London and act there as the caseworker."""
        self.time_machine.move_to(london(day, hour, minute), tick=False)
        return Actor(self.worker_id, "192.0.2.1", clock.now())

    def referral(self, day: dt.date, hour: int = 10, minute: int = 0, **answers: object) -> int:
        self.at(day, hour, minute)
        return submit_referral(self.app, "self", self_referral_answers(**answers)).id

    def accept(self, referral_id: int, day: dt.date) -> int:
        actor = self.at(day)
        return triage.accept(db.session.get(Referral, referral_id), actor, actor.today, REVIEW_MONTHS).id

    def contact(self, referral_id: int, day: dt.date, method: str = "call", case_id: int | None = None) -> None:
        actor = self.at(day)
        details = contact.ContactDetails(day, method, "outgoing", "Talked about the annual review.")
        case = db.session.get(Case, case_id) if case_id else None
        contact.log_contact(db.session.get(Referral, referral_id), details, actor, actor.today, case)

    def close(self, case_id: int, day: dt.date) -> None:
        actor = self.at(day)
        casework.close(db.session.get(Case, case_id), "Advice given.", day, actor, actor.today)

    def file(self, case_id: int, topic: str | None, level: str | None, status: str = "open") -> None:
        case = db.session.get(Case, case_id)
        casework.update_details(
            case, casework.CaseDetails(topic, level, status), case.version, Actor(self.worker_id, None, clock.now())
        )


@pytest.fixture
def world(app: Flask, app_context: None, time_machine: Any) -> Iterator[World]:
    time_machine.move_to(london(dt.date(2025, 6, 1)), tick=False)
    worker = make_staff(app, "caseworker")
    yield World(app, time_machine, worker.id)


def counts(measure: str, today: dt.date = AFTER_THE_YEAR) -> dict[tuple[str, str], int]:
    return year_counts(YEAR, today).counts[measure]


def one_dimension(measure: str, today: dt.date = AFTER_THE_YEAR) -> dict[str, int]:
    return {category: number for (category, _), number in counts(measure, today).items() if number}


def test_referrals_count_in_the_year_they_reached_us_by_londons_calendar(world):
    world.referral(dt.date(2025, 8, 31), 23, 30)  # 22:30 UTC: the last evening of 2024-25
    world.referral(dt.date(2025, 9, 1), 0, 30)  # 23:30 UTC on 31 August, but 1 September in London
    world.referral(dt.date(2026, 8, 31), 23, 30)
    world.referral(dt.date(2026, 9, 1), 0, 30)  # 2026-27
    world.referral(dt.date(2026, 1, 10), completed_by="young_person", parent_carer_name="")
    assert one_dimension("referrals_by_route") == {"self": 3}
    assert one_dimension("referrals_by_completer") == {"parent_carer": 2, "young_person": 1}
    assert one_dimension("age_bands") == {"5-10": 2, "11-15": 1}  # born 14 March 2015


def test_outcomes_stand_as_they_were_at_31_august(world):
    accepted = world.referral(dt.date(2025, 10, 1))
    world.accept(accepted, dt.date(2025, 10, 2))
    declined = world.referral(dt.date(2025, 10, 3))
    actor = world.at(dt.date(2025, 10, 4))
    triage.decline(db.session.get(Referral, declined), "Outside the area.", actor)
    withdrawn = world.referral(dt.date(2025, 10, 5))
    actor = world.at(dt.date(2025, 10, 9))
    triage.withdraw(db.session.get(Referral, withdrawn), dt.date(2025, 10, 8), "phone", actor)
    # Withdrawn after its case opened: the referral's outcome was acceptance (its case closed with it).
    accepted_then_withdrawn = world.referral(dt.date(2025, 11, 1))
    world.accept(accepted_then_withdrawn, dt.date(2025, 11, 2))
    actor = world.at(dt.date(2025, 12, 1))
    triage.withdraw(db.session.get(Referral, accepted_then_withdrawn), dt.date(2025, 12, 1), "email", actor)
    # Received on the year's last day, accepted the next: still new at 31 August.
    late = world.referral(dt.date(2026, 8, 31))
    world.accept(late, dt.date(2026, 9, 1))
    assert one_dimension("referrals_by_outcome") == {"accepted": 2, "declined": 1, "withdrawn": 1, "new": 1}


def test_a_case_opened_in_one_year_and_closed_in_the_next_counts_in_each(world):
    referral = world.referral(dt.date(2025, 8, 20))
    case = world.accept(referral, dt.date(2025, 8, 31))
    world.file(case, "ehc_plan", "level_3")
    world.close(case, dt.date(2025, 9, 1))
    assert counts("cases_by_level")["level_3", "opened"] == 0
    assert counts("cases_by_level")["level_3", "closed"] == 1
    previous = year_counts(YEAR.previous(), AFTER_THE_YEAR).counts["cases_by_level"]
    assert (previous["level_3", "opened"], previous["level_3", "closed"]) == (1, 0)
    assert one_dimension("cases_at_year_end") == {"closed": 1}
    assert one_dimension("cases_by_topic") == {"ehc_plan": 1}
    # A family carried over from 2024-25, supported in 2025-26 while its case was open.
    assert one_dimension("supported") == {"family": 1}
    assert counts("supported")["family", "carried_over"] == 1


def test_cases_at_31_august_and_families_supported(world):
    world.accept(world.referral(dt.date(2025, 9, 10)), dt.date(2025, 9, 11))
    inactive = world.accept(world.referral(dt.date(2025, 9, 12)), dt.date(2025, 9, 13))
    world.file(inactive, None, "level_1", status="inactive")
    closed_after = world.accept(world.referral(dt.date(2025, 9, 14)), dt.date(2025, 9, 15))
    world.close(closed_after, dt.date(2026, 9, 2))  # open at 31 August, closed since
    world.accept(world.referral(dt.date(2026, 9, 3)), dt.date(2026, 9, 4))  # 2026-27's
    contacted = world.referral(dt.date(2026, 3, 1))
    world.contact(contacted, dt.date(2026, 3, 2), "email")
    world.referral(dt.date(2026, 3, 3))  # no contact, no case: not supported
    young = world.referral(dt.date(2026, 3, 4), completed_by="young_person", parent_carer_name="")
    world.contact(young, dt.date(2026, 3, 5), "meeting")
    world.contact(world.referral(dt.date(2025, 3, 1)), dt.date(2025, 3, 2))  # contact only in 2024-25
    assert one_dimension("cases_at_year_end") == {"open": 2, "inactive": 1}
    assert one_dimension("cases_by_topic") == {"not_recorded": 3}
    assert counts("cases_by_level")["level_1", "opened"] == 1
    assert counts("cases_by_level")["not_recorded", "opened"] == 2
    assert {cell: number for cell, number in counts("supported").items() if number} == {
        ("family", "new"): 4,
        ("young_person", "new"): 1,
    }
    assert one_dimension("contacts_by_method") == {"email": 1, "meeting": 1}


def test_consent_reviews_disclosures_and_requests(world):
    case_id = world.accept(world.referral(dt.date(2025, 9, 2)), dt.date(2025, 9, 2))  # review due 2 March 2026
    overdue_id = world.accept(world.referral(dt.date(2025, 9, 3)), dt.date(2025, 9, 3))  # never reviewed
    actor = world.at(dt.date(2026, 3, 1))
    case = db.session.get(Case, case_id)
    # The next review falls due on 1 September 2026: not overdue at 31 August.
    consent.record_review(case, dt.date(2026, 3, 1), "confirmed", None, actor, actor.today, REVIEW_MONTHS)
    db.session.commit()
    disclosures.record_disclosure(
        case,
        disclosures.DisclosureRequest(
            dt.date(2026, 2, 20), "Concerns", "child_protection", recipient="Children's services", justification="Harm"
        ),
        actor,
        actor.today,
    )  # pending: not shared, not counted
    mailer = world.app.extensions["portal_mailer"]
    requester = requests.Requester("Ada Example", "ada@example.com", None, None, None, "email")
    foi = requests.submit_foi(requests.FoiAnswers(requester, "How many referrals?"), "foi-1", mailer, actor.at)
    actor = world.at(dt.date(2026, 3, 2))
    requests.close(foi, requests.Closure("information_provided", dt.date(2026, 3, 2), "Sent."), actor, actor.today)
    requests.submit_foi(requests.FoiAnswers(requester, "And cases?"), "foi-2", mailer, actor.at)  # never answered
    assert one_dimension("consent_reviews") == {"confirmed": 1, "overdue": 1}
    assert db.session.get(Case, overdue_id).consent_review_due == dt.date(2026, 3, 3)
    assert one_dimension("disclosures_by_basis") == {}
    assert {cell: number for cell, number in counts("information_requests").items() if number} == {
        ("foi", "received"): 2,
        ("foi", "in_time"): 1,
    }


def test_workforce_counts_training_in_date_at_31_august_and_the_current_agreement(world, app):
    # The fixture's caseworker was trained on 1 June 2025: out of date by 31 August 2026.
    world.at(dt.date(2026, 1, 5))
    make_staff(app, "volunteer")  # trained on 5 January 2026, on the current agreement
    make_staff(app, "volunteer", agreement=False)
    make_staff(app, "manager", trained=False)
    assert one_dimension("workforce") == {
        "trained": 2,
        "not_trained": 2,
        "agreement_current": 1,
        "agreement_not_current": 1,
    }


def test_the_published_figures_suppress_small_counts_and_warn_when_one_category_holds_everything(world):
    for day in range(1, 10):
        world.referral(dt.date(2025, 10, day))
    report = publish(year_counts(YEAR, AFTER_THE_YEAR))
    by_route = report.table("referrals_by_route")
    assert [(row.label, row.cells) for row in by_route.rows] == [
        ("Self-referral (parent, carer or young person)", ("10",)),
        ("Professional referral", ("0",)),
    ]
    assert by_route.total.cells == ("10",)
    assert by_route.warnings == ("Every count is in one category, “Self-referral (parent, carer or young person)”.",)
    assert "sps-chart" in by_route.chart and "<script" not in by_route.chart and "style=" not in by_route.chart
    assert report.table("age_bands").rows[1].cells == ("10",)


def test_a_year_is_frozen_once_only_after_it_ends_and_reads_the_same_when_its_records_are_gone(world, app):
    for day in (1, 2, 3):
        referral = world.referral(dt.date(2025, 11, day))
        world.contact(referral, dt.date(2025, 11, day + 1))
    world.accept(world.referral(dt.date(2026, 2, 1)), dt.date(2026, 2, 2))
    on_the_last_day = world.at(dt.date(2026, 8, 31), 23)
    with pytest.raises(FreezeRefused, match="until it has ended"):
        statistics.freeze(YEAR, on_the_last_day)
    actor = system_actor(world.at(AFTER_THE_YEAR).at)
    statistics.freeze(YEAR, actor)
    with pytest.raises(FreezeRefused, match="frozen already"):
        statistics.freeze(YEAR, actor)
    frozen = db.session.scalars(select(FrozenYear)).one()
    assert (frozen.year, frozen.frozen_by_id) == ("2025-26", None)
    assert (
        db.session.scalar(
            select(FrozenCount.count).where(FrozenCount.measure == "referrals_by_route", FrozenCount.category == "self")
        )
        == 4
    )
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "statistics frozen")).all() == [
        "statistics frozen"
    ]
    before = {form: statistics.download(YEAR.name, form, None, actor).content for form in ("csv", "html", "pdf")}

    for table in (
        ContactEntry,
        ConsentReview,
        Disclosure,
        CaseNote,
        Case,
        ConsentAttestation,
        Person,
        Referral,
        InformationRequest,
    ):
        db.session.execute(delete(table))
    db.session.commit()
    assert year_counts(YEAR, AFTER_THE_YEAR).frozen
    after = {form: statistics.download(YEAR.name, form, None, actor).content for form in ("csv", "html", "pdf")}
    assert after == before
    assert b"frozen" in after["html"]


def test_the_report_commands_freeze_once_and_write_what_the_downloads_give(world, app, tmp_path):
    world.contact(world.referral(dt.date(2025, 12, 1)), dt.date(2025, 12, 2))
    world.at(AFTER_THE_YEAR)
    runner = app.test_cli_runner()
    frozen = runner.invoke(args=["report", "freeze", "--year", YEAR.name])
    assert frozen.exit_code == 0, frozen.output
    assert "The statistics of 2025-26 are frozen." in frozen.output
    again = runner.invoke(args=["report", "freeze", "--year", YEAR.name])
    assert again.exit_code == 1
    assert "2025-26 is frozen already" in again.output
    assert db.session.get(FrozenYear, YEAR.name).frozen_by_id is None  # the command line

    actor = system_actor(clock.now())
    for form in ("csv", "html"):
        written = tmp_path / f"report.{form}"
        result = runner.invoke(
            args=["report", "annual", "--year", YEAR.name, "--format", form, "--output", str(written)]
        )
        assert result.exit_code == 0, result.output
        assert written.read_bytes() == statistics.download(YEAR.name, form, None, actor).content
    unknown = runner.invoke(args=["report", "annual", "--year", "1999-00", "--format", "csv"])
    assert unknown.exit_code == 1 and "not a year with records" in unknown.output
