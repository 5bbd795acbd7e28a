import datetime as dt

import pytest

from portal.services import validation
from portal.services.validation import DateParts, InvalidInput

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Zoë   Ó Briain ", "Zoë Ó Briain"),
        ("李小龍", "李小龍"),
        ("محمد علي", "محمد علي"),
        ("Nguyễn Thị Minh", "Nguyễn Thị Minh"),
        ("Ana\x00\x07 María", "Ana María"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("two\nlines", "two lines"),
        ("Zoe\u0308", "Zoë"),  # combining diaeresis normalised to one character (NFC)
    ],
)
def test_names_keep_every_script_and_lose_control_characters(typed, kept):
    assert validation.clean_text(typed) == kept


def test_free_text_keeps_its_line_breaks():
    assert validation.clean_text("first\r\nsecond\x1b[31m\tthird", multiline=True) == "first\nsecond[31m\tthird"


def test_required_text_is_capped():
    with pytest.raises(InvalidInput, match="Your full name must be 100 characters or fewer"):
        validation.required_text("x" * 101, "your full name", 100)
    with pytest.raises(InvalidInput, match="Enter your full name"):
        validation.required_text(" \x00 ", "your full name", 100)


@pytest.mark.parametrize("typed", ["name@example.com", "  Name.Surname+sps@Example.CO.UK "])
def test_good_email_addresses(typed):
    assert "@" in validation.email_address(typed)


@pytest.mark.parametrize("typed", ["name", "name@", "@example.com", "a b@example.com", "x" * 250 + "@e.com"])
def test_bad_email_addresses(typed):
    with pytest.raises(InvalidInput):
        validation.email_address(typed)


@pytest.mark.parametrize(
    ("typed", "formatted"),
    [
        ("01225 477000", "01225 477000"),
        ("+44 1225 477000", "01225 477000"),
        ("07911123456", "07911 123456"),
        ("07700 900982", "07700 900982"),  # Ofcom's example range, as in GOV.UK hints
        ("01632 960001", "01632 960001"),
    ],
)
def test_uk_phone_numbers(typed, formatted):
    assert validation.uk_phone(typed) == formatted


@pytest.mark.parametrize("typed", ["12345", "+33 1 23 45 67 89", "phone me", "0" * 40, "+44 7700 900"])
def test_not_uk_phone_numbers(typed):
    with pytest.raises(InvalidInput, match="UK telephone number"):
        validation.uk_phone(typed)


@pytest.mark.parametrize(("typed", "normal"), [("ba11aa", "BA1 1AA"), ("SW1A 2AA", "SW1A 2AA"), (" m1 1ae ", "M1 1AE")])
def test_postcodes(typed, normal):
    assert validation.uk_postcode(typed) == normal


@pytest.mark.parametrize("typed", ["BA1", "12345", "BA1 1AAA", "QQ1 1AA", "BA1 1CI"])
def test_not_postcodes(typed):
    with pytest.raises(InvalidInput, match="full UK postcode"):
        validation.uk_postcode(typed)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("", "", ""), "Enter date of birth"),
        (("", "3", "2015"), "Date of birth must include a day"),
        (("1", "", ""), "Date of birth must include a month and year"),
        (("31", "2", "2015"), "Date of birth must be a real date"),
        (("29", "2", "2015"), "Date of birth must be a real date"),
        (("1", "13", "2015"), "Date of birth must be a real date"),
        (("1", "1", "15"), "Year must include 4 numbers"),
        (("١", "٢", "٢٠١٥"), "Date of birth must be a real date"),
        (("26", "11", "2026"), "Date of birth must be in the past"),
        (("25", "11", "2000"), "up to age 25"),
    ],
)
def test_dates_of_birth_refused(parts, message):
    with pytest.raises(InvalidInput, match=message):
        validation.date_of_birth(DateParts(*parts), TODAY)


def test_dates_of_birth_accepted_at_the_edges():
    assert validation.date_of_birth(DateParts("25", "11", "2026"), TODAY) == TODAY
    assert validation.date_of_birth(DateParts("26", "11", "2000"), TODAY) == dt.date(2000, 11, 26)
    assert validation.date_of_birth(DateParts("29", "2", "2016"), TODAY) == dt.date(2016, 2, 29)


def test_a_leap_day_birthday_counts_from_28_february_in_common_years():
    assert validation.add_years(dt.date(2000, 2, 29), 26) == dt.date(2026, 2, 28)
