"""Withholding other people's personal data from a subject access response (UK GDPR art. 15 with
DPA 2018 Sch. 2 para 16): third parties' names, and any e-mail address or telephone number not known
to be the requester's, are replaced by one visible marker, and every replacement is logged for the
data protection team. Staff acting in their professional role are normally named; the service may
choose otherwise.

A known person's name is withheld however the records write it: in full, by the first name alone,
and as a title and surname ("Ms Teacher", "Dr. Patel"). Telephone numbers are found however they
are punctuated, national or international, and e-mail addresses however they are typed, including
the spelt-out forms people use in notes ("sam at example dot com", "sam [at] example [dot] org")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MARKER = "[withheld]"

THIRD_PARTY_NAME = "Another person's name"
STAFF_NAME = "Staff member's name"
EMAIL = "Another person's email address"
TELEPHONE = "Another person's telephone number"

THIRD_PARTY_REASON = "Personal data of someone other than the requester (DPA 2018 Sch. 2 para 16)"
CONTACT_REASON = (
    "Contact details not known to be the requester's, so treated as someone else's personal data "
    "(DPA 2018 Sch. 2 para 16)"
)
STAFF_REASON = "Name of a member of staff, withheld by the service's decision (DPA 2018 Sch. 2 para 16)"

# E-mail addresses. The local part starts only where one can start, so a name inside an address is
# withheld with the address. Three ways of writing the "@", tried longest first:
# - spaced or bracketed ("sam @ example.com", "sam[at]example(dot)org"): the domain must end in a
#   dot and a word of letters, so "5 @ 2.50" stays;
# - the word "at" ("sam at example dot com"): only with at least one spelt-out dot, so "met at
#   home" and "applied at gov.uk" stay;
# - the plain "@" as typed, with or without a dotted domain ("x@y").
_LOCAL = r"(?<![\w.%+-])[\w.%+-]+"
_LABEL = r"[\w-]+"
_TOP_LEVEL = r"[^\W\d_]{2,}(?![\w-])"
_OPEN, _CLOSE = r"[\[({<]", r"[\])}>]"
_SPELT_AT = rf"(?:[ \t]*{_OPEN}[ \t]*(?:at|@)[ \t]*{_CLOSE}[ \t]*|[ \t]*@[ \t]*)"
_WORD_AT = r"[ \t]+at[ \t]+"
_SPELT_DOT = rf"(?:[ \t]*{_OPEN}[ \t]*(?:dot|\.)[ \t]*{_CLOSE}[ \t]*|[ \t]+dot[ \t]+)"
_ANY_DOT = rf"(?:\.|{_SPELT_DOT})"
EMAIL_PATTERN = (
    rf"{_LOCAL}(?:"
    rf"{_SPELT_AT}{_LABEL}(?:{_ANY_DOT}{_LABEL})*{_ANY_DOT}{_TOP_LEVEL}"
    rf"|{_WORD_AT}{_LABEL}(?:\.{_LABEL})*{_SPELT_DOT}(?:{_LABEL}{_ANY_DOT})*{_TOP_LEVEL}"
    rf"|@{_LABEL}(?:\.{_LABEL})*)"
)

# Telephone numbers. The main pattern finds each run of digits with the punctuation numbers are
# written with (spaces, dots, hyphens, brackets), from a "+", "(0" or "0" (where every number
# starts); each run is then read by the two shapes below, so dates (03.03.2026, 2026-03-03), times
# (09.30-10.30), money (£1,250.00) and references (SPS-7K3Q-9XM2) are left as written. A number's
# groups are separated by one kind of separator throughout, so a date range such as
# 01.09.2025-31.08.2026 is not read as one.
DIGIT_RUN_PATTERN = r"(?<![\w+])(?:\+\d|\(0|0)(?:[ .()-]{1,3}\d|\d)*"
_GROUPS = r"\d+(?:(?P<separator>[ .-])\d+(?:(?P=separator)\d+)*)?"
# 0 and an area code of 2 or more digits, perhaps in brackets: 07700 900123, (020) 7946 0000,
# 020-7946-0000, 07700.900.123. A first group of fewer than three digits (0.5, 01.09) is not a number.
_NATIONAL = re.compile(
    rf"(?:\(0\d{{2,4}}\) ?{_GROUPS}|0\d{{2,}}(?:(?P<later_separator>[ .-])\d+(?:(?P=later_separator)\d+)*)?)"
)
# + or 00, a country code, perhaps "(0)", perhaps a bracketed area code: +44 7700 900123,
# +44 (0)20 7946 0000, 0044 7700 900123, +33 6 12 34 56 78, +1 (202) 555-0143.
_INTERNATIONAL = re.compile(rf"(?:\+|00)\d{{1,4}}(?: ?\(0\))?[ .-]?(?:\(\d{{1,4}}\) ?)?{_GROUPS}")
_NATIONAL_DIGITS = range(10, 12)  # 0 and 9 or 10 more
_INTERNATIONAL_DIGITS = range(8, 16)  # country code and number, as E.164 allows
_LONGEST_WRITTEN_NUMBER = 32  # characters: "+44 (0) 1632 960 001" is 20

TITLE_PATTERN = r"(?:mrs|mr|ms|miss|mx|dr)\.?"
TITLE_LETTERS = "dm"
_TITLE_WORD = re.compile(TITLE_PATTERN)
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# Words that mark an organisation rather than a person. An organisation's name is withheld whole and
# only whole: its first word ("Riverside", "The", "Social") is nobody's first name, and withholding it
# alone would strip ordinary words from the records.
# fmt: off
ORGANISATION_WORDS = frozenset({
    "academy", "agency", "and", "association", "authority", "board", "camhs", "care", "centre", "center", "charity",
    "church", "clinic", "college", "council", "department", "federation", "foundation", "group", "health",
    "hospital", "infant", "infants", "junior", "ltd", "limited", "nhs", "nursery", "of", "office", "partnership",
    "police", "practice", "primary", "project", "school", "secondary", "service", "services", "social", "society",
    "surgery", "team", "the", "trust", "unit", "university",
})
# fmt: on
_MOST_NAME_WORDS = 5


@dataclass(frozen=True)
class Withholding:
    """One line of the data protection team's redaction log: what kind, where and why. It holds no
    withheld words, so the log printed in the team's PDF cannot show any."""

    kind: str
    where: str
    why: str


