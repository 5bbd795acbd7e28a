"""The person's side of a set-up link (see ``accounts`` for the administrator's): they choose a
password if their account has no usable one, then enrol an authenticator if it has none. Each
step is saved as it is done; the link is spent (deleted) only when nothing is left to set up, so
a person who stops half-way carries on with the same link until it expires.

Whoever holds the link is taken to be the person: it went to their work address. A link alone
never gives a signed-in session; set-up ends at the sign-in page, where the password and the new
authenticator are both asked for. Every step is audited as the person, and never with the token.
"""

from __future__ import annotations

from portal.extensions import db
from portal.models.staff import SetUpLink, StaffUser
from portal.services import accounts, audit, mfa
from portal.services.audit import Actor
from portal.services.clock import as_utc
from portal.sessions import end_sessions_of

# secrets.token_urlsafe(32) makes 43 characters; anything much longer is not a token of ours.
LONGEST_TOKEN = 64


class LinkUnusable(LookupError):
    """No set-up link answers to this token: never issued, already used, replaced by a newer one,
    or (``expired``) past its time."""

    def __init__(self, expired: bool) -> None:
        self.expired = expired
        super().__init__("This set-up link has expired." if expired else "This set-up link is not valid.")


class InvalidEnrolmentCode(ValueError):
    def __init__(self) -> None:
        super().__init__("Enter the 6-digit code your authenticator app shows for this account")


def open_link(token: str, actor: Actor) -> SetUpLink:
    """The link this token opens, if it still works for an active account with something left to
    set up (LinkUnusable says why not)."""
    if not token or len(token) > LONGEST_TOKEN:
        raise LinkUnusable(expired=False)
    link = db.session.scalars(
        db.select(SetUpLink).where(SetUpLink.token_sha256 == accounts.token_digest(token))
    ).first()
    if link is None or not link.user.active or (link.user.has_password and link.user.mfa_enrolled):
        raise LinkUnusable(expired=False)
    if as_utc(link.expires_at) <= actor.at:
        raise LinkUnusable(expired=True)
    return link


def needs_password(link: SetUpLink) -> bool:
    return not link.user.has_password


def _as_person(user: StaffUser, actor: Actor) -> Actor:
    # Before sign-in the request has nobody to name; the link's holder acts as its person.
    return Actor(user.id, actor.client, actor.at)


def _spend(link: SetUpLink, person: Actor) -> None:
    audit.record(person, "set-up link used", "staff_user", link.user_id, detail=link.purpose)
    db.session.delete(link)


def choose_password(link: SetUpLink, password: str, actor: Actor) -> bool:
    """The person's new password (the rules of ``passwords``; AccountError says why not). Any
    session of theirs ends. True when that completes set-up: their authenticator is already set
    up (after a password reset), so the link is spent."""
    user = link.user
    person = _as_person(user, actor)
    accounts.chosen_password(user, password, person)
    complete = user.mfa_enrolled
    if complete:
        _spend(link, person)
    db.session.commit()
    end_sessions_of(user.id)
    return complete


def enrol_authenticator(link: SetUpLink, secret: str, code: str, actor: Actor) -> list[str]:
    """The authenticator counts once a code from ``secret`` is confirmed; set-up is then complete
    and the link spent. Returns ten recovery codes, to be shown once."""
    user = link.user
    if not mfa.accept_totp(user, secret, code, actor.at, new_secret=True):
        raise InvalidEnrolmentCode()
    person = _as_person(user, actor)
    user.totp_secret = secret
    user.totp_confirmed_at = actor.at
    codes = mfa.new_recovery_codes(user)
    audit.record(person, "second factor enrolled", "staff_user", user.id, detail="with a set-up link")
    _spend(link, person)
    db.session.commit()
    end_sessions_of(user.id)
    return codes


def refuse_enrolment_without_link(user: StaffUser, actor: Actor) -> None:
    """A correct password for an account with no authenticator: nobody enrols one with a password
    alone (after a second-factor reset, whoever knows the password could otherwise add their own
    phone), so the sign-in stops here and is audited."""
    audit.record(actor, "sign-in refused: no authenticator", "staff_user", user.id)
    db.session.commit()
