"""Operations: ``/healthz`` (liveness) and ``/readyz`` (readiness) for load balancers and monitoring.

``/healthz`` answers whether this process can reach the database: the one dependency without
which it can do nothing. ``/readyz`` answers whether everything the configuration names is
reachable (the database, the rate-limit storage, the job queue's Redis), each by name, so a load
balancer sends no one to a process that would answer them with a 503, or count their rate limits
in its own memory only. Mail is not checked: a relay that is down delays a message, it breaks no
page. Neither says more than "reachable" or "unreachable": no URL, host or error message, which
could name a password or an internal address. Both are exempt from rate limits (a monitor polls
them) and never write a cookie.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.config import REDIS_TIMEOUTS
from portal.extensions import db, limiter

bp = Blueprint("health", __name__)

REACHABLE, UNREACHABLE = "reachable", "unreachable"


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="reachable"), 200


@bp.get("/readyz")
@limiter.exempt
def readyz() -> ResponseReturnValue:
    checks = {
        "database": _database(),
        "rate_limit_storage": _rate_limit_storage(),
        "job_queue": _job_queue(),
    }
    ready = UNREACHABLE not in checks.values()
    return jsonify(status="ready" if ready else "unavailable", **checks), 200 if ready else 503


def _database() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return UNREACHABLE
    return REACHABLE


def _rate_limit_storage() -> str:
    """The limiter's own storage, asked directly: while Redis is away the limiter counts in
    memory, and this says so until Redis answers again."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return "off"
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        return "in memory"
    return REACHABLE if limiter.storage.check() else UNREACHABLE


def _job_queue() -> str:
    """The job queue's Redis, when ``JOBS_URL`` names one; jobs run in the app's own processes
    otherwise, and there is nothing to reach."""
    jobs_url = current_app.config.get("JOBS_URL", "")
    if not jobs_url.startswith(("redis://", "rediss://")):
        return "in process"
    try:
        with Redis.from_url(jobs_url, **REDIS_TIMEOUTS) as connection:
            connection.ping()
    except RedisError:
        return UNREACHABLE
    return REACHABLE
