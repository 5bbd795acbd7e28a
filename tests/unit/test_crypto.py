"""Encryption at rest, keyed look-up hashes and key rotation."""

import datetime as dt

import pytest
from cryptography.fernet import Fernet, InvalidToken

from portal.crypto import Keyring
from portal.extensions import db
from portal.models import Person, Referral, StaffUser
from portal.services import accounts, clock, referrals, triage
from portal.services.audit import system_actor
from portal.services.mail import Mailer
from portal.services.referrals import Child, Contact, PrivacyAgreement, SelfReferral
from tests.conftest import build_app

# Someone who sees every referral, to look references up with (never stored).
MANAGER = StaffUser(id=0, roles="manager")


def test_first_key_encrypts_and_every_key_decrypts():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Keyring([old]).encrypt("Siân")
    both = Keyring([new, old])
    assert both.decrypt(token) == "Siân"
    rotated = both.rotate(token)
    assert Keyring([new]).decrypt(rotated) == "Siân"
    with pytest.raises(InvalidToken):
        Keyring([old]).decrypt(rotated)


def test_look_up_hashes_are_keyed_and_tried_under_every_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = Keyring([old]).lookup_hash("sps-7k3q")
    assert stored != Keyring([new]).lookup_hash("sps-7k3q")
    assert stored in Keyring([new, old]).lookup_hashes("sps-7k3q")


def store_referral(app) -> str:
    with app.app_context():
        answers = SelfReferral(
            "parent_carer",
            "Anna Kowalska",
            Child("Tomasz Kowalski", dt.date(2012, 9, 2), "Riverside"),
            Contact("anna.k@example.com", None, None, None, "email"),
            "Needs",
        )
        agreement = PrivacyAgreement(True, "1.0", "1.0")
        referral = referrals.submit_self_referral(
            answers, agreement, "rotation", Mailer("memory://", "x@example.com"), clock.now()
        )
        accounts.create_user(
            "staff@example.com", "Sam Staff", ["caseworker"], system_actor(clock.now()), dt.timedelta(hours=24)
        )
        return referral.reference


def test_rotate_keys_re_encrypts_everything_under_the_new_key(app, database_url):
    old_key = app.config["PORTAL_ENCRYPTION_KEYS"][0]
    new_key = Fernet.generate_key().decode()
    reference = store_referral(app)

    rotated_app = build_app(database_url, PORTAL_ENCRYPTION_KEYS=[new_key, old_key])
    with rotated_app.app_context():
        assert triage.find_by_reference(MANAGER, reference) is not None, "found before rotation, under the old key"
    result = rotated_app.test_cli_runner().invoke(args=["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "referrals: 1 rows re-encrypted" in result.output

    new_only = build_app(database_url, PORTAL_ENCRYPTION_KEYS=[new_key])
    with new_only.app_context():
        referral = triage.find_by_reference(MANAGER, reference)
        assert referral.person("child").full_name == "Tomasz Kowalski"
        assert referral.person("child").date_of_birth == dt.date(2012, 9, 2)
        assert accounts.find_by_email("STAFF@example.com").name == "Sam Staff"
        hashes = new_only.extensions["portal_keyring"].lookup_hashes("anna.k@example.com")
        assert db.session.scalar(db.select(Person).where(Person.email_hash.in_(hashes))) is not None
        db.session.remove()

    with app.app_context():
        with pytest.raises(InvalidToken):
            db.session.scalars(db.select(Referral)).all()
        db.session.rollback()
