"""Passwords, TOTP, recovery codes, and the holds that slow guessing without locking anyone out, without HTTP."""

import datetime as dt

import pyotp
import pytest

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.staff import StaffUser
from portal.services import mfa, passwords, signin
from portal.services.audit import Actor
from portal.services.clock import as_utc
from portal.services.passwords import PasswordRejected
from portal.services.signin import AccountLocked, CodeTriesUsedUp, InvalidCode, InvalidCredentials
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


def at(moment: dt.datetime, client: str = "192.0.2.10") -> Actor:
    return Actor(None, client, moment)


def fail_password(user, times: int, moment: dt.datetime = NOW, browser: str | None = None) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            signin.check_password(user.email, "wrong password", at(moment, "198.51.100.7"), browser)


def stored(user) -> StaffUser:
    return db.session.get(StaffUser, user.id)


@pytest.mark.usefixtures("app_context")
class TestHolds:
    def test_failures_below_the_ceiling_hold_nothing(self, app):
        user = make_staff(app, "caseworker")
        fail_password(user, signin.CEILING - 1)
        assert stored(user).locked_until is None
        pending = signin.check_password(user.email, PASSWORD, CLIENT)
        assert pending.user.id == user.id

    def test_at_the_ceiling_a_browser_the_account_does_not_know_is_held_and_its_password_not_checked(self, app):
        user = make_staff(app, "caseworker")
        fail_password(user, signin.CEILING)
        assert passwords.verify_password(stored(user).password_hash, PASSWORD)
        with pytest.raises(InvalidCredentials) as refusal:
            signin.check_password(user.email, PASSWORD, CLIENT)
        assert str(refusal.value) == "Enter a correct email address and password", "the same answer as a wrong password"
        assert as_utc(stored(user).locked_until) == NOW + dt.timedelta(hours=signin.HOLD_HOURS)
        actions = list(
            db.session.scalars(
                db.select(AuditEntry.action).where(AuditEntry.record_id == user.id).order_by(AuditEntry.sequence)
            )
        )
        assert actions.count("sign-in failed") == signin.CEILING
        assert actions.count("account locked") == 1
        assert actions[-1] == "sign-in refused: locked"

    def test_a_browser_the_person_signed_in_from_is_never_held(self, app):
        user = make_staff(app, "caseworker")
        known = signin.remember_browser(None, stored(user), NOW - dt.timedelta(days=30))
        fail_password(user, signin.CEILING + 20)
        pending = signin.check_password(user.email, PASSWORD, CLIENT, known)
        code = pyotp.TOTP(user.secret).at(NOW)
        assert signin.check_second_factor(pending, code, CLIENT, known) == "authenticator app"
        assert stored(user).failed_sign_ins == 0
        assert as_utc(stored(user).locked_until) > NOW, "signing in forgets the failures, not the hold"
        with pytest.raises(InvalidCredentials):
            signin.check_password(user.email, PASSWORD, CLIENT)

    def test_a_browser_is_known_only_for_the_account_it_signed_in_to_and_for_a_while(self, app):
        user, colleague = make_staff(app, "caseworker"), make_staff(app, "caseworker")
        known = signin.remember_browser(None, stored(user), NOW)
        assert signin.knows_browser(known, stored(user), NOW)
        assert not signin.knows_browser(known, stored(colleague), NOW)
        later = NOW + dt.timedelta(days=signin.KNOWN_BROWSER_DAYS, seconds=1)
        assert not signin.knows_browser(known, stored(user), later)
        assert not signin.knows_browser(known[:-2] + "xx", stored(user), NOW), "a mark not signed by us"
        assert not signin.knows_browser("not a mark at all", stored(user), NOW)

    def test_a_new_password_voids_every_browser_mark_made_before_it(self, app):
        user = make_staff(app, "caseworker")
        known = signin.remember_browser(None, stored(user), NOW)
        stored(user).password_hash = passwords.hash_password("a different long passphrase")
        db.session.commit()
        assert not signin.knows_browser(known, stored(user), NOW)

    def test_the_hold_lapses_and_each_failure_while_held_starts_it_again(self, app):
        user = make_staff(app, "caseworker")
        fail_password(user, signin.CEILING)
        lapsed = NOW + dt.timedelta(hours=signin.HOLD_HOURS, minutes=1)
        fail_password(user, 1, lapsed)
        assert as_utc(stored(user).locked_until) == lapsed + dt.timedelta(hours=signin.HOLD_HOURS)
        with pytest.raises(InvalidCredentials):
            signin.check_password(user.email, PASSWORD, at(lapsed + dt.timedelta(hours=1)))
        later = lapsed + dt.timedelta(hours=signin.HOLD_HOURS, minutes=1)
        assert signin.check_password(user.email, PASSWORD, at(later)).user.id == user.id

    def test_wrong_codes_count_towards_the_ceiling_and_end_the_half_done_sign_in_after_five(self, app):
        user = make_staff(app, "caseworker")
        pending = signin.check_password(user.email, PASSWORD, CLIENT)
        for tried in range(1, signin.CODE_TRIES):
            with pytest.raises(InvalidCode) as wrong:
                signin.check_second_factor(pending, "000000", CLIENT)
            pending = wrong.value.still_pending
            assert pending.codes_tried == tried
        with pytest.raises(CodeTriesUsedUp):
            signin.check_second_factor(pending, "000000", CLIENT)
        assert stored(user).failed_sign_ins == signin.CODE_TRIES

    def test_a_code_from_a_held_browser_is_refused_unchecked_and_said_to_be_locked(self, app):
        user = make_staff(app, "caseworker")
        pending = signin.check_password(user.email, PASSWORD, CLIENT)
        fail_password(user, signin.CEILING)
        with pytest.raises(AccountLocked) as locked:
            signin.check_second_factor(pending, pyotp.TOTP(user.secret).at(NOW), CLIENT)
        assert locked.value.until == NOW + dt.timedelta(hours=signin.HOLD_HOURS)
        assert stored(user).totp_last_step == 0, "the code was not even checked"

    def test_a_half_done_sign_in_ends_when_the_account_changes(self, app):
        user = make_staff(app, "caseworker")
        pending = signin.check_password(user.email, PASSWORD, CLIENT)
        state = pending.state()
        assert signin.resume(state, NOW + dt.timedelta(minutes=9)).user.id == user.id
        assert signin.resume(state, NOW + signin.PENDING_FOR + dt.timedelta(seconds=1)) is None
        assert signin.resume({**state, "pending_user_id": "x"}, NOW) is None
        signin.check_second_factor(pending, pyotp.TOTP(user.secret).at(NOW), CLIENT)
        assert signin.resume(state, NOW) is None, "used up by the sign-in it began"

    def test_unknown_and_deactivated_accounts_get_the_same_refusal(self, app):
        user = make_staff(app, "caseworker")
        stored(user).active = False
        db.session.commit()
        for email in ("nobody@sps.example", user.email):
            with pytest.raises(InvalidCredentials) as refusal:
                signin.check_password(email, PASSWORD, CLIENT)
            assert str(refusal.value) == "Enter a correct email address and password"

    def test_a_password_hashed_with_old_parameters_is_rehashed_at_sign_in(self, app):
        from argon2 import PasswordHasher

        user = make_staff(app, "caseworker")
        stored(user).password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
        db.session.commit()
        signin.check_password(user.email, PASSWORD, CLIENT)
        assert not passwords.needs_rehash(stored(user).password_hash)
