"""Consent rules (design 6.1, 6.2), tested without HTTP."""

import datetime as dt

import pytest

from portal.extensions import db
from portal.models import ConsentAttestation, Referral, StaffUser
from portal.services import clock, consent, referrals, triage
from portal.services.consent import Attestation, IncompleteAttestation
from portal.services.mail import Mailer
from portal.services.referrals import (
    Child,
    Contact,
    PrivacyAgreement,
    ProfessionalReferral,
    Referrer,
    SelfReferral,
    UnreachableFamily,
)
from portal.services.validation import DateParts, InvalidInput
from tests.clock import clock_on

TODAY = dt.date(2026, 11, 25)
clock_on_today = clock_on(TODAY)
COMPLETE = Attestation(
    given_by="parent_carer", given_on=dt.date(2026, 11, 20), method="verbal", statement_confirmed=True
)
AGREED = PrivacyAgreement(agreed=True, version_shown="1.0", current_version="1.0")
CHILD = Child("Tomasz Kowalski", dt.date(2012, 9, 2), "Riverside Primary School")
CONTACT = Contact(email="anna.k@example.com", phone=None, address=None, postcode=None, preferred="email")
REFERRER = Referrer("Priya Shah", "Family Support Worker", "Riverside Primary", "p.shah@example.org", "01632 960001")

# Someone who sees every referral, to look references up with (never stored).
MANAGER = StaffUser(id=0, roles="manager")


def professional(attestation=COMPLETE, parent="Anna Kowalska", contact=CONTACT):
    return ProfessionalReferral(REFERRER, CHILD, parent, contact, "Exclusions", attestation)


def test_a_complete_attestation_has_no_problems():
    assert consent.attestation_problems(COMPLETE) == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"given_by": None}, "consent_given_by"),
        ({"given_by": "neighbour"}, "consent_given_by"),
        ({"given_on": None}, "consent_given_on"),
        ({"method": "telepathy"}, "consent_method"),
        ({"statement_confirmed": False}, "consent_confirmed"),
    ],
)
def test_each_missing_part_of_an_attestation_is_named(change, field):
    attestation = Attestation(**{**COMPLETE.__dict__, **change})
    assert list(consent.attestation_problems(attestation)) == [field]


def test_consent_dates_must_be_real_past_and_recent():
    assert consent.consent_date(DateParts("25", "11", "2026"), TODAY) == TODAY
    assert consent.consent_date(DateParts("25", "11", "2025"), TODAY) == dt.date(2025, 11, 25)
    with pytest.raises(InvalidInput, match="today or in the past"):
        consent.consent_date(DateParts("26", "11", "2026"), TODAY)
    with pytest.raises(InvalidInput, match="within the last 12 months"):
        consent.consent_date(DateParts("24", "11", "2025"), TODAY)


def test_privacy_agreement_must_be_given_to_the_current_version():
    consent.require_privacy_agreement(True, "1.0", "1.0")
    with pytest.raises(consent.ConsentMissing):
        consent.require_privacy_agreement(False, "1.0", "1.0")
    with pytest.raises(consent.PrivacyNoticeChanged, match=r"version 1\.1"):
        consent.require_privacy_agreement(True, "1.0", "1.1")


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        (Contact(None, "01632 960001", None, None, "email"), "email"),
        (Contact("a@example.com", None, None, None, "phone"), "phone"),
        (Contact("a@example.com", None, None, "BA1 1AA", "letter"), "address_line_1"),
        (Contact("a@example.com", None, "1 Street\nBath", None, "letter"), "postcode"),
    ],
)
def test_the_chosen_contact_method_needs_its_details(contact, field):
    assert list(referrals.contact_problems(contact)) == [field]


def test_without_a_parent_named_the_young_person_must_have_consented():
    assert referrals.family_contact_problems(None, COMPLETE) == {
        "parent_carer_name": "Enter the parent or carer's full name, as they gave consent"
    }
    young_person = Attestation(**{**COMPLETE.__dict__, "given_by": "young_person"})
    assert referrals.family_contact_problems(None, young_person) == {}


@pytest.mark.usefixtures("app_context")
class TestStoring:
    mailer = Mailer("memory://", "sps@example.invalid")

    def count(self, model) -> int:
        return db.session.scalar(db.select(db.func.count()).select_from(model))

    def test_an_incomplete_attestation_stores_nothing(self):
        incomplete = Attestation(**{**COMPLETE.__dict__, "method": None})
        with pytest.raises(IncompleteAttestation) as refusal:
            referrals.submit_professional_referral(professional(incomplete), AGREED, "key-1", self.mailer, clock.now())
        assert list(refusal.value.problems) == ["consent_method"]
        assert self.count(Referral) == self.count(ConsentAttestation) == 0

    def test_an_attestation_is_stored_with_the_exact_wording_and_referrer(self):
        referral = referrals.submit_professional_referral(professional(), AGREED, "key-2", self.mailer, clock.now())
        [attestation] = referral.attestations
        assert attestation.wording == consent.ATTESTATION_STATEMENT
        assert (attestation.given_by, attestation.given_on, attestation.method) == (
            "parent_carer",
            dt.date(2026, 11, 20),
            "verbal",
        )
        assert (attestation.referrer_name, attestation.referrer_email) == ("Priya Shah", "p.shah@example.org")
        assert attestation.source == "referral_form" and attestation.recorded_at is not None

    def test_a_family_that_cannot_be_reached_is_refused(self):
        unreachable = Contact(None, None, None, None, "email")
        with pytest.raises(UnreachableFamily):
            referrals.submit_professional_referral(
                professional(contact=unreachable), AGREED, "key-3", self.mailer, clock.now()
            )
        assert self.count(Referral) == 0

    def test_a_self_referral_without_agreement_stores_nothing(self):
        answers = SelfReferral("parent_carer", "Anna Kowalska", CHILD, CONTACT, "Needs")
        refused = PrivacyAgreement(agreed=False, version_shown="1.0", current_version="1.0")
        with pytest.raises(consent.ConsentMissing):
            referrals.submit_self_referral(answers, refused, "key-4", self.mailer, clock.now())
        assert self.count(Referral) == 0

    def test_the_same_submission_key_returns_the_same_referral(self):
        answers = SelfReferral("parent_carer", "Anna Kowalska", CHILD, CONTACT, "Needs")
        first = referrals.submit_self_referral(answers, AGREED, "key-5", self.mailer, clock.now())
        again = referrals.submit_self_referral(answers, AGREED, "key-5", self.mailer, clock.now())
        assert first.id == again.id and self.count(Referral) == 1

    def test_a_referral_is_found_by_its_reference_typed_loosely(self):
        answers = SelfReferral("parent_carer", "Anna Kowalska", CHILD, CONTACT, "Needs")
        referral = referrals.submit_self_referral(answers, AGREED, "key-6", self.mailer, clock.now())
        typed = referral.reference.lower().replace("-", " ")
        assert triage.find_by_reference(MANAGER, typed).id == referral.id
