"""Logs an operator can search: one line per request, a request id to tie them together, JSON in
production.

Each request gets an id, sent back as ``X-Request-Id`` on every response and printed on every
error page, so someone who meets a problem can quote it and the operator can find the request's
lines. The request's line holds its moment (the portal's clock, as its audit entries have it), the
method, the route's rule ("/staff/requests/<int:request_id>", never the path itself: paths carry
set-up and feedback tokens), the status, how long it took and the id: never a name, an address, an
e-mail address or a reference, none of which a rule holds.

The id is the proxy's ``X-Request-Id`` when one is trusted (``TRUST_PROXY_HOPS`` > 0) and the value
is well formed, so the proxy's log and the portal's share it; otherwise a fresh random one. Without
a proxy that header is whatever the client wrote, and believing it would let anyone give their
requests the id of someone else's.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from flask import Flask, has_request_context, request

from portal.request_time import request_now
from portal.services import clock

REQUEST_ID_HEADER = "X-Request-Id"
# nginx's $request_id is 32 hex digits; other proxies use UUIDs. Nothing else gets in: the id is
# printed on pages and written to logs.
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
HANDLER_NAME = "portal"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What the request's line carries besides its message (``extra``), in this order.
REQUEST_FIELDS = ("request_id", "method", "route", "status", "duration_ms")

_ID_KEY = "portal.request_id"
_ENDED_KEY = "portal.request_ended"

request_log = logging.getLogger("portal.request")
errors_log = logging.getLogger("portal.errors")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]
StartResponse = Callable[..., Any]


def request_id() -> str:
    """The current request's id (for templates: the error pages print it)."""
    return str(request.environ.get(_ID_KEY, ""))


def _route() -> str | None:
    rule = request.url_rule
    return rule.rule if rule is not None else None


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (the portal's clock), level, logger, message, then the
    request's fields; a record logged while a request is answered carries its request id."""

    def format(self, record: logging.LogRecord) -> str:
        moment = getattr(record, "at", None) or clock.now()
        entry: dict[str, Any] = {
            "time": moment.isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if "request_id" not in entry and has_request_context() and request_id():
            entry["request_id"] = request_id()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: str) -> None:
    """Send the portal's log records to standard error, as JSON or as plain lines. Left alone when
    something else (a test runner, an embedding server) configured the root logger first, as
    ``logging.basicConfig`` would; building a second app only changes the format."""
    root = logging.getLogger()
    handler = next((each for each in root.handlers if each.get_name() == HANDLER_NAME), None)
    if handler is None:
        if root.handlers:
            return
        handler = logging.StreamHandler()
        handler.set_name(HANDLER_NAME)
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))


class Portal(Flask):
    def log_exception(self, exc_info: ExcInfo) -> None:
        """Flask's own line names ``request.path``, which may carry a set-up link's token; the
        route's rule and the request id say where without it."""
        errors_log.error(
            "unhandled exception answering %s %s", request.method, _route() or "(no route)", exc_info=exc_info
        )


class RequestLog:
    """WSGI middleware around the whole app (outside ProxyFix): gives each request its id, adds
    it to the response, and writes the request's line when the app has answered. Nothing here can
    turn a response into an error: a failure to log is itself logged and the response goes out."""

    def __init__(self, app: Flask, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def _request_id(self, environ: dict[str, Any]) -> str:
        offered = environ.get("HTTP_X_REQUEST_ID", "")
        if self.app.config["TRUST_PROXY_HOPS"] and WELL_FORMED_REQUEST_ID.fullmatch(offered):
            return offered
        return secrets.token_hex(8)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        identifier = environ[_ID_KEY] = self._request_id(environ)
        answered: dict[str, int] = {}

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered["status"] = int(status.split(" ", 1)[0])
            headers = [(name, value) for name, value in headers if name.lower() != REQUEST_ID_HEADER.lower()]
            headers.append((REQUEST_ID_HEADER, identifier))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start_with_id)
        finally:
            self._log(environ, answered.get("status", 500), started)

    @staticmethod
    def _log(environ: dict[str, Any], status: int, started: float) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        ended = environ.get(_ENDED_KEY, {})
        method, route = environ.get("REQUEST_METHOD", ""), ended.get("route")
        try:
            request_log.info(
                "%s %s %s %.1f ms",
                method,
                route or "(no route)",
                status,
                duration_ms,
                extra={
                    "at": ended.get("at"),
                    "request_id": environ[_ID_KEY],
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
        except Exception:  # logging must never cost the person their answer
            errors_log.exception("could not write a request's log line")


def _note_route_and_moment(_error: BaseException | None = None) -> None:
    """At the end of the request (teardown always runs, whatever failed), keep what its log line
    needs and only the request context knows: the route's rule and the request's moment."""
    request.environ[_ENDED_KEY] = {"route": _route(), "at": request_now()}


def init_request_log(app: Flask) -> None:
    """Called last in ``create_app``: the middleware goes outside every other (ProxyFix
    included), so it times and labels the whole of each request."""
    app.teardown_request(_note_route_and_moment)
    app.add_template_global(request_id)
    app.wsgi_app = RequestLog(app, app.wsgi_app)  # type: ignore[method-assign]
