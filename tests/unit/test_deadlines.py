"""Each kind of request's deadline rules (design 6.5, 6.6): the working they show, the events each
kind knows and which may follow which, and the ``SERVICE_NATION`` setting. The dated cases, worked
out by hand, are in ``test_deadline_cases.py``."""

import datetime as dt

import pytest

from portal.config import ConfigError, load_config
from portal.services.deadlines import (
    UK,
    Complaint,
    DeadlineError,
    Event,
    Facts,
    FreedomOfInformation,
    SubjectAccess,
    nation_calendar,
    rules,
)

D = dt.date


def sar(received: dt.date, *events: tuple[str, dt.date], months: int = 0, nation: str = "england"):
    return SubjectAccess(nation).working(Facts(received, tuple(Event(*event) for event in events), months))


def foi(received: dt.date, *events: tuple[str, dt.date], working_days: int = 0):
    facts = Facts(received, tuple(Event(*event) for event in events), extension_working_days=working_days)
    return FreedomOfInformation().working(facts)


def test_the_working_says_when_a_month_has_no_such_date():
    working = sar(D(2028, 1, 31))
    assert working.steps == [
        "The clock started on Monday 31 January 2028.",
        "February 2028 has no day 31, so one calendar month ends on its last day, Tuesday 29 February 2028.",
        "The response is due by Tuesday 29 February 2028.",
    ]


def test_the_working_names_the_holiday_of_the_services_nation_that_moves_the_date():
    england = sar(D(2025, 12, 2))
    assert england.steps[-1] == "The response is due by Friday 2 January 2026."
    scotland = sar(D(2025, 12, 2), nation="scotland")
    assert "Friday 2 January 2026 is New Year Holiday, a public holiday in Scotland" in " ".join(scotland.steps)
    assert "Saturday 3 January 2026 is a Saturday, so the deadline moves to the next day." in scotland.steps
    assert scotland.skipped_holidays == [(D(2026, 1, 2), "New Year Holiday, a public holiday in Scotland")]


def test_a_pause_counts_both_the_day_asked_and_the_day_answered():
    working = sar(D(2026, 1, 31), ("start", D(2026, 1, 31)), ("pause", D(2026, 2, 10)), ("resume", D(2026, 2, 20)))
    assert (
        "Paused from Tuesday 10 February 2026 to Friday 20 February 2026 while we waited for a clarification: "
        "11 days, both days included, do not count."
    ) in working.steps
    assert "The clock stood paused for 11 days in all, so the deadline moves on to Wednesday 11 March 2026." in (
        working.steps
    )
    waiting = sar(D(2026, 1, 31), ("pause", D(2026, 2, 10)))
    assert waiting.due_on == D(2026, 3, 2)
    assert any(step.startswith("Paused since Tuesday 10 February 2026") for step in waiting.steps)


def test_a_restart_says_the_month_runs_from_it():
    working = sar(D(2026, 1, 5), ("start", D(2026, 1, 5)), ("start", D(2026, 1, 20)))
    assert working.steps[:3] == [
        "The clock started on Monday 5 January 2026.",
        "It started again on Tuesday 20 January 2026, when what was needed to verify identity arrived: "
        "the month runs from that day, and pauses before it no longer count.",
        "One calendar month later is Friday 20 February 2026.",
    ]


def test_an_extension_is_up_to_two_further_months():
    assert "Extended by 2 months, to Thursday 30 April 2026." in sar(D(2026, 1, 31), months=2).steps
    with pytest.raises(DeadlineError, match="up to 2 months"):
        sar(D(2026, 1, 31), months=3)


def test_foi_working_shows_each_step():
    working = foi(D(2026, 4, 2))
    assert [day for day, _ in working.skipped_holidays] == [D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 4)]
    assert working.steps[0] == "Received on Thursday 2 April 2026."
    assert working.steps[1] == (
        "Day one is the first working day after that, Tuesday 7 April 2026; 20 working days were counted."
    )
    assert "Friday 3 April 2026 was not counted: Good Friday (England, Wales, Scotland, Northern Ireland)." in (
        working.steps
    )
    # Easter Monday is not a bank holiday in Scotland, and the working says where it is one.
    assert "Monday 6 April 2026 was not counted: Easter Monday (England, Wales, Northern Ireland)." in working.steps
    assert working.steps[-1] == "The reply is due by Tuesday 5 May 2026."


