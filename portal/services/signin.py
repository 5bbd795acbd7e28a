"""Staff sign-in: the password, then the second factor, each step audited.

Nothing here tells anyone who has an account. An unknown address, a deactivated account, a wrong
password and an account on hold all get the same answer after the same work: exactly one password
hash is checked on every path (a fixed dummy hash when there is no account to check, or it is on
hold), so neither the page nor its timing differs. Only someone who gave the right password reaches
the second step, so that step may say plainly that the account is on hold.

Guessing, and locking colleagues out (OWASP ASVS 4.0.3 2.2.1; 5.0 6.1.1 and 6.3.1, "anti-automation
... effective at mitigating ... account lockout attacks"). A lock after a few failures slows
guessing, but it also lets anyone who knows a colleague's address keep them out of their work for
as long as they like, by sending five wrong passwords every quarter of an hour. So there is no such
lock. Instead:

- Guessing from one place is slow: each sign-in step is rate limited per client address
  (``SIGN_IN_RATE_LIMIT``, on the routes), whichever accounts are tried.
- Guessing from everywhere is capped: an account takes at most ``CEILING`` failures, at either
  step, between two of its sign-ins. At the ceiling it is held for ``HOLD_HOURS``, and each failure
  after starts the hold again. A held account's password is not even checked for a browser it does
  not know, which gets the usual answer after the usual work; a browser the person has signed in
  from before (``KNOWN_BROWSER_DAYS``, a signed mark set at each sign-in and bound to the account's
  password) carries on as if there were no hold. This is ASVS's "first login on a device" kind of
  risk-based restriction, after OWASP's device cookies.
- The second step allows ``CODE_TRIES`` wrong codes in one half-done sign-in; then the password is
  asked for again. Its wrong codes count towards the ceiling too, and it keeps its own rate limit.

The trade-off chosen: while an account is held, its person cannot sign in from a browser they have
never used before (a new computer, cleared cookies) until the hold lapses or an administrator
reactivates the account, which clears it; and the sign-in page cannot tell them why, because it
would tell an attacker too. The audit log shows each refusal ("sign-in refused: locked"), so an
administrator who is asked can see what happened. In return nobody can keep a colleague out of the
browser they use every day, and a guesser spread over many addresses gets ``CEILING`` tries per
sign-in of the person and then one a day (ASVS 4.0.3 2.2.1 allows at most 100 an hour). A stolen
mark lets its holder past the hold and no further: the password, the code and the per-address
limits still stand, and a new password voids every mark made before it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature
from sqlalchemy import text

from portal.extensions import db
from portal.models.staff import StaffUser
from portal.services import audit, mfa
from portal.services.accounts import AccountError, find_by_email, new_password_hash
from portal.services.audit import Actor
from portal.services.clock import as_utc
from portal.services.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from portal.sessions import end_sessions_of, signed_serializer

CEILING = 100
HOLD_HOURS = 24
CODE_TRIES = 5
KNOWN_BROWSER_DAYS = 90
# Browsers share computers: the mark remembers this many accounts, the latest signed in first.
KNOWN_ACCOUNTS_PER_BROWSER = 5
# Between the password and the second factor the person is not signed in; the half-done sign-in
# lasts this long before they must start again.
PENDING_FOR = dt.timedelta(minutes=10)
KNOWN_BROWSER_SALT = "sps staff known browser"


class SignInRefused(Exception):
    """Base of the sign-in refusals; the message is fit to show on the sign-in page."""


class InvalidCredentials(SignInRefused):
    def __init__(self) -> None:
        super().__init__("Enter a correct email address and password")


class InvalidCode(SignInRefused):
    """A wrong code. ``still_pending`` is the half-done sign-in to carry on with, this try
    counted: the state kept before it no longer works."""

    def __init__(self, still_pending: PendingSignIn) -> None:
        self.still_pending = still_pending
        # Most wrong codes are right ones typed as the app moved on (pyotp's codes last 30 seconds).
        super().__init__(
            "That code is wrong. Codes change every 30 seconds: enter the code your authenticator app shows now, "
            "or an unused recovery code"
        )


class CodeTriesUsedUp(SignInRefused):
    def __init__(self) -> None:
        super().__init__("You entered too many wrong codes. Sign in again with your email address and password.")


class AccountLocked(SignInRefused):
    def __init__(self, until: dt.datetime) -> None:
        self.until = until
        super().__init__("This account is locked after too many failed attempts")


# Known browsers -----------------------------------------------------------------------------------


def _browser_mark(user: StaffUser) -> str:
    # The account and its current password hash (salted, so this says nothing of the password):
    # a new password makes every earlier mark of the account worthless.
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()


def _known_marks(cookie: str | None, now: dt.datetime) -> list[tuple[str, str]]:
    """(mark, when signed in) of each account the browser's cookie names, still in date."""
    if not cookie:
        return []
    try:
        entries = signed_serializer(current_app, KNOWN_BROWSER_SALT).loads(cookie)
        marks = [(str(mark), str(when)) for mark, when in entries]
        return [
            (mark, when)
            for mark, when in marks
            if now - dt.datetime.fromisoformat(when) <= dt.timedelta(days=KNOWN_BROWSER_DAYS)
        ]
    except (BadSignature, TypeError, ValueError):
        return []


