"""Who may open which back-office page.

Every staff view names the capability it needs with ``@allow(...)`` (any one of several, when it
names several); a view that names none is open to nobody (design section 5), and a test walks
every ``/staff/`` route to prove it. Which roles hold a capability is written once, in
``portal.services.roles``. The checks run before the view, in this order: signed in (else to the
sign-in page), holding an allowed capability (else 403), and for pages with personal data,
confidentiality training in date and, for
volunteers, the current Volunteer Agreement signed (else a page saying what is missing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user

from portal.extensions import db
from portal.models.staff import StaffUser
from portal.request_time import request_now, request_today
from portal.services.accounts import access_gaps
from portal.services.audit import Actor
from portal.services.roles import can, roles_with

View = TypeVar("View", bound=Callable[..., Any])

# The sign-in pages themselves: reachable before signing in.
SIGN_IN = frozenset({"<signing in>"})

login_manager = LoginManager()
login_manager.session_protection = None  # sessions are server-side and rotated at sign-in


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    user = db.session.get(StaffUser, int(user_id))
    return user if user is not None and user.active else None


def allow(*capabilities: str) -> Callable[[View], View]:
    """Declare the capabilities of which a person needs one to use a view."""
    allowed_roles = roles_with(*capabilities)  # an unknown capability fails at import, not at request

    def declare(view: View) -> View:
        view.allowed_capabilities = frozenset(capabilities)  # type: ignore[attr-defined]
        view.allowed_roles = allowed_roles  # type: ignore[attr-defined]
        return view

    return declare


def sign_in_page(view: View) -> View:
    view.allowed_roles = SIGN_IN  # type: ignore[attr-defined]
    return view


def no_personal_data(view: View) -> View:
    """Mark a page that shows no personal data, so it stays open while training or the Volunteer
    Agreement is outstanding (the person's own account page, the page saying what is missing)."""
    view.shows_personal_data = False  # type: ignore[attr-defined]
    return view


def declared_roles(endpoint: str) -> frozenset[str]:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", frozenset())


def current_actor() -> Actor:
    staff_id = current_user.id if current_user.is_authenticated else None
    return Actor(staff_id=staff_id, client=request.remote_addr, at=request_now())


def guard() -> ResponseReturnValue | None:
    """``before_request`` of every staff blueprint."""
    if request.endpoint is None:
        return None  # no such page: the 404 handler answers
    allowed = declared_roles(request.endpoint)
    if allowed == SIGN_IN:
        return None
    if not current_user.is_authenticated:
        ended = getattr(session, "ended", None)
        return redirect(
            url_for("staff_auth.login", next=request.full_path if request.method == "GET" else None, ended=ended)
        )
    if not current_user.role_set & allowed:
        abort(403)
    view = current_app.view_functions[request.endpoint]
    if getattr(view, "shows_personal_data", True):
        gaps = access_gaps(
            current_user,
            request_today(),
            current_app.config["TRAINING_VALID_MONTHS"],
            current_app.config["VOLUNTEER_AGREEMENT_VERSION"],
        )
        if gaps:
            return render_template("staff/access_paused.html", gaps=gaps), 403
    return None


def staff_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /staff whose every view passes ``guard`` first."""
    blueprint = Blueprint(name, import_name, url_prefix="/staff")
    blueprint.before_request(guard)
    return blueprint


# The back office's navigation: each area, shown to whoever may open its first page.
NAVIGATION = (
    ("Dashboard", "staff_triage.dashboard", "staff_triage.dashboard"),
    ("Referrals", "staff_triage.referrals", "staff_triage.referral"),
    ("Cases", "staff_cases.cases", "staff_cases."),
    ("Requests", "staff_requests.queue", "staff_requests."),
    ("Feedback", "staff_feedback.comments", "staff_feedback."),
    ("Statistics", "staff_reports.reports", "staff_reports."),
    ("Retention", "staff_retention.overview", "staff_retention.overview"),
    ("Audit log", "staff_audit.audit_log", "staff_audit."),
    ("Staff accounts", "staff_admin.users", "staff_admin."),
    ("Your account", "staff_auth.account", "staff_auth.account"),
)


def staff_navigation() -> list[dict[str, object]]:
    """govukServiceNavigation items for the signed-in person."""
    endpoint = request.endpoint or ""
    return [
        {"href": url_for(target), "text": text, "active": endpoint.startswith(prefix)}
        for text, target, prefix in NAVIGATION
        if current_user.role_set & declared_roles(target)
    ]


def may(*capabilities: str) -> bool:
    """Templates' question: may the signed-in person do this?"""
    return current_user.is_authenticated and can(current_user, *capabilities)