def test_foi_working_shows_a_clarification_a_fee_and_an_extension():
    working = foi(
        D(2026, 3, 2),
        ("clarification_asked", D(2026, 3, 3)),
        ("clarification_received", D(2026, 3, 4)),
        ("fees_notice", D(2026, 3, 5)),
        ("fee_paid", D(2026, 3, 11)),
        working_days=5,
    )
    text = "\n".join(working.steps)
    assert "On Tuesday 3 March 2026 we asked the requester to clarify the request (FOIA s.1(3))" in text
    assert "The clarification arrived on Wednesday 4 March 2026, which becomes the date of receipt" in text
    assert "Day one is the first working day after that, Thursday 12 March 2026" in text
    assert (
        "A fees notice was sent on Thursday 5 March 2026 and the fee arrived on Wednesday 11 March 2026: "
        "the working days from the notice to the payment, both included, were not counted (FOIA s.10(2))."
    ) in text
    # From 4 March, with 5-11 March, St Patrick's Day, Good Friday and Easter Monday not counted,
    # the 20th working day is Monday 13 April; 5 more: Monday 20 April.
    assert "The 20th working day is Monday 13 April 2026." in text
    assert "extended (FOIA s.10(3)) by 5 working days" in text
    assert working.due_on == D(2026, 4, 20)
    with pytest.raises(DeadlineError):
        foi(D(2026, 3, 2), working_days=21)


def test_complaint_working_counts_from_the_day_after_and_says_when_it_stalls():
    working = Complaint().working(Facts(D(2026, 11, 25)))
    assert working.steps[1] == (
        "A complaint is acknowledged within 30 days, counted from the day after it arrived (DPA 2018 s.164A): "
        "day 30 is Friday 25 December 2026."
    )
    assert "Friday 25 December 2026 is Christmas Day, a public holiday in England and Wales" in working.steps[2]
    assert working.steps[-1] == "The acknowledgement is due by Tuesday 29 December 2026."
    acknowledged = Complaint().working(Facts(D(2026, 11, 25), acknowledged_on=D(2026, 12, 1)))
    assert acknowledged.steps[-1] == (
        "Acknowledged on Tuesday 1 December 2026. The answer follows without undue delay: not sent by "
        "Thursday 31 December 2026, the complaint shows as stalled."
    )
    assert Complaint.answer_expected_by(D(2026, 12, 1)) == D(2026, 12, 31)


@pytest.mark.parametrize(
    ("kind", "events", "next_events"),
    [
        ("sar", [], ("start", "pause")),
        ("sar", [("start", D(2026, 1, 1))], ("start", "pause")),
        ("sar", [("pause", D(2026, 1, 2))], ("resume",)),
        ("sar", [("pause", D(2026, 1, 2)), ("resume", D(2026, 1, 3))], ("start", "pause")),
        ("foi", [], ("clarification_asked", "fees_notice")),
        ("foi", [("clarification_asked", D(2026, 1, 2))], ("clarification_received",)),
        ("foi", [("fees_notice", D(2026, 1, 2))], ("fee_paid",)),
        ("complaint", [], ()),
    ],
)
def test_each_kind_says_which_events_may_come_next(kind, events, next_events):
    assert rules(kind).next_events([Event(*event) for event in events]) == next_events


def test_any_part_of_the_uk_counts_for_foi_and_only_the_nation_for_the_others():
    st_patricks = D(2026, 3, 17)
    assert not UK.is_working_day(st_patricks)
    assert nation_calendar("england").is_working_day(st_patricks)
    assert not nation_calendar("northern_ireland").is_working_day(st_patricks)
    assert UK.holiday(st_patricks) == "Saint Patrick's Day (Northern Ireland)"
    assert UK.working_days_after(D(2026, 3, 13), D(2026, 3, 18)) == 2  # Monday 16th and Wednesday 18th
    with pytest.raises(DeadlineError):
        nation_calendar("cornwall")


def test_service_nation_is_a_setting_with_a_one_line_refusal():
    assert load_config({"PORTAL_ENV": "test"})["SERVICE_NATION"] == "england"
    assert load_config({"PORTAL_ENV": "test", "SERVICE_NATION": " Northern_Ireland "})["SERVICE_NATION"] == (
        "northern_ireland"
    )
    with pytest.raises(ConfigError) as refused:
        load_config({"PORTAL_ENV": "test", "SERVICE_NATION": "uk"})
    message = "SERVICE_NATION must be one of england, wales, scotland, northern_ireland, not 'uk'."
    assert str(refused.value) == message
    assert "\n" not in str(refused.value)