def knows_browser(cookie: str | None, user: StaffUser, now: dt.datetime) -> bool:
    """True when the browser holding ``cookie`` signed in to this account within
    ``KNOWN_BROWSER_DAYS``, under its current password."""
    mark = _browser_mark(user)
    return any(hmac.compare_digest(known, mark) for known, _ in _known_marks(cookie, now))


def remember_browser(cookie: str | None, user: StaffUser, now: dt.datetime) -> str:
    """The browser's new cookie after signing in to ``user``: this account first, then the
    others it already knew, up to ``KNOWN_ACCOUNTS_PER_BROWSER``."""
    mark = _browser_mark(user)
    others = [entry for entry in _known_marks(cookie, now) if entry[0] != mark]
    entries = [(mark, now.isoformat()), *others][:KNOWN_ACCOUNTS_PER_BROWSER]
    return signed_serializer(current_app, KNOWN_BROWSER_SALT).dumps(entries)


# Holds ---------------------------------------------------------------------------------------------


def _held_until(user: StaffUser, browser: str | None, now: dt.datetime) -> dt.datetime | None:
    """When the account's hold ends, if it is held for this browser."""
    until = as_utc(user.locked_until) if user.locked_until else None
    if until is None or until <= now or knows_browser(browser, user, now):
        return None
    return until


def _failed(user: StaffUser, actor: Actor, step: str) -> None:
    """Count a failure, and at the ceiling hold the account (again) for browsers it does not know."""
    user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
    audit.record(actor, "sign-in failed", "staff_user", user.id, detail=step)
    if user.failed_sign_ins >= CEILING:
        was_held = user.locked_until is not None and as_utc(user.locked_until) > actor.at
        user.locked_until = actor.at + dt.timedelta(hours=HOLD_HOURS)
        if not was_held:
            audit.record(
                actor,
                "account locked",
                "staff_user",
                user.id,
                detail=f"{user.failed_sign_ins} failures since the last sign-in: held for browsers it does not know",
            )
    db.session.commit()


def _signed_in(user: StaffUser, actor: Actor, how: str) -> None:
    # The failures are forgotten, the hold is not: it keeps guessers out until it lapses.
    user.failed_sign_ins = 0
    audit.record(Actor(user.id, actor.client, actor.at), "signed in", "staff_user", user.id, detail=f"with {how}")
    db.session.commit()


# The half-done sign-in -------------------------------------------------------------------------------


def _account_state(user: StaffUser) -> str:
    """What a completed sign-in, a failure, or a change to the account's password or second
    factor changes: a half-done sign-in made before any of them no longer works."""
    unused = ",".join(str(code.id) for code in user.recovery_codes if code.used_at is None)
    state = f"{user.id}|{user.password_hash}|{user.totp_last_step}|{user.mfa_enrolled}|{unused}|{user.failed_sign_ins}"
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in half done: the password was right, the second factor is still to come. It lives
    in the browser's signed cookie, which its holder can copy and send again: bound to the
    account's state, a copy stops working once the sign-in completes or another code is tried."""

    user: StaffUser
    since: dt.datetime
    codes_tried: int = 0

    def state(self) -> dict[str, Any]:
        """What the session keeps of it."""
        return {
            "pending_user_id": self.user.id,
            "pending_since": self.since.isoformat(),
            "pending_codes_tried": self.codes_tried,
            "pending_check": _account_state(self.user),
        }


