"""Sealing a form's answers into the page between the form and its check-answers step.

Nothing is stored before the person confirms (design 6.1), so the answers travel with the page:
encrypted and authenticated under a key derived from ``SECRET_KEY``, so they cannot be read from
the page source or altered, and the server keeps nothing if the person walks away.
"""

from __future__ import annotations

import base64
import json
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

Answers = list[tuple[str, str]]


class SealBroken(Exception):
    """The sealed answers were altered, truncated or sealed under another key."""


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"sps-portal sealed answers v1").derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, answers: Answers, submission_key: str | None = None) -> str:
    """Seal the form's raw answers with a one-time submission key (new unless given)."""
    payload = {"answers": answers, "submission_key": submission_key or secrets.token_urlsafe(24)}
    return _fernet(secret_key).encrypt(json.dumps(payload, ensure_ascii=False).encode("utf-8")).decode("ascii")


def unseal(secret_key: str, token: str) -> tuple[Answers, str]:
    """The answers and submission key inside ``token``."""
    try:
        payload = json.loads(_fernet(secret_key).decrypt(token.encode("ascii")))
        answers = [(str(name), str(value)) for name, value in payload["answers"]]
        return answers, str(payload["submission_key"])
    except (InvalidToken, UnicodeError, ValueError, KeyError, TypeError) as error:
        raise SealBroken("the sealed answers could not be read") from error
