"""Staff accounts: creation, roles, deactivation, set-up links, and the training and Volunteer
Agreement records that gate access to personal data (design 6.9).

Separation of duties (design 5): nobody changes their own roles, second factor, password, training
or Volunteer Agreement, nor deactivates themselves; the attempt is refused (``OwnAccount``) and
audited. Nobody but the person ever knows a usable password of theirs: a new account, an
administrator's password reset and a second-factor reset each give a single-use set-up link, sent
to the person's work address, with which they choose their password and enrol their authenticator
(``portal.services.set_up``). The administrator is told where it went and until when, never the
link, so they cannot use it themselves.

Each change is audited. A reset ends the person's sessions in every app process (sessions live in
the database), as deactivating them does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete

from portal.crypto import keyring, normalise_email
from portal.extensions import db
from portal.models.staff import SetUpLink, StaffUser
from portal.services import audit, mfa
from portal.services.audit import Actor
from portal.services.clock import add_months, as_utc, london_datetime, long_date
from portal.services.mail import Mailer
from portal.services.passwords import (
    PasswordRejected,
    check_new_password,
    hash_password,
)
from portal.services.roles import ROLES, can
from portal.sessions import end_sessions_of

NEW_ACCOUNT = "new account"
PASSWORD_RESET = "password reset"  # noqa: S105 - what a set-up link is for, not a password
SECOND_FACTOR_RESET = "second factor reset"
LINK_SUBJECT = "Set up your SEND Partnership Service back office account"
WHY_SENT = {
    NEW_ACCOUNT: "An account has been made for you on the SEND Partnership Service back office.",
    PASSWORD_RESET: "An administrator has reset your password for the SEND Partnership Service back office.",
    SECOND_FACTOR_RESET: (
        "An administrator has reset the authenticator app of your SEND Partnership Service back office account."
    ),
}


class AccountError(ValueError):
    """An account cannot be created or changed as asked. ``problems`` maps each form field to
    what is wrong with it; the message joins them."""

    def __init__(self, message: str, field: str = "", problems: dict[str, str] | None = None) -> None:
        self.problems = problems or {field: message}
        super().__init__(" ".join(self.problems.values()))


class OwnAccount(PermissionError):
    """A change to one's own account, which separation of duties leaves to another administrator;
    the message says so, fit to show."""

    def __init__(self, attempted: str) -> None:
        self.attempted = attempted
        super().__init__(
            f"Another administrator must {attempted}. Nobody changes their own roles, second factor, password, "
            "training or Volunteer Agreement, or deactivates their own account."
        )


@dataclass(frozen=True)
class IssuedLink:
    """A set-up link just made. ``token`` is the only copy there will ever be: the database keeps
    its digest."""

    user: StaffUser
    token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class LinkPost:
    """How a set-up link reaches its person: by ``mailer``, at the address ``link_for`` makes of
    the token, working for ``valid_for``."""

    mailer: Mailer
    link_for: Callable[[str], str]
    valid_for: dt.timedelta


@dataclass(frozen=True)
class LinkSent:
    """What the administrator is told: where the link went and until when it works, never the
    link. ``delivered`` is False when the mail could not be handed over (send a new one)."""

    user: StaffUser
    address: str
    expires_at: dt.datetime
    delivered: bool


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def staff_list(actor: Actor) -> list[StaffUser]:
    """Every account, active first, by name. The look is audited (every member of staff's name and
    address), and committed before the list is loaded so the commit does not expire what is shown."""
    audit.record(actor, "staff list viewed")
    db.session.commit()
    people = db.session.scalars(db.select(StaffUser)).all()
    return sorted(people, key=lambda user: (not user.active, user.name.casefold()))


def record_account_view(user: StaffUser, actor: Actor) -> None:
    audit.record(actor, "staff account viewed", "staff_user", user.id)
    db.session.commit()


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


def _unusable_password_hash() -> str:
    # The hash of a random password nobody is ever told: nothing signs in with it, and a sign-in
    # attempt against it costs the same work as against a chosen one, so timing tells nobody that
    # the account has no password yet.
    return hash_password(secrets.token_urlsafe(32))


def _refuse_own(user: StaffUser, actor: Actor, attempted: str) -> None:
    """Separation of duties: the refusal is audited (a try at one's own account is worth a
    reviewer's eye), and nothing else of the attempt is kept."""
    if is_own_account(user, actor):
        audit.record(actor, "own account change refused", "staff_user", user.id, detail=attempted)
        db.session.commit()
        raise OwnAccount(attempted)


def is_own_account(user: StaffUser, actor: Actor) -> bool:
    """True when ``actor`` is the person whose account this is (the command line never is)."""
    return actor.staff_id is not None and user.id == actor.staff_id


def create_user(
    email: str,
    name: str,
    roles: list[str],
    actor: Actor,
    link_valid_for: dt.timedelta,
    trained_on: dt.date | None = None,
) -> IssuedLink:
    """A new account with no usable password and no authenticator, and the set-up link with
    which the person chooses both."""
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
    user = StaffUser(
        email=email,
        email_hash=keyring().lookup_hash(normalise_email(email)),
        name=name,
        roles=role_text,
        password_hash=_unusable_password_hash(),
        training_completed_on=trained_on,
        created_at=actor.at,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "account created", "staff_user", user.id, detail=f"roles: {role_text}")
    issued = _issue_link(user, NEW_ACCOUNT, actor, link_valid_for)
    db.session.commit()
    return issued


def invite(email: str, name: str, roles: list[str], actor: Actor, post: LinkPost) -> LinkSent:
    """An administrator's new account: the set-up link goes by e-mail to the person's work address."""
    issued = create_user(email, name, roles, actor, post.valid_for)
    return _send_link(issued, NEW_ACCOUNT, post)


def send_password_reset(user: StaffUser, actor: Actor, post: LinkPost) -> LinkSent:
    """The person's password stops working, their sessions end, and a new set-up link (replacing
    any earlier one) lets them choose another."""
    _refuse_own(user, actor, "reset your password")
    user.password_hash = _unusable_password_hash()
    user.password_chosen_at = None
    audit.record(actor, "password reset", "staff_user", user.id)
    issued = _issue_link(user, PASSWORD_RESET, actor, post.valid_for)
    db.session.commit()
    end_sessions_of(user.id)
    return _send_link(issued, PASSWORD_RESET, post)


def reset_mfa(user: StaffUser, actor: Actor, post: LinkPost) -> LinkSent:
    """The authenticator and recovery codes stop working, the person's sessions end, and a new
    set-up link lets them enrol another: a password alone never enrols one (design 5)."""
    _refuse_own(user, actor, "reset your second factor")
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.recovery_codes = []
    audit.record(actor, "second factor reset", "staff_user", user.id)
    issued = _issue_link(user, SECOND_FACTOR_RESET, actor, post.valid_for)
    db.session.commit()
    end_sessions_of(user.id)
    return _send_link(issued, SECOND_FACTOR_RESET, post)


def _issue_link(user: StaffUser, purpose: str, actor: Actor, valid_for: dt.timedelta) -> IssuedLink:
    """A new single-use link, replacing any earlier one of the person's. 32 random bytes; only
    their SHA-256 digest is stored, and the audit entry never holds the token."""
    db.session.execute(delete(SetUpLink).where(SetUpLink.user_id == user.id))
    token = secrets.token_urlsafe(32)
    expires_at = actor.at + valid_for
    db.session.add(
        SetUpLink(
            user_id=user.id,
            token_sha256=token_digest(token),
            purpose=purpose,
            issued_at=actor.at,
            expires_at=expires_at,
        )
    )
    audit.record(
        actor, "set-up link issued", "staff_user", user.id, detail=f"{purpose}, until {expires_at.isoformat()}"
    )
    return IssuedLink(user, token, expires_at)


def until_text(moment: dt.datetime) -> str:
    """When a link stops working, as people say it: 15:30 on 2 December 2026 (London time)."""
    local = london_datetime(moment)
    return f"{local:%H:%M} on {long_date(local.date())}"


def _send_link(issued: IssuedLink, purpose: str, post: LinkPost) -> LinkSent:
    user = issued.user
    body = (
        f"Hello {user.name},\n\n"
        f"{WHY_SENT[purpose]}\n\n"
        "Open this link to choose your password and set up the authenticator app on your phone:\n\n"
        f"{post.link_for(issued.token)}\n\n"
        f"The link works once, until {until_text(issued.expires_at)} (UK time). Do not forward it: "
        "whoever opens it can set up your account.\n\n"
        "If you did not expect this email, tell your manager or the service's administrator."
    )
    delivered = post.mailer.send(user.email, LINK_SUBJECT, body)
    return LinkSent(user, user.email, issued.expires_at, delivered)


def set_up_link_status(user: StaffUser, now: dt.datetime) -> str | None:
    """Where the person's unused set-up link stands, for their administrator; None without one."""
    link = db.session.scalars(db.select(SetUpLink).where(SetUpLink.user_id == user.id)).first()
    if link is None:
        return None
    expires_at = as_utc(link.expires_at)
    if expires_at <= now:
        return f"Expired at {until_text(expires_at)}: send a new one"
    return f"Sent, not used yet: works until {until_text(expires_at)}"


def chosen_password(user: StaffUser, password: str, actor: Actor) -> None:
    """A password the person chose (through their set-up link), checked against the rules and
    stored as its hash, in the caller's transaction."""
    user.password_hash = new_password_hash(password, user.name, user.email)
    user.password_chosen_at = actor.at
    audit.record(actor, "password set", "staff_user", user.id)


def set_password(user: StaffUser, password: str, actor: Actor) -> None:
    """A password stored directly, as if the person had chosen it: the demo accounts (development
    only) and the tests' accounts, which do not walk the set-up pages. Any set-up link of theirs is
    withdrawn and every session of theirs ends."""
    chosen_password(user, password, actor)
    db.session.execute(delete(SetUpLink).where(SetUpLink.user_id == user.id))
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
    _refuse_own(user, actor, "change your roles")
    user.roles = _roles(roles)
    audit.record(actor, "roles changed", "staff_user", user.id, detail=f"roles: {user.roles}")
    db.session.commit()


def deactivate(user: StaffUser, actor: Actor) -> None:
    _refuse_own(user, actor, "deactivate your account")
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


def record_training(user: StaffUser, completed_on: dt.date, today: dt.date, actor: Actor) -> None:
    _refuse_own(user, actor, "record your training")
    if completed_on > today:
        raise AccountError("The training date must be today or in the past.", "trained_on")
    user.training_completed_on = completed_on
    audit.record(actor, "training recorded", "staff_user", user.id, detail=completed_on.isoformat())
    db.session.commit()


def record_agreement(user: StaffUser, version: str, actor: Actor) -> None:
    _refuse_own(user, actor, "record your Volunteer Agreement")
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


def access_gaps(
    user: StaffUser, today: dt.date, valid_months: int, agreement_version: str, *, told_to_them: bool = True
) -> list[str]:
    """What stands between this person and personal data (policy: training, and for volunteers the
    current Volunteer Agreement, before access). Empty when nothing does. Said to the person
    themselves ("your training"), or, with ``told_to_them`` False, to an administrator looking at
    their account ("their training")."""
    whose, who = ("Your", "You") if told_to_them else ("Their", "They")
    gaps = []
    expires = training_expires_on(user, valid_months)
    if expires is None:
        gaps.append(f"{whose} confidentiality training has not been recorded.")
    elif expires <= today:
        gaps.append(f"{whose} confidentiality training expired on {long_date(expires)}.")
    if can(user, "sign_volunteer_agreement") and user.volunteer_agreement_version != agreement_version:
        gaps.append(f"{who} have not signed the current Volunteer Agreement (version {agreement_version}).")
    return gaps


def generated_password() -> str:
    """A password for a demo account (development only), printed for whoever tries the portal."""
    return secrets.token_urlsafe(15)


def staff_names(ids: Iterable[int | None]) -> dict[int, str]:
    """The names of the staff with these ids (blanks skipped), in one query."""
    wanted = {staff_id for staff_id in ids if staff_id is not None}
    if not wanted:
        return {}
    return {user.id: user.name for user in db.session.scalars(db.select(StaffUser).where(StaffUser.id.in_(wanted)))}
