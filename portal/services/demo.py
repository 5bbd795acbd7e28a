"""Demonstration data: staff of every role and clearly fictional referrals (names from a list of
obviously invented people, addresses in Ofcom's and Royal Mail's example ranges).

Development only (the commands refuse in production). Demo accounts keep a printed password and
authenticator key, so that anyone trying the portal can sign in at once; every real account gets a
set-up link instead, and nobody but its person ever knows its password."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app

from portal.extensions import db
from portal.models.referrals import Person, Referral
from portal.services import accounts, casework, intake, mfa, requests, triage
from portal.services.audit import Actor
from portal.services.casework import CaseDetails
from portal.services.consent import Attestation, current_privacy_notice
from portal.services.mail import Mailer
from portal.services.referrals import (
    Child,
    Contact,
    PrivacyAgreement,
    ProfessionalReferral,
    Referrer,
    SelfReferral,
    age_band_on,
    submit_professional_referral,
    submit_self_referral,
)
from portal.services.requests import ComplaintAnswers, FoiAnswers, Requester, SubjectAccessAnswers
from portal.services.validation import add_years

STAFF = (
    ("demo.volunteer@sps.example", "Demo Volunteer", ["volunteer"]),
    ("demo.caseworker@sps.example", "Demo Caseworker", ["caseworker"]),
    ("demo.dpo@sps.example", "Demo Data Protection Officer", ["dpo"]),
    ("demo.admin@sps.example", "Demo Administrator", ["admin"]),
)
FAMILIES = (
    (
        "Ada Example",
        "Bea Example",
        "ada.example@example.com",
        "Dyslexia; would like help asking the school for support.",
    ),
    ("Cal Sample", "Dee Sample", "dee.sample@example.com", "Autism; anxious about moving to secondary school."),
    ("Eli Specimen", None, "eli.specimen@example.com", "I am 19 and want to know about my EHC plan at college."),
    (
        "Fay Fictional",
        "Gus Fictional",
        "gus.fictional@example.com",
        "Physical disability; school transport has stopped.",
    ),
    ("Hal Madeup", "Ivy Madeup", "ivy.madeup@example.com", "Two fixed-term exclusions this term."),
    ("Jo Placeholder", "Kit Placeholder", "kit.placeholder@example.com", "ADHD; waiting for an assessment."),
)


def demo_account(email: str, name: str, roles: list[str], actor: Actor) -> tuple[str, str]:
    """Create or refresh a demo account, trained, with an authenticator already set up; returns
    its new password and authenticator key.

    The one exception to "nobody but the person knows their password": demo accounts are for
    trying the portal in development (the commands refuse in production), so their password and
    key are made here and printed, instead of being chosen through a set-up link."""
    password = accounts.generated_password()
    user = accounts.find_by_email(email)
    if user is None:
        link_hours = dt.timedelta(hours=current_app.config["SET_UP_LINK_HOURS"])
        user = accounts.create_user(email, name, roles, actor, link_hours, trained_on=actor.today).user
    accounts.set_password(user, password, actor)
    secret = mfa.new_secret()
    user.totp_secret, user.totp_confirmed_at, user.totp_last_step = secret, actor.at, 0
    user.training_completed_on = actor.today
    user.volunteer_agreement_version = (
        current_app.config["VOLUNTEER_AGREEMENT_VERSION"] if "volunteer" in roles else None
    )
    db.session.commit()
    return password, secret


def seed(actor: Actor) -> list[str]:
    lines = ["Demo staff (each has an authenticator key already set up):"]
    for email, name, roles in STAFF:
        password, secret = demo_account(email, name, roles, actor)
        lines.append(f"  {email}  password: {password}  authenticator key: {secret}")
    mailer = Mailer("memory://", "sps@example.invalid")
    version = current_privacy_notice().version
    agreement = PrivacyAgreement(True, version, version)
    today = actor.today
    made = []
    for number, (child, parent, email, needs) in enumerate(FAMILIES):
        born = add_years(today, -(19 if parent is None else 6 + number))
        contact = Contact(email, "07700 900" + f"{100 + number:03d}", None, None, "email")
        if number % 2:
            answers = ProfessionalReferral(
                Referrer(
                    "Pat Teacher", "SENCo", "Example Primary School", "pat.teacher@school.example", "01632 960123"
                ),
                Child(child, born, "Example Primary School"),
                parent,
                contact,
                needs,
                Attestation("parent_carer", today - dt.timedelta(days=2), "verbal", True),
            )
            made.append(submit_professional_referral(answers, agreement, secrets.token_urlsafe(16), mailer, actor.at))
        else:
            completed_by = "parent_carer" if parent else "young_person"
            answers = SelfReferral(completed_by, parent, Child(child, born, "Example Academy"), contact, needs)
            made.append(submit_self_referral(answers, agreement, secrets.token_urlsafe(16), mailer, actor.at))
    made.append(_keyed_in_without_attestation(version, actor))
    volunteer = accounts.find_by_email(STAFF[0][0])
    if volunteer is not None:
        triage.assign(made[0], volunteer.id, actor)
    lines.append(f"Demo referrals: {len(made)} (one professional referral keyed in from a letter, awaiting consent).")
    caseworker = accounts.find_by_email(STAFF[1][0])
    if caseworker is not None:
        lines.append(_seed_decisions(made, Actor(caseworker.id, actor.client, actor.at)))
    count = _seed_requests(made[0], mailer, actor)
    lines.append(f"Demo requests: {count} (a subject access request, an FOI request, a complaint).")
    return lines


def _seed_decisions(made: list[Referral], caseworker: Actor) -> str:
    """The school transport family's case, filed under its topic and level (stored as codes),
    and a family who told the service by phone that they no longer need it."""
    transport, exclusions = made[3], made[4]
    case = triage.accept(transport, caseworker, caseworker.today, current_app.config["CONSENT_REVIEW_MONTHS"])
    casework.update_details(case, CaseDetails("transport", "level_2", "open"), case.version, caseworker)
    triage.withdraw(exclusions, caseworker.today, "phone", caseworker)
    return "Demo decisions: one referral accepted (a transport case at level 2), one withdrawn by the family."


def _seed_requests(referral: Referral, mailer: Mailer, actor: Actor) -> int:
    """A parent's request for their child's records (matching the first demo referral), an FOI
    request and a complaint, so the data protection team and the manager have work to see."""
    child, parent = referral.person("child"), referral.person("parent_carer")
    if child is None or parent is None or child.date_of_birth is None:
        return 0
    requester = Requester(parent.full_name, parent.email, None, None, None, "email")
    requests.submit_subject_access(
        SubjectAccessAnswers(
            "parent_carer",
            requester,
            None,
            child.full_name,
            None,
            child.date_of_birth,
            referral.reference,
            "Everything you hold about my child, including notes of phone calls.",
            "documents",
        ),
        True,
        secrets.token_urlsafe(16),
        mailer,
        actor.at,
    )
    requests.submit_foi(
        FoiAnswers(requester, "How many families did the service support in each of the last three years?"),
        secrets.token_urlsafe(16),
        mailer,
        actor.at,
    )
    requests.submit_complaint(
        ComplaintAnswers(requester, "A letter about my child was sent to our old address.", "An apology.", None),
        secrets.token_urlsafe(16),
        mailer,
        actor.at,
    )
    return 3


def _keyed_in_without_attestation(version: str, actor: Actor) -> Referral:
    """A professional referral that arrived by post without the family's consent recorded: the
    case the back office's consent gate exists for."""
    born = add_years(actor.today, -13)

    def build() -> Referral:
        return Referral(
            route="professional",
            completed_by="professional",
            school_or_setting="Example High School",
            needs="Letter from the school nurse: worried about a pupil's attendance and unmet needs.",
            preferred_contact="phone",
            privacy_notice_version=version,
            privacy_agreed_at=actor.at,
            submitted_at=actor.at,
            child_age_band=age_band_on(born, actor.today),
            people=[
                Person(role="child", full_name="Lou Invented", date_of_birth=born),
                Person(role="parent_carer", full_name="Max Invented", phone="07700 900999"),
                Person(
                    role="referrer", full_name="Sam Nurse", job_title="School nurse", organisation="Example NHS Trust"
                ),
            ],
        )

    referral, _ = intake.store_once(Referral, "SPS", secrets.token_urlsafe(24), build)
    return referral
