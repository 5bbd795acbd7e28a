"""Sessions: server-side for the signed-in back office, signed cookies for everything before it.

Public pages keep Flask's signed cookie: it holds only a CSRF token and the reference of a
referral just sent, and nothing of a visitor is stored on the server (design 6.1: an abandoned form
leaves nothing behind). A journey's answers before it is sent travel in cookies of their own,
encrypted (``portal.public.answers``).

Back-office pages keep a signed-in person's session in the database: the cookie carries a random
token (only its digest is stored), so signing out, a timeout, or an administrator's revocation ends
the session in every app process at once. The row is written only when sign-in completes, under a
new token, so a token planted before sign-in is worth nothing after it.

Before sign-in (the sign-in pages, a set-up link) the back office keeps what it needs, the CSRF
token and the half-done sign-in between password and code, in a signed cookie of its own, as the
public pages do: a visitor who has not signed in costs the server nothing to remember, so fetching
the sign-in page without cookies, however often, writes no row and scans no table. The cookie is
signed (nobody can change what it says) but not encrypted, so it holds nothing secret in clear; it
lasts ``SESSION_IDLE_MINUTES`` from the last page that wrote it, by the portal's clock.

While the database is away a back-office session cannot be read, so a request carrying one gets
the 503 page (before anything else, the CSRF check included) and its cookies are left as they
are: when the database returns, the person carries on signed in. Writing a session never turns a
response into an error page either, with one exception: a sign-in whose session row cannot be
written has not happened, and says so with the 503 page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from typing import Any

from flask import Flask, Request, Response, abort, request, session
from flask.sessions import SecureCookieSessionInterface, SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import CallbackDict

from portal.extensions import db
from portal.models.staff import StaffSession
from portal.request_time import request_now
from portal.services.clock import as_utc

STAFF_PREFIX = "/staff"
# Writing last_seen_at on every request would make every page view a database write; a minute's
# slack in the idle timeout is the price of writing at most once a minute per session.
TOUCH_EVERY = dt.timedelta(minutes=1)
# The signature's purpose: a public session cookie, or any other value the portal signs, is never
# taken for a back-office one.
BEFORE_SIGN_IN_SALT = "sps staff session before sign-in"

log = logging.getLogger(__name__)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def signed_serializer(app: Flask, salt: str) -> URLSafeSerializer:
    """Signs a cookie's value with ``SECRET_KEY`` (HMAC-SHA-256). Untimed: when a value stops being
    good is written inside it by the portal's clock, which the tests can set."""
    return URLSafeSerializer(
        app.secret_key, salt=salt, signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256}
    )


class ServerSession(CallbackDict, SessionMixin):  # type: ignore[type-arg]
    """A back-office session: a database row once signed in (``token``), else the contents of the
    signed cookie. ``ended`` says why a previous session was found expired."""

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        token: str | None = None,
        created_at: dt.datetime | None = None,
        last_seen_at: dt.datetime | None = None,
        ended: str | None = None,
        unavailable: bool = False,
    ) -> None:
        def on_update(self: ServerSession) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.token = token
        self.created_at = created_at
        self.last_seen_at = last_seen_at
        self.ended = ended
        # The database could not be asked whose session this is.
        self.unavailable = unavailable
        self.modified = False
        self.rotate = False
        self.destroyed = False

    @property
    def new(self) -> bool:  # type: ignore[override]
        return self.token is None

    def regenerate(self) -> None:
        """Give the session a new identifier (and a new start time) at the end of this request."""
        self.rotate = True
        self.modified = True

    def destroy(self) -> None:
        """Forget the session entirely: the row goes and the cookies are cleared."""
        self.clear()
        self.destroyed = True


def cookie_name(app: Flask) -> str:
    # __Host- cookies are only accepted over HTTPS, for path /, with no Domain: a sibling site
    # cannot set or overwrite it. Development is plain HTTP, so the prefix is production's alone.
    return "__Host-sps_staff" if app.config["SESSION_COOKIE_SECURE"] else "sps_staff"


