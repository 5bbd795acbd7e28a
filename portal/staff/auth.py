"""Staff sign-in (password, then the second factor), set-up links (a password chosen and an
authenticator enrolled by the person alone), sign-out and the person's own password and
authenticator changes."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from flask import Response, after_this_request, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from portal.crypto import keyring
from portal.extensions import limiter
from portal.models.staff import SetUpLink, StaffUser
from portal.request_time import request_now
from portal.services import accounts, mfa, set_up, signin
from portal.services.accounts import AccountError
from portal.services.clock import london_datetime
from portal.services.set_up import InvalidEnrolmentCode, LinkUnusable
from portal.services.signin import AccountLocked, CodeTriesUsedUp, InvalidCode, SignInRefused
from portal.sessions import STAFF_PREFIX, end_sessions_of, known_browser_cookie_name, set_known_browser_cookie
from portal.staff.access import allow, current_actor, no_personal_data, sign_in_page, staff_blueprint
from portal.staff.forms import (
    ChoosePasswordForm,
    CodeForm,
    CurrentPasswordForm,
    EnrolForm,
    PasswordChangeForm,
    SignInForm,
)

bp = staff_blueprint("staff_auth", __name__)

ENDED_MESSAGES = {
    "idle": "You were signed out because you had not done anything for a while. Sign in again to carry on.",
    "absolute": "You were signed out because you have been signed in for the longest time allowed. Sign in again.",
    "signed-out": "You have signed out.",
    "codes": str(CodeTriesUsedUp()),
}
# The longest ``next`` kept: it rides in the pre-sign-in cookie, which browsers drop beyond 4 KB.
LONGEST_NEXT = 1000
ENCODED_CONTROL_OR_BACKSLASH = re.compile(r"%(?:[01][0-9a-f]|7f|5c)", re.IGNORECASE)


def _sign_in_limit() -> str:
    # Per client address only. A limit per account, whoever tries it, would let anyone keep a
    # colleague out by spending it; signin's ceiling and holds guard each account instead.
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path inside the back office, else the dashboard. ``next``
    is whatever the address bar said, so it is refused when it could leave the site (an open
    redirect: "//evil.example", "https:evil.example", a backslash, or a tab or newline, which
    browsers drop, so "/\t/evil.example" is "//evil.example") or split the Location header (CR or
    LF: a 500 once the code is used up, or a header of the sender's choosing)."""
    if not target or len(target) > LONGEST_NEXT:
        return url_for("staff_triage.dashboard")
    if any(not character.isprintable() or character.isspace() or character == "\\" for character in target):
        return url_for("staff_triage.dashboard")
    if ENCODED_CONTROL_OR_BACKSLASH.search(target):  # the same, percent-encoded once more
        return url_for("staff_triage.dashboard")
    parts = urlsplit(target)
    inside = parts.path == STAFF_PREFIX or parts.path.startswith(STAFF_PREFIX + "/")
    if parts.scheme or parts.netloc or not inside or "//" in parts.path:
        return url_for("staff_triage.dashboard")
    return target


def _known_browser() -> str | None:
    return request.cookies.get(known_browser_cookie_name(current_app))


def _pending_user() -> StaffUser | None:
    pending = signin.resume(session, request_now())
    return pending.user if pending else None


def _locked_message(error: AccountLocked) -> str:
    return f"{error}. Try again after {london_datetime(error.until):%H:%M}, or ask an administrator to unlock it."


@bp.route("/login", methods=["GET", "POST"])
@sign_in_page
@limiter.limit(_sign_in_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("staff_triage.dashboard"))
    signin.sign_in_can_work()
    form = SignInForm()
    problem = None
    if form.validate_on_submit():
        try:
            pending = signin.check_password(form.email.data, form.password.data, current_actor(), _known_browser())
        except SignInRefused as error:
            problem = str(error)
        else:
            user = pending.user
            session.clear()
            session.update(pending.state())
            session["next"] = _safe_next(request.args.get("next"))
            return redirect(url_for("staff_auth.second_factor" if user.mfa_enrolled else "staff_auth.set_up_needed"))
    ended = ENDED_MESSAGES.get(request.args.get("ended", ""))
    return render_template("staff/login.html", form=form, problem=problem, ended=ended)


