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


# Known people however the records name them ---------------------------------------------------------


def test_a_known_persons_first_name_alone_is_withheld_on_word_boundaries():
    redactor = Redactor(["Ann Teacher", "Will Brown"])
    text = "Ann rang. ann's annual review; Annabel and Joanne. We will ask Will."
    assert redactor.redact(text, "Note") == (
        f"{MARKER} rang. {MARKER}'s annual review; Annabel and Joanne. We {MARKER} ask {MARKER}."
    )
    assert [redaction.written for redaction in redactor.redactions] == ["Ann", "ann", "will", "Will"]
    assert kinds(redactor) == [NAME] * 4


@pytest.mark.parametrize(
    "written", ["Ms Teacher", "Mrs Teacher", "Mr Teacher", "Miss Teacher", "Mx Teacher", "Dr Teacher", "Mrs. Teacher",
                "dr. teacher", "MS  TEACHER", "Ms\nTeacher"],
)  # fmt: skip
def test_a_title_and_surname_of_a_known_person_is_withheld(written):
    redactor = Redactor(["Jane Teacher"])
    assert redactor.redact(f"Spoke to {written} today.", "Note") == f"Spoke to {MARKER} today."
    assert kinds(redactor) == [NAME]


def test_a_name_given_with_its_title_is_found_with_any_title_and_without_it():
    redactor = Redactor(["Dr Amara Okafor", "Ms Teacher"])
    text = "Dr Amara Okafor, Amara Okafor, Mrs Okafor, Amara; Mr. Teacher. Teacher training."
    assert redactor.redact(text, "Note") == f"{MARKER}, {MARKER}, {MARKER}, {MARKER}; {MARKER}. Teacher training."


def test_a_title_with_every_ending_of_a_longer_name_is_withheld():
    redactor = Redactor(["Lotte van der Berg"])
    assert redactor.redact("Mrs van der Berg, Ms Berg and Lotte.", "Note") == f"{MARKER}, {MARKER} and {MARKER}."


def test_an_organisation_is_withheld_by_its_full_name_only():
    redactor = Redactor(["Hillside Academy", "The Willows School", "Social Care Team"])
    text = "Hillside Academy and the Willows School; the social care team. The Hillside walk at the school."
    assert redactor.redact(text, "Note") == f"{MARKER} and {MARKER}; the {MARKER}. The Hillside walk at the school."


def test_staff_first_names_are_withheld_only_when_staff_names_are():
    shown = Redactor([], staff_names=["Kim Lee"])
    assert shown.redact("Kim and Mr Lee called.", "Note") == "Kim and Mr Lee called."
    withheld = Redactor([], staff_names=["Kim Lee"], withhold_staff_names=True)
    assert withheld.redact("Kim and Mr Lee called.", "Note") == f"{MARKER} and {MARKER} called."
    assert kinds(withheld) == [STAFF, STAFF]


def test_the_requesters_and_the_childs_names_are_never_withheld_for_a_third_party_sharing_a_first_name():
    # The requester is Sam Smith and the child Alex Smith; the referrer is Sam Jones and the
    # child's teacher Alex Brown. A lone "Sam" or "Alex", or "Mr Smith", may be the requester or the
    # child, who must get their own names: they are shown. The third parties' full names, and the
    # forms only they can have ("Mr Jones", "Ms Brown"), are withheld.
    redactor = Redactor(["Sam Jones", "Alex Brown"], keep=["Sam Smith", "Alex Smith"])
    text = "Sam Smith, Alex Smith, Sam, Alex, Mr Smith; Sam Jones, Mr Jones, Alex Brown, Ms Brown."
    assert redactor.redact(text, "Note") == (
        f"Sam Smith, Alex Smith, Sam, Alex, Mr Smith; {MARKER}, {MARKER}, {MARKER}, {MARKER}."
    )
    written = [redaction.written for redaction in redactor.redactions]
    assert written == ["Sam Jones", "Mr Jones", "Alex Brown", "Ms Brown"]


def test_a_first_name_the_team_withholds_by_itself_outranks_the_requesters_first_name():
    # The team typed the bare first name: their decision, listed in the preview, wins over the portal's
    # guess that a lone "Sam" is the requester. The requester's full name is still shown.
    redactor = Redactor(["Sam"], keep=["Sam Smith"])
    assert redactor.redact("Sam Smith met Sam.", "Note") == f"Sam Smith met {MARKER}."


