"""Staff accounts: creation, roles, deactivation, second-factor reset, password change, and the
training and Volunteer Agreement records that gate access to personal data (design 6.9).

Each change is audited. Deactivating someone, resetting their second factor or changing their
password ends their sessions in every app process (sessions live in the database).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email

from portal.crypto import keyring, normalise_email
from portal.extensions import db
from portal.models.staff import StaffUser
from portal.services import audit, mfa
from portal.services.audit import Actor
from portal.services.clock import add_months, long_date
from portal.services.passwords import (
    PasswordRejected,
    check_new_password,
    hash_password,
)
from portal.services.roles import ROLES, can
from portal.sessions import end_sessions_of


class AccountError(ValueError):
    """An account cannot be created or changed as asked. ``problems`` maps each form field to
    what is wrong with it; the message joins them."""

    def __init__(self, message: str, field: str = "", problems: dict[str, str] | None = None) -> None:
        self.problems = problems or {field: message}
        super().__init__(" ".join(self.problems.values()))


def find_by_email(email: str) -> StaffUser | None:
    hashes = keyring().lookup_hashes(normalise_email(email))
    return db.session.scalars(db.select(StaffUser).where(StaffUser.email_hash.in_(hashes))).first()


def _roles(roles: list[str]) -> str:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise AccountError(f"Give one or more roles from: {', '.join(ROLES)}.", "roles")
    return " ".join(role for role in ROLES if role in roles)


def new_password_hash(password: str, name: str, email: str) -> str:
    """The hash of a new password, once it meets the rules (AccountError says why not)."""
    try:
        check_new_password(password, personal=[name, email.split("@")[0]])
    except PasswordRejected as error:
        raise AccountError(str(error), "password") from None
    return hash_password(password)


def create_user(
    email: str,
    name: str,
    roles: list[str],
    password: str,
    actor: Actor,
    trained_on: dt.date | None = None,
) -> StaffUser:
    problems = {}
    name = " ".join(name.split())
    if not name:
        problems["name"] = "Enter the person's full name."
    elif len(name) > 100:
        problems["name"] = "The name must be 100 characters or fewer."
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        problems["email"] = "Enter an email address in the correct format, like name@example.com."
    else:
        if find_by_email(email) is not None:
            problems["email"] = f"There is already an account for {email}."
    try:
        role_text = _roles(roles)
    except AccountError as error:
        problems.update(error.problems)
    if problems:
        raise AccountError("", problems=problems)
    password_hash = new_password_hash(password, name, email)
    user = StaffUser(
        email=email,
        email_hash=keyring().lookup_hash(normalise_email(email)),
        name=name,
        roles=role_text,
        password_hash=password_hash,
        training_completed_on=trained_on,
        created_at=actor.at,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "account created", "staff_user", user.id, detail=f"roles: {role_text}")
    db.session.commit()
    return user


def set_password(user: StaffUser, password: str, actor: Actor) -> None:
    """An administrator's reset (or the demo account's): every session of the person ends."""
    user.password_hash = new_password_hash(password, user.name, user.email)
    audit.record(actor, "password reset", "staff_user", user.id)
    db.session.commit()
    end_sessions_of(user.id)


def replace_second_factor(user: StaffUser, secret: str, actor: Actor) -> list[str]:
    """The person's own new authenticator, already confirmed with a code; returns new recovery
    codes (the old ones stop working)."""
    user.totp_secret = secret
    user.totp_confirmed_at = actor.at
    codes = mfa.new_recovery_codes(user)
    audit.record(actor, "second factor changed", "staff_user", user.id)
    db.session.commit()
    return codes


def change_roles(user: StaffUser, roles: list[str], actor: Actor) -> None:
    user.roles = _roles(roles)
    audit.record(actor, "roles changed", "staff_user", user.id, detail=f"roles: {user.roles}")
    db.session.commit()


def deactivate(user: StaffUser, actor: Actor) -> None:
    if user.id == actor.staff_id:
        raise AccountError("You cannot deactivate your own account.", "active")
    user.active = False
    audit.record(actor, "account deactivated", "staff_user", user.id)
    db.session.commit()
    end_sessions_of(user.id)


def reactivate(user: StaffUser, actor: Actor) -> None:
    user.active = True
    user.failed_sign_ins = 0
    user.locked_until = None
    audit.record(actor, "account reactivated", "staff_user", user.id)
    db.session.commit()


def reset_mfa(user: StaffUser, actor: Actor) -> None:
    """The person enrols a new authenticator at their next sign-in; their sessions end now."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.recovery_codes = []
    audit.record(actor, "second factor reset", "staff_user", user.id)
    db.session.commit()
    end_sessions_of(user.id)


def record_training(user: StaffUser, completed_on: dt.date, today: dt.date, actor: Actor) -> None:
    if completed_on > today:
        raise AccountError("The training date must be today or in the past.", "trained_on")
    user.training_completed_on = completed_on
    audit.record(actor, "training recorded", "staff_user", user.id, detail=completed_on.isoformat())
    db.session.commit()


def record_agreement(user: StaffUser, version: str, actor: Actor) -> None:
    version = version.strip()
    if not version or len(version) > 16:
        raise AccountError("Enter the version of the Volunteer Agreement signed, up to 16 characters.", "version")
    user.volunteer_agreement_version = version
    audit.record(actor, "volunteer agreement recorded", "staff_user", user.id, detail=version)
    db.session.commit()


def training_expires_on(user: StaffUser, valid_months: int) -> dt.date | None:
    if user.training_completed_on is None:
        return None
    return add_months(user.training_completed_on, valid_months)


def access_gaps(user: StaffUser, today: dt.date, valid_months: int, agreement_version: str) -> list[str]:
    """What stands between this person and personal data (policy: training, and for volunteers the
    current Volunteer Agreement, before access). Empty when nothing does."""
    gaps = []
    expires = training_expires_on(user, valid_months)
    if expires is None:
        gaps.append("Your confidentiality training has not been recorded.")
    elif expires <= today:
        gaps.append(f"Your confidentiality training expired on {long_date(expires)}.")
    if can(user, "sign_volunteer_agreement") and user.volunteer_agreement_version != agreement_version:
        gaps.append(f"You have not signed the current Volunteer Agreement (version {agreement_version}).")
    return gaps


def generated_password() -> str:
    return secrets.token_urlsafe(15)


def staff_names(ids: Iterable[int | None]) -> dict[int, str]:
    """The names of the staff with these ids (blanks skipped), in one query."""
    wanted = {staff_id for staff_id in ids if staff_id is not None}
    if not wanted:
        return {}
    return {user.id: user.name for user in db.session.scalars(db.select(StaffUser).where(StaffUser.id.in_(wanted)))}
