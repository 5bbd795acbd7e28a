"""Consent rules for referrals (design 6.1 and 6.2).

A self-referral is kept only once the person agrees to the privacy notice version they were shown.
A professional's referral is kept only with a complete consent attestation: who in the family
agreed, when, how, and the professional's confirmation of the exact statement below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, object_session

from portal.extensions import db
from portal.models.cases import Case
from portal.models.consent import REVIEW_OUTCOMES, ConsentParty, ConsentRecord, ConsentReview
from portal.models.referrals import (
    CONSENT_GIVERS,
    CONSENT_METHODS,
    ConsentAttestation,
    PrivacyNoticeVersion,
    Referral,
)
from portal.services import audit, clock
from portal.services.audit import Actor
from portal.services.clock import add_months
from portal.services.problems import Refusal
from portal.services.validation import DateParts, InvalidInput, add_years, age_on, real_date, recorded_date_problem

# Shown beside the professional's tick box and stored word for word with the attestation.
ATTESTATION_STATEMENT = (
    "I confirm that the person named as giving consent agreed to their contact details and the "
    "information in this referral being passed to the SEND Partnership Service, and to the service "
    "contacting them about it."
)

GIVER_LABELS = {"parent_carer": "Parent or carer", "young_person": "The young person"}
REVIEW_LABELS = {"confirmed": "Confirmed", "changed": "Changed", "withdrawn": "Withdrawn"}
METHOD_LABELS = {"written": "In writing", "verbal": "Verbally (in person or by phone)", "email": "By email"}


class ConsentMissing(Exception):
    """The referral cannot be kept: the privacy notice has not been agreed to."""


class PrivacyNoticeChanged(Exception):
    """The person agreed to a version of the privacy notice that is no longer current."""


class IncompleteAttestation(Refusal):
    """A professional referral's consent attestation lacks something; ``problems`` says what."""


@dataclass(frozen=True)
class Attestation:
    given_by: str | None
    given_on: dt.date | None
    method: str | None
    statement_confirmed: bool


@dataclass(frozen=True)
class PrivacyNotice:
    """The current version of the privacy notice, as read (a plain value: it outlives the session)."""

    version: str
    published_on: dt.date
    content_sha256: str


# Every form's check page and every send read the current notice, a query each time for a row
# that changes once in years. So each process keeps what it read for NOTICE_KEPT_FOR by the
# portal's clock, per database. A version published through this process (any commit that adds,
# changes or removes a PrivacyNoticeVersion through the ORM) shows at once: the commit forgets
# what was kept.
# Published any other way (a migration run by another process, another app server), it shows
# here within NOTICE_KEPT_FOR. In that window a person may still be shown, and agree to, the
# version before; the version they agreed to is what is recorded, as always.
NOTICE_KEPT_FOR = dt.timedelta(seconds=30)
_NOTICE_CHANGED = "privacy notice changed"
_kept_notices: WeakKeyDictionary[Engine, tuple[dt.datetime, PrivacyNotice]] = WeakKeyDictionary()


def current_privacy_notice() -> PrivacyNotice:
    """The current version of the privacy notice (read at most every NOTICE_KEPT_FOR; see above)."""
    engine, now = db.engine, clock.now()
    kept = _kept_notices.get(engine)
    # A clock moved back (as tests move it) counts as expired too.
    if kept is not None and kept[0] <= now < kept[0] + NOTICE_KEPT_FOR:
        return kept[1]
    row = db.session.scalars(
        db.select(PrivacyNoticeVersion).order_by(PrivacyNoticeVersion.published_on.desc()).limit(1)
    ).first()
    if row is None:
        raise LookupError("no privacy notice version is recorded; run flask db upgrade")
    notice = PrivacyNotice(row.version, row.published_on, row.content_sha256)
    _kept_notices[engine] = (now, notice)
    return notice


