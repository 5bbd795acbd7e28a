"""The staff account pages (administrators and managers): creating an account, the answers kept
when it cannot be created, roles, training, the Volunteer Agreement, and deactivation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.staff import StaffUser
from portal.services.clock import london_today
from tests.staff import date_fields, make_staff, sign_in
from tests.web.test_staff_auth import admin_post, audit_actions, browser, page_text, problems, signed_in

NEW = "/staff/admin/users/new"


@pytest.fixture
def admin(app, client):
    """A signed-in administrator (``client``) and their account."""
    person = make_staff(app, "admin")
    sign_in(client, app, person)
    return client, person


def create(client, **answers):
    return admin_post(client, NEW, **answers)


def stored(app, user_id: int) -> StaffUser:
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        db.session.expunge(user)
        return user


def accounts_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StaffUser))


def test_creating_an_account_shows_its_first_password_once(app, admin):
    client, person = admin
    response = create(client, name="Jo Bloggs", email="Jo.Bloggs@SPS.example", roles=["caseworker", "volunteer"])
    assert response.status_code == 201
    body = page_text(response)
    assert "Account created" in body
    password = re.search(r'<code class="sps-secret">([^<]+)</code>', response.get_data(as_text=True)).group(1)
    assert len(password) >= 12

    with app.app_context():
        user = db.session.scalars(select(StaffUser).where(StaffUser.roles == "volunteer caseworker")).one()
        user_id, email = user.id, user.email
        assert password not in user.password_hash
    assert email == "Jo.Bloggs@sps.example", "the domain is normalised, the local part kept"
    assert "account created" in audit_actions(app, user_id)
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "account created", AuditEntry.record_id == user_id)
        ).one()
        assert entry.actor_id == person.id and entry.detail == "roles: volunteer caseworker"

    for path in ("/staff/admin/users", f"/staff/admin/users/{user_id}"):
        later = client.get(path)
        assert later.status_code == 200 and "Jo Bloggs" in page_text(later)
        assert password not in later.get_data(as_text=True), f"{path} shows the first password again"

    newcomer = browser(app)
    first = newcomer.post(
        "/staff/login",
        data={
            "csrf_token": newcomer.csrf_token("/staff/login"),
            "email": "jo.bloggs@sps.example",
            "password": password,
        },
    )
    assert first.status_code == 302 and first.headers["Location"] == "/staff/login/enrol"


GOOD = {"name": "Sam Carter", "email": "sam.carter@sps.example", "roles": ["caseworker"]}


@pytest.mark.parametrize(
    ("change", "link", "message"),
    [
        ({"name": "   "}, "#name", "Enter the person's full name."),
        ({"email": "sam.carter at sps"}, "#email", "Enter an email address in the correct format"),
        ({"roles": []}, "#roles", "Give one or more roles from: volunteer, caseworker, manager, dpo, admin."),
    ],
    ids=["empty name", "bad email", "no role"],
)
def test_an_account_that_cannot_be_created_keeps_the_answers(app, admin, change, link, message):
    client, _ = admin
    before = accounts_count(app)
    answers = {**GOOD, **change}
    response = create(client, **answers)
    assert response.status_code == 400
    assert "Error: " in page_text(response).split("<title>")[1].split("</title>")[0]
    [(href, text)] = problems(response)
    assert href == link and text.startswith(message)
    body = response.get_data(as_text=True)
    assert f'value="{answers["email"]}"' in body
    if answers["name"].strip():
        assert f'value="{answers["name"]}"' in body
    for role in answers["roles"]:
        assert re.search(rf'value="{role}"[^>]*\bchecked', body), f"{role} no longer ticked"
    assert accounts_count(app) == before


def test_an_address_that_already_has_an_account_is_refused(app, admin):
    client, _ = admin
    existing = make_staff(app, "volunteer")
    before = accounts_count(app)
    response = create(client, name="Someone Else", email=existing.email.upper(), roles=["dpo"])
    assert response.status_code == 400
    [(_, text)] = problems(response)
    assert text.startswith("There is already an account for")
    body = response.get_data(as_text=True)
    assert 'value="Someone Else"' in body and re.search(r'value="dpo"[^>]*\bchecked', body)
    assert accounts_count(app) == before


def test_an_address_that_already_has_an_account_is_marked_on_the_email_field(app, admin):
    client, _ = admin
    existing = make_staff(app, "volunteer")
    response = create(client, name="Someone Else", email=existing.email, roles=["dpo"])
    [(href, _)] = problems(response)
    assert href == "#email"
    assert re.search(r'<input class="govuk-input govuk-input--error" id="email"', response.get_data(as_text=True))


def test_changing_roles_applies_at_once_to_the_persons_session(app, admin):
    client, _ = admin
    person = make_staff(app, "caseworker")
    theirs = browser(app)
    sign_in(theirs, app, person)
    assert theirs.get("/staff/referrals").status_code == 200

    response = admin_post(client, f"/staff/admin/users/{person.id}/roles", roles=["dpo", "manager"])
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/admin/users/{person.id}"
    assert "Roles changed." in page_text(client.get(response.headers["Location"]))
    assert stored(app, person.id).roles == "manager dpo"
    assert "roles changed" in audit_actions(app, person.id)
    assert theirs.get("/staff/audit").status_code == 200, "the new role works without signing in again"

    admin_post(client, f"/staff/admin/users/{person.id}/roles", roles=["caseworker"])
    assert theirs.get("/staff/audit").status_code == 403, "a removed role is gone at once"

    none = admin_post(client, f"/staff/admin/users/{person.id}/roles")
    assert none.status_code == 400
    assert problems(none)[0][0] == "#roles"
    assert stored(app, person.id).roles == "caseworker"


def test_training_cannot_be_recorded_for_a_date_to_come(app, admin):
    client, _ = admin
    person = make_staff(app, "caseworker", trained=False)
    path = f"/staff/admin/users/{person.id}/training"

    future = admin_post(client, path, **date_fields("trained_on", london_today() + dt.timedelta(days=1)))
    assert future.status_code == 400
    assert problems(future) == [("#trained_on-day", "The training date must be today or in the past.")]
    assert stored(app, person.id).training_completed_on is None

    unreal = admin_post(
        client, path, **{**date_fields("trained_on", london_today()), "trained_on-day": "31", "trained_on-month": "2"}
    )
    assert unreal.status_code == 400 and problems(unreal)[0][0] == "#trained_on-day"

    recorded = admin_post(client, path, **date_fields("trained_on", london_today()))
    assert recorded.status_code == 302
    assert "Training recorded." in page_text(client.get(recorded.headers["Location"]))
    assert stored(app, person.id).training_completed_on == london_today()
    assert "training recorded" in audit_actions(app, person.id)


def test_recording_the_volunteer_agreement(app, admin):
    client, _ = admin
    person = make_staff(app, "volunteer", agreement=False)
    path = f"/staff/admin/users/{person.id}/agreement"
    version = app.config["VOLUNTEER_AGREEMENT_VERSION"]

    page = page_text(client.get(f"/staff/admin/users/{person.id}"))
    assert "You have not signed the current Volunteer Agreement" in page

    empty = admin_post(client, path, version="  ")
    assert empty.status_code == 400 and problems(empty)[0][0] == "#version"
    assert stored(app, person.id).volunteer_agreement_version is None

    recorded = admin_post(client, path, version=version)
    assert recorded.status_code == 302
    assert "Volunteer Agreement recorded." in page_text(client.get(recorded.headers["Location"]))
    assert stored(app, person.id).volunteer_agreement_version == version
    assert "volunteer agreement recorded" in audit_actions(app, person.id)


def test_you_cannot_deactivate_your_own_account(app, admin):
    client, person = admin
    response = admin_post(client, f"/staff/admin/users/{person.id}/active", active="no")
    assert response.status_code == 400
    assert problems(response) == [("#active", "You cannot deactivate your own account.")]
    assert stored(app, person.id).active
    assert signed_in(client)
    assert "account deactivated" not in audit_actions(app, person.id)
