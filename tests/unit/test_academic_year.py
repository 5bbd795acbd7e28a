import datetime as dt

import pytest

from portal.services.academic_year import AcademicYear, NotAnAcademicYear


def test_31_august_ends_one_year_and_1_september_starts_the_next():
    assert AcademicYear.of(dt.date(2026, 8, 31)).name == "2025-26"
    assert AcademicYear.of(dt.date(2026, 9, 1)).name == "2026-27"
    assert dt.date(2026, 8, 31) in AcademicYear.named("2025-26")
    assert dt.date(2026, 9, 1) not in AcademicYear.named("2025-26")


def test_a_year_is_named_by_its_two_calendar_years_across_the_century():
    year = AcademicYear.named("2099-00")
    assert (year.first_day, year.last_day) == (dt.date(2099, 9, 1), dt.date(2100, 8, 31))
    assert year.previous().name == "2098-99"


@pytest.mark.parametrize("name", ["2025-27", "2025/26", "25-26", "2025-2026", ""])
def test_other_names_are_refused(name):
    with pytest.raises(NotAnAcademicYear):
        AcademicYear.named(name)
