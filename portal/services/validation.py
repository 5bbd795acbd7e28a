"""Checks and clean-ups for what people type, shared by every form.

Each function returns the cleaned value or raises ``InvalidInput`` with a message written the
GOV.UK way (what to do, not what went wrong), ready for an error summary. ``what`` names the field
in the person's terms ("the child or young person's full name").
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

NAME_MAX = 100
SHORT_TEXT_MAX = 200
EMAIL_MAX = 254
ADDRESS_LINE_MAX = 100
LONG_TEXT_MAX = 5000
OLDEST_AGE_SERVED = 25  # SEND support runs from birth to the young person's 26th birthday

# Bidirectional overrides and isolates can make a stored name display as something else; they
# have no place in a name or a note, unlike the joiners that some scripts need (kept).
_BIDI_CONTROLS = {chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
# The Royal Mail's rules for which letters may stand where (no Q, V or X first, no I, J or Z second…).
_UK_POSTCODE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ]([0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9]{1,2}|[A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)
_UK_REGIONS = {"GB", "GG", "JE", "IM"}
# Ofcom keeps these ranges for drama and examples (GOV.UK's hint text uses them); the numbering
# library calls them unallocated, but a form must accept the numbers its own hints show.
_OFCOM_EXAMPLE_PREFIXES = ("1632960", "7700900")


class InvalidInput(ValueError):
    """The value cannot be accepted; ``str(error)`` is the message to show."""


def clean_text(value: str | None, multiline: bool = False) -> str:
    """NFC-normalise, drop control characters (keeping line breaks and tabs when ``multiline``)
    and trim. Any letter of any script is kept."""
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for char in value:
        if char in "\n\t":
            kept.append(char if multiline else " ")
        elif char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
            continue
        elif not multiline and unicodedata.category(char) in ("Zl", "Zp"):
            kept.append(" ")
        else:
            kept.append(char)
    text = "".join(kept)
    if not multiline:
        text = " ".join(text.split())
    return text.strip()


def required_text(value: str | None, what: str, limit: int = SHORT_TEXT_MAX, multiline: bool = False) -> str:
    text = clean_text(value, multiline=multiline)
    if not text:
        raise InvalidInput(f"Enter {what}")
    return limited(text, what, limit)


def long_text(value: str | None, what: str, field: str, problems: dict[str, str]) -> str | None:
    """A required long text, cleaned; or None, with why put in ``problems`` under ``field``, so a
    form can report every problem at once."""
    try:
        return required_text(value, what, LONG_TEXT_MAX, multiline=True)
    except InvalidInput as error:
        problems[field] = str(error)
        return None


def recorded_date_problem(
    day: dt.date | None, what: str, today: dt.date, not_before: dt.date | None = None, not_before_words: str = ""
) -> str | None:
    """Why a date staff record (of a contact, a consent, a closure…) cannot be taken, if it cannot:
    missing, in the future, or before the day the record it belongs to began."""
    if day is None:
        return f"Enter {what}"
    if day > today:
        return f"{what[0].upper()}{what[1:]} must be today or in the past"
    if not_before is not None and day < not_before:
        return f"{what[0].upper()}{what[1:]} must be on or after {not_before_words}"
    return None


def retention_ends(closed_on: dt.date | None, retention_years: int) -> dt.date | None:
    """The day records closed on ``closed_on`` are due for destruction (design 6.7)."""
    return add_years(closed_on, retention_years) if closed_on else None


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def limited(text: str, what: str, limit: int) -> str:
    if len(text) > limit:
        raise InvalidInput(f"{what[0].upper()}{what[1:]} must be {limit:,} characters or fewer")
    return text


def email_address(value: str | None) -> str:
    text = clean_text(value)
    if not text:
        raise InvalidInput("Enter an email address")
    if len(text) > EMAIL_MAX:
        raise InvalidInput(f"Email address must be {EMAIL_MAX} characters or fewer")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput("Enter an email address in the correct format, like name@example.com") from None


def uk_phone(value: str | None) -> str:
    text = clean_text(value)
    if not text:
        raise InvalidInput("Enter a telephone number")
    message = "Enter a UK telephone number, like 01632 960 001 or 07700 900 982"
    if len(text) > 30:
        raise InvalidInput(message)
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise InvalidInput(message) from None
    national = str(number.national_number)
    example = number.country_code == 44 and len(national) == 10 and national.startswith(_OFCOM_EXAMPLE_PREFIXES)
    uk = phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) in _UK_REGIONS
    if not (uk or example):
        raise InvalidInput(message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def uk_postcode(value: str | None) -> str:
    compact = re.sub(r"\s+", "", clean_text(value)).upper()
    if not compact:
        raise InvalidInput("Enter a postcode")
    if not _UK_POSTCODE.match(compact):
        raise InvalidInput("Enter a full UK postcode, like BA1 1AA")
    return f"{compact[:-3]} {compact[-3:]}"


@dataclass(frozen=True)
class DateParts:
    day: str
    month: str
    year: str


def real_date(parts: DateParts, what: str) -> dt.date:
    """A real calendar date from its three typed parts, with GOV.UK's date-input messages."""
    named = {"day": parts.day.strip(), "month": parts.month.strip(), "year": parts.year.strip()}
    missing = [name for name, text in named.items() if not text]
    if len(missing) == 3:
        raise InvalidInput(f"Enter {what}")
    if missing:
        raise InvalidInput(f"{what[0].upper()}{what[1:]} must include a {' and '.join(missing)}")
    if not all(text.isascii() and text.isdigit() and len(text) <= 4 for text in named.values()):
        raise InvalidInput(f"{what[0].upper()}{what[1:]} must be a real date")
    if len(named["year"]) != 4:
        raise InvalidInput("Year must include 4 numbers")
    try:
        return dt.date(int(named["year"]), int(named["month"]), int(named["day"]))
    except ValueError:
        raise InvalidInput(f"{what[0].upper()}{what[1:]} must be a real date") from None


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def date_of_birth(parts: DateParts, today: dt.date) -> dt.date:
    born = real_date(parts, "date of birth")
    if born > today:
        raise InvalidInput("Date of birth must be in the past")
    if add_years(born, OLDEST_AGE_SERVED + 1) <= today:
        raise InvalidInput(
            f"The service supports children and young people up to age {OLDEST_AGE_SERVED}: check the date of birth"
        )
    return born
