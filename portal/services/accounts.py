"""Staff accounts: creation with argon2id password hashes.

Sign-in, second factors and sessions arrive with the back office; this module owns the rules an
account must meet from the first day (a known role, a unique e-mail, a password of 12 to 128
characters), so the command line and the later admin pages cannot disagree.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from email_validator import EmailNotValidError, validate_email

from portal.crypto import keyring, normalise_email
from portal.extensions import db
from portal.models.staff import ROLES, StaffUser

PASSWORD_MIN = 12
PASSWORD_MAX = 128

_hasher = PasswordHasher()


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"The password must be at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"The password must be {PASSWORD_MAX} characters or fewer.")


def find_by_email(email: str) -> StaffUser | None:
    hashes = keyring().lookup_hashes(normalise_email(email))
    return db.session.scalars(db.select(StaffUser).where(StaffUser.email_hash.in_(hashes))).first()


def create_user(email: str, name: str, roles: list[str], password: str) -> StaffUser:
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise AccountError(f"The e-mail address is not valid: {error}") from None
    name = name.strip()
    if not name:
        raise AccountError("Enter the person's name.")
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise AccountError(f"Give one or more roles from: {', '.join(ROLES)}.")
    check_password_rules(password)
    if find_by_email(email) is not None:
        raise AccountError(f"There is already an account for {email}.")
    user = StaffUser(
        email=email,
        email_hash=keyring().lookup_hash(normalise_email(email)),
        name=name,
        roles=" ".join(role for role in ROLES if role in roles),
        password_hash=_hasher.hash(password),
    )
    db.session.add(user)
    db.session.commit()
    return user


def set_password(user: StaffUser, password: str) -> None:
    check_password_rules(password)
    user.password_hash = _hasher.hash(password)
    db.session.commit()


def generated_password() -> str:
    return secrets.token_urlsafe(15)
