"""Staff passwords: argon2id hashes, and the rules a new password must meet.

Length is what makes a password strong (12 to 128 characters, any characters, no composition
rules, as NCSC advises); zxcvbn refuses the common and the guessable, and says why.
"""

from __future__ import annotations

import re
from dataclasses import astuple
from functools import cache
from typing import Any

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from zxcvbn import zxcvbn

PASSWORD_MIN = 12
PASSWORD_MAX = 128
# zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline slow-hash attacks".
MINIMUM_SCORE = 3


@cache
def _hasher_for(fields: tuple[Any, ...] | None) -> PasswordHasher:
    # None is argon2-cffi's own defaults (RFC 9106's low-memory profile), which follow the library
    # as it raises them; only the test configuration names other parameters. Keyed by the
    # parameters' fields because argon2's Parameters is a mutable, unhashable dataclass.
    return PasswordHasher() if fields is None else PasswordHasher.from_parameters(Parameters(*fields))


def hasher() -> PasswordHasher:
    """The hasher of the app in use: ``PASSWORD_HASH_PARAMETERS`` when it names any (the test
    configuration's cheap argon2id, so a suite that makes hundreds of accounts does not spend
    minutes hashing), else argon2-cffi's defaults. Outside an app, the defaults."""
    parameters = current_app.config.get("PASSWORD_HASH_PARAMETERS") if has_app_context() else None
    return _hasher_for(None if parameters is None else astuple(parameters))


class PasswordRejected(ValueError):
    """A new password does not meet the rules; the message says why, for the person choosing it."""


def check_new_password(password: str, personal: list[str] | None = None) -> None:
    """Refuse a password that is too short, too long, or easy to guess (``personal`` words, such
    as the person's name and e-mail address, count as guessable)."""
    if len(password) < PASSWORD_MIN:
        raise PasswordRejected(f"The password must be at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise PasswordRejected(f"The password must be {PASSWORD_MAX} characters or fewer.")
    # Names and addresses, word by word: zxcvbn matches whole inputs, and a password that holds
    # the person's own name is the first thing anyone would try.
    words = {word.casefold() for text in personal or [] for word in re.split(r"[\W_]+", text) if len(word) >= 4}
    if any(word in password.casefold() for word in words):
        raise PasswordRejected("Choose a password that does not contain your name or email address.")
    verdict = zxcvbn(password, user_inputs=sorted(words))
    if verdict["score"] < MINIMUM_SCORE:
        reason = verdict["feedback"]["warning"] or "It would be easy to guess."
        advice = " ".join(verdict["feedback"]["suggestions"]) or "Try a few unrelated words together."
        raise PasswordRejected(f"Choose a password that is harder to guess. {reason} {advice}".strip())


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with parameters other than the app's (argon2-cffi's defaults
    outside tests): a sign-in then stores a new hash of the password it has just checked."""
    return hasher().check_needs_rehash(password_hash)


# A fixed hash to verify against when the e-mail is unknown, so an unknown address takes as long
# to refuse as a wrong password and timing does not reveal who has an account.
# Made on first use rather than at import: hashing costs every process (each CLI command, each
# test worker) about a tenth of a second, and most never refuse a sign-in.
def dummy_hash() -> str:
    return _dummy_hash_for(hasher())


@cache
def _dummy_hash_for(made_by: PasswordHasher) -> str:
    # One per hasher: verifying it must cost what verifying a real account's hash costs.
    return made_by.hash("not a real password, only here to spend the time")
