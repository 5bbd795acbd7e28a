"""The account commands: create-user makes an account with no password and prints its set-up
link once; the demo commands (development only) print a password and an authenticator key."""

import datetime as dt
import hashlib
import re

import pytest

from portal.extensions import db
from portal.models.staff import SetUpLink
from portal.services import accounts, clock, passwords
from portal.services.accounts import AccountError
from portal.services.audit import system_actor


def create_user(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["create-user", *args], input=input)


def test_create_user_asks_for_no_password_and_prints_a_set_up_path_once(app, app_context):
    result = create_user(
        app, "--email", "Sam@Example.com", "--name", "Sam Staff", "--role", "dpo", "--role", "caseworker"
    )
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output, "a password was asked for"
    [path] = re.findall(r"^\s+(/staff/set-up/\S+)$", result.output, re.M)
    token = path.rsplit("/", 1)[1]
    user = accounts.find_by_email("sam@example.com")
    assert user.role_set == {"dpo", "caseworker"}
    assert not user.has_password and not user.mfa_enrolled
    assert not passwords.verify_password(user.password_hash, "")
    [link] = db.session.scalars(db.select(SetUpLink).where(SetUpLink.user_id == user.id)).all()
    assert link.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    hours = app.config["SET_UP_LINK_HOURS"]
    assert link.expires_at.replace(tzinfo=None) == (link.issued_at + dt.timedelta(hours=hours)).replace(tzinfo=None)


def test_create_user_help_says_who_the_link_is_for(app):
    result = create_user(app, "--help")
    assert "bootstrap the first account for yourself" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "wizard"], "Invalid value for '--role'"),
        (["--email", "not an address", "--role", "dpo"], "Enter an email address in the correct format"),
    ],
)
def test_create_user_refusals(app, app_context, args, message):
    result = create_user(app, "--name", "X", *(args if "--email" in args else ["--email", "x@example.com", *args]))
    assert result.exit_code != 0 and message in result.output


def test_an_e_mail_address_has_one_account(app_context):
    day = dt.timedelta(days=1)
    accounts.create_user("one@example.com", "One", ["admin"], system_actor(clock.now()), day)
    with pytest.raises(AccountError, match="already an account"):
        accounts.create_user("ONE@example.com", "Again", ["admin"], system_actor(clock.now()), day)


def test_demo_account_prints_how_to_sign_in_and_resets_its_password(app, app_context):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-account"])
    second = runner.invoke(args=["demo-account"])
    assert first.exit_code == second.exit_code == 0
    assert "demo.manager@sps.example" in first.output and "password:" in first.output
    assert first.output != second.output


def test_seed_demo_makes_staff_of_every_role_and_fictional_referrals(app, app_context):
    from portal.models import InformationRequest, Referral, StaffUser
    from portal.services import subject_access
    from portal.services.audit import verify

    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    roles = {role for user in db.session.scalars(db.select(StaffUser)).all() for role in user.role_set}
    assert roles == {"volunteer", "caseworker", "dpo", "admin"}
    referrals = db.session.scalars(db.select(Referral)).all()
    assert len(referrals) == 7 and any(r.route == "professional" and not r.attestations for r in referrals)
    kinds = {request.kind: request for request in db.session.scalars(db.select(InformationRequest))}
    assert set(kinds) == {"sar", "foi", "complaint"}
    # The demo subject access request finds the demo family's records, as the team would.
    (match,) = subject_access.matching_records(kinds["sar"], system_actor(clock.now()))
    assert set(match.reasons) == {"name and date of birth", "the requester's email address", "the reference quoted"}
    assert verify().whole
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0, "running it twice refreshes the accounts instead of failing"


def test_create_user_with_training_date(app, app_context):
    result = create_user(
        app, "--email", "t@example.com", "--name", "T", "--role", "admin", "--trained-on", "2026-11-01"
    )
    assert result.exit_code == 0, result.output
    assert str(accounts.find_by_email("t@example.com").training_completed_on) == "2026-11-01"