@dataclass(frozen=True)
class Redaction:
    """One withholding as the team's preview shows it: the log's line, the words as the records
    write them, and what the response shows in their place."""

    line: Withholding
    written: str
    shown: str = MARKER


@dataclass(frozen=True)
class _Name:
    pattern: str
    length: int
    first: str  # the letters a match can start with
    kind: str | None  # None: shown as written


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _words_pattern(words: Iterable[str]) -> str:
    return r"\s+".join(re.escape(word) for word in words)


def _name_forms(name: str) -> list[tuple[str, int, str, bool]]:
    """(pattern, length, first letters, whether as given) for each way the records may write
    ``name``: in full; and, for a person's name, the first name alone and a title with the surname
    (every ending of the name after the first name, so "Ms van der Berg" and "Mr Berg" are both
    found; "Dr Patel" given with its title is found as "Mrs Patel" too). An organisation's name, or
    one with anything but letters, apostrophes and hyphens in it ("O'Neil (aunt)", "Dr Patel, GP"),
    is found in full only."""
    key = _key(name)
    words = key.split()
    forms = [(_words_pattern(words), len(key), key[:1], True)]
    title = words[0] if words and _TITLE_WORD.fullmatch(words[0]) else None
    names = words[1:] if title else words
    if (
        not names
        or len(names) > _MOST_NAME_WORDS
        or not all(_NAME_WORD.fullmatch(word) for word in names)
        or ORGANISATION_WORDS.intersection(names)
    ):
        return forms
    if title and len(names) > 1:
        forms.append((_words_pattern(names), len(" ".join(names)), names[0][0], False))
    if len(names) > 1 or title:
        endings = names[1:] if len(names) > 1 else names
        for start in range(len(endings)):
            surname = " ".join(endings[start:])
            pattern = rf"{TITLE_PATTERN}\s+{_words_pattern(surname.split())}"
            forms.append((pattern, len("mrs. " + surname), TITLE_LETTERS, False))
    if len(names) > 1 and len(names[0]) >= 2:
        # A first name that is also a word ("Will", "Hope", "Grace") is withheld as the word too,
        # wherever it stands alone: when the records name someone the requester may not see, a
        # sentence with a word missing (and listed in the team's preview) is the lesser harm than a
        # name that lets the requester tell who it was.
        forms.append((re.escape(names[0]), len(names[0]), names[0][0], False))
    return forms


def canonical_email(written: str) -> str:
    """An address as typed or spelt out, as one comparable address: "Sam [at] Example (dot) org" is
    sam@example.org."""
    address = re.sub(rf"{_SPELT_AT}|{_WORD_AT}", "@", written.strip(), count=1, flags=re.IGNORECASE)
    return re.sub(_SPELT_DOT, ".", address, flags=re.IGNORECASE).casefold()


def telephone_digits(number: str) -> str:
    """A number's digits, comparable however it was written: a UK number as dialled from within the UK
    (+44 7700 900982 and 0044 7700 900982 are 07700900982), any other with its country code after a
    "+" (0033 6 12 34 56 78 is +33612345678)."""
    digits = re.sub(r"\D", "", number)
    if number.lstrip().startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    else:
        return digits
    if international.startswith("44"):
        national = international[2:]
        return national if national.startswith("0") else "0" + national
    return "+" + international


def _is_telephone(written: str) -> bool:
    national = _NATIONAL.fullmatch(written) and len(re.sub(r"\D", "", written)) in _NATIONAL_DIGITS
    international = _INTERNATIONAL.fullmatch(written) and (
        len(re.sub(r"\D", "", written.replace("(0)", "")).removeprefix("00")) in _INTERNATIONAL_DIGITS
    )
    return bool(national or international)