# Telephone numbers and e-mail addresses however written ---------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "+44 7700 900123",
        "+44 (0)20 7946 0000",
        "+44 (0) 20 7946 0000",
        "+33 6 12 34 56 78",
        "+33612345678",
        "+1 (202) 555-0143",
        "+353 1 234 5678",
        "0044 7700 900123",
        "0033 6 12 34 56 78",
        "(020) 7946 0000",
        "07700.900.123",
        "07700-900-123",
        "020-7946-0000",
        "020.7946.0000",
        "0113 496 0000",
    ],
)
def test_dotted_spaced_bracketed_and_international_telephone_numbers_are_withheld(number):
    redactor = Redactor([])
    assert redactor.redact(f"Ring {number}, after 4.", "Call") == f"Ring {MARKER}, after 4."
    assert [(redaction.written, redaction.line.kind) for redaction in redactor.redactions] == [(number, TELEPHONE)]


def test_numbers_side_by_side_are_each_withheld():
    redactor = Redactor([])
    text = "Ring 07700 900123 01632 960001 or 3 07700.900.124 times."
    assert redactor.redact(text, "Call") == f"Ring {MARKER} {MARKER} or 3 {MARKER} times."
    assert kinds(redactor) == [TELEPHONE] * 3


def test_the_requesters_number_is_kept_however_written():
    redactor = Redactor([], keep=["+44 7700 900982", "+33 6 12 34 56 78"])
    text = "0044 7700 900982, 07700.900.982, 0033 6 12 34 56 78, +33 6 12 34 56 79"
    assert redactor.redact(text, "Call") == f"0044 7700 900982, 07700.900.982, 0033 6 12 34 56 78, {MARKER}"


@pytest.mark.parametrize(
    "address",
    [
        "Jane.Doe@Example.ORG",
        "jane.doe+school@mail.council.example.gov.uk",
        "jane at example dot com",
        "JANE AT EXAMPLE DOT CO DOT UK",
        "jane at example.co dot uk",
        "jane [at] example [dot] org",
        "jane[at]example[dot]org",
        "jane(at)example.com",
        "jane (at) example (dot) com",
        "jane {at} example {dot} com",
        "jane<at>example<dot>com",
        "jane [@] example [.] com",
        "jane @ example.com",
    ],
)
def test_emails_however_typed_or_spelt_out_are_withheld_whole(address):
    redactor = Redactor(["Jane Doe"])
    assert redactor.redact(f"Write to {address}, today.", "E-mail") == f"Write to {MARKER}, today."
    assert [(redaction.written, redaction.line.kind) for redaction in redactor.redactions] == [(address, EMAIL)]


def test_the_requesters_email_is_kept_however_spelt_out():
    redactor = Redactor([], keep=["sam@example.org"])
    text = "sam at example dot org, SAM [at] EXAMPLE [dot] ORG, sam(at)example.org, kim at example dot org"
    assert redactor.redact(text, "E-mail") == (
        f"sam at example dot org, SAM [at] EXAMPLE [dot] ORG, sam(at)example.org, {MARKER}"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Seen on 03.03.2026, 3.3.2026, 03/03/2026, 2026-03-03 and 03-03-2026.",
        "The school year 01.09.2025-31.08.2026 and 2025-09-01 to 2026-08-31.",
        "Sessions on 02-03-2026 09-03-2026 16-03-2026, and 02 03 2026 09 30.",
        "References SPS-7K3Q-9XM2, SAR-0123-4567, FOI-2C4E-6G8J and DPC-0000-0000.",
        "Paid £1,250.00, £12 000, £0.50 and 1 234 567 pounds.",
        "From 09.30-10.30, then 10:30, 14.00 to 15.45, 0930-1030 and 0900 1000 1100 1200.",
        "Score 123456789, account 0123456789012345, sort code 01-23-45, 0.5 mg twice.",
        "We met at home. She applied at gov.uk and at the school. Email them @ the office.",
        "He joined the dots. The 5 @ 2.50 offer.",
    ],
)
def test_dates_references_money_and_times_are_left_alone(text):
    redactor = Redactor(["Jane Doe"])
    assert redactor.redact(text, "Note") == text
    assert redactor.log == []


def test_each_redaction_carries_the_words_withheld_and_its_log_line_does_not():
    redactor = Redactor(["Jane Doe"])
    redactor.redact("Ms Doe on 07700.900.123", "Case note of 3 March 2026, note")
    assert [(redaction.written, redaction.shown) for redaction in redactor.redactions] == [
        ("Ms Doe", MARKER),
        ("07700.900.123", MARKER),
    ]
    assert redactor.log == [redaction.line for redaction in redactor.redactions]
    assert set(Withholding.__dataclass_fields__) == {"kind", "where", "why"}
