"""Separation of duties in the accounts service itself, without HTTP: every change an
administrator can make to an account is refused, and the refusal audited, when the account is
their own; the command line (nobody's account) is never refused."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.staff import StaffUser
from portal.services import accounts, clock
from portal.services.accounts import LinkPost, OwnAccount
from portal.services.audit import Actor, system_actor
from portal.services.mail import Mailer
from tests.staff import make_staff

POST = LinkPost(Mailer("memory://", "sps@example.invalid"), lambda token: f"/staff/set-up/{token}", dt.timedelta(1))

CHANGES = {
    "change your roles": lambda user, actor: accounts.change_roles(user, ["admin", "manager", "dpo"], actor),
    "reset your second factor": lambda user, actor: accounts.reset_mfa(user, actor, POST),
    "reset your password": lambda user, actor: accounts.send_password_reset(user, actor, POST),
    "record your training": lambda user, actor: accounts.record_training(user, actor.today, actor.today, actor),
    "record your Volunteer Agreement": lambda user, actor: accounts.record_agreement(user, "2099-1", actor),
    "deactivate your account": lambda user, actor: accounts.deactivate(user, actor),
}


def snapshot(user: StaffUser) -> tuple:
    return (
        user.roles,
        user.password_hash,
        user.totp_secret,
        user.training_completed_on,
        user.volunteer_agreement_version,
        user.active,
    )


@pytest.mark.parametrize("attempted", CHANGES)
def test_nobody_changes_their_own_account(app, app_context, attempted):
    admin = db.session.get(StaffUser, make_staff(app, "admin").id)
    before = snapshot(admin)
    actor = Actor(admin.id, "192.0.2.1", clock.now())
    with pytest.raises(OwnAccount, match=f"Another administrator must {attempted}"):
        CHANGES[attempted](admin, actor)
    db.session.expire_all()
    assert snapshot(db.session.get(StaffUser, admin.id)) == before
    entry = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.sequence.desc())).first()
    assert (entry.action, entry.actor_id, entry.record_id, entry.detail) == (
        "own account change refused",
        admin.id,
        admin.id,
        attempted,
    )
    assert POST.mailer.outbox == [], "a set-up link went out for one's own account"


def test_the_command_line_is_nobodys_own_account(app, app_context):
    person = db.session.get(StaffUser, make_staff(app, "caseworker").id)
    accounts.change_roles(person, ["caseworker", "volunteer"], system_actor(clock.now()))
    assert person.role_set == {"caseworker", "volunteer"}
