"""The second factor: TOTP (RFC 6238) with single-use recovery codes.

A code counts once: the step it belongs to is remembered, and a code from that step or an earlier
one is refused, so a code seen over someone's shoulder cannot be used again within its window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import secrets

import pyotp
import segno

from portal.models.staff import RecoveryCode, StaffUser

ISSUER = "SEND Partnership Service"
STEP_SECONDS = 30
# One step either side of now: allows for a phone clock half a minute out.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(s=secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG markup, drawn here: no image is fetched from anywhere."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer,
        kind="svg",
        scale=5,
        border=2,
        xmldecl=False,
        svgns=True,
        nl=False,
        title="QR code for your authenticator app",
    )
    return buffer.getvalue().decode("utf-8")


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step whose code ``code`` is, within the allowed drift, or None."""
    code = _normalise(code)
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(s=secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def accept_totp(user: StaffUser, secret: str, code: str, now: dt.datetime, new_secret: bool = False) -> bool:
    """Accept a code for ``secret`` once: True and the step remembered, or False (wrong or replayed).
    A ``new_secret`` being confirmed has had no code used yet, so any step in the window counts."""
    step = matching_step(secret, code, now)
    if step is None or (not new_secret and step <= (user.totp_last_step or 0)):
        return False
    user.totp_last_step = step
    return True


def _digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).lower().encode("ascii", "ignore")).hexdigest()


def new_recovery_codes(user: StaffUser) -> list[str]:
    """Replace the user's recovery codes with ten new ones; only their digests are kept."""
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    user.recovery_codes = [RecoveryCode(code_sha256=_digest(code)) for code in codes]
    return codes


def use_recovery_code(user: StaffUser, code: str, now: dt.datetime) -> bool:
    digest = _digest(code)
    for stored in user.recovery_codes:
        if stored.used_at is None and hmac.compare_digest(stored.code_sha256, digest):
            stored.used_at = now
            return True
    return False


def recovery_codes_left(user: StaffUser) -> int:
    return sum(1 for stored in user.recovery_codes if stored.used_at is None)
