"""The staff account pages (administrators and managers): creating an account (its set-up link
goes to the person, never to the administrator), the answers kept when it cannot be created,
roles, training, the Volunteer Agreement, deactivation, resets that send a new set-up link, and
separation of duties: nobody changes their own account."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.staff import StaffUser
from portal.services import passwords
from portal.services.clock import london_today
from tests.staff import PASSWORD, date_fields, make_staff, sign_in
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


def link_in(message) -> str:
    """The set-up link's path in a set-up e-mail."""
    match = re.search(r"https?://[^/\s]+(/staff/set-up/[A-Za-z0-9_-]+)", message.get_content())
    assert match, "no set-up link in the e-mail"
    return match.group(1)


def test_a_new_account_has_no_usable_password_and_its_link_goes_only_to_the_person(app, admin, outbox):
    client, person = admin
    response = create(client, name="Jo Bloggs", email="Jo.Bloggs@SPS.example", roles=["caseworker", "volunteer"])
    assert response.status_code == 302
    shown = client.get(response.headers["Location"])
    banner = page_text(shown)
    assert "Account created." in banner
    assert "A set-up link has been emailed to Jo.Bloggs@sps.example. It works once, until" in banner

    [message] = outbox
    assert message["To"] == "Jo.Bloggs@sps.example"
    path = link_in(message)
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43, "32 random bytes"
    for page in (response, shown, client.get("/staff/admin/users")):
        assert token not in page.get_data(as_text=True), "the administrator is shown the link"

    with app.app_context():
        user = db.session.scalars(select(StaffUser).where(StaffUser.roles == "volunteer caseworker")).one()
        user_id, email = user.id, user.email
        assert not user.has_password and not user.mfa_enrolled and not user.recovery_codes
    assert email == "Jo.Bloggs@sps.example", "the domain is normalised, the local part kept"
    assert {"account created", "set-up link issued"} <= set(audit_actions(app, user_id))
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.record_id == user_id)).all()
        created = next(entry for entry in entries if entry.action == "account created")
        assert created.actor_id == person.id and created.detail == "roles: volunteer caseworker"
        assert not any(token in (entry.detail or "") for entry in entries), "the token is in the audit log"

    # Nothing the administrator could type is the password: none has been chosen.
    with app.app_context():
        stored_hash = db.session.get(StaffUser, user_id).password_hash
    for guess in ("", PASSWORD, token, "Jo.Bloggs@sps.example"):
        assert not passwords.verify_password(stored_hash, guess), guess


def test_an_account_whose_link_could_not_be_sent_says_so(app, admin, monkeypatch):
    client, _ = admin
    monkeypatch.setattr(app.extensions["portal_mailer"], "send", lambda *args: False)
    response = create(client, **GOOD)
    assert response.status_code == 302
    assert "could not be emailed to sam.carter@sps.example" in page_text(client.get(response.headers["Location"]))


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
    assert "They have not signed the current Volunteer Agreement" in page

    empty = admin_post(client, path, version="  ")
    assert empty.status_code == 400 and problems(empty)[0][0] == "#version"
    assert stored(app, person.id).volunteer_agreement_version is None

    recorded = admin_post(client, path, version=version)
    assert recorded.status_code == 302
    assert "Volunteer Agreement recorded." in page_text(client.get(recorded.headers["Location"]))
    assert stored(app, person.id).volunteer_agreement_version == version
    assert "volunteer agreement recorded" in audit_actions(app, person.id)


# Separation of duties: nobody changes their own account ------------------------------------------


def own_account_refused(app, response, person, attempted: str) -> None:
    assert response.status_code == 403
    assert f"Another administrator must {attempted}." in page_text(response)
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "own account change refused", AuditEntry.record_id == person.id)
            .order_by(AuditEntry.sequence.desc())
        ).first()
        assert entry is not None and entry.actor_id == person.id and entry.detail == attempted


def test_an_administrator_cannot_give_themselves_manager_and_dpo(app, admin):
    client, person = admin
    response = admin_post(client, f"/staff/admin/users/{person.id}/roles", roles=["admin", "manager", "dpo"])
    own_account_refused(app, response, person, "change your roles")
    assert stored(app, person.id).roles == "admin"
    assert client.get("/staff/requests").status_code == 403, "no subject access requests for them"
    assert "roles changed" not in audit_actions(app, person.id)


def test_an_administrator_cannot_reset_their_own_second_factor(app, admin, outbox):
    client, person = admin
    response = admin_post(client, f"/staff/admin/users/{person.id}/reset-mfa")
    own_account_refused(app, response, person, "reset your second factor")
    assert stored(app, person.id).mfa_enrolled and signed_in(client)
    assert outbox == [] and "second factor reset" not in audit_actions(app, person.id)


def test_an_administrator_cannot_reset_their_own_password(app, admin, outbox):
    client, person = admin
    response = admin_post(client, f"/staff/admin/users/{person.id}/set-up-link")
    own_account_refused(app, response, person, "reset your password")
    assert stored(app, person.id).has_password and signed_in(client) and outbox == []


def test_an_administrator_cannot_record_their_own_training(app, admin):
    # Untrained, they could not open the page at all; trained, they cannot renew their own record
    # (say, dated today while it lapses next month).
    client, person = admin
    trained_on = stored(app, person.id).training_completed_on
    response = admin_post(
        client,
        f"/staff/admin/users/{person.id}/training",
        **date_fields("trained_on", london_today() - dt.timedelta(days=1)),
    )
    own_account_refused(app, response, person, "record your training")
    assert stored(app, person.id).training_completed_on == trained_on
    assert "training recorded" not in audit_actions(app, person.id)


