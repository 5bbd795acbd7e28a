"""Withholding other people's details from a subject access response."""

import pytest

from portal.services.redaction import MARKER, Redactor, Withholding

NAME = "Another person's name"
EMAIL = "Another person's email address"
TELEPHONE = "Another person's telephone number"
STAFF = "Staff member's name"


def kinds(redactor: Redactor) -> list[str]:
    return [withholding.kind for withholding in redactor.log]


@pytest.mark.parametrize("written", ["Jane Doe", "jane doe", "JANE  DOE", "Jane\ndoe", "jane \t\n Doe"])
def test_names_match_whatever_their_case_and_whitespace(written):
    redactor = Redactor(["Jane Doe"])
    assert redactor.redact(f"Spoke to {written} today.", "Case note") == f"Spoke to {MARKER} today."
    assert kinds(redactor) == [NAME]


def test_names_match_only_as_whole_words():
    redactor = Redactor(["Ann"])
    text = "Annabel and Joanne met Anne, not Ann."
    assert redactor.redact(text, "Case note") == f"Annabel and Joanne met Anne, not {MARKER}."
    assert len(redactor.log) == 1


def test_a_longer_name_is_one_withholding_not_its_parts():
    redactor = Redactor(["Jane", "Doe", "Jane Doe"])
    assert redactor.redact("Jane Doe, then Jane, then Doe.", "Case note") == f"{MARKER}, then {MARKER}, then {MARKER}."
    assert len(redactor.log) == 3


def test_a_kept_name_is_never_withheld():
    redactor = Redactor(["Sam Smith", "Jane Doe", "Sam"], keep=["Sam Smith"])
    assert redactor.redact("Sam Smith called about Jane Doe.", "Call") == f"Sam Smith called about {MARKER}."
    assert kinds(redactor) == [NAME]


def test_a_third_party_within_a_kept_name_is_left_in_it():
    redactor = Redactor(["Jane"], keep=["Jane Smith"])
    assert redactor.redact("Jane Smith's cousin Jane", "Call") == f"Jane Smith's cousin {MARKER}"


def test_names_with_regex_metacharacters():
    redactor = Redactor(["O'Neil (aunt)", "A.B. Cole*", "[x]+y"])
    text = "O'Neil (aunt) and A.B. Cole* and [x]+y, but not O'Neil aunt nor AxB Cole."
    assert redactor.redact(text, "Note") == f"{MARKER} and {MARKER} and {MARKER}, but not O'Neil aunt nor AxB Cole."
    assert len(redactor.log) == 3


def test_empty_and_one_character_names_are_ignored():
    redactor = Redactor(["", "   ", "J", "\n"])
    assert redactor.redact("J met Jo.", "Note") == "J met Jo."
    assert redactor.log == []


def test_emails_are_withheld_unless_kept():
    redactor = Redactor([], keep=["Sam@Example.org"])
    text = "From sam@example.ORG to jane.doe+school@council.example.gov.uk and x@y."
    assert redactor.redact(text, "E-mail") == f"From sam@example.ORG to {MARKER} and {MARKER}."
    assert kinds(redactor) == [EMAIL, EMAIL]


def test_an_email_is_withheld_whole_even_when_it_starts_with_a_name():
    redactor = Redactor(["Jane"])
    assert redactor.redact("jane.doe@example.org", "E-mail") == MARKER
    assert kinds(redactor) == [EMAIL]


@pytest.mark.parametrize(
    "number",
    [
        "07700 900982",
        "07700900982",
        "01632 960001",
        "+44 7700 900982",
        "+447700900982",
        "(01632) 960 001",
        "+44 (0)1632 960001",
        "020 7946 0958",
        "0113-496-0000",
    ],
)
def test_uk_telephone_numbers_are_withheld(number):
    redactor = Redactor([])
    assert redactor.redact(f"Call {number}, please.", "Call") == f"Call {MARKER}, please."
    assert kinds(redactor) == [TELEPHONE]


def test_kept_telephone_numbers_compare_by_digits():
    redactor = Redactor([], keep=["+44 7700 900982"])
    text = "Mobile 07700900982, home 01632 960001, +44 (0)7700 900 982."
    assert redactor.redact(text, "Call") == f"Mobile 07700900982, home {MARKER}, +44 (0)7700 900 982."
    assert kinds(redactor) == [TELEPHONE]


def test_other_numbers_are_left_alone():
    text = "Reference SPS-7K3Q-9XM2, seen 2026-03-03, score 123456789, account 0123456789012345."
    redactor = Redactor([])
    assert redactor.redact(text, "Note") == text


def test_staff_names_are_kept_by_default():
    redactor = Redactor(["Jane Doe"], staff_names=["Kim Lee"])
    assert redactor.redact("Kim Lee spoke to Jane Doe.", "Note") == f"Kim Lee spoke to {MARKER}."
    assert kinds(redactor) == [NAME]


def test_staff_names_are_withheld_when_asked():
    redactor = Redactor(["Jane Doe"], staff_names=["Kim Lee"], withhold_staff_names=True)
    assert redactor.redact("kim lee spoke to Jane Doe.", "Note") == f"{MARKER} spoke to {MARKER}."
    assert kinds(redactor) == [STAFF, NAME]
    assert "staff" in redactor.log[0].why


def test_the_log_has_one_row_per_withholding_in_text_order():
    redactor = Redactor(["Jane Doe"], keep=["sam@example.org"])
    redactor.redact("Jane Doe: 07700 900982, jane@example.org; sam@example.org", "Case note of 3 March 2026")
    redactor.redact("Jane Doe again", "Contact of 4 March 2026")
    assert [(row.kind, row.where) for row in redactor.log] == [
        (NAME, "Case note of 3 March 2026"),
        (TELEPHONE, "Case note of 3 March 2026"),
        (EMAIL, "Case note of 3 March 2026"),
        (NAME, "Contact of 4 March 2026"),
    ]
    assert all(isinstance(row, Withholding) and "DPA 2018" in row.why for row in redactor.log)


def test_text_with_nothing_to_withhold_is_unchanged():
    redactor = Redactor(["Jane Doe"], keep=["Sam Smith"], staff_names=["Kim Lee"])
    text = "Sam Smith asked Kim Lee about the EHC plan.\n\nNext review in May."
    assert redactor.redact(text, "Note") == text
    assert redactor.redact("", "Note") == ""
    assert redactor.log == []
