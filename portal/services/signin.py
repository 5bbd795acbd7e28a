"""Staff sign-in: password, then the second factor, with lockout and an audit entry for each step.

Unknown addresses, deactivated accounts and wrong passwords all get the same answer, after the
same work (a password hash is checked either way), so the sign-in page does not tell anyone who
has an account. Repeated failures, on either step, lock the account for a while; the lock is
shown as such, because a person locked out needs to know to wait or to call an administrator.
"""

from __future__ import annotations

import datetime as dt

from portal.extensions import db
from portal.models.staff import StaffUser
from portal.services import audit, mfa
from portal.services.accounts import AccountError, find_by_email, new_password_hash
from portal.services.audit import Actor
from portal.services.clock import as_utc
from portal.services.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from portal.sessions import end_sessions_of

MAX_FAILURES = 5
LOCK_MINUTES = 15


class SignInRefused(Exception):
    """Base of the sign-in refusals; the message is fit to show on the sign-in page."""


class InvalidCredentials(SignInRefused):
    def __init__(self) -> None:
        super().__init__("Enter a correct email address and password")


class InvalidCode(SignInRefused):
    def __init__(self) -> None:
        super().__init__("Enter a correct code from your authenticator app, or an unused recovery code")


class InvalidEnrolmentCode(SignInRefused):
    def __init__(self) -> None:
        super().__init__("Enter the 6-digit code your authenticator app shows for this account")


class AccountLocked(SignInRefused):
    def __init__(self, until: dt.datetime) -> None:
        self.until = until
        super().__init__("This account is locked after too many failed attempts")


def locked_until(user: StaffUser, now: dt.datetime) -> dt.datetime | None:
    until = as_utc(user.locked_until) if user.locked_until else None
    return until if until and until > now else None


def _refuse_if_locked(user: StaffUser, actor: Actor, now: dt.datetime) -> None:
    until = locked_until(user, now)
    if until:
        audit.record(actor, "sign-in refused: locked", "staff_user", user.id)
        db.session.commit()
        raise AccountLocked(until)


def _failed(user: StaffUser, actor: Actor, now: dt.datetime, step: str, refusal: SignInRefused) -> None:
    user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
    audit.record(actor, f"sign-in failed: {step}", "staff_user", user.id)
    if user.failed_sign_ins >= MAX_FAILURES:
        until = now + dt.timedelta(minutes=LOCK_MINUTES)
        user.failed_sign_ins = 0
        user.locked_until = until
        audit.record(actor, "account locked", "staff_user", user.id, detail=f"{MAX_FAILURES} failures")
        db.session.commit()
        raise AccountLocked(until)
    db.session.commit()
    raise refusal


def check_password(email: str, password: str, actor: Actor, now: dt.datetime) -> StaffUser:
    """The first step. Returns the account whose second factor is to be asked for next."""
    user = find_by_email(email) if email else None
    if user is None or not user.active:
        verify_password(user.password_hash if user else dummy_hash(), password)
        audit.record(actor, "sign-in failed: password", "staff_user", user.id if user else None)
        db.session.commit()
        raise InvalidCredentials()
    _refuse_if_locked(user, actor, now)
    if not verify_password(user.password_hash, password):
        _failed(user, actor, now, "password", InvalidCredentials())
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(actor, "sign-in: password accepted", "staff_user", user.id)
    db.session.commit()
    return user


def check_second_factor(user: StaffUser, code: str, actor: Actor, now: dt.datetime) -> str:
    """The second step, for an enrolled account: a TOTP code or an unused recovery code.
    Returns how the person signed in ("authenticator app" or "recovery code")."""
    _refuse_if_locked(user, actor, now)
    if user.totp_secret and mfa.accept_totp(user, user.totp_secret, code, now):
        how = "authenticator app"
    elif mfa.use_recovery_code(user, code, now):
        how = "recovery code"
    else:
        _failed(user, actor, now, "second factor", InvalidCode())
    user.failed_sign_ins = 0
    signed_in = Actor(user.id, actor.client, actor.at)
    audit.record(signed_in, "signed in", "staff_user", user.id, detail=f"with {how}")
    db.session.commit()
    return how


def confirm_enrolment(user: StaffUser, secret: str, code: str, actor: Actor, now: dt.datetime) -> list[str]:
    """First sign-in: the authenticator counts once a code from it is confirmed. Returns the ten
    recovery codes, to be shown once."""
    _refuse_if_locked(user, actor, now)
    if not mfa.accept_totp(user, secret, code, now, new_secret=True):
        _failed(user, actor, now, "enrolment code", InvalidEnrolmentCode())
    user.totp_secret = secret
    user.totp_confirmed_at = now
    user.failed_sign_ins = 0
    codes = mfa.new_recovery_codes(user)
    signed_in = Actor(user.id, actor.client, actor.at)
    audit.record(signed_in, "second factor enrolled", "staff_user", user.id)
    audit.record(signed_in, "signed in", "staff_user", user.id, detail="after enrolling")
    db.session.commit()
    return codes


def confirm_current_password(user: StaffUser, password: str, actor: Actor, now: dt.datetime) -> bool:
    """The current password asked for before a change to the account's security, by someone
    already signed in. Wrong guesses count towards the lock, as at sign-in: a stolen session
    must not become a way to guess the password without limit."""
    if verify_password(user.password_hash, password):
        return True
    try:
        _failed(user, actor, now, "current password", InvalidCredentials())
    except SignInRefused:
        return False
    return False


def change_own_password(user: StaffUser, current: str, new: str, actor: Actor, keep_token: str | None) -> None:
    """The person's own change: the current password first (wrong guesses count towards the
    lock); their other sessions end, the one making the change carries on."""
    if not confirm_current_password(user, current, actor, actor.at):
        raise AccountError("Your current password is not correct.", "current")
    user.password_hash = new_password_hash(new, user.name, user.email)
    audit.record(actor, "password changed", "staff_user", user.id)
    db.session.commit()
    end_sessions_of(user.id, keep_token=keep_token)


def sign_out(user_id: int, actor: Actor) -> None:
    audit.record(actor, "signed out", "staff_user", user_id)
    db.session.commit()
