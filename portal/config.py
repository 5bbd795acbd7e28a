"""Settings, read only from the environment.

The three environments differ only in their defaults: development generates its secrets once and
keeps them under ``instance/`` (with a warning), tests generate fresh ones per process, and
production refuses to start until the operator supplies them.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from argon2 import Parameters, Type
from argon2.low_level import ARGON2_VERSION
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from portal.services.deadlines import DEFAULT_NATION, NATIONS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

ENVIRONMENTS = ("development", "test", "production")
# Tests hash passwords with argon2id at its cheapest (one pass over 8 KiB instead of three over
# 64 MiB): the suite makes hundreds of accounts, and what it checks is that the hashing is argon2id
# and is verified, not how long it takes. Development and production keep argon2-cffi's defaults.
TEST_PASSWORD_HASH = Parameters(
    type=Type.ID, version=ARGON2_VERSION, salt_len=16, hash_len=32, time_cost=1, memory_cost=8, parallelism=1
)

# The test configuration signs the audit chain with one fixed key, so every process of a test run
# (the concurrent writers, a gunicorn's workers) extends the same chain; it keys nothing real.
TEST_AUDIT_CHAIN_KEY = "test-only-audit-chain-key-not-a-secret"

MAIL_SCHEMES = ("log", "memory", "smtp", "smtps")

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line an operator can act on."""


def _generated_secret(path: Path, make: Any) -> str:
    """Read a development secret from ``path``, creating it on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    log.warning("Generated %s for development; production must set it in the environment.", path.name)
    return value


def _whole_number(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {raw!r}.")
    return int(raw)


def _yes_no(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("yes", "no"):
        raise ConfigError(f"{name} must be yes or no, not {raw!r}.")
    return raw == "yes"


def _one_of(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {raw!r}.")
    return raw


def _text(environ: Mapping[str, str], name: str, default: str) -> str:
    return environ.get(name, "").strip() or default


def _address_lines(environ: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    """A postal address, its lines separated by commas (or new lines), as an envelope shows it."""
    raw = _text(environ, name, default).replace("\n", ",")
    return tuple(line.strip() for line in raw.split(",") if line.strip())


# How families reach the service (design 1): fictional until the deployment names its own. The
# telephone numbers are in Ofcom's range kept for drama (0117 496 0000 to 0999), so nobody is rung
# by mistake, and the addresses are in the .invalid domain, which never exists.
SERVICE_CONTACT_DEFAULTS = {
    "SERVICE_PHONE": "0117 496 0123",
    "SERVICE_EMAIL": "send.partnership@anytown.invalid",
    "SERVICE_ADDRESS": "SEND Partnership Service, Anytown Council, Council Offices, Market Street, Anytown, AN1 1AA",
    "SERVICE_HOURS": "Monday to Friday, 9:30am to 4:30pm, except bank holidays",
    "SAFEGUARDING_PHONE": "0117 496 0200",
    "SAFEGUARDING_OUT_OF_HOURS_PHONE": "0117 496 0300",
    "COUNCIL_COMPLAINTS_URL": "https://www.anytown.invalid/complaints",
    "CONTROLLER_NAME": "Anytown Council",
    "DPO_EMAIL": "dpo@anytown.invalid",
    "DPO_ADDRESS": "Data Protection Officer, Anytown Council, Council Offices, Market Street, Anytown, AN1 1AA",
}


def _proxy_hops(environ: Mapping[str, str]) -> int:
    """How many proxies in front set X-Forwarded-For. 0 unless the deployment says so, production
    included: without a proxy, that header is whatever the client chose to send."""
    raw = environ.get("TRUST_PROXY_HOPS", "").strip()
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(
            f"TRUST_PROXY_HOPS must be the number of proxies in front of the portal (0 or more), not {raw!r}."
        )
    return int(raw)


def _mail_url(environ: Mapping[str, str], production: bool) -> str:
    """Where e-mail goes. Production must name a real relay: writing the mail to the log (or
    keeping it in memory) would look like sending while nobody receives their reference. Only a
    known scheme is ever repeated in a message, since the URL may hold the relay's password."""
    raw = environ.get("MAIL_URL", "").strip()
    scheme = urlsplit(raw).scheme.lower()
    if production and not raw:
        raise ConfigError(
            "Refusing to start in production: MAIL_URL is not set (an SMTP relay: smtp://… or smtps://…)."
        )
    if production and scheme not in ("smtp", "smtps"):
        raise ConfigError(
            "Refusing to start in production: MAIL_URL must be smtp://… or smtps://…, "
            f"not {f'{scheme}://' if scheme in MAIL_SCHEMES else 'that value'}."
        )
    if raw and scheme not in MAIL_SCHEMES:
        raise ConfigError(f"MAIL_URL must start with {', '.join(f'{name}://' for name in MAIL_SCHEMES)}.")
    return raw or "log://"


