"""Sessions: server-side for the back office, a signed cookie for the public pages.

Public pages keep Flask's signed cookie: it holds only a CSRF token and the reference of a
referral just sent, and nothing of a visitor is stored on the server (design 6.1: an abandoned form
leaves nothing behind). Back-office pages keep their session in the database: the cookie carries a
random token (only its digest is stored), so signing out, a timeout, or an administrator's
revocation ends the session in every app process at once, and the identifier can be regenerated
at sign-in so a token planted before sign-in is worth nothing after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSessionInterface, SessionInterface, SessionMixin
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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class ServerSession(CallbackDict, SessionMixin):  # type: ignore[type-arg]
    """A back-office session. ``ended`` says why a previous session was found expired."""

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        token: str | None = None,
        created_at: dt.datetime | None = None,
        last_seen_at: dt.datetime | None = None,
        ended: str | None = None,
    ) -> None:
        def on_update(self: ServerSession) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.token = token
        self.created_at = created_at
        self.last_seen_at = last_seen_at
        self.ended = ended
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
        """Forget the session entirely: the row goes and the cookie is cleared."""
        self.clear()
        self.destroyed = True


def cookie_name(app: Flask) -> str:
    # __Host- cookies are only accepted over HTTPS, for path /, with no Domain: a sibling site
    # cannot set or overwrite it. Development is plain HTTP, so the prefix is production's alone.
    return "__Host-sps_staff" if app.config["SESSION_COOKIE_SECURE"] else "sps_staff"


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
            return ServerSession()
        try:
            with db.engine.connect() as connection:
                row = connection.execute(
                    select(StaffSession.data, StaffSession.created_at, StaffSession.last_seen_at).where(
                        StaffSession.token_sha256 == _digest(token)
                    )
                ).first()
        except SQLAlchemyError:
            # The database is unreachable: treat the visitor as signed out; the page they asked
            # for then meets the same outage and says so (503).
            return ServerSession()
        if row is None:
            return ServerSession()
        now = request_now()
        created_at, last_seen_at = as_utc(row.created_at), as_utc(row.last_seen_at)
        ended = None
        if now - last_seen_at > dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]):
            ended = "idle"
        elif now - created_at > dt.timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"]):
            ended = "absolute"
        if ended:
            self._delete(token)
            return ServerSession(ended=ended)
        return ServerSession(json.loads(row.data), token, created_at, last_seen_at)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            self.public.save_session(app, session, response)
            return
        name = cookie_name(app)
        if session.destroyed or (not session and not session.new and session.modified):
            if session.token:
                self._delete(session.token)
            response.delete_cookie(name, path="/", secure=app.config["SESSION_COOKIE_SECURE"], samesite="Lax")
            return
        if not session and session.new:
            return  # nothing worth keeping: no row, no cookie
        now = request_now()
        user_id = session.get("_user_id")
        if session.new or session.rotate:
            if session.token:
                self._delete(session.token)
            session.token = secrets.token_urlsafe(32)
            # New sessions are few (one per sign-in, or per visitor to the sign-in page), so each
            # clears away the expired ones: abandoned rows never pile up.
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
        elif session.modified or now - (session.last_seen_at or now) > TOUCH_EVERY:
            with db.engine.begin() as connection:
                connection.execute(
                    update(StaffSession)
                    .where(StaffSession.token_sha256 == _digest(session.token))
                    .values(user_id=int(user_id) if user_id else None, data=json.dumps(dict(session)), last_seen_at=now)
                )
        response.set_cookie(
            name,
            session.token,
            httponly=True,
            secure=app.config["SESSION_COOKIE_SECURE"],
            samesite="Lax",
            path="/",
        )

    @staticmethod
    def _delete(token: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(StaffSession).where(StaffSession.token_sha256 == _digest(token)))


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