def test_a_manager_cannot_record_their_own_volunteer_agreement(app):
    person = make_staff(app, "manager", "volunteer")
    client = browser(app)
    sign_in(client, app, person)
    response = admin_post(client, f"/staff/admin/users/{person.id}/agreement", version="2099-9")
    own_account_refused(app, response, person, "record your Volunteer Agreement")
    assert stored(app, person.id).volunteer_agreement_version == app.config["VOLUNTEER_AGREEMENT_VERSION"]


def test_you_cannot_deactivate_your_own_account(app, admin):
    client, person = admin
    response = admin_post(client, f"/staff/admin/users/{person.id}/active", active="no")
    own_account_refused(app, response, person, "deactivate your account")
    assert stored(app, person.id).active
    assert signed_in(client)
    assert "account deactivated" not in audit_actions(app, person.id)


def test_your_own_account_page_offers_no_changes_and_says_why(app, admin):
    client, person = admin
    body = client.get(f"/staff/admin/users/{person.id}").get_data(as_text=True)
    assert "Another administrator must change your own roles" in html.unescape(body)
    assert "<form" not in body.split('class="govuk-main-wrapper')[1], "a form to change one's own account"
    other = make_staff(app, "caseworker")
    theirs = client.get(f"/staff/admin/users/{other.id}").get_data(as_text=True)
    for action in ("roles", "reset-mfa", "set-up-link", "training"):
        assert f'action="/staff/admin/users/{other.id}/{action}"' in theirs, action
    assert f'href="/staff/admin/users/{other.id}/deactivate"' in theirs, "deactivating asks first"


# Resets: a new set-up link, never a password ------------------------------------------------------


def test_sending_a_new_set_up_link_stops_the_password_ends_sessions_and_replaces_older_links(app, admin, outbox):
    client, _ = admin
    person = make_staff(app, "caseworker")
    theirs = browser(app)
    sign_in(theirs, app, person)
    path = f"/staff/admin/users/{person.id}/set-up-link"

    first = admin_post(client, path)
    assert first.status_code == 302
    banner = page_text(client.get(first.headers["Location"]))
    assert "Password reset." in banner and f"A set-up link has been emailed to {person.email}." in banner
    assert not signed_in(theirs)
    with app.app_context():
        assert not passwords.verify_password(db.session.get(StaffUser, person.id).password_hash, PASSWORD)
        assert not db.session.get(StaffUser, person.id).has_password

    admin_post(client, path)
    older, newer = (link_in(message) for message in outbox)
    assert older != newer
    assert browser(app).get(older).status_code == 404, "an older link still works"
    assert browser(app).get(newer).status_code == 200
    resets = [action for action in audit_actions(app, person.id) if action in ("password reset", "set-up link issued")]
    assert resets[-4:] == ["password reset", "set-up link issued"] * 2


# Someone else's account, in words about them ------------------------------------------------------


def test_someone_elses_account_speaks_of_them_not_of_you(app, admin):
    client, _ = admin
    person = make_staff(app, "volunteer", trained=False, agreement=False, name="Vera Volunteer")

    page = page_text(client.get(f"/staff/admin/users/{person.id}"))

    assert "Their confidentiality training has not been recorded." in page
    assert "They have not signed the current Volunteer Agreement" in page
    assert "Their roles" in page
    assert "Your confidentiality training" not in page and "You have not signed" not in page


def test_the_volunteer_agreement_row_shows_only_for_volunteers(app, admin):
    client, _ = admin
    volunteer = make_staff(app, "volunteer")
    caseworker = make_staff(app, "caseworker")

    volunteers_page = client.get(f"/staff/admin/users/{volunteer.id}").get_data(as_text=True)
    caseworkers_page = client.get(f"/staff/admin/users/{caseworker.id}").get_data(as_text=True)

    row = re.compile(r'<dt class="govuk-summary-list__key">\s*Volunteer Agreement\s*</dt>')
    assert row.search(volunteers_page)
    assert not row.search(caseworkers_page)
    assert "Volunteer Agreement did they sign" not in caseworkers_page


def test_deactivating_asks_first_then_confirms_with_a_banner(app, admin):
    client, _ = admin
    person = make_staff(app, "caseworker", name="Colin Caseworker")

    question = client.get(f"/staff/admin/users/{person.id}/deactivate")

    assert question.status_code == 200
    asked = page_text(question)
    assert "Are you sure you want to deactivate Colin Caseworker's account?" in asked
    assert f'action="/staff/admin/users/{person.id}/active"' in question.get_data(as_text=True)
    assert stored(app, person.id).active, "asking changes nothing"
    assert "staff account viewed" in audit_actions(app, person.id)

    done = admin_post(client, f"/staff/admin/users/{person.id}/active", active="no")

    assert done.status_code == 302 and done.headers["Location"].endswith(f"/staff/admin/users/{person.id}")
    shown = page_text(client.get(done.headers["Location"]))
    assert "Colin Caseworker's account is deactivated. Every session it had has ended." in shown
    assert not stored(app, person.id).active


def test_there_is_nothing_to_confirm_for_an_inactive_account_or_ones_own(app, admin):
    client, me = admin
    person = make_staff(app, "caseworker")
    admin_post(client, f"/staff/admin/users/{person.id}/active", active="no")

    for user_id in (person.id, me.id):
        response = client.get(f"/staff/admin/users/{user_id}/deactivate")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/staff/admin/users/{user_id}")
