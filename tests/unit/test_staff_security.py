"""Passwords, TOTP, recovery codes and lockout, without HTTP."""

import datetime as dt

import pyotp
import pytest

from portal.extensions import db
from portal.models.staff import StaffUser
from portal.services import mfa, passwords, signin
from portal.services.audit import Actor
from portal.services.passwords import PasswordRejected
from portal.services.signin import AccountLocked, InvalidCode, InvalidCredentials
from tests.staff import PASSWORD, make_staff

NOW = dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=dt.UTC)
CLIENT = Actor(None, "192.0.2.10", NOW)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 12 characters"),
        ("x" * 129, "128 characters or fewer"),
        ("password12345", "commonly used password"),
        ("qwertyuiop123", "harder to guess"),
        ("aaaaaaaaaaaaaaaa", "harder to guess"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, reason):
    with pytest.raises(PasswordRejected, match=reason):
        passwords.check_new_password(password)


def test_a_password_built_from_the_persons_name_is_refused():
    with pytest.raises(PasswordRejected):
        passwords.check_new_password("priyashah2026!", personal=["Priya Shah", "priya.shah@example.org"])


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "Ünïcödé pässwörd wïth wörds", "x" * 6 + "!Q9z#k2Lm0"]
)
def test_long_or_unusual_passwords_need_no_composition_rules(password):
    passwords.check_new_password(password)


def test_hashes_are_argon2id_and_outdated_parameters_are_noticed():
    hashed = passwords.hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "correct horse battery staple")
    assert not passwords.verify_password(hashed, "wrong")
    assert not passwords.verify_password("not a hash", "anything")
    from argon2 import PasswordHasher

    weaker = PasswordHasher(time_cost=1, memory_cost=8192).hash("correct horse battery staple")
    assert passwords.needs_rehash(weaker) and not passwords.needs_rehash(hashed)


def test_a_totp_code_counts_once_within_its_window():
    user = StaffUser(totp_last_step=0)
    secret = mfa.new_secret()
    code = pyotp.TOTP(s=secret).at(NOW)
    assert mfa.accept_totp(user, secret, code, NOW)
    assert not mfa.accept_totp(user, secret, code, NOW), "replayed"
    assert not mfa.accept_totp(user, secret, code, NOW + dt.timedelta(seconds=20)), "replayed a little later"


def test_totp_allows_one_step_of_clock_drift_and_no_more():
    secret = mfa.new_secret()
    totp = pyotp.TOTP(s=secret)
    assert mfa.matching_step(secret, totp.at(NOW - dt.timedelta(seconds=30)), NOW) is not None
    assert mfa.matching_step(secret, totp.at(NOW + dt.timedelta(seconds=30)), NOW) is not None
    assert mfa.matching_step(secret, totp.at(NOW - dt.timedelta(seconds=90)), NOW) is None
    assert mfa.matching_step(secret, "12345", NOW) is None
    assert mfa.matching_step(secret, "١٢٣٤٥٦", NOW) is None


def test_an_older_code_is_refused_after_a_newer_one():
    user = StaffUser(totp_last_step=0)
    secret = mfa.new_secret()
    totp = pyotp.TOTP(s=secret)
    assert mfa.accept_totp(user, secret, totp.at(NOW), NOW)
    assert not mfa.accept_totp(user, secret, totp.at(NOW - dt.timedelta(seconds=30)), NOW)


def test_recovery_codes_are_ten_single_use_codes_stored_as_digests():
    user = StaffUser()
    codes = mfa.new_recovery_codes(user)
    assert len(codes) == len(set(codes)) == 10
    assert all(code not in stored.code_sha256 for code in codes for stored in user.recovery_codes)
    assert mfa.use_recovery_code(user, codes[3].upper().replace("-", " "), NOW)
    assert not mfa.use_recovery_code(user, codes[3], NOW)
    assert mfa.recovery_codes_left(user) == 9


def test_the_qr_code_is_inline_svg():
    svg = mfa.qr_svg(mfa.provisioning_uri(mfa.new_secret(), "someone@sps.example"))
    assert svg.startswith("<svg") and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


@pytest.mark.usefixtures("app_context")
class TestLockout:
    def test_five_failures_lock_the_account_and_the_lock_holds(self, app):
        user = make_staff(app, "caseworker")
        for _ in range(signin.MAX_FAILURES - 1):
            with pytest.raises(InvalidCredentials):
                signin.check_password(user.email, "wrong password", CLIENT, NOW)
        with pytest.raises(AccountLocked) as locked:
            signin.check_password(user.email, "wrong password", CLIENT, NOW)
        assert locked.value.until == NOW + dt.timedelta(minutes=signin.LOCK_MINUTES)
        with pytest.raises(AccountLocked):
            signin.check_password(user.email, PASSWORD, CLIENT, NOW + dt.timedelta(minutes=5))
        assert signin.check_password(user.email, PASSWORD, CLIENT, NOW + dt.timedelta(minutes=16)).id == user.id

    def test_wrong_codes_count_towards_the_lock(self, app):
        user = make_staff(app, "caseworker")
        stored = db.session.get(StaffUser, user.id)
        for _ in range(signin.MAX_FAILURES - 1):
            with pytest.raises(InvalidCode):
                signin.check_second_factor(stored, "000000", CLIENT, NOW)
        with pytest.raises(AccountLocked):
            signin.check_second_factor(stored, "000000", CLIENT, NOW)

    def test_unknown_and_deactivated_accounts_get_the_same_refusal(self, app):
        user = make_staff(app, "caseworker")
        db.session.get(StaffUser, user.id).active = False
        db.session.commit()
        for email in ("nobody@sps.example", user.email):
            with pytest.raises(InvalidCredentials) as refusal:
                signin.check_password(email, PASSWORD, CLIENT, NOW)
            assert str(refusal.value) == "Enter a correct email address and password"

    def test_a_password_hashed_with_old_parameters_is_rehashed_at_sign_in(self, app):
        from argon2 import PasswordHasher

        user = make_staff(app, "caseworker")
        stored = db.session.get(StaffUser, user.id)
        stored.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
        db.session.commit()
        signin.check_password(user.email, PASSWORD, CLIENT, NOW)
        assert not passwords.needs_rehash(db.session.get(StaffUser, user.id).password_hash)
