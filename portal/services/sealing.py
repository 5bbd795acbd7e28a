"""Sealing a form's answers while the person is still answering and checking them.

Nothing is stored before the person confirms (design 6.1), so the answers travel with the
person's browser (``portal.public.answers`` keeps them in cookies): compressed, then encrypted and
authenticated under a key derived from ``SECRET_KEY``, so they cannot be read from the browser or
altered, and the server keeps nothing if the person walks away. A seal is good for ``KEPT_FOR``
from the moment it was made, by the portal's clock: answers left on a shared computer do not wait
there for the next person for ever.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import zlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

Answers = list[tuple[str, str]]

# Long enough to fill in the longest journey with interruptions, short enough that answers left
# behind in a browser are gone by the end of a library's session.
KEPT_FOR = dt.timedelta(hours=3)
# Every answer together is a few tens of kilobytes at most (the forms limit each box); a seal that
# opens to more than this was not made by the portal, however it was authenticated.
MAX_OPENED_BYTES = 256 * 1024


class SealBroken(Exception):
    """The sealed answers were altered, truncated or sealed under another key."""


class SealExpired(SealBroken):
    """The sealed answers are older than ``KEPT_FOR`` (or dated in the future)."""


@dataclass(frozen=True)
class Sealed:
    answers: Answers
    # One per journey's answers, kept across changes to them: however often "send" is pressed,
    # one record is stored (portal.services.intake.store_once).
    submission_key: str


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"sps-portal sealed answers v2").derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, sealed: Sealed, now: dt.datetime) -> str:
    """``sealed`` compressed (free text up to 5,000 characters a box) and encrypted, dated ``now``."""
    payload = json.dumps({"answers": sealed.answers, "submission_key": sealed.submission_key}, ensure_ascii=False)
    compressed = zlib.compress(payload.encode("utf-8"), level=9)
    return _fernet(secret_key).encrypt_at_time(compressed, int(now.timestamp())).decode("ascii")


def unseal(secret_key: str, token: str, now: dt.datetime) -> Sealed:
    """The answers and submission key inside ``token``, if it was sealed within ``KEPT_FOR`` of ``now``."""
    fernet = _fernet(secret_key)
    try:
        compressed = fernet.decrypt_at_time(token.encode("ascii"), int(KEPT_FOR.total_seconds()), int(now.timestamp()))
    except InvalidToken as error:
        # Authentic but too old (or sealed in the future): the same answers, out of date.
        try:
            fernet.extract_timestamp(token.encode("ascii"))
        except (InvalidToken, UnicodeError):
            raise SealBroken("the sealed answers could not be read") from error
        raise SealExpired("the sealed answers are out of date") from error
    except UnicodeError as error:
        raise SealBroken("the sealed answers could not be read") from error
    try:
        opener = zlib.decompressobj()
        opened = opener.decompress(compressed, MAX_OPENED_BYTES)
        if opener.unconsumed_tail or not opener.eof:
            raise ValueError("more answers than any form holds")
        payload = json.loads(opened.decode("utf-8"))
        answers = [(str(name), str(value)) for name, value in payload["answers"]]
        return Sealed(answers, str(payload["submission_key"]))
    except (zlib.error, UnicodeError, ValueError, KeyError, TypeError) as error:
        raise SealBroken("the sealed answers could not be read") from error
