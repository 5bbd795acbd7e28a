"""The account commands: create-user reads the password from standard input when not a terminal."""

import pytest

from portal.extensions import db
from portal.services import accounts, clock
from portal.services.accounts import AccountError
from portal.services.audit import system_actor


def test_create_user_from_standard_input(app, app_context):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Sam@Example.com",
            "--name",
            "Sam Staff",
            "--role",
            "dpo",
            "--role",
            "caseworker",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = accounts.find_by_email("sam@example.com")
    assert user.role_set == {"dpo", "caseworker"} and user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--role", "caseworker"], "short", "at least 12 characters"),
        (["--role", "caseworker"], "x" * 129, "128 characters or fewer"),
        (["--role", "wizard"], "a long enough password", "Invalid value for '--role'"),
    ],
)
def test_create_user_refusals(app, app_context, args, password, message):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "x@example.com", "--name", "X", *args], input=password + "\n"
    )
    assert result.exit_code != 0 and message in result.output


def test_an_e_mail_address_has_one_account(app_context):
    accounts.create_user("one@example.com", "One", ["admin"], "a long enough password", system_actor(clock.now()))
    with pytest.raises(AccountError, match="already an account"):
        accounts.create_user("ONE@example.com", "Again", ["admin"], "a long enough password", system_actor(clock.now()))


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
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "t@example.com",
            "--name",
            "T",
            "--role",
            "admin",
            "--trained-on",
            "2026-11-01",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert str(accounts.find_by_email("t@example.com").training_completed_on) == "2026-11-01"
