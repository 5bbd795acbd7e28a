"""Field-level encryption of personal data and keyed hashes for equality look-ups.

Every personal field is stored as a Fernet token. ``PORTAL_ENCRYPTION_KEYS`` is an ordered list:
the first key encrypts, every key decrypts (MultiFernet), so a new key can be put first and old
rows re-encrypted at leisure with ``flask rotate-keys``.

Columns that must be found by equality (a reference, an e-mail address) also store an HMAC of the
normalised value. The HMAC key of each Fernet key is derived from it, so the database never holds
a plaintext or an unkeyed hash that could be tested against guesses. A look-up hashes the value
under every key, so rows written before a rotation are still found until they are re-hashed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import unicodedata
from functools import cached_property
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.types import TypeDecorator


def _derive(key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(base64.urlsafe_b64decode(key))


class Keyring:
    """The app's encryption keys, in order of preference."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self.keys = list(keys)

    @cached_property
    def _fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(key) for key in self.keys])

    @cached_property
    def _hash_keys(self) -> list[bytes]:
        return [_derive(key, b"sps-portal lookup hash v1") for key in self.keys]

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")

    def encrypt_bytes(self, plaintext: bytes) -> bytes:
        """A whole file (a finished PDF waiting for its download) as one Fernet token."""
        return self._fernet.encrypt(plaintext)

    def decrypt_bytes(self, token: bytes) -> bytes:
        return self._fernet.decrypt(token)

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the first key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def lookup_hash(self, normalised: str) -> str:
        """The keyed hash stored beside an encrypted value, under the current key."""
        return self._hmac(self._hash_keys[0], normalised)

    def lookup_hashes(self, normalised: str) -> list[str]:
        """Every hash a stored row may carry for ``normalised``, newest key first."""
        return [self._hmac(key, normalised) for key in self._hash_keys]

    @staticmethod
    def _hmac(key: bytes, normalised: str) -> str:
        return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def keyring() -> Keyring:
    return current_app.extensions["portal_keyring"]


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def identity_key(full_name: str, date_of_birth: dt.date) -> str:
    """What a person's name-and-birthday look-up hash is made from. Only letters and digits count,
    so case, spacing, hyphens and apostrophes do not stop "Ann-Marie O'Neil" matching
    "ann marie oneil"; the data protection team confirms every match by reading it."""
    return f"{name_letters(full_name)}|{date_of_birth.isoformat()}"


def postcode_letters(postcode: str) -> str:
    """A postcode reduced to its letters and digits in capitals: "ba1 1aa" finds "BA1 1AA"."""
    return "".join(char for char in unicodedata.normalize("NFKC", postcode).upper() if char.isalnum())


def name_letters(full_name: str) -> str:
    """A name reduced to its letters and digits, case folded: what two spellings of one name share."""
    return "".join(char for char in unicodedata.normalize("NFKC", full_name).casefold() if char.isalnum())


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token; ``None`` stays ``NULL``."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return keyring().encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        try:
            return keyring().decrypt(value)
        except InvalidToken:
            raise InvalidToken(
                "a stored value cannot be decrypted with PORTAL_ENCRYPTION_KEYS; "
                "is a retired key missing from the list?"
            ) from None


class EncryptedDate(TypeDecorator[dt.date]):
    """A date stored encrypted as its ISO form (a date of birth is personal data)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return keyring().encrypt(value.isoformat())

    def process_result_value(self, value: Any, dialect: Any) -> dt.date | None:
        if value is None:
            return None
        return dt.date.fromisoformat(keyring().decrypt(value))


LookupHash = String(64)


def render_encrypted_as_text(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic autogenerate hook: migrations describe encrypted columns as the ``Text`` they are
    stored as, so a migration never imports application code that may later change."""
    if type_ == "type" and isinstance(obj, (EncryptedText, EncryptedDate)):
        return "sa.Text()"
    return False
