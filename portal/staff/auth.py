"""Staff sign-in (password, then the second factor), enrolment, sign-out and the person's own
password and authenticator changes."""

from __future__ import annotations

import datetime as dt

from flask import current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from portal.crypto import keyring, normalise_email
from portal.extensions import db, limiter
from portal.models.staff import StaffUser
from portal.request_time import request_now
from portal.services import accounts, mfa, signin
from portal.services.accounts import AccountError
from portal.services.clock import london_datetime
from portal.services.signin import AccountLocked, SignInRefused
from portal.sessions import end_sessions_of
from portal.staff.access import allow, current_actor, no_personal_data, sign_in_page, staff_blueprint
from portal.staff.forms import CodeForm, CurrentPasswordForm, EnrolForm, PasswordChangeForm, SignInForm

bp = staff_blueprint("staff_auth", __name__)

# Between the password and the second factor the person is not signed in; the half-way state
# lasts this long before they must start again.
PENDING_FOR = dt.timedelta(minutes=10)
ENDED_MESSAGES = {
    "idle": "You were signed out because you had not done anything for a while. Sign in again to carry on.",
    "absolute": "You were signed out because you have been signed in for the longest time allowed. Sign in again.",
    "signed-out": "You have signed out.",
}


def _account_key() -> str:
    """Rate-limit key for one account, whichever client tries it; the address is hashed so the
    limiter's storage holds no e-mail addresses."""
    email = normalise_email(request.form.get("email", ""))
    return "account:" + keyring().lookup_hash(email)


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    # Only a path inside the back office: never another site (an open redirect).
    if target and target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("staff_triage.dashboard")


def _pending_user() -> StaffUser | None:
    user_id, since = session.get("pending_user_id"), session.get("pending_since")
    if not user_id or not since or request_now() - dt.datetime.fromisoformat(since) > PENDING_FOR:
        return None
    user = db.session.get(StaffUser, user_id)
    return user if user is not None and user.active else None


def _locked_message(error: AccountLocked) -> str:
    return f"{error}. Try again after {london_datetime(error.until):%H:%M}, or ask an administrator to unlock it."


@bp.route("/login", methods=["GET", "POST"])
@sign_in_page
@limiter.limit(_sign_in_limit, methods=["POST"])
@limiter.limit(_sign_in_limit, key_func=_account_key, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("staff_triage.dashboard"))
    form = SignInForm()
    problem = None
    if form.validate_on_submit():
        try:
            user = signin.check_password(form.email.data, form.password.data, current_actor(), request_now())
        except AccountLocked as error:
            problem = _locked_message(error)
        except SignInRefused as error:
            problem = str(error)
        else:
            session.clear()
            session["pending_user_id"] = user.id
            session["pending_since"] = request_now().isoformat()
            session["next"] = _safe_next(request.args.get("next"))
            session.regenerate()
            return redirect(url_for("staff_auth.second_factor" if user.mfa_enrolled else "staff_auth.enrol"))
    ended = ENDED_MESSAGES.get(request.args.get("ended", ""))
    return render_template("staff/login.html", form=form, problem=problem, ended=ended)


@bp.route("/login/code", methods=["GET", "POST"])
@sign_in_page
@limiter.limit(_sign_in_limit, methods=["POST"])
def second_factor() -> ResponseReturnValue:
    user = _pending_user()
    if user is None or not user.mfa_enrolled:
        return redirect(url_for("staff_auth.login"))
    form = CodeForm()
    problem = None
    if form.validate_on_submit():
        try:
            signin.check_second_factor(user, form.code.data, current_actor(), request_now())
        except AccountLocked as error:
            problem = _locked_message(error)
        except SignInRefused as error:
            problem = str(error)
        else:
            return _complete_sign_in(user)
    return render_template("staff/code.html", form=form, problem=problem)


def _complete_sign_in(user: StaffUser) -> ResponseReturnValue:
    target = session.get("next") or url_for("staff_triage.dashboard")
    session.clear()
    login_user(user)
    session.regenerate()
    return redirect(target)


def _enrolment_secret() -> str:
    sealed = session.get("enrol_secret")
    if sealed:
        return keyring().decrypt(sealed)
    secret = mfa.new_secret()
    # Even half-way, the secret is personal-data grade: stored encrypted in the session row.
    session["enrol_secret"] = keyring().encrypt(secret)
    return secret


def _render_enrolment(user: StaffUser, form: EnrolForm, problem: str | None, action: str) -> str:
    secret = _enrolment_secret()
    uri = mfa.provisioning_uri(secret, user.email)
    return render_template(
        "staff/enrol.html",
        form=form,
        problem=problem,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        qr_code=Markup(mfa.qr_svg(uri)),  # noqa: S704 - SVG drawn by segno from our own URI
        action=action,
    )


@bp.route("/login/enrol", methods=["GET", "POST"])
@sign_in_page
@limiter.limit(_sign_in_limit, methods=["POST"])
def enrol() -> ResponseReturnValue:
    user = _pending_user()
    if user is None or user.mfa_enrolled:
        return redirect(url_for("staff_auth.login"))
    form = EnrolForm()
    problem = None
    if form.validate_on_submit():
        try:
            codes = signin.confirm_enrolment(user, _enrolment_secret(), form.code.data, current_actor(), request_now())
        except AccountLocked as error:
            problem = _locked_message(error)
        except SignInRefused as error:
            problem = str(error)
        else:
            # Straight on to the recovery codes (shown once); from there, where they were going.
            target = session.get("next") or url_for("staff_triage.dashboard")
            _complete_sign_in(user)
            session["after_codes"] = target
            session["recovery_codes"] = keyring().encrypt("\n".join(codes))
            return redirect(url_for("staff_auth.recovery_codes"))
    return _render_enrolment(user, form, problem, url_for("staff_auth.enrol"))


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
            return _render_enrolment(current_user, EnrolForm(), None, url_for("staff_auth.change_second_factor"))
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
    return _render_enrolment(current_user, form, problem, url_for("staff_auth.change_second_factor"))