@event.listens_for(PrivacyNoticeVersion, "after_insert")
@event.listens_for(PrivacyNoticeVersion, "after_update")
@event.listens_for(PrivacyNoticeVersion, "after_delete")
def _notice_changed(mapper: Any, connection: Connection, version: PrivacyNoticeVersion) -> None:
    session = object_session(version)
    if session is not None:
        session.info[_NOTICE_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_kept_notices(session: Session) -> None:
    # Forgotten once the change is committed, not when it is flushed: a read in between, by
    # another request, would keep the version before it for NOTICE_KEPT_FOR.
    if session.info.pop(_NOTICE_CHANGED, False):
        _kept_notices.clear()


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
    staff recorded it (the actor). Only a professional referral carries an attestation: a family
    referring themselves agreed on the form."""
    if referral.route != "professional":
        raise IncompleteAttestation({"consent_given_by": "Only a professional referral needs a consent attestation"})
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
        recorded_at=actor.at,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "consent attestation recorded", "referral", referral.id, detail=f"attestation {record.id}")
    db.session.commit()
    db.session.refresh(referral)
    return record


# Consent during casework (design 6.3, 6.4) -----------------------------------------------------

CHILD_VIEW_AGE = 12  # the policy: over 12, a child's own view may be sought


class ConsentNotRecorded(Refusal):
    """A consent, withdrawal or review cannot be recorded; ``problems`` says what is missing."""


@dataclass(frozen=True)
class CaseConsent:
    given_by: str | None
    given_on: dt.date | None
    method: str | None
    keeps_contact_information: bool
    parties: list[str]
    child_view_sought: bool | None = None
    child_view: str = ""


def case_consent_problems(consent: CaseConsent, child_born: dt.date | None, today: dt.date) -> dict[str, str]:
    problems = {}
    if consent.given_by not in CONSENT_GIVERS:
        problems["given_by"] = "Select who gave consent"
    if given_on_problem := recorded_date_problem(consent.given_on, "the date consent was given", today):
        problems["given_on"] = given_on_problem
    if consent.method not in CONSENT_METHODS:
        problems["consent_method"] = "Select how consent was given"
    if not consent.keeps_contact_information and not consent.parties:
        problems["covers"] = (
            "Say what the consent covers: keeping contact information, sharing with named third parties, or both"
        )
    if any(len(party) > 200 for party in consent.parties):
        problems["parties"] = "Each third party's name must be 200 characters or fewer"
    over_12 = (
        child_born is not None
        and consent.given_on is not None
        and age_on(child_born, consent.given_on) > CHILD_VIEW_AGE
    )
    if consent.given_by == "parent_carer" and over_12:
        if consent.child_view_sought is None:
            problems["child_view_sought"] = "Say whether the child's own view was sought: they are over 12"
        elif consent.child_view_sought and not consent.child_view.strip():
            problems["child_view"] = "Record what the child said"
    return problems


def record_case_consent(
    case: Case, consent: CaseConsent, child_born: dt.date | None, actor: Actor, today: dt.date, review_months: int
) -> ConsentRecord:
    """A consent record for the case; it also sets the next consent review."""
    problems = case_consent_problems(consent, child_born, today)
    if case.status == "closed":
        problems["given_by"] = "Reopen the case before recording consent"
    if problems:
        raise ConsentNotRecorded(problems)
    record = ConsentRecord(
        case_id=case.id,
        given_by=consent.given_by,
        given_on=consent.given_on,
        method=consent.method,
        keeps_contact_information=consent.keeps_contact_information,
        privacy_notice_version=current_privacy_notice().version,
        child_view_sought=consent.child_view_sought if consent.given_by == "parent_carer" else None,
        child_view=consent.child_view.strip() or None,
        recorded_by_id=actor.staff_id,
        recorded_at=actor.at,
        parties=[ConsentParty(name=name) for name in consent.parties],
    )
    db.session.add(record)
    assert consent.given_on is not None  # checked above
    case.consent_review_due = add_months(consent.given_on, review_months)
    db.session.flush()
    audit.record(actor, "consent recorded", "case", case.id, detail=f"consent {record.id}")
    db.session.commit()
    return record


def withdraw_consent(
    record: ConsentRecord,
    withdrawn_by: str | None,
    withdrawn_on: dt.date | None,
    method: str | None,
    actor: Actor,
    today: dt.date,
) -> None:
    """From now on nothing can be disclosed on this consent."""
    problems = {}
    if withdrawn_by not in CONSENT_GIVERS:
        problems["withdrawn_by"] = "Select who withdrew consent"
    if withdrawn_on is None:
        problems["withdrawn_on"] = "Enter the date consent was withdrawn"
    elif withdrawn_on > today or withdrawn_on < record.given_on:
        problems["withdrawn_on"] = "The date must be between the day consent was given and today"
    if method not in CONSENT_METHODS:
        problems["withdrawn_method"] = "Select how consent was withdrawn"
    if not record.current:
        problems["withdrawn_by"] = "This consent has already been withdrawn"
    if problems:
        raise ConsentNotRecorded(problems)
    record.withdrawn_by, record.withdrawn_on, record.withdrawn_method = withdrawn_by, withdrawn_on, method
    record.withdrawal_recorded_by_id = actor.staff_id
    audit.record(actor, "consent withdrawn", "case", record.case_id, detail=f"consent {record.id}")
    db.session.commit()


def record_review(
    case: Case,
    reviewed_on: dt.date | None,
    outcome: str | None,
    method: str | None,
    actor: Actor,
    today: dt.date,
    review_months: int,
) -> ConsentReview:
    """A consent review: confirmed, changed (record the new consent too) or withdrawn (every
    current consent on the case is withdrawn). The next review falls due ``review_months`` on."""
    problems = {}
    if reviewed_on_problem := recorded_date_problem(reviewed_on, "the date of the review", today):
        problems["reviewed_on"] = reviewed_on_problem
    if outcome not in REVIEW_OUTCOMES:
        problems["outcome"] = "Select the outcome of the review"
    if outcome == "withdrawn" and method not in CONSENT_METHODS:
        problems["review_method"] = "Select how consent was withdrawn"
    if case.status == "closed":
        problems["outcome"] = "Reopen the case before recording a review"
    if problems:
        raise ConsentNotRecorded(problems)
    assert reviewed_on is not None  # checked above
    next_due = add_months(reviewed_on, review_months)
    review = ConsentReview(
        case_id=case.id,
        reviewed_on=reviewed_on,
        outcome=outcome,
        next_due=next_due,
        recorded_by_id=actor.staff_id,
        recorded_at=actor.at,
    )
    db.session.add(review)
    if outcome == "withdrawn":
        current = db.session.scalars(
            db.select(ConsentRecord).where(ConsentRecord.case_id == case.id, ConsentRecord.withdrawn_on.is_(None))
        ).all()
        for record in current:
            record.withdrawn_by, record.withdrawn_on, record.withdrawn_method = record.given_by, reviewed_on, method
            record.withdrawal_recorded_by_id = actor.staff_id
    case.consent_review_due = next_due
    db.session.flush()
    audit.record(actor, "consent reviewed", "case", case.id, detail=f"outcome {outcome}")
    db.session.commit()
    return review