def before_sign_in_cookie_name(app: Flask) -> str:
    return "__Host-sps_signin" if app.config["SESSION_COOKIE_SECURE"] else "sps_signin"


def known_browser_cookie_name(app: Flask) -> str:
    return "__Host-sps_known_browser" if app.config["SESSION_COOKIE_SECURE"] else "sps_known_browser"


def _set_cookie(app: Flask, response: Response, name: str, value: str, max_age: dt.timedelta | None = None) -> None:
    # HttpOnly: no script reads it; SameSite=Lax: another site's form cannot post with it.
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
        path="/",
    )


def _clear_cookie(app: Flask, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", secure=app.config["SESSION_COOKIE_SECURE"], samesite="Lax")


def set_known_browser_cookie(app: Flask, response: Response, value: str, lasts: dt.timedelta) -> None:
    """The mark by which sign-in recognises a browser the person has signed in from before
    (``portal.services.signin``): kept across browser restarts, for ``lasts``."""
    _set_cookie(app, response, known_browser_cookie_name(app), value, max_age=lasts)


class PortalSessionInterface(SessionInterface):
    def __init__(self) -> None:
        self.public = SecureCookieSessionInterface()

    @staticmethod
    def _is_staff(request: Request) -> bool:
        return request.path == STAFF_PREFIX or request.path.startswith(STAFF_PREFIX + "/")

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if not self._is_staff(request):
            return self.public.open_session(app, request)
        token = request.cookies.get(cookie_name(app))
        if not token:
            return self._before_sign_in(app, request)
        try:
            return self._signed_in(app, request, token)
        except SQLAlchemyError as error:
            # Not "signed out": that would send the person to sign in again, or past a page's
            # checks as someone else. refuse_while_unavailable answers 503 instead.
            log.warning("a back-office session could not be read: %s", error.__class__.__name__)
            return ServerSession(unavailable=True)

    def _signed_in(self, app: Flask, request: Request, token: str) -> ServerSession:
        with db.engine.connect() as connection:
            row = connection.execute(
                select(StaffSession.data, StaffSession.created_at, StaffSession.last_seen_at).where(
                    StaffSession.token_sha256 == _digest(token)
                )
            ).first()
        if row is None:
            return self._before_sign_in(app, request)
        now = request_now()
        created_at, last_seen_at = as_utc(row.created_at), as_utc(row.last_seen_at)
        ended = None
        if now - last_seen_at > dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]):
            ended = "idle"
        elif now - created_at > dt.timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"]):
            ended = "absolute"
        if ended:
            self._delete(token)
            return self._before_sign_in(app, request, ended)
        return ServerSession(json.loads(row.data), token, created_at, last_seen_at)

    @staticmethod
    def _before_sign_in(app: Flask, request: Request, ended: str | None = None) -> ServerSession:
        """The session of someone not signed in: what the signed cookie holds, if it is ours and
        was written within the idle timeout; else nothing."""
        value = request.cookies.get(before_sign_in_cookie_name(app))
        if not value:
            return ServerSession(ended=ended)
        try:
            kept = signed_serializer(app, BEFORE_SIGN_IN_SALT).loads(value)
            written = dt.datetime.fromisoformat(kept["written"])
            data = dict(kept["data"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return ServerSession(ended=ended)
        if request_now() - written > dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]):
            return ServerSession(ended=ended)
        return ServerSession(data, ended=ended)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            self.public.save_session(app, session, response)
            return
        if session.unavailable:
            return  # nothing was read, so nothing is written, and the browser keeps its cookies
        name = cookie_name(app)
        user_id = session.get("_user_id")
        if session.new and not user_id and not session.destroyed:
            self._save_before_sign_in(app, session, response)
            return
        if response.status_code >= 500:
            # An error page: the database may be why, and nothing of the request is kept.
            return
        if session.destroyed or (not session and not session.new and session.modified):
            if session.token:
                try:
                    self._delete(session.token)
                except SQLAlchemyError as error:
                    # The browser forgets the token all the same, and the row lapses at the idle timeout.
                    log.warning("an ended session's row could not be deleted: %s", error.__class__.__name__)
            _clear_cookie(app, response, name)
            self._forget_before_sign_in(app, response)
            return
        now = request_now()
        if session.new or session.rotate:
            if session.token:
                self._delete(session.token)
            session.token = secrets.token_urlsafe(32)
            # A row is written only when someone signs in (a password and a code), so each new
            # one may clear away the expired ones: abandoned rows never pile up. A failure here
            # is not swallowed: without the row nobody is signed in, and the 503 page says so.
            purge_expired(app.config["SESSION_IDLE_MINUTES"], app.config["SESSION_ABSOLUTE_HOURS"], now)
            with db.engine.begin() as connection:
                connection.execute(
                    insert(StaffSession).values(
                        token_sha256=_digest(session.token),
                        user_id=int(user_id) if user_id else None,
                        data=json.dumps(dict(session)),
                        created_at=now,
                        signed_in_at=now if user_id else None,
                        last_seen_at=now,
                    )
                )
            self._forget_before_sign_in(app, response)
        elif session.modified or now - (session.last_seen_at or now) > TOUCH_EVERY:
            try:
                with db.engine.begin() as connection:
                    connection.execute(
                        update(StaffSession)
                        .where(StaffSession.token_sha256 == _digest(session.token))
                        .values(
                            user_id=int(user_id) if user_id else None, data=json.dumps(dict(session)), last_seen_at=now
                        )
                    )
            except SQLAlchemyError as error:
                # The page has been answered (perhaps after saving something): it goes out. The
                # session keeps its last stored state.
                log.warning("a session could not be updated: %s", error.__class__.__name__)
        _set_cookie(app, response, name, session.token)

    @staticmethod
    def _save_before_sign_in(app: Flask, session: ServerSession, response: Response) -> None:
        if not session:
            PortalSessionInterface._forget_before_sign_in(app, response)
            return
        # Written again on every page, so the idle timeout runs from the last one.
        value = signed_serializer(app, BEFORE_SIGN_IN_SALT).dumps(
            {"data": dict(session), "written": request_now().isoformat()}
        )
        _set_cookie(app, response, before_sign_in_cookie_name(app), value)

    @staticmethod
    def _forget_before_sign_in(app: Flask, response: Response) -> None:
        name = before_sign_in_cookie_name(app)
        if name in request.cookies:
            _clear_cookie(app, response, name)

    @staticmethod
    def _delete(token: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(StaffSession).where(StaffSession.token_sha256 == _digest(token)))