def _jobs_url(environ: Mapping[str, str]) -> str:
    """Where slow work runs: empty for a thread in each app process, or a Redis URL for an RQ queue
    shared by every app host. Only the scheme is ever repeated, since the URL may hold a password."""
    raw = environ.get("JOBS_URL", "").strip()
    if raw and urlsplit(raw).scheme.lower() not in ("redis", "rediss"):
        raise ConfigError("JOBS_URL must be empty (jobs run in the app's own processes) or redis://… or rediss://….")
    return raw


def _encryption_keys(raw: str) -> list[str]:
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ConfigError(
                f"PORTAL_ENCRYPTION_KEYS key {position} is not a Fernet key (url-safe base64 of 32 bytes)."
            ) from None
    return keys


def _audit_chain_keys(raw: str) -> tuple[str, ...]:
    """AUDIT_CHAIN_KEY is comma-separated, as PORTAL_ENCRYPTION_KEYS is: the first key signs new
    audit entries, every key listed verifies the entries signed with it. One variable keeps a
    rotation one edit in the secret store (put the new key first, keep the old after it), and the
    old key must stay as long as entries signed with it are kept, since the chain is never signed
    again. Keys are at least 32 characters, so an attacker cannot guess one and re-sign the chain."""
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    for position, key in enumerate(keys, start=1):
        if len(key) < 32:
            raise ConfigError(f"AUDIT_CHAIN_KEY key {position} must be at least 32 characters.")
    return keys


# A Redis that stops answering (rather than refusing) must not hold a request until gunicorn
# kills the worker: the limiter gives up after a second and falls back (below).
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}
# Likewise a PostgreSQL that does not answer a connection (create_app sets it on the engine).
POSTGRESQL_CONNECT_TIMEOUT_SECONDS = 5


