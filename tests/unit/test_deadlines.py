"""Subject access and FOI deadlines (design 6.5, 6.6), with the UK's bank holidays of 2025-2027."""

import datetime as dt

import pytest

from portal.services.deadlines import DeadlineError, foi_deadline, holiday_name, is_working_day, sar_deadline

D = dt.date


@pytest.mark.parametrize(
    ("started", "due"),
    [
        (D(2027, 1, 31), D(2027, 3, 1)),  # 28 February 2027 is a Sunday: the next working day
        (D(2028, 1, 31), D(2028, 2, 29)),  # leap year: 29 February, a Tuesday
        (D(2026, 1, 31), D(2026, 3, 2)),  # 28 February 2026 is a Saturday
        (D(2026, 3, 31), D(2026, 4, 30)),  # no 31 April
        (D(2026, 8, 31), D(2026, 9, 30)),
        (D(2026, 11, 25), D(2026, 12, 29)),  # 25 December, then Boxing Day (observed 28th): 29th
        (D(2026, 6, 10), D(2026, 7, 10)),
    ],
)
def test_a_subject_access_request_is_due_one_calendar_month_on(started, due):
    assert sar_deadline(started).due_on == due


def test_the_working_says_when_a_month_has_no_such_date():
    working = sar_deadline(D(2028, 1, 31))
    assert working.steps[1] == (
        "February 2028 has no day 31, so one calendar month ends on its last day, Tuesday 29 February 2028."
    )


def test_an_extension_is_up_to_two_further_months():
    assert sar_deadline(D(2026, 1, 31), extension_months=2).due_on == D(2026, 4, 30)
    # 30 January 2027 is a Saturday: the next working day.
    assert sar_deadline(D(2026, 11, 30), extension_months=1).due_on == D(2027, 2, 1)
    with pytest.raises(DeadlineError, match="up to 2 months"):
        sar_deadline(D(2026, 1, 31), extension_months=3)


def test_a_pause_adds_its_days_back():
    assert sar_deadline(D(2026, 6, 10), paused_days=5).due_on == D(2026, 7, 15)
    working = sar_deadline(D(2026, 6, 10), paused_days=5)
    assert any("paused for 5 days" in step for step in working.steps)
    with pytest.raises(DeadlineError):
        sar_deadline(D(2026, 6, 10), paused_days=-1)


@pytest.mark.parametrize(
    ("day", "kept_in"),
    [
        (D(2025, 12, 25), "England"),
        (D(2026, 4, 3), "Scotland"),  # Good Friday, everywhere
        (D(2026, 4, 6), "Northern Ireland"),  # Easter Monday: not a bank holiday in Scotland
        (D(2026, 1, 2), "Scotland"),
        (D(2026, 11, 30), "Scotland"),  # St Andrew's Day
        (D(2026, 3, 17), "Northern Ireland"),  # St Patrick's Day
        (D(2026, 7, 13), "Northern Ireland"),  # Battle of the Boyne, observed
        (D(2026, 8, 3), "Scotland"),  # Scotland's summer bank holiday
        (D(2026, 8, 31), "England"),  # the late summer bank holiday elsewhere
        (D(2025, 5, 26), "Wales"),
        (D(2026, 5, 25), "England"),
        (D(2027, 5, 31), "Northern Ireland"),
        (D(2025, 8, 25), "Wales"),
        (D(2027, 8, 30), "England"),
    ],
)
def test_bank_holidays_in_any_part_of_the_uk_are_not_working_days(day, kept_in):
    assert not is_working_day(day)
    assert kept_in in holiday_name(day)


def test_easter_monday_is_named_for_the_parts_that_keep_it():
    assert "Scotland" not in holiday_name(D(2026, 4, 6))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Received Friday 18 Dec 2026: Christmas (25th) and Boxing Day observed (28th) skipped,
        # New Year's Day (1st) and Scotland's 2 January (a Saturday in 2027, so 4th) skipped.
        (D(2026, 12, 18), D(2027, 1, 21)),
        # Received Thursday 2 April 2026: Good Friday (3rd), Easter Monday (6th) and the early May
        # bank holiday (4 May) skipped.
        (D(2026, 4, 2), D(2026, 5, 5)),
        # Received Monday 20 July 2026: Scotland's 3 August and the rest's 31 August both skipped.
        (D(2026, 7, 20), D(2026, 8, 18)),
        # Received Friday 1 May 2026: the May Day (4th) and late May (25th) holidays skipped.
        (D(2026, 5, 1), D(2026, 6, 2)),
        # Received Monday 2 March 2026: St Patrick's Day (17th, Northern Ireland) skipped.
        (D(2026, 3, 2), D(2026, 3, 31)),
        # Received Monday 9 November 2026: St Andrew's Day (30th, Scotland) skipped.
        (D(2026, 11, 9), D(2026, 12, 8)),
    ],
)
def test_foi_replies_are_due_on_the_twentieth_working_day(received, due):
    assert foi_deadline(received).due_on == due


def test_foi_working_says_which_holidays_were_skipped():
    working = foi_deadline(D(2026, 4, 2))
    assert [day for day, _ in working.skipped_holidays] == [D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 4)]
    assert working.steps[0] == "Received on Thursday 2 April 2026."
    assert any("Good Friday" in step for step in working.steps)
    assert working.steps[-1] == "The reply is due by Tuesday 5 May 2026."
