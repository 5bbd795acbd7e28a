"""Taking in referrals: self-referrals and professional referrals (design 6.1, 6.2).

The public forms collect and check answers; this module applies the service's rules once more
at the point of storing (consent, attestation, how the family can be reached), writes the referral
in one transaction, and sends the acknowledgement. A resubmitted check-answers page returns the
referral it already made, so a double click never makes two.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from portal.crypto import keyring, normalise_email
from portal.models.referrals import AGE_BANDS, ConsentAttestation, Person, Referral
from portal.services import intake
from portal.services.clock import london_day
from portal.services.consent import (
    ATTESTATION_STATEMENT,
    Attestation,
    require_complete_attestation,
    require_privacy_agreement,
)
from portal.services.mail import Mailer
from portal.services.problems import Refusal
from portal.services.validation import age_on

log = logging.getLogger(__name__)

# The two ways in, and who filled in the form: with their labels, for the triage queue and the
# statistics alike.
ROUTE_LABELS = {"self": "Self-referral (parent, carer or young person)", "professional": "Professional referral"}
COMPLETED_BY_LABELS = {
    "parent_carer": "A parent or carer",
    "young_person": "The young person",
    "professional": "A professional",
}

ACKNOWLEDGEMENT_SUBJECT = "We have received your referral"


# The oldest age in each of the bands the statistics count (design section 9); the last band,
# "over-25", takes everyone older.
_OLDEST_IN_BAND = dict(zip(AGE_BANDS, (4, 10, 15, 19, 25), strict=False))


def age_band_on(born: dt.date, day: dt.date) -> str:
    """The child's age band on ``day``: stored with the referral so statistics count bands in SQL
    without decrypting a single date of birth."""
    age = age_on(born, day)
    return next((band for band, oldest in _OLDEST_IN_BAND.items() if age <= oldest), AGE_BANDS[-1])


class UnreachableFamily(Refusal):
    """The referral gives no way to reach the family by the contact method chosen."""


@dataclass(frozen=True)
class Child:
    full_name: str
    date_of_birth: dt.date
    school_or_setting: str


@dataclass(frozen=True)
class Contact:
    """How to reach the family: the parent/carer's, or the young person's own, details."""

    email: str | None
    phone: str | None
    address: str | None
    postcode: str | None
    preferred: str


@dataclass(frozen=True)
class Referrer:
    full_name: str
    job_title: str
    organisation: str
    email: str
    phone: str


@dataclass(frozen=True)
class SelfReferral:
    completed_by: str  # parent_carer or young_person
    parent_carer_name: str | None
    child: Child
    contact: Contact
    needs: str


@dataclass(frozen=True)
class ProfessionalReferral:
    referrer: Referrer
    child: Child
    parent_carer_name: str | None  # None: the family contact is the young person
    contact: Contact
    reason: str
    attestation: Attestation


@dataclass(frozen=True)
class PrivacyAgreement:
    agreed: bool
    version_shown: str | None
    current_version: str


def contact_problems(contact: Contact) -> dict[str, str]:
    """The contact details the chosen method needs and lacks, keyed by form field."""
    problems = {}
    if contact.preferred == "email" and not contact.email:
        problems["email"] = "Enter an email address, or choose another way for us to contact you"
    if contact.preferred == "phone" and not contact.phone:
        problems["phone"] = "Enter a telephone number, or choose another way for us to contact you"
    if contact.preferred == "letter" and not (contact.address and contact.postcode):
        field = "address_line_1" if not contact.address else "postcode"
        problems[field] = "Enter an address and postcode, or choose another way for us to contact you"
    return problems


def family_contact_problems(parent_carer_name: str | None, attestation: Attestation) -> dict[str, str]:
    """Without a parent or carer named, the service contacts the young person, so it must be
    the young person's own consent that was attested."""
    if not parent_carer_name and attestation.given_by == "parent_carer":
        return {"parent_carer_name": "Enter the parent or carer's full name, as they gave consent"}
    return {}