def telephone_spans(run: str) -> list[tuple[int, int]]:
    """Where telephone numbers lie in a run of digits and punctuation, left to right, each the longest
    that reads as a number. A number starts the run or follows a space (so "3 07700 900123" still
    gives its number), never after a dot or hyphen (the middle of a date or a reference)."""
    starts = [0, *(index for index in range(1, len(run)) if run[index - 1] == " " and run[index] != " ")]
    ends = [
        index
        for index in range(1, len(run) + 1)
        if run[index - 1].isdigit() and (index == len(run) or not run[index].isdigit())
    ]
    spans: list[tuple[int, int]] = []
    for start in starts:
        if spans and start < spans[-1][1]:
            continue
        longest = start + _LONGEST_WRITTEN_NUMBER
        end = next((end for end in reversed(ends) if start < end <= longest and _is_telephone(run[start:end])), None)
        if end is not None:
            spans.append((start, end))
    return spans


class Redactor:
    """Redacts text by one compiled pattern; ``redactions`` gathers one Redaction per replacement, in the
    order the texts were redacted and, within a text, in text order."""

    def __init__(
        self,
        third_party_names: Iterable[str],
        keep: Iterable[str] = (),
        staff_names: Iterable[str] = (),
        withhold_staff_names: bool = False,
    ) -> None:
        kept = [item for item in keep if item.strip()]
        self._kept_emails = {canonical_email(item) for item in kept if "@" in item}
        self._kept_telephones = {
            telephone_digits(item) for item in kept if "@" not in item and len(telephone_digits(item)) >= 9
        }
        # Later assignments win. A name as given (in full, or as the team typed it) outranks every
        # form the portal derives (a first name alone, a title and surname); within each, a third party
        # outranks a staff member, and the requester's and the subject's own names outrank both. So a
        # first name the requester or the child shares with a third party is shown when it stands
        # alone: the response must give them their own names, and a lone first name cannot be told
        # apart (the third party's full name is still withheld, and the team can withhold the bare
        # first name by adding it, which the preview then shows). Names shown as written still take
        # part in matching, so a third party called "Jane" is not withheld out of the requester's
        # "Jane Doe".
        own = [name for name in kept if "@" not in name and not any(character.isdigit() for character in name)]
        sources = (
            (list(staff_names), STAFF_NAME if withhold_staff_names else None),
            (list(third_party_names), THIRD_PARTY_NAME),
            (own, None),
        )
        names: dict[str, _Name] = {}
        for given in (False, True):
            for source, kind in sources:
                for name in source:
                    for pattern, length, first, as_given in _name_forms(name):
                        if as_given is given:
                            names[pattern] = _Name(pattern, length, first, kind)
        choices = sorted(
            (name for name in names.values() if name.length >= 2), key=lambda name: (-name.length, name.pattern)
        )
        # One capturing group per alternative: lastindex says which matched, whatever its case.
        # E-mail first, so an address that starts with a name is withheld whole; then names longest
        # first, so "Jane Doe" is one withholding and not "Jane" and "Doe".
        pattern = f"({EMAIL_PATTERN})|({DIGIT_RUN_PATTERN})"
        if choices:
            # The lookahead lets the engine pass over words no name starts with before it tries them all.
            first = "".join(sorted({re.escape(letter) for name in choices for letter in name.first}))
            alternatives = "|".join(f"({name.pattern})" for name in choices)
            pattern += rf"|(?<!\w)(?=[{first}])(?:{alternatives})(?!\w)"
        self._name_kinds = [name.kind for name in choices]
        self._pattern = re.compile(pattern, re.IGNORECASE)
        self.redactions: list[Redaction] = []

    @property
    def log(self) -> list[Withholding]:
        return [redaction.line for redaction in self.redactions]

    def redact(self, text: str, where: str) -> str:
        """``text`` with other people's details replaced by MARKER; ``where`` names the place in the log."""
        return self._pattern.sub(lambda match: self._replace(match, where), text)

    def _withhold(self, written: str, kind: str, why: str, where: str) -> str:
        self.redactions.append(Redaction(Withholding(kind=kind, where=where, why=why), written))
        return MARKER

    def _replace(self, match: re.Match[str], where: str) -> str:
        found = match.group()
        group = match.lastindex or 0
        if group == 1:
            if canonical_email(found) in self._kept_emails:
                return found
            return self._withhold(found, EMAIL, CONTACT_REASON, where)
        if group == 2:
            return self._replace_telephones(found, where)
        name_kind = self._name_kinds[group - 3]
        if name_kind is None:
            return found
        return self._withhold(found, name_kind, STAFF_REASON if name_kind == STAFF_NAME else THIRD_PARTY_REASON, where)

    def _replace_telephones(self, run: str, where: str) -> str:
        parts: list[str] = []
        done = 0
        for start, end in telephone_spans(run):
            number = run[start:end]
            parts.append(run[done:start])
            if telephone_digits(number) in self._kept_telephones:
                parts.append(number)
            else:
                parts.append(self._withhold(number, TELEPHONE, CONTACT_REASON, where))
            done = end
        parts.append(run[done:])
        return "".join(parts)