@bp.route("/login/code", methods=["GET", "POST"])
@sign_in_page
@limiter.limit(_sign_in_limit, methods=["POST"])
def second_factor() -> ResponseReturnValue:
    pending = signin.resume(session, request_now())
    if pending is None or not pending.user.mfa_enrolled:
        return redirect(url_for("staff_auth.login"))
    form = CodeForm()
    problem = None
    if form.validate_on_submit():
        try:
            signin.check_second_factor(pending, form.code.data, current_actor(), _known_browser())
        except CodeTriesUsedUp:
            session.clear()
            return redirect(url_for("staff_auth.login", ended="codes"))
        except AccountLocked as error:
            problem = _locked_message(error)
        except InvalidCode as error:
            problem = str(error)
            session.update(error.still_pending.state())
        else:
            return _complete_sign_in(pending.user)
    return render_template("staff/code.html", form=form, problem=problem)


def _complete_sign_in(user: StaffUser) -> ResponseReturnValue:
    target = _safe_next(session.get("next"))
    known_browser = signin.remember_browser(_known_browser(), user, request_now())
    session.clear()
    login_user(user)
    session.regenerate()

    @after_this_request
    def remember_this_browser(response: Response) -> Response:
        set_known_browser_cookie(current_app, response, known_browser, dt.timedelta(days=signin.KNOWN_BROWSER_DAYS))
        return response

    return redirect(target)


def _enrolment_secret(key: str = "enrol_secret") -> str:
    sealed = session.get(key)
    if sealed:
        return keyring().decrypt(sealed)
    secret = mfa.new_secret()
    # Even half-way, the secret is personal-data grade: kept encrypted in the session.
    session[key] = keyring().encrypt(secret)
    return secret


def _render_enrolment(user: StaffUser, secret: str, form: EnrolForm, problem: str | None, action: str) -> str:
    uri = mfa.provisioning_uri(secret, user.email)
    return render_template(
        "staff/enrol.html",
        form=form,
        problem=problem,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        qr_code=Markup(mfa.qr_svg(uri)),  # noqa: S704 - SVG drawn by segno from our own URI
        action=action,
    )


@bp.get("/login/set-up-needed")
@sign_in_page
def set_up_needed() -> ResponseReturnValue:
    """Where a correct password for an account without an authenticator leads: no further. An
    authenticator is enrolled only through the person's set-up link, so that whoever learns a
    password after a second-factor reset cannot add their own phone."""
    user = _pending_user()
    if user is None or user.mfa_enrolled:
        return redirect(url_for("staff_auth.login"))
    set_up.refuse_enrolment_without_link(user, current_actor())
    session.clear()
    return render_template("staff/set_up/needed.html"), 403


def _set_up_link(token: str) -> SetUpLink | ResponseReturnValue:
    try:
        return set_up.open_link(token, current_actor())
    except LinkUnusable as error:
        # 410 for a link past its time, 404 for one never issued, used or replaced: the page says
        # the same either way, and neither says whose link it was.
        return render_template("staff/set_up/unusable.html", expired=error.expired), 410 if error.expired else 404


@bp.route("/set-up/<token>", methods=["GET", "POST"])
@sign_in_page
@limiter.limit(_sign_in_limit)  # every try of a link, GET or POST, counts for the client
def set_up_password(token: str) -> ResponseReturnValue:
    """The first step of a set-up link: the person chooses their password (skipped when they
    have one, after a second-factor reset)."""
    link = _set_up_link(token)
    if not isinstance(link, SetUpLink):
        return link
    if not set_up.needs_password(link):
        return redirect(url_for("staff_auth.set_up_authenticator", token=token))
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        try:
            complete = set_up.choose_password(link, form.new.data, current_actor())
        except AccountError as error:
            form.new.errors = [str(error)]
        else:
            if complete:
                session["set_up_done"] = ""
                return redirect(url_for("staff_auth.set_up_done"))
            return redirect(url_for("staff_auth.set_up_authenticator", token=token))
    return render_template("staff/set_up/password.html", form=form, user=link.user, token=token)


@bp.route("/set-up/<token>/authenticator", methods=["GET", "POST"])
@sign_in_page
@limiter.limit(_sign_in_limit)
def set_up_authenticator(token: str) -> ResponseReturnValue:
    """The second step: the person's authenticator app, as at any enrolment (QR code, key, a code
    to confirm), then their recovery codes."""
    link = _set_up_link(token)
    if not isinstance(link, SetUpLink):
        return link
    if set_up.needs_password(link):
        return redirect(url_for("staff_auth.set_up_password", token=token))
    # One secret per link: a browser that opens two people's links never mixes their keys.
    secret_key = f"set_up_secret_{link.id}"
    form = EnrolForm()
    problem = None
    if form.validate_on_submit():
        try:
            codes = set_up.enrol_authenticator(link, _enrolment_secret(secret_key), form.code.data, current_actor())
        except InvalidEnrolmentCode as error:
            problem = str(error)
        else:
            session.pop(secret_key, None)
            session["set_up_done"] = keyring().encrypt("\n".join(codes))
            return redirect(url_for("staff_auth.set_up_done"))
    secret = _enrolment_secret(secret_key)
    action = url_for("staff_auth.set_up_authenticator", token=token)
    return _render_enrolment(link.user, secret, form, problem, action)