def refuse_while_unavailable() -> None:
    """``before_request``, ahead of the CSRF check (which would read the token from the session
    that could not be read, and answer 400): a back-office session the database could not be
    asked about gets the 503 page."""
    if getattr(session, "unavailable", False):
        abort(503)


def init_sessions(app: Flask) -> None:
    """Called before ``csrf.init_app``, so ``refuse_while_unavailable`` runs first."""
    app.session_interface = PortalSessionInterface()
    app.before_request(refuse_while_unavailable)


def end_sessions_of(user_id: int, keep_token: str | None = None) -> int:
    """End every session of a user, in every app process, except (optionally) the caller's own."""
    statement = delete(StaffSession).where(StaffSession.user_id == user_id)
    if keep_token:
        statement = statement.where(StaffSession.token_sha256 != _digest(keep_token))
    with db.engine.begin() as connection:
        return connection.execute(statement).rowcount


def purge_expired(idle_minutes: int, absolute_hours: int, now: dt.datetime) -> int:
    with db.engine.begin() as connection:
        return connection.execute(
            delete(StaffSession).where(
                (StaffSession.last_seen_at < now - dt.timedelta(minutes=idle_minutes))
                | (StaffSession.created_at < now - dt.timedelta(hours=absolute_hours))
            )
        ).rowcount
