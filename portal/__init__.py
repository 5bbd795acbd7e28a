"""The SEND Partnership Service portal: ``create_app`` builds the Flask application."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, render_template, request
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import INSTANCE_DIR, POSTGRESQL_CONNECT_TIMEOUT_SECONDS, PROJECT_ROOT, load_config
from portal.converters import RecordIdConverter
from portal.crypto import Keyring, render_encrypted_as_text
from portal.extensions import csrf, db, limiter, migrate
from portal.job_runners import runner_for
from portal.rendering import init_rendering
from portal.request_log import Portal, configure_logging, init_request_log
from portal.security import init_security
from portal.services.clock import london_date, london_time, long_date
from portal.services.mail import Mailer
from portal.services.roles import can
from portal.services.service_contact import ServiceContact
from portal.sessions import init_sessions
from portal.staff.access import login_manager, may, staff_navigation

log = logging.getLogger(__name__)
# WeasyPrint logs every step of every PDF at INFO (some of them while being imported), which would
# bury the app's own log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

ERROR_PAGES = {400, 403, 404, 405, 413, 429, 500, 503}
# What a dependency raises when it is down, restarting or unreachable: the database (psycopg's
# "connection refused" and "server closed the connection" are OperationalError; a connection
# already closed under it is InterfaceError) or the job queue's Redis. The rate limits' Redis never
# raises to here: the limiter falls back to memory (config.py).
DEPENDENCY_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, RedisError)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, with ``overrides`` (for tests) applied on top."""
    app = Portal(
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        # GOV.UK Frontend's stylesheet refers to /assets/…, so the static files are served there.
        static_url_path="/assets",
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.update(load_config())
    app.config.update(overrides or {})
    configure_logging(app.config["LOG_FORMAT"])

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.add_template_filter(long_date)
    app.add_template_filter(london_date)
    app.add_template_filter(london_time)
    init_sessions(app)  # before csrf.init_app: a session the database cannot read is a 503, not a 400
    app.add_template_global(staff_navigation)
    app.add_template_global(may)
    app.add_template_global(can)
    app.jinja_env.globals["service_contact"] = ServiceContact.from_config(app.config)

    # Bounded before any blueprint adds a rule, so every <int:…> in the portal uses it.
    app.url_map.converters["int"] = RecordIdConverter
    _trust_proxies(app, app.config["TRUST_PROXY_HOPS"])

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
        if db.engine.dialect.name == "postgresql":
            event.listen(db.engine, "do_connect", _postgresql_connect_timeout)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        render_item=render_encrypted_as_text,
    )
    csrf.init_app(app)
    init_rendering(app)  # after csrf: replaces its csrf_token template global
    limiter.init_app(app)
    login_manager.init_app(app)
    app.extensions["portal_keyring"] = Keyring(app.config["PORTAL_ENCRYPTION_KEYS"])
    app.extensions["portal_mailer"] = Mailer(
        app.config["MAIL_URL"],
        app.config["MAIL_FROM"],
        ServiceContact.from_config(app.config).email_signature(app.config["PORTAL_URL"]),
    )
    app.extensions["portal_jobs"] = runner_for(app)

    from portal import models  # noqa: F401  (registers the models with the metadata)
    from portal.health import bp as health_bp
    from portal.public.routes import bp as public_bp
    from portal.staff import admin, audit_log, auth, cases, feedback, jobs, reports, requests, retention, triage

    app.register_blueprint(public_bp)
    app.register_blueprint(health_bp)
    for staff_area in (auth, triage, cases, requests, admin, audit_log, feedback, reports, retention, jobs):
        app.register_blueprint(staff_area.bp)

    init_security(app)
    _register_error_pages(app)

    from portal.cli import register_commands

    register_commands(app)
    _after_request_steps_fail_safe(app)
    init_request_log(app)
    return app


def _trust_proxies(app: Flask, hops: int) -> None:
    """Take the client's address and scheme from the last ``hops`` proxies' X-Forwarded-For and
    X-Forwarded-Proto. With no proxy in front (0, the default) the headers are whatever the client
    sent: trusting them would let anyone choose the address that rate limits count and the audit
    log records, so they are ignored. X-Forwarded-Host is never trusted: the proxy is not asked to
    set it, and a client's own would go into the links the portal writes."""
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=1)  # type: ignore[method-assign]


def _postgresql_connect_timeout(dialect: Any, record: Any, arguments: Any, parameters: dict[str, Any]) -> None:
    """A PostgreSQL that does not answer a connection (rather than refusing it) gets a 503 after
    POSTGRESQL_CONNECT_TIMEOUT_SECONDS, well inside gunicorn's 30-second worker timeout, instead
    of holding the request until gunicorn kills the worker."""
    parameters.setdefault("connect_timeout", POSTGRESQL_CONNECT_TIMEOUT_SECONDS)


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    """SQLite as a real database: enforce foreign keys (and so cascades), let readers work while
    a referral is written (WAL), and wait for a busy writer instead of failing at once."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()


def _register_error_pages(app: Flask) -> None:
    """GOV.UK-style pages for every error a person can meet. CSRF failures (400) and rate limits
    (429) are HTTP errors too, so they arrive here with their own status."""

    def render_error(status: int) -> tuple[str, int]:
        if status >= 500:
            try:
                db.session.rollback()
            except SQLAlchemyError:
                log.warning("could not roll back after an error; the connection is discarded")
        # Inside the back office an error keeps the back office's navigation around it.
        # (Not for 5xx: the database may be why, and loading the user would need it.)
        in_back_office = status < 500 and request.path.startswith("/staff") and current_user.is_authenticated
        return render_template(f"errors/{status}.html", in_back_office=in_back_office), status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if status not in ERROR_PAGES:
            return error
        if isinstance(error, InternalServerError) and isinstance(error.original_exception, DEPENDENCY_UNAVAILABLE):
            # Raised outside the view (saving a sign-in's session, say), where Flask hands every
            # exception to the 500 handler: it is still a dependency being away.
            return render_error(503)
        return render_error(status)

    def dependency_unavailable(error: Exception) -> tuple[str, int]:
        # The database or Redis is down or unreachable: say so plainly rather than as a generic
        # failure. Only the exception's class is logged: its message may name a host or a value.
        log.error("dependency unavailable: %s.%s", type(error).__module__, type(error).__name__)
        return render_error(503)

    for unavailable in DEPENDENCY_UNAVAILABLE:
        app.register_error_handler(unavailable, dependency_unavailable)


def _after_request_steps_fail_safe(app: Flask) -> None:
    """Every after_request step (rate-limit headers, security headers, Flask-Login's cookie, any a
    blueprint adds) runs once the view has done its work, perhaps saved a referral: if one fails,
    it is logged and the response goes out without it, never turned into an error page that
    would tell its sender nothing was saved. Called once every extension and blueprint is
    registered."""
    for scope, steps in app.after_request_funcs.items():
        app.after_request_funcs[scope] = [_fail_safe(step) for step in steps]


def _fail_safe(step: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(step)
    def guarded(response: Any) -> Any:
        try:
            return step(response)
        except Exception:
            log.exception("an after-request step failed; the response goes out without it")
            return response

    return guarded
