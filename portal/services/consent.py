"""Consent rules for referrals (design 6.1 and 6.2).

A self-referral is kept only once the person agrees to the privacy notice version they were shown.
A professional's referral is kept only with a complete consent attestation: who in the family
agreed, when, how, and the professional's confirmation of the exact statement below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.extensions import db
from portal.models.referrals import (
    CONSENT_GIVERS,
    CONSENT_METHODS,
    ConsentAttestation,
    PrivacyNoticeVersion,
    Referral,
)
from portal.services import audit
from portal.services.audit import Actor
from portal.services.validation import DateParts, InvalidInput, add_years, real_date

# Shown beside the professional's tick box and stored word for word with the attestation.
ATTESTATION_STATEMENT = (
    "I confirm that the person named as giving consent agreed to their contact details and the "
    "information in this referral being passed to the SEND Partnership Service, and to the service "
    "contacting them about it."
)

GIVER_LABELS = {"parent_carer": "Parent or carer", "young_person": "The young person"}
METHOD_LABELS = {"written": "In writing", "verbal": "Verbally (in person or by phone)", "email": "By email"}


class ConsentMissing(Exception):
    """The referral cannot be kept: the privacy notice has not been agreed to."""


class PrivacyNoticeChanged(Exception):
    """The person agreed to a version of the privacy notice that is no longer current."""


class IncompleteAttestation(Exception):
    """A professional referral's consent attestation lacks something; ``problems`` says what."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class Attestation:
    given_by: str | None
    given_on: dt.date | None
    method: str | None
    statement_confirmed: bool


def current_privacy_notice() -> PrivacyNoticeVersion:
    notice = db.session.scalars(
        db.select(PrivacyNoticeVersion).order_by(PrivacyNoticeVersion.published_on.desc()).limit(1)
    ).first()
    if notice is None:
        raise LookupError("no privacy notice version is recorded; run flask db upgrade")
    return notice


def require_privacy_agreement(agreed: bool, version_shown: str | None, current_version: str) -> None:
    """Refuse unless the person ticked agreement to the version that is current now."""
    if version_shown != current_version:
        raise PrivacyNoticeChanged(
            f"The privacy notice has been updated to version {current_version}: read it and agree again"
        )
    if not agreed:
        raise ConsentMissing("Confirm you have read the privacy notice and agree to the service keeping these details")


def consent_date(parts: DateParts, today: dt.date) -> dt.date:
    """When the family gave consent: a real date, not in the future, within the last 12 months.

    Older consent may no longer hold, so the referrer is asked to confirm it again first."""
    given_on = real_date(parts, "the date consent was given")
    if given_on > today:
        raise InvalidInput("The date consent was given must be today or in the past")
    if add_years(given_on, 1) < today:
        raise InvalidInput(
            "The date consent was given must be within the last 12 months: ask the family to confirm "
            "their consent again"
        )
    return given_on


def attestation_problems(attestation: Attestation) -> dict[str, str]:
    """What is missing from an attestation, keyed by the form field that supplies it."""
    problems = {}
    if attestation.given_by not in CONSENT_GIVERS:
        problems["consent_given_by"] = "Select who gave consent"
    if attestation.given_on is None:
        problems["consent_given_on"] = "Enter the date consent was given"
    if attestation.method not in CONSENT_METHODS:
        problems["consent_method"] = "Select how consent was given"
    if not attestation.statement_confirmed:
        problems["consent_confirmed"] = "Confirm that the family agreed to their details being passed on"
    return problems


def require_complete_attestation(attestation: Attestation) -> None:
    problems = attestation_problems(attestation)
    if problems:
        raise IncompleteAttestation(problems)


# Stored with an attestation that staff recorded after confirming consent with the family.
STAFF_ATTESTATION_STATEMENT = (
    "A member of staff confirmed with the person named as giving consent that they agree to the "
    "SEND Partnership Service holding the details in this referral and contacting them about it."
)


def record_attestation_by_staff(
    referral: Referral, attestation: Attestation, actor: Actor, today: dt.date
) -> ConsentAttestation:
    """Consent confirmed later, for example by phone: who gave it, when, how, and which member of
    staff recorded it (the actor)."""
    require_complete_attestation(attestation)
    assert attestation.given_on is not None  # checked just above
    if attestation.given_on > today:
        raise IncompleteAttestation({"consent_given_on": "The date consent was given must be today or in the past"})
    record = ConsentAttestation(
        referral_id=referral.id,
        given_by=attestation.given_by,
        given_on=attestation.given_on,
        method=attestation.method,
        wording=STAFF_ATTESTATION_STATEMENT,
        source="staff",
        recorded_by_id=actor.staff_id,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "consent attestation recorded", "referral", referral.id, detail=f"attestation {record.id}")
    db.session.commit()
    db.session.refresh(referral)
    return record
