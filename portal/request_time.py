"""The moment of the request being answered: the clock is read once per request, so everything
a request records or compares (its audit entries, a session's timeout, today's date in a
deadline) agrees, even across midnight or a change of the clocks."""

from __future__ import annotations

import datetime as dt

from flask import request

from portal.services import clock

# Kept in the WSGI environ rather than on ``g``: an application context can outlive one request
# (a test, or a command, that pushes one and then makes requests inside it), a request's environ
# cannot.
_ENVIRON_KEY = "portal.now"


def request_now() -> dt.datetime:
    moment = request.environ.get(_ENVIRON_KEY)
    if moment is None:
        moment = request.environ[_ENVIRON_KEY] = clock.now()
    return moment


def request_today() -> dt.date:
    return clock.london_day(request_now())
