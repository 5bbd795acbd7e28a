"""Staff accounts: list, create, roles, deactivation, second-factor reset, training and the
Volunteer Agreement (admin and manager)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portal.extensions import db
from portal.models.staff import StaffUser
from portal.request_time import request_today
from portal.services import accounts, audit
from portal.services.accounts import AccountError
from portal.services.roles import ROLE_LABELS, ROLES
from portal.services.validation import DateParts, InvalidInput, real_date
from portal.staff.access import allow, current_actor, staff_blueprint

bp = staff_blueprint("staff_admin", __name__)


ERROR_ANCHORS = {"roles": "roles", "trained_on": "trained_on-day", "active": "active"}


def _role_items(chosen: set[str] | frozenset[str]) -> list[dict[str, object]]:
    return [{"value": role, "text": ROLE_LABELS[role], "checked": role in chosen} for role in ROLES]


def _errors_list(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": message, "href": "#" + ERROR_ANCHORS.get(field, field)} for field, message in errors.items()]


def _user_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


def _render_user(user: StaffUser, errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    config, today = current_app.config, request_today()
    return (
        render_template(
            "staff/admin/user.html",
            user=user,
            errors=errors or {},
            training_expires=accounts.training_expires_on(user, config["TRAINING_VALID_MONTHS"]),
            gaps=accounts.access_gaps(
                user, today, config["TRAINING_VALID_MONTHS"], config["VOLUNTEER_AGREEMENT_VERSION"]
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


@bp.get("/admin/users")
@allow("manage_accounts")
def users() -> ResponseReturnValue:
    people = sorted(
        db.session.scalars(db.select(StaffUser)).all(), key=lambda user: (not user.active, user.name.casefold())
    )
    config, today = current_app.config, request_today()
    return render_template(
        "staff/admin/users.html",
        people=people,
        role_labels=ROLE_LABELS,
        gaps={
            user.id: accounts.access_gaps(
                user, today, config["TRAINING_VALID_MONTHS"], config["VOLUNTEER_AGREEMENT_VERSION"]
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
        password = accounts.generated_password()
        try:
            user = accounts.create_user(
                form.get("email", ""), form.get("name", ""), form.getlist("roles"), password, current_actor()
            )
        except AccountError as error:
            errors.update(error.problems)
        else:
            return render_template("staff/admin/created.html", user=user, password=password), 201
    chosen = set(form.getlist("roles"))
    return render_template(
        "staff/admin/new_user.html",
        errors=errors,
        errors_list=_errors_list(errors),
        form=form,
        role_items=_role_items(chosen),
    ), (400 if errors else 200)


@bp.get("/admin/users/<int:user_id>")
@allow("manage_accounts")
def user(user_id: int) -> ResponseReturnValue:
    person = _user_or_404(user_id)
    audit.record(current_actor(), "staff account viewed", "staff_user", person.id)
    db.session.commit()
    return _render_user(person)


@bp.post("/admin/users/<int:user_id>/roles")
@allow("manage_accounts")
def change_roles(user_id: int) -> ResponseReturnValue:
    person = _user_or_404(user_id)
    try:
        accounts.change_roles(person, request.form.getlist("roles"), current_actor())
    except AccountError as error:
        return _render_user(person, error.problems, 400)
    return _done(person, "Roles changed.")


@bp.post("/admin/users/<int:user_id>/active")
@allow("manage_accounts")
def set_active(user_id: int) -> ResponseReturnValue:
    person = _user_or_404(user_id)
    try:
        if request.form.get("active") == "yes":
            accounts.reactivate(person, current_actor())
            message = "Account reactivated and unlocked."
        else:
            accounts.deactivate(person, current_actor())
            message = "Account deactivated. Every session it had has ended."
    except AccountError as error:
        return _render_user(person, error.problems, 400)
    return _done(person, message)


@bp.post("/admin/users/<int:user_id>/reset-mfa")
@allow("manage_accounts")
def reset_mfa(user_id: int) -> ResponseReturnValue:
    person = _user_or_404(user_id)
    accounts.reset_mfa(person, current_actor())
    return _done(person, "Second factor reset. They will set up an authenticator app when they next sign in.")


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
