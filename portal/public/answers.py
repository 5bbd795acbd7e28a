"""A journey's answers, sealed (``portal.services.sealing``), kept in the person's browser between
the question pages, the check page and sending.

Why cookies: the check page has its own URL (post, redirect, get), so Back and refresh never
resubmit a form, and the answers must be somewhere a GET can read them; the server keeps nothing
until the person sends (design 6.1). The seal is encrypted and authenticated, so the browser can
neither read nor change what it carries.

A browser keeps a cookie of up to about 4 KB, and a journey's answers can be larger (two boxes of
5,000 characters in any script), so the seal is cut into numbered cookies of ``CHUNK`` characters.
They are sent only to the journey's own URLs (``Path``), so no other page carries their weight;
nginx and gunicorn accept request headers of up to ``deploy/``'s limits, which
``tests/unit/test_deploy.py`` holds above the largest seal (``tests/unit/test_sealing.py``).
"""

from __future__ import annotations

from flask import Request, Response, current_app

from portal.request_time import request_now
from portal.services.sealing import KEPT_FOR, SealBroken, Sealed, seal, unseal

# A cookie's name and value together stay under the 4,096 bytes every browser keeps.
CHUNK = 3800
# The most cookies a journey's seal may take: more than its largest answers need
# (tests/unit/test_sealing.py), far fewer than the 50 a browser keeps per site.
MAX_CHUNKS = 12
# The largest Cookie header a journey's page receives: every chunk (its name, "=", the value and
# "; ") and the public session's own cookie (Flask keeps it under 4 KB). deploy/'s nginx and
# gunicorn accept at least this (tests/unit/test_deploy.py).
LARGEST_COOKIE_HEADER = MAX_CHUNKS * (CHUNK + 40) + 4096


def _name(journey: str, index: int) -> str:
    # __Secure-: over HTTPS only, and no plain-HTTP page of a sibling host can set one.
    prefix = "__Secure-" if current_app.config["SESSION_COOKIE_SECURE"] else ""
    return f"{prefix}sps_answers_{journey}_{index}"


def read(request: Request, journey: str) -> Sealed | None:
    """The journey's sealed answers, or None when there are none. Raises ``SealBroken`` (or
    ``SealExpired``) when the cookies are altered, mixed up or out of date."""
    chunks = []
    for index in range(MAX_CHUNKS):
        chunk = request.cookies.get(_name(journey, index))
        if chunk is None:
            break
        chunks.append(chunk)
    if not chunks:
        return None
    # Chunks from two different seals never make one that opens: the seal is authenticated.
    return unseal(current_app.config["SECRET_KEY"], "".join(chunks), request_now())


def read_or_none(request: Request, journey: str) -> Sealed | None:
    """The journey's sealed answers, or None when there are none or they cannot be used."""
    try:
        return read(request, journey)
    except SealBroken:
        return None


def keep(response: Response, request: Request, journey: str, path: str, sealed: Sealed) -> None:
    """Put ``sealed`` in the journey's cookies (sent only under ``path``), replacing what was there."""
    token = seal(current_app.config["SECRET_KEY"], sealed, request_now())
    chunks = [token[start : start + CHUNK] for start in range(0, len(token), CHUNK)]
    if len(chunks) > MAX_CHUNKS:
        raise ValueError("the answers are larger than the forms allow")
    for index, chunk in enumerate(chunks):
        response.set_cookie(
            _name(journey, index),
            chunk,
            max_age=int(KEPT_FOR.total_seconds()),
            path=path,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    _forget_from(response, request, journey, path, len(chunks))


def forget(response: Response, request: Request, journey: str, path: str) -> None:
    """Clear the journey's answers from the browser (after sending, or when they are unusable)."""
    _forget_from(response, request, journey, path, 0)


def _forget_from(response: Response, request: Request, journey: str, path: str, first: int) -> None:
    for index in range(first, MAX_CHUNKS):
        name = _name(journey, index)
        if name not in request.cookies:
            break
        response.delete_cookie(
            name, path=path, secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax"
        )