@bp.get("/set-up/done")
@sign_in_page
def set_up_done() -> ResponseReturnValue:
    """The end of set-up, said once: the new recovery codes, if an authenticator was enrolled
    (they leave the session as they are shown), and the way to sign in."""
    if "set_up_done" not in session:
        return redirect(url_for("staff_auth.login"))
    sealed = session.pop("set_up_done")
    codes = keyring().decrypt(sealed).split("\n") if sealed else []
    return render_template("staff/set_up/done.html", codes=codes)


@bp.get("/recovery-codes")
@allow("use_back_office")
@no_personal_data
def recovery_codes() -> ResponseReturnValue:
    """The new recovery codes, shown once: they leave the session as they are shown."""
    sealed = session.pop("recovery_codes", None)
    if not sealed:
        return redirect(url_for("staff_triage.dashboard"))
    return render_template(
        "staff/recovery_codes.html",
        codes=keyring().decrypt(sealed).split("\n"),
        onward=_safe_next(session.pop("after_codes", None)),
    )


@bp.post("/logout")
@allow("use_back_office")
@no_personal_data
def logout() -> ResponseReturnValue:
    signin.sign_out(current_user.id, current_actor())
    logout_user()
    session.destroy()
    return redirect(url_for("staff_auth.login", ended="signed-out"))


@bp.get("/account")
@allow("use_back_office")
@no_personal_data
def account() -> ResponseReturnValue:
    return render_template(
        "staff/account.html",
        password_form=PasswordChangeForm(prefix="password"),
        factor_form=CurrentPasswordForm(prefix="factor"),
        codes_left=mfa.recovery_codes_left(current_user),
    )


@bp.post("/account/password")
@allow("use_back_office")
@no_personal_data
@limiter.limit(_sign_in_limit)
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm(prefix="password")
    if form.validate_on_submit():
        try:
            signin.change_own_password(
                current_user, form.current.data, form.new.data, current_actor(), keep_token=session.token
            )
        except AccountError as error:
            for name, message in error.problems.items():
                (form.current if name == "current" else form.new).errors = [message]
        else:
            session.regenerate()
            return render_template("staff/account_done.html", done="Your password has been changed.")
    return render_template(
        "staff/account.html",
        password_form=form,
        factor_form=CurrentPasswordForm(prefix="factor"),
        codes_left=mfa.recovery_codes_left(current_user),
    )


@bp.route("/account/second-factor", methods=["GET", "POST"])
@allow("use_back_office")
@no_personal_data
@limiter.limit(_sign_in_limit, methods=["POST"])
def change_second_factor() -> ResponseReturnValue:
    """A new authenticator: the current password first, then a code from the new app. The old
    one keeps working until the new one is confirmed."""
    if request.method == "POST" and "factor-current" in request.form:
        form = CurrentPasswordForm(prefix="factor")
        if form.validate_on_submit() and signin.confirm_current_password(
            current_user, form.current.data, current_actor(), request_now()
        ):
            session.pop("enrol_secret", None)
            session["changing_factor"] = True
            return _render_enrolment(
                current_user, _enrolment_secret(), EnrolForm(), None, url_for("staff_auth.change_second_factor")
            )
        form.current.errors = ["Your current password is not correct"]
        return render_template(
            "staff/account.html",
            password_form=PasswordChangeForm(prefix="password"),
            factor_form=form,
            codes_left=mfa.recovery_codes_left(current_user),
        )
    if not session.get("changing_factor"):
        return redirect(url_for("staff_auth.account"))
    form = EnrolForm()
    problem = None
    if form.validate_on_submit():
        secret = _enrolment_secret()
        if mfa.accept_totp(current_user, secret, form.code.data, request_now(), new_secret=True):
            codes = accounts.replace_second_factor(current_user, secret, current_actor())
            end_sessions_of(current_user.id, keep_token=session.token)
            session.pop("enrol_secret", None)
            session.pop("changing_factor", None)
            session["recovery_codes"] = keyring().encrypt("\n".join(codes))
            session.regenerate()
            return redirect(url_for("staff_auth.recovery_codes"))
        problem = "Enter a correct code from your new authenticator app"
    return _render_enrolment(
        current_user, _enrolment_secret(), form, problem, url_for("staff_auth.change_second_factor")
    )
