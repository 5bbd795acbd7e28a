"""Storing what the public sends exactly once, under a fresh random reference.

The check-answers page carries a one-time submission key: a double click or a resent page finds
the row it already made instead of making a second one. Only the key's digest is stored: the key
is 192 random bits, so a plain digest cannot be reversed by guessing, and (unlike the personal
look-ups) it needs no secret key, so no re-keying when keys rotate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.crypto import keyring
from portal.extensions import db
from portal.services import references

Row = TypeVar("Row", bound=Any)


def submission_key_hash(submission_key: str) -> str:
    return hashlib.sha256(submission_key.encode("utf-8")).hexdigest()


def find_by_submission_key(model: type[Row], submission_key: str) -> Row | None:
    return db.session.scalars(
        select(model).where(model.submission_key_hash == submission_key_hash(submission_key))
    ).first()


def store_once(model: type[Row], prefix: str, submission_key: str, build: Callable[[], Row]) -> tuple[Row, bool]:
    """The row stored for this submission key, and whether this call made it. A clash on the
    reference (vanishingly rare) is retried with another; a clash on the submission key means a
    concurrent resend stored it first."""
    for _ in range(5):
        existing = find_by_submission_key(model, submission_key)
        if existing is not None:
            return existing, False
        reference = str(references.generate(prefix))
        row = build()
        row.reference = reference
        row.reference_hash = keyring().lookup_hash(reference)
        row.submission_key_hash = submission_key_hash(submission_key)
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        return row, True
    raise RuntimeError(f"could not store the {model.__tablename__} row after several attempts")
