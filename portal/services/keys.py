"""Key rotation: re-encrypt personal data, and re-key look-up hashes, under the first key.

Run after putting a new key first in ``PORTAL_ENCRYPTION_KEYS``. Until it finishes every row stays
readable (all keys decrypt) and findable (look-ups try every key); once it has run, the old key
can be removed from the list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm.attributes import flag_modified

from portal.crypto import EncryptedDate, EncryptedText, keyring, normalise_email
from portal.extensions import db
from portal.models import InformationRequest, Person, Referral, StaffUser
from portal.models.referrals import PERSON_LOOKUP_HASHES, person_lookup_keys

BATCH = 500


def _person_key(column: str) -> Callable[[Any], str | None]:
    return lambda row: person_lookup_keys(row.full_name, row.date_of_birth, row.postcode)[column]


# Each look-up hash column and the plaintext it hashes.
LOOKUP_HASHES: dict[type, dict[str, Callable[[Any], str | None]]] = {
    Referral: {"reference_hash": lambda row: row.reference},
    Person: {
        "email_hash": lambda row: normalise_email(row.email) if row.email else None,
        **{column: _person_key(column) for column in PERSON_LOOKUP_HASHES},
    },
    InformationRequest: {"reference_hash": lambda row: row.reference},
    StaffUser: {"email_hash": lambda row: normalise_email(row.email)},
}


def encrypted_columns(model: type) -> list[str]:
    return [
        column.key
        for column in model.__table__.columns  # type: ignore[attr-defined]
        if isinstance(column.type, (EncryptedText, EncryptedDate))
    ]


def rotate_all() -> dict[str, int]:
    """Rotate every model that holds encrypted columns; returns rows rewritten per table."""
    counts = {}
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        columns = encrypted_columns(model)
        if columns:
            counts[model.__tablename__] = _rotate(model, columns, LOOKUP_HASHES.get(model, {}))
    return counts


def _rotate(model: type, columns: list[str], hashes: dict[str, Callable[[Any], str | None]]) -> int:
    rewritten = 0
    last_id = 0
    ring = keyring()
    while True:
        rows = db.session.scalars(
            db.select(model).where(model.id > last_id).order_by(model.id).limit(BATCH)  # type: ignore[attr-defined]
        ).all()
        if not rows:
            return rewritten
        for row in rows:
            for column in columns:
                # Loading decrypted with whichever key fits; marking the attribute modified makes
                # SQLAlchemy write it back, and writing always encrypts under the first key.
                flag_modified(row, column)
            for column, plaintext in hashes.items():
                value = plaintext(row)
                setattr(row, column, ring.lookup_hash(value) if value is not None else None)
        db.session.commit()
        rewritten += len(rows)
        last_id = rows[-1].id