def submit_self_referral(
    answers: SelfReferral, agreement: PrivacyAgreement, submission_key: str, mailer: Mailer, now: dt.datetime
) -> Referral:
    require_privacy_agreement(agreement.agreed, agreement.version_shown, agreement.current_version)
    _require_reachable(answers.contact)
    people = [_child(answers.child, answers.contact if answers.completed_by == "young_person" else None)]
    if answers.completed_by == "parent_carer":
        people.append(_contact_person("parent_carer", answers.parent_carer_name or "", answers.contact))
    referral, made = _store(
        submission_key,
        lambda: Referral(
            route="self",
            completed_by=answers.completed_by,
            school_or_setting=answers.child.school_or_setting,
            needs=answers.needs,
            preferred_contact=answers.contact.preferred,
            privacy_notice_version=agreement.current_version,
            submitted_at=now,
            privacy_agreed_at=now,
            child_age_band=age_band_on(answers.child.date_of_birth, london_day(now)),
            people=people,
        ),
    )
    if made:  # a resent page gets its referral back, not a second e-mail
        _acknowledge(mailer, answers.contact.email, referral)
    return referral


def submit_professional_referral(
    answers: ProfessionalReferral, agreement: PrivacyAgreement, submission_key: str, mailer: Mailer, now: dt.datetime
) -> Referral:
    require_complete_attestation(answers.attestation)
    family = family_contact_problems(answers.parent_carer_name, answers.attestation)
    if family:
        raise UnreachableFamily(family)
    require_privacy_agreement(agreement.agreed, agreement.version_shown, agreement.current_version)
    _require_reachable(answers.contact)
    referrer = answers.referrer
    child_is_contact = not answers.parent_carer_name
    people = [
        _child(answers.child, answers.contact if child_is_contact else None),
        Person(
            role="referrer",
            full_name=referrer.full_name,
            job_title=referrer.job_title,
            organisation=referrer.organisation,
            email=referrer.email,
            email_hash=keyring().lookup_hash(normalise_email(referrer.email)),
            phone=referrer.phone,
        ),
    ]
    if not child_is_contact:
        people.append(_contact_person("parent_carer", answers.parent_carer_name or "", answers.contact))
    attestation = answers.attestation
    referral, made = _store(
        submission_key,
        lambda: Referral(
            route="professional",
            completed_by="professional",
            school_or_setting=answers.child.school_or_setting,
            needs=answers.reason,
            preferred_contact=answers.contact.preferred,
            privacy_notice_version=agreement.current_version,
            submitted_at=now,
            privacy_agreed_at=now,
            child_age_band=age_band_on(answers.child.date_of_birth, london_day(now)),
            people=people,
            attestations=[
                ConsentAttestation(
                    given_by=attestation.given_by,
                    given_on=attestation.given_on,
                    method=attestation.method,
                    referrer_name=referrer.full_name,
                    referrer_role=referrer.job_title,
                    referrer_organisation=referrer.organisation,
                    referrer_email=referrer.email,
                    referrer_phone=referrer.phone,
                    wording=ATTESTATION_STATEMENT,
                    source="referral_form",
                    recorded_at=now,
                )
            ],
        ),
    )
    if made:
        _acknowledge(mailer, referrer.email, referral)
    return referral


def _require_reachable(contact: Contact) -> None:
    problems = contact_problems(contact)
    if problems:
        raise UnreachableFamily(problems)


def _child(child: Child, contact: Contact | None) -> Person:
    person = Person(
        role="child",
        full_name=child.full_name,
        date_of_birth=child.date_of_birth,
    )
    if contact is not None:
        _apply_contact(person, contact)
    return person


def _contact_person(role: str, full_name: str, contact: Contact) -> Person:
    person = Person(role=role, full_name=full_name)
    _apply_contact(person, contact)
    return person


def _apply_contact(person: Person, contact: Contact) -> None:
    person.email = contact.email
    person.email_hash = keyring().lookup_hash(normalise_email(contact.email)) if contact.email else None
    person.phone = contact.phone
    person.address = contact.address
    person.postcode = contact.postcode


def _store(submission_key: str, build: Callable[[], Referral]) -> tuple[Referral, bool]:
    referral, made = intake.store_once(Referral, "SPS", submission_key, build)
    if made:
        log.info("referral %s stored (route %s)", referral.id, referral.route)
    return referral, made


def _acknowledge(mailer: Mailer, address: str | None, referral: Referral) -> None:
    """Tell the person who referred that it arrived: the reference only, no personal details,
    since e-mail may be read by others in the household or the referrer's office."""
    if not address:
        return
    body = (
        f"Thank you. The SEND Partnership Service has received your referral.\n\n"
        f"Your reference is {referral.reference}.\n\n"
        "Please quote it if you contact us. We will be in touch within 10 working days.\n\n"
        "We have not included any details from the referral in this email to keep them private."
    )
    mailer.send(address, ACKNOWLEDGEMENT_SUBJECT, body)
