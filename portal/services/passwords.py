"""Staff passwords: argon2id hashes, and the rules a new password must meet.

Length is what makes a password strong (12 to 128 characters, any characters, no composition
rules, as NCSC advises); zxcvbn refuses the common and the guessable, and says why.
"""

from __future__ import annotations

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

PASSWORD_MIN = 12
PASSWORD_MAX = 128
# zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline slow-hash attacks".
MINIMUM_SCORE = 3

_hasher = PasswordHasher()


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
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with parameters other than today's (argon2-cffi's defaults)."""
    return _hasher.check_needs_rehash(password_hash)


# A fixed hash to verify against when the e-mail is unknown, so an unknown address takes as long
# to refuse as a wrong password and timing does not reveal who has an account.
# Made on first use rather than at import: hashing costs every process (each CLI command, each
# test worker) about a tenth of a second, and most never refuse a sign-in.
@cache
def dummy_hash() -> str:
    return _hasher.hash("not a real password, only here to spend the time")