def sign_in_can_work() -> None:
    """Ask the database for nothing, to learn that it answers: a sign-in form offered while it is
    away would take a password only to fail, so the page answers 503 instead (the OperationalError
    raised here reaches the app's 503 page). The form itself needs no database, hence the ask."""
    db.session.execute(text("SELECT 1"))


def resume(state: Mapping[str, Any], now: dt.datetime) -> PendingSignIn | None:
    """The half-done sign-in ``state`` holds, if it is still good: under ``PENDING_FOR`` old, for
    an active account that has not changed since."""
    try:
        user_id = int(state["pending_user_id"])
        since = dt.datetime.fromisoformat(state["pending_since"])
        codes_tried = int(state["pending_codes_tried"])
        check = str(state["pending_check"])
    except (KeyError, TypeError, ValueError):
        return None
    if now - since > PENDING_FOR:
        return None
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.active or not hmac.compare_digest(check, _account_state(user)):
        return None
    return PendingSignIn(user, since, codes_tried)


# The two steps -----------------------------------------------------------------------------------------


def check_password(email: str, password: str, actor: Actor, browser: str | None = None) -> PendingSignIn:
    """The first step, from a browser holding the ``browser`` cookie (or none). Returns the
    half-done sign-in whose second factor is to be asked for next."""
    user = find_by_email(email) if email else None
    account = user if user is not None and user.active else None
    if account is None or _held_until(account, browser, actor.at):
        # The same work as checking a real password, so the refusal takes as long.
        verify_password(dummy_hash(), password)
        if account is None:
            audit.record(actor, "sign-in failed", "staff_user", user.id if user else None, detail="password")
        else:
            audit.record(actor, "sign-in refused: locked", "staff_user", account.id, detail="password not checked")
        db.session.commit()
        raise InvalidCredentials()
    if not verify_password(account.password_hash, password):
        _failed(account, actor, "password")
        raise InvalidCredentials()
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    audit.record(actor, "sign-in: password accepted", "staff_user", account.id)
    db.session.commit()
    return PendingSignIn(account, actor.at)


def check_second_factor(pending: PendingSignIn, code: str, actor: Actor, browser: str | None = None) -> str:
    """The second step, for an enrolled account: a TOTP code or an unused recovery code.
    Returns how the person signed in ("authenticator app" or "recovery code")."""
    user = pending.user
    until = _held_until(user, browser, actor.at)
    if until:
        audit.record(actor, "sign-in refused: locked", "staff_user", user.id, detail="code not checked")
        db.session.commit()
        raise AccountLocked(until)
    if user.totp_secret and mfa.accept_totp(user, user.totp_secret, code, actor.at):
        how = "authenticator app"
    elif mfa.use_recovery_code(user, code, actor.at):
        how = "recovery code"
    else:
        _failed(user, actor, "second factor")
        until = _held_until(user, browser, actor.at)
        if until:
            raise AccountLocked(until)
        if pending.codes_tried + 1 >= CODE_TRIES:
            raise CodeTriesUsedUp()
        raise InvalidCode(PendingSignIn(user, pending.since, pending.codes_tried + 1))
    _signed_in(user, actor, how)
    return how


def confirm_current_password(user: StaffUser, password: str, actor: Actor, now: dt.datetime) -> bool:
    """The current password asked for before a change to the account's security, by someone
    already signed in. Wrong guesses count towards the ceiling, as at sign-in: a stolen session
    must not become a way to guess the password without limit."""
    if verify_password(user.password_hash, password):
        return True
    _failed(user, Actor(actor.staff_id, actor.client, now), "current password")
    return False


def change_own_password(user: StaffUser, current: str, new: str, actor: Actor, keep_token: str | None) -> None:
    """The person's own change: the current password first (wrong guesses count towards the
    ceiling); their other sessions end, the one making the change carries on."""
    if not confirm_current_password(user, current, actor, actor.at):
        raise AccountError("Your current password is not correct.", "current")
    user.password_hash = new_password_hash(new, user.name, user.email)
    audit.record(actor, "password changed", "staff_user", user.id)
    db.session.commit()
    end_sessions_of(user.id, keep_token=keep_token)


def sign_out(user_id: int, actor: Actor) -> None:
    audit.record(actor, "signed out", "staff_user", user_id)
    db.session.commit()
