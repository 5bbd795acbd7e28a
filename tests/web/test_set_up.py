"""Set-up links: with one, and only with one, a person chooses their own password and enrols their
authenticator. A link works once, expires, is kept only as a digest, and is tried a few times per
client at most; a password alone never enrols an authenticator, not even after a reset."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import secrets

import pyotp
import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.staff import SetUpLink, StaffUser
from portal.services import clock
from tests.conftest import build_app
from tests.staff import (
    PASSWORD,
    csrf_from,
    csrf_token,
    make_staff,
    new_account,
    sign_in,
    sign_in_through_forms,
)
from tests.web.test_staff_auth import browser

CHOSEN = "granite lantern orbits a quiet meadow"


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post_form(client, path: str, **data):
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return client.post(path, data={"csrf_token": csrf_from(page.get_data(as_text=True)), **data})


def choose_password(client, token: str, password: str = CHOSEN, again: str | None = None):
    return post_form(client, f"/staff/set-up/{token}", new=password, confirm=password if again is None else again)


def key_shown(page) -> str:
    match = re.search(r'<code class="sps-secret">([^<]+)</code>', page.get_data(as_text=True))
    assert match, "no key shown as text"
    return "".join(match.group(1).split())


def enrol(client, token: str):
    """The authenticator step: the key shown, and a code from it confirmed. Returns the key and
    the answer to the confirmation."""
    path = f"/staff/set-up/{token}/authenticator"
    page = client.get(path)
    assert page.status_code == 200
    key = key_shown(page)
    response = client.post(
        path, data={"csrf_token": csrf_from(page.get_data(as_text=True)), "code": pyotp.TOTP(key).now()}
    )
    return key, response


def stored(app, user_id: int) -> StaffUser:
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        db.session.expunge(user)
        return user


def audit_entries(app, user_id: int) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.record_id == user_id).order_by(AuditEntry.sequence)
        ).all()
        for entry in entries:
            db.session.expunge(entry)
        return list(entries)


def test_a_new_account_is_set_up_through_its_link_and_then_signs_in(app, client):
    user, token = new_account(app, "caseworker")

    mismatch = choose_password(client, token, again="something else entirely")
    assert mismatch.status_code == 200 and "The passwords do not match" in page_text(mismatch)
    weak = choose_password(client, token, "password1234")
    assert "Choose a password that is harder to guess" in page_text(weak)
    assert not stored(app, user.id).has_password

    chosen = choose_password(client, token)
    assert chosen.status_code == 302 and chosen.headers["Location"] == f"/staff/set-up/{token}/authenticator"
    assert stored(app, user.id).has_password and not stored(app, user.id).mfa_enrolled

    page = client.get(chosen.headers["Location"])
    body = page.get_data(as_text=True)
    svg = re.search(r"<svg\b.*?</svg>", body, re.S)
    assert svg and "<img" not in body, "the QR code is drawn inline"
    assert not re.search(r"\b(href|src)\s*=|url\(", svg.group(0)), "the QR code refers to something outside it"
    key = key_shown(page)
    assert key_shown(client.get(chosen.headers["Location"])) == key, "the key changed between two views"
    wrong = client.post(chosen.headers["Location"], data={"csrf_token": csrf_from(body), "code": "000000"})
    assert "Enter the 6-digit code your authenticator app shows" in page_text(wrong)
    assert not stored(app, user.id).mfa_enrolled

    confirmed = client.post(
        chosen.headers["Location"], data={"csrf_token": csrf_from(body), "code": pyotp.TOTP(key).now()}
    )
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/staff/set-up/done"
    done = client.get("/staff/set-up/done")
    codes = re.findall(r"<li><code>([^<]+)</code></li>", done.get_data(as_text=True))
    assert "Your account is set up" in page_text(done) and len(set(codes)) == 10
    assert client.get("/staff/set-up/done").status_code == 302, "the recovery codes are shown once"

    user.secret = key  # type: ignore[attr-defined]
    with app.app_context():
        db.session.execute(text("UPDATE staff_users SET totp_last_step = 0 WHERE id = :id"), {"id": user.id})
        db.session.commit()
    signed_in = sign_in_through_forms(browser(app), app, user, password=CHOSEN)
    assert signed_in.headers["Location"] == "/staff/"

    actions = [entry.action for entry in audit_entries(app, user.id)]
    assert actions[:2] == ["account created", "set-up link issued"]
    assert {"password set", "second factor enrolled", "set-up link used", "signed in"} <= set(actions)
    for entry in audit_entries(app, user.id):
        assert token not in (entry.detail or ""), "the token is in the audit log"
        if entry.action in ("password set", "second factor enrolled", "set-up link used"):
            assert entry.actor_id == user.id, "set-up is recorded as the person's own doing"


def test_a_set_up_link_works_once(app, client):
    user, token = new_account(app, "caseworker")
    choose_password(client, token)
    enrol(client, token)
    for path in (f"/staff/set-up/{token}", f"/staff/set-up/{token}/authenticator"):
        used = browser(app).get(path)
        assert used.status_code == 404
        assert "Ask an administrator to send you a new set-up link" in page_text(used)
    with app.app_context():
        assert db.session.scalar(select(SetUpLink).where(SetUpLink.user_id == user.id)) is None


def test_a_set_up_link_expires(app, client, time_machine):
    user, token = new_account(app, "caseworker")
    hours = app.config["SET_UP_LINK_HOURS"]
    time_machine.move_to(clock.now() + dt.timedelta(hours=hours) - dt.timedelta(minutes=1), tick=False)
    still_working = client.get(f"/staff/set-up/{token}")
    assert still_working.status_code == 200
    time_machine.move_to(clock.now() + dt.timedelta(minutes=2), tick=False)
    expired = client.get(f"/staff/set-up/{token}")
    assert expired.status_code == 410 and "This set-up link has expired" in page_text(expired)
    refused = client.post(
        f"/staff/set-up/{token}",
        data={"csrf_token": csrf_from(still_working.get_data(as_text=True)), "new": CHOSEN, "confirm": CHOSEN},
    )
    assert refused.status_code == 410
    assert not stored(app, user.id).has_password


def test_a_set_up_link_is_stored_only_as_its_digest(app):
    _, token = new_account(app, "caseworker")
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM staff_set_up_links")).mappings().all()
        details = " ".join(db.session.scalars(select(AuditEntry.detail).where(AuditEntry.detail.is_not(None))))
    [row] = rows
    assert row["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in str(value) for value in row.values())
    assert token not in details


@pytest.mark.parametrize("token", ["x" * 43, "a" * 500, "%0d%0a", "%00", "<script>"])
def test_an_unknown_set_up_link_says_to_ask_for_a_new_one(client, token):
    response = client.get(f"/staff/set-up/{token}")
    assert response.status_code == 404
    assert "Ask an administrator to send you a new set-up link" in page_text(response)


def test_a_set_up_link_stopped_half_way_carries_on_where_it_stopped(app, client):
    user, token = new_account(app, "caseworker")
    choose_password(client, token)
    elsewhere = browser(app)
    carried_on = elsewhere.get(f"/staff/set-up/{token}")
    assert carried_on.status_code == 302 and carried_on.headers["Location"].endswith("/authenticator")
    _, confirmed = enrol(elsewhere, token)
    assert confirmed.status_code == 302
    assert stored(app, user.id).mfa_enrolled


def test_a_deactivated_accounts_link_does_not_work(app, client):
    user, token = new_account(app, "caseworker")
    with app.app_context():
        db.session.get(StaffUser, user.id).active = False
        db.session.commit()
    assert client.get(f"/staff/set-up/{token}").status_code == 404


# After a reset --------------------------------------------------------------------------------------


@pytest.fixture
def signed_in_admin(app):
    admin = browser(app)
    sign_in(admin, app, make_staff(app, "admin"))
    return admin


def set_up_token_in(message) -> str:
    return re.search(r"/staff/set-up/([A-Za-z0-9_-]+)", message.get_content()).group(1)


def test_after_a_second_factor_reset_a_password_sign_in_cannot_enrol_an_authenticator(app, signed_in_admin, outbox):
    person = make_staff(app, "caseworker")
    reset = signed_in_admin.post(
        f"/staff/admin/users/{person.id}/reset-mfa", data={"csrf_token": csrf_token(signed_in_admin)}
    )
    assert reset.status_code == 302

    # Whoever knows the password (the administrator, say) signs in with it.
    intruder = browser(app)
    page = intruder.get("/staff/login")
    answer = intruder.post(
        "/staff/login",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "email": person.email, "password": PASSWORD},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/staff/login/set-up-needed"
    stopped = intruder.get(answer.headers["Location"])
    assert stopped.status_code == 403
    body = stopped.get_data(as_text=True)
    assert "Open the set-up link we emailed to your work address" in html.unescape(body)
    assert "<svg" not in body and "sps-secret" not in body, "an authenticator key is offered"
    assert intruder.get("/staff/login/enrol").status_code == 404
    for path in ("/staff/login/code", "/staff/login/set-up-needed"):
        assert intruder.get(path).headers.get("Location") == "/staff/login", "the half-way sign-in survived"
    assert intruder.get("/staff/").status_code == 302
    assert not stored(app, person.id).mfa_enrolled
    assert "sign-in refused: no authenticator" in [entry.action for entry in audit_entries(app, person.id)]

    # The person's link skips the password they still have, and enrols their new phone.
    [message] = outbox
    token = set_up_token_in(message)
    theirs = browser(app)
    opened = theirs.get(f"/staff/set-up/{token}")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/staff/set-up/{token}/authenticator"
    key, confirmed = enrol(theirs, token)
    assert confirmed.status_code == 302
    person.secret = key  # type: ignore[attr-defined]
    with app.app_context():
        db.session.execute(text("UPDATE staff_users SET totp_last_step = 0 WHERE id = :id"), {"id": person.id})
        db.session.commit()
    assert sign_in_through_forms(browser(app), app, person).status_code == 302


def test_after_a_password_reset_the_link_sets_only_the_password(app, signed_in_admin, outbox):
    person = make_staff(app, "caseworker")
    signed_in_admin.post(
        f"/staff/admin/users/{person.id}/set-up-link", data={"csrf_token": csrf_token(signed_in_admin)}
    )
    token = set_up_token_in(outbox[-1])
    theirs = browser(app)
    chosen = choose_password(theirs, token)
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/staff/set-up/done"
    done = page_text(theirs.get("/staff/set-up/done"))
    assert "Your account is set up" in done and "recovery codes" not in done
    assert theirs.get(f"/staff/set-up/{token}").status_code == 404, "the link is spent"
    assert stored(app, person.id).totp_secret == person.secret, "the authenticator is untouched"
    assert sign_in_through_forms(browser(app), app, person, password=CHOSEN).status_code == 302


# Tried a few times per client at most --------------------------------------------------------------


@pytest.fixture
def limited_app(app, database_url):
    limited = build_app(database_url, RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute")
    yield limited
    with limited.app_context():
        db.engine.dispose()


def test_set_up_links_are_tried_a_few_times_per_client(limited_app):
    client = browser(limited_app)
    # An address no other test uses: on Redis the counters outlive the test.
    client.environ_base["REMOTE_ADDR"] = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.7"
    answers = [client.get(f"/staff/set-up/{secrets.token_urlsafe(32)}").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    _, token = new_account(limited_app, "caseworker")
    assert client.get(f"/staff/set-up/{token}").status_code == 429, "a guesser's next try is refused, right or not"