def load_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from ``environ`` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    env = environ.get("PORTAL_ENV", "development").strip() or "development"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}.")
    production = env == "production"

    secret_key = environ.get("SECRET_KEY", "").strip()
    keys_raw = environ.get("PORTAL_ENCRYPTION_KEYS", "").strip()
    # The audit chain's key never lives in the database: whoever can write SQL must not be able to
    # re-sign the chain after changing it.
    audit_keys_raw = environ.get("AUDIT_CHAIN_KEY", "").strip()
    if production:
        missing = [
            name
            for name, value in (
                ("SECRET_KEY", secret_key),
                ("PORTAL_ENCRYPTION_KEYS", keys_raw),
                ("AUDIT_CHAIN_KEY", audit_keys_raw),
            )
            if not value
        ]
        if missing:
            named = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
            raise ConfigError(
                f"Refusing to start in production: {named} "
                f"{'is' if len(missing) == 1 else 'are'} not set in the environment."
            )
        if len(secret_key) < 32:
            raise ConfigError("Refusing to start in production: SECRET_KEY must be at least 32 characters.")
    elif env == "test":
        secret_key = secret_key or secrets.token_urlsafe(32)
        keys_raw = keys_raw or Fernet.generate_key().decode()
        audit_keys_raw = audit_keys_raw or TEST_AUDIT_CHAIN_KEY
    else:
        secret_key = secret_key or _generated_secret(INSTANCE_DIR / "secret_key", lambda: secrets.token_urlsafe(32))
        keys_raw = keys_raw or _generated_secret(
            INSTANCE_DIR / "encryption_keys", lambda: Fernet.generate_key().decode()
        )
        audit_keys_raw = audit_keys_raw or _generated_secret(
            INSTANCE_DIR / "audit_chain_key", lambda: secrets.token_urlsafe(32)
        )

    default_db = f"sqlite:///{INSTANCE_DIR / 'portal.sqlite'}"
    database_url = environ.get("DATABASE_URL", "").strip() or default_db
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    try:
        make_url(database_url).get_dialect()
    except (ArgumentError, NoSuchModuleError):
        raise ConfigError(
            "DATABASE_URL is not a database URL the portal can use: expected sqlite:///… or postgresql+psycopg://…"
        ) from None

    rate_limit_storage = environ.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://"
    return {
        "PORTAL_ENV": env,
        "TESTING": env == "test",
        "SECRET_KEY": secret_key,
        "PORTAL_ENCRYPTION_KEYS": _encryption_keys(keys_raw),
        "AUDIT_CHAIN_KEYS": _audit_chain_keys(audit_keys_raw),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # pool_pre_ping replaces a pooled connection the database dropped (a restart) before use,
        # so the app recovers without a restart of its own. hide_parameters keeps the values of a
        # failed statement, which may be personal data, out of its error message and the logs.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "RATELIMIT_STORAGE_URI": rate_limit_storage,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failing open (issue 14): when the rate-limit storage (Redis) is unreachable, each app
        # process counts in its own memory instead, with the same limits, and goes back to Redis
        # once it answers again; any other fault of the limiter is logged, never shown. Refusing
        # every form while Redis is down would turn a counter's outage into the service's, and
        # raising after a referral was saved told its sender it had not been. Per process, a
        # client gets at most the limit times the number of processes for the outage; sign-in
        # keeps its protection in the database (portal/services/signin.py's ceiling and holds).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": REDIS_TIMEOUTS if rate_limit_storage.startswith("redis") else {},
        # One JSON object a line for a log collector in production; plain lines for a person
        # reading a terminal in development and tests.
        "LOG_FORMAT": _one_of(environ, "LOG_FORMAT", ("json", "text"), "json" if production else "text"),
        "SUBMISSION_RATE_LIMIT": environ.get("SUBMISSION_RATE_LIMIT", "").strip() or "30 per minute;120 per hour",
        "MAIL_URL": _mail_url(environ, production),
        # Slow work (response PDFs, the Annual Report): empty runs it on a thread in each app
        # process; redis://… queues it for `flask jobs worker` processes on any host.
        "JOBS_URL": _jobs_url(environ),
        "MAIL_FROM": environ.get("MAIL_FROM", "").strip() or "sps@example.invalid",
        # The portal's public address, for the links in reminders. Production has no default: the
        # reminders step refuses to send a link to the wrong place, while the portal still starts.
        "PORTAL_URL": environ.get("PORTAL_URL", "").strip().rstrip("/")
        or ("" if production else "http://127.0.0.1:5000"),
        "SIGN_IN_RATE_LIMIT": environ.get("SIGN_IN_RATE_LIMIT", "").strip() or "10 per minute;50 per hour",
        "SESSION_IDLE_MINUTES": _whole_number(environ, "SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": _whole_number(environ, "SESSION_ABSOLUTE_HOURS", 10),
        "SET_UP_LINK_HOURS": _whole_number(environ, "SET_UP_LINK_HOURS", 24),
        "TRAINING_VALID_MONTHS": _whole_number(environ, "TRAINING_VALID_MONTHS", 12),
        "CONSENT_REVIEW_MONTHS": _whole_number(environ, "CONSENT_REVIEW_MONTHS", 6),
        "RETENTION_YEARS": _whole_number(environ, "RETENTION_YEARS", 3),
        "REQUEST_RETENTION_YEARS": _whole_number(environ, "REQUEST_RETENTION_YEARS", 3),
        "AUDIT_RETENTION_YEARS": _whole_number(environ, "AUDIT_RETENTION_YEARS", 6),
        # A referral still new this many days after it arrived, with no contact and no attestation,
        # closes as lapsed (design 8), so an unattested referral cannot wait for ever.
        "REFERRAL_LAPSE_DAYS": _whole_number(environ, "REFERRAL_LAPSE_DAYS", 90),
        # "off" leaves destruction to a person running retention purge; daily still does the rest.
        "RETENTION_PURGE": _one_of(environ, "RETENTION_PURGE", ("on", "off"), "on"),
        # Staff acting in their role are normally named in a subject access response; a service
        # that judges otherwise (for example after threats to staff) withholds them.
        "SAR_WITHHOLD_STAFF_NAMES": _yes_no(environ, "SAR_WITHHOLD_STAFF_NAMES", False),
        # Whose public holidays move a subject access or complaint deadline (FOI always skips
        # every part of the UK's).
        "SERVICE_NATION": _one_of(environ, "SERVICE_NATION", tuple(NATIONS), DEFAULT_NATION),
        "VOLUNTEER_AGREEMENT_VERSION": environ.get("VOLUNTEER_AGREEMENT_VERSION", "").strip() or "2026-1",
        # How families reach the service and who answers for their data: the contact page, the
        # footer's link, every confirmation, e-mail and subject access PDF (services/service_contact.py).
        "SERVICE_PHONE": _text(environ, "SERVICE_PHONE", SERVICE_CONTACT_DEFAULTS["SERVICE_PHONE"]),
        "SERVICE_EMAIL": _text(environ, "SERVICE_EMAIL", SERVICE_CONTACT_DEFAULTS["SERVICE_EMAIL"]),
        "SERVICE_ADDRESS": _address_lines(environ, "SERVICE_ADDRESS", SERVICE_CONTACT_DEFAULTS["SERVICE_ADDRESS"]),
        "SERVICE_HOURS": _text(environ, "SERVICE_HOURS", SERVICE_CONTACT_DEFAULTS["SERVICE_HOURS"]),
        "SAFEGUARDING_PHONE": _text(environ, "SAFEGUARDING_PHONE", SERVICE_CONTACT_DEFAULTS["SAFEGUARDING_PHONE"]),
        "SAFEGUARDING_OUT_OF_HOURS_PHONE": _text(
            environ, "SAFEGUARDING_OUT_OF_HOURS_PHONE", SERVICE_CONTACT_DEFAULTS["SAFEGUARDING_OUT_OF_HOURS_PHONE"]
        ),
        "COUNCIL_COMPLAINTS_URL": _text(
            environ, "COUNCIL_COMPLAINTS_URL", SERVICE_CONTACT_DEFAULTS["COUNCIL_COMPLAINTS_URL"]
        ),
        "CONTROLLER_NAME": _text(environ, "CONTROLLER_NAME", SERVICE_CONTACT_DEFAULTS["CONTROLLER_NAME"]),
        "DPO_EMAIL": _text(environ, "DPO_EMAIL", SERVICE_CONTACT_DEFAULTS["DPO_EMAIL"]),
        "DPO_ADDRESS": _address_lines(environ, "DPO_ADDRESS", SERVICE_CONTACT_DEFAULTS["DPO_ADDRESS"]),
        # A parent may take well over an hour over a referral: the CSRF token lives as long as the
        # browser session instead of Flask-WTF's default hour, so a slow writer loses nothing.
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "TRUST_PROXY_HOPS": _proxy_hops(environ),
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "MAX_FORM_MEMORY_SIZE": 256 * 1024,
        "PASSWORD_HASH_PARAMETERS": TEST_PASSWORD_HASH if env == "test" else None,
    }
