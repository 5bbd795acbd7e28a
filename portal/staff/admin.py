"""Staff accounts: list, create, roles, deactivation, set-up links (a password or second-factor
reset), training and the Volunteer Agreement (admin and manager), never for one's own account."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portal.extensions import db
from portal.models.staff import StaffUser
from portal.request_time import request_now, request_today
from portal.services import accounts
from portal.services.accounts import AccountError, LinkPost, LinkSent, OwnAccount
from portal.services.roles import ROLE_LABELS, ROLES
from portal.services.validation import DateParts, InvalidInput, real_date
from portal.staff.access import allow, current_actor, staff_blueprint

bp = staff_blueprint("staff_admin", __name__)


ERROR_ANCHORS = {"roles": "roles", "trained_on": "trained_on-day"}


@bp.errorhandler(OwnAccount)
def own_account_refused(error: OwnAccount) -> ResponseReturnValue:
    # Only a hand-made POST gets here: the page for one's own account shows none of these forms.
    return render_template("staff/admin/own_account.html", message=str(error)), 403


def _role_items(chosen: set[str] | frozenset[str]) -> list[dict[str, object]]:
    return [{"value": role, "text": ROLE_LABELS[role], "checked": role in chosen} for role in ROLES]


def _errors_list(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": message, "href": "#" + ERROR_ANCHORS.get(field, field)} for field, message in errors.items()]


def _user_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


def _link_post() -> LinkPost:
    return LinkPost(
        mailer=current_app.extensions["portal_mailer"],
        # The link is built on the host this request came to. Only a signed-in administrator's own
        # CSRF-checked POST sends one, so nobody else can make it point at a host of theirs.
        link_for=lambda token: url_for("staff_auth.set_up_password", token=token, _external=True),
        valid_for=dt.timedelta(hours=current_app.config["SET_UP_LINK_HOURS"]),
    )


def _render_user(user: StaffUser, errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    # Drawn for a look and after a refused change alike: either way the account was seen.
    accounts.record_account_view(user, current_actor())
    config, today = current_app.config, request_today()
    return (
        render_template(
            "staff/admin/user.html",
            user=user,
            own_account=accounts.is_own_account(user, current_actor()),
            set_up_link=accounts.set_up_link_status(user, request_now()),
            errors=errors or {},
            training_expires=accounts.training_expires_on(user, config["TRAINING_VALID_MONTHS"]),
            gaps=accounts.access_gaps(
                user,
                today,
                config["TRAINING_VALID_MONTHS"],
                config["VOLUNTEER_AGREEMENT_VERSION"],
                told_to_them=accounts.is_own_account(user, current_actor()),
            ),
            agreement_version=config["VOLUNTEER_AGREEMENT_VERSION"],
            role_items=_role_items(user.role_set),
            errors_list=_errors_list(errors or {}),
            today=today,
        ),
        status,
    )


def _done(person: StaffUser, message: str) -> ResponseReturnValue:
    # Post, redirect, get: a refresh of the page does not repeat the change.
    flash(message)
    return redirect(url_for("staff_admin.user", user_id=person.id))


def _link_sent(sent: LinkSent, before: str = "") -> ResponseReturnValue:
    # The administrator learns where the link went and until when, never the link itself.
    if sent.delivered:
        until = accounts.until_text(sent.expires_at)
        said = f"A set-up link has been emailed to {sent.address}. It works once, until {until}."
    else:
        said = f"The set-up link could not be emailed to {sent.address}. Try sending a new set-up link."
    return _done(sent.user, f"{before} {said}".strip())


@bp.get("/admin/users")
@allow("manage_accounts")
def users() -> ResponseReturnValue:
    people = accounts.staff_list(current_actor())
    config, today = current_app.config, request_today()
    return render_template(
        "staff/admin/users.html",
        people=people,
        role_labels=ROLE_LABELS,
        gaps={
            user.id: accounts.access_gaps(
                user,
                today,
                config["TRAINING_VALID_MONTHS"],
                config["VOLUNTEER_AGREEMENT_VERSION"],
                told_to_them=accounts.is_own_account(user, current_actor()),
            )
            for user in people
        },
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@allow("manage_accounts")
def new_user() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        try:
            sent = accounts.invite(
                form.get("email", ""), form.get("name", ""), form.getlist("roles"), current_actor(), _link_post()
            )
        except AccountError as error:
            errors.update(error.problems)
        else:
            return _link_sent(sent, "Account created.")
    chosen = set(form.getlist("roles"))
    return render_template(
        "staff/admin/new_user.html",
        errors=errors,
        errors_list=_errors_list(errors),
        form=form,
        role_items=_role_items(chosen),
        link_hours=current_app.config["SET_UP_LINK_HOURS"],
    ), (400 if errors else 200)


@bp.get("/admin/users/<int:user_id>")
@allow("manage_accounts")
def user(user_id: int) -> ResponseReturnValue:
    return _render_user(_user_or_404(user_id))


@bp.post("/admin/users/<int:user_id>/roles")
@allow("manage_accounts")
def change_roles(user_id: int) -> ResponseReturnValue:
    person = _user_or_404(user_id)
    try:
        accounts.change_roles(person, request.form.getlist("roles"), current_actor())
    except AccountError as error:
        return _render_user(person, error.problems, 400)
    return _done(person, "Roles changed.")


@bp.get("/admin/users/<int:user_id>/deactivate")
@allow("manage_accounts")
def confirm_deactivation(user_id: int) -> ResponseReturnValue:
    """Asks "are you sure?" before deactivating: it ends every session the person has at once, so a
    slip of the finger would sign a colleague out mid-task. The page names them, so the look is audited
    as a view of their account."""
    person = _user_or_404(user_id)
    if not person.active or accounts.is_own_account(person, current_actor()):
        return redirect(url_for("staff_admin.user", user_id=person.id))  # nothing here to confirm
    accounts.record_account_view(person, current_actor())
    return render_template("staff/admin/deactivate.html", user=person)


@bp.post("/admin/users/<int:user_id>/active")
@allow("manage_accounts")
def set_active(user_id: int) -> ResponseReturnValue:
    person = _user_or_404(user_id)
    if request.form.get("active") == "yes":
        accounts.reactivate(person, current_actor())
        return _done(person, f"{person.name}'s account is reactivated and unlocked.")
    accounts.deactivate(person, current_actor())
    return _done(person, f"{person.name}'s account is deactivated. Every session it had has ended.")


@bp.post("/admin/users/<int:user_id>/set-up-link")
@allow("manage_accounts")
def send_set_up_link(user_id: int) -> ResponseReturnValue:
    person = _user_or_404(user_id)
    sent = accounts.send_password_reset(person, current_actor(), _link_post())
    return _link_sent(sent, "Password reset. Every session they had has ended.")


@bp.post("/admin/users/<int:user_id>/reset-mfa")
@allow("manage_accounts")
def reset_mfa(user_id: int) -> ResponseReturnValue:
    person = _user_or_404(user_id)
    sent = accounts.reset_mfa(person, current_actor(), _link_post())
    return _link_sent(sent, "Second factor reset. Every session they had has ended.")


@bp.post("/admin/users/<int:user_id>/training")
@allow("manage_accounts")
def record_training(user_id: int) -> ResponseReturnValue:
    person = _user_or_404(user_id)
    parts = DateParts(
        request.form.get("trained_on-day", ""),
        request.form.get("trained_on-month", ""),
        request.form.get("trained_on-year", ""),
    )
    try:
        completed = real_date(parts, "the date the training was completed")
        accounts.record_training(person, completed, request_today(), current_actor())
    except (InvalidInput, AccountError) as error:
        return _render_user(person, {"trained_on": str(error)}, 400)
    return _done(person, "Training recorded.")


@bp.post("/admin/users/<int:user_id>/agreement")
@allow("manage_accounts")
def record_agreement(user_id: int) -> ResponseReturnValue:
    person = _user_or_404(user_id)
    try:
        accounts.record_agreement(person, request.form.get("version", ""), current_actor())
    except AccountError as error:
        return _render_user(person, error.problems, 400)
    return _done(person, "Volunteer Agreement recorded.")
