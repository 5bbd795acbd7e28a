"""Withholding other people's personal data from a subject access response (UK GDPR art. 15 with
DPA 2018 Sch. 2 para 16): third parties' names, and any e-mail address or telephone number not known
to be the requester's, are replaced by one visible marker, and every replacement is logged for the
data protection team. Staff acting in their professional role are normally named; the service may
choose otherwise."""

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

# Starts only where a local part can start, so a name inside an address is withheld with the address.
EMAIL_PATTERN = r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*"
# +44 (with an optional "(0)") or 0, then 9 or 10 more digits, each perhaps after a space, hyphen or
# the bracket closing an area code: 07700 900982, +44 7700 900982, (01632) 960 001.
TELEPHONE_PATTERN = r"(?<![\w+])(?:\+44[ \t-]?(?:\(0\)[ \t-]?)?|\(?0)(?:[ \t-]?\)?[ \t-]?\d){9,10}(?!\d)"


@dataclass(frozen=True)
class Withholding:
    """One line of the data protection team's redaction log."""

    kind: str
    where: str
    why: str


@dataclass(frozen=True)
class _Name:
    pattern: str
    length: int
    kind: str | None  # None: shown as written


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def telephone_digits(number: str) -> str:
    """The digits of a UK number as dialled from within the UK: +44 7700 900982 is 07700900982."""
    digits = re.sub(r"\D", "", number)
    if number.lstrip().startswith("+44"):
        digits = digits[2:]
        if not digits.startswith("0"):
            digits = "0" + digits
    return digits


class Redactor:
    """Redacts text by one compiled pattern; ``log`` gathers a Withholding per replacement, in the
    order the texts were redacted and, within a text, in text order."""

    def __init__(
        self,
        third_party_names: Iterable[str],
        keep: Iterable[str] = (),
        staff_names: Iterable[str] = (),
        withhold_staff_names: bool = False,
    ) -> None:
        kept = [item for item in keep if item.strip()]
        self._kept_emails = {item.strip().casefold() for item in kept if "@" in item}
        self._kept_telephones = {
            telephone_digits(item) for item in kept if "@" not in item and len(telephone_digits(item)) >= 9
        }
        # Later assignments win: a third party outranks a staff member of the same name, and the
        # requester's own names outrank both. Names shown as written still take part in matching,
        # so a third party called "Jane" is not withheld out of the requester's "Jane Doe".
        names: dict[str, str | None] = {}
        for name in staff_names:
            names[_key(name)] = STAFF_NAME if withhold_staff_names else None
        for name in third_party_names:
            names[_key(name)] = THIRD_PARTY_NAME
        for name in kept:
            if "@" not in name and not any(character.isdigit() for character in name):
                names[_key(name)] = None
        choices = sorted(
            (
                _Name(r"\s+".join(re.escape(word) for word in key.split()), len(key), kind)
                for key, kind in names.items()
                if len(key) >= 2
            ),
            key=lambda name: (-name.length, name.pattern),
        )
        # One capturing group per alternative: lastindex says which matched, whatever its case.
        # E-mail first, so an address that starts with a name is withheld whole; then names longest
        # first, so "Jane Doe" is one withholding and not "Jane" and "Doe".
        pattern = f"({EMAIL_PATTERN})|({TELEPHONE_PATTERN})"
        if choices:
            pattern += r"|(?<!\w)(?:" + "|".join(f"({name.pattern})" for name in choices) + r")(?!\w)"
        self._name_kinds = [name.kind for name in choices]
        self._pattern = re.compile(pattern, re.IGNORECASE)
        self.log: list[Withholding] = []

    def redact(self, text: str, where: str) -> str:
        """``text`` with other people's details replaced by MARKER; ``where`` names the place in the log."""
        return self._pattern.sub(lambda match: self._replace(match, where), text)

    def _replace(self, match: re.Match[str], where: str) -> str:
        found = match.group()
        group = match.lastindex or 0
        if group == 1:
            if found.casefold() in self._kept_emails:
                return found
            kind, why = EMAIL, CONTACT_REASON
        elif group == 2:
            if telephone_digits(found) in self._kept_telephones:
                return found
            kind, why = TELEPHONE, CONTACT_REASON
        else:
            name_kind = self._name_kinds[group - 3]
            if name_kind is None:
                return found
            kind, why = name_kind, STAFF_REASON if name_kind == STAFF_NAME else THIRD_PARTY_REASON
        self.log.append(Withholding(kind=kind, where=where, why=why))
        return MARKER
