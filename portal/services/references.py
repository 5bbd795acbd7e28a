"""Public reference numbers (design section 4).

A reference such as ``SPS-7K3Q-9XM2`` is a prefix and eight Crockford base32 characters: seven
random ones and a Luhn mod 32 check character. Random, so a reference reveals nothing about how many
referrals the service has and cannot be guessed from another; checked, so a mistyped one is caught
before anyone goes looking for it. People read references aloud and copy them by hand, so parsing
forgives case, spaces, dashes and the letters Crockford's alphabet leaves out for being mistaken for
digits (O for 0, I and L for 1).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE = len(ALPHABET)
RANDOM_LENGTH = 7
# DPC: a complaint about how the service handled personal data (an addition to design section 4).
PREFIXES = ("SPS", "SAR", "FOI", "DPC")

_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_./]+")


class InvalidReference(ValueError):
    """Base of the reference errors; the message is fit to show to the person who typed it."""


class NotAReference(InvalidReference):
    """The text is not the shape of a reference at all."""


class MistypedReference(InvalidReference):
    """The text has the shape of a reference but its check character does not match."""


@dataclass(frozen=True)
class Reference:
    prefix: str
    code: str  # the eight characters, check character last

    def __str__(self) -> str:
        return f"{self.prefix}-{self.code[:4]}-{self.code[4:]}"


def check_character(body: str) -> str:
    """The Luhn mod 32 check character for ``body`` (characters of ``ALPHABET``)."""
    total = 0
    factor = 2
    for symbol in reversed(body):
        addend = factor * _VALUE[symbol]
        total += addend // BASE + addend % BASE
        factor = 3 - factor
    return ALPHABET[(BASE - total % BASE) % BASE]


def is_valid_code(code: str) -> bool:
    """True when the last character of ``code`` is the check character of the rest."""
    return len(code) >= 2 and check_character(code[:-1]) == code[-1]


def generate(prefix: str = "SPS") -> Reference:
    """A new random reference; uniqueness is the database's job (a unique constraint)."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown reference prefix {prefix!r}")
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return Reference(prefix, body + check_character(body))


def parse(text: str, default_prefix: str = "SPS") -> Reference:
    """Read a reference as a person typed it.

    Raises ``NotAReference`` when the text cannot be a reference and ``MistypedReference`` when it
    could be one but its check character shows a character was mistyped.
    """
    compact = _SEPARATORS.sub("", text or "").upper()
    prefix = default_prefix
    for candidate in PREFIXES:
        if compact.startswith(candidate) and len(compact) > RANDOM_LENGTH + 1:
            prefix, compact = candidate, compact[len(candidate) :]
            break
    code = compact.translate(_LOOKALIKES)
    if len(code) != RANDOM_LENGTH + 1 or any(symbol not in _VALUE for symbol in code):
        raise NotAReference(f"Enter a reference in the format {prefix}-7K3Q-9XM2: {prefix} then 8 letters and numbers")
    if not is_valid_code(code):
        raise MistypedReference("That reference has a mistake in it: check each character and try again")
    return Reference(prefix, code)
