"""Back-office sign-in through the web: enrolment of the second factor, replay and recovery codes,
refusals that do not tell who has an account, lockout, rate limits, the session (rotated at
sign-in, timed out, ended by sign-out and by an administrator in every process), changing one's own
password and authenticator, the page shown while training is outstanding, and the headers every
back-office page carries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import secrets

import pyotp
import pytest
from sqlalchemy import func, select, text, update

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.staff import StaffSession, StaffUser
from portal.security import CONTENT_SECURITY_POLICY
from portal.services import accounts, clock, mfa, passwords
from portal.services.audit import Actor
from portal.services.clock import london_datetime, london_today
from tests.conftest import CheckingClient, build_app
from tests.staff import (
    PASSWORD,
    code_for,
    csrf_from,
    csrf_token,
    fresh_code,
    make_staff,
    sign_in,
    sign_in_through_forms,
)

COOKIE = "sps_staff"
BAD_CREDENTIALS = "Enter a correct email address and password"
BAD_CODE = "Enter a correct code from your authenticator app, or an unused recovery code"
# At enrolment there are no recovery codes yet, so the message does not mention them.
BAD_ENROLMENT_CODE = "Enter the 6-digit code your authenticator app shows for this account"
LOCKED = re.compile(
    r"This account is locked after too many failed attempts\. Try again after (\d\d:\d\d), "
    r"or ask an administrator to unlock it\."
)
NEW_PASSWORD = "granite lantern orbits a quiet meadow"


# Helpers ------------------------------------------------------------------------------------------


def browser(app, **kwargs) -> CheckingClient:
    """Another browser (its own cookies) on ``app``, checking every page like the ``client`` fixture."""
    app.test_client_class = CheckingClient
    return app.test_client(**kwargs)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def problems(response) -> list[tuple[str, str]]:
    """(link, message) of each entry in the page's error summary."""
    body = response.get_data(as_text=True)
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', body, re.S)
    if not summary:
        return []
    return [
        (href, html.unescape(message).strip())
        for href, message in re.findall(r'<a href="([^"]+)">(.*?)</a>', summary.group(0), re.S)
    ]


def submit_password(client, email: str, password: str = PASSWORD, **kwargs):
    page = client.get("/staff/login", **kwargs)
    return client.post(
        "/staff/login",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "email": email, "password": password},
        **kwargs,
    )


def submit_code(client, code: str, path: str = "/staff/login/code", **kwargs):
    page = client.get(path, **kwargs)
    assert page.status_code == 200, (path, page.status_code)
    return client.post(path, data={"csrf_token": csrf_from(page.get_data(as_text=True)), "code": code}, **kwargs)


def sign_out(client, **kwargs):
    return client.post("/staff/logout", data={"csrf_token": csrf_token(client)}, **kwargs)


def cookie_value(client, name: str = COOKIE) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def signed_in(client) -> bool:
    """True when the browser's session opens the dashboard; False when it is sent to sign in."""
    response = client.get("/staff/")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/staff/login")
        return False
    return True


def sessions_of(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StaffSession).where(StaffSession.user_id == user_id))


def audit_actions(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.record_type == "staff_user", AuditEntry.record_id == user_id)
                .order_by(AuditEntry.sequence)
            )
        )


def wrong_code(secret: str) -> str:
    """A 6-digit code that none of the steps within the allowed drift produce."""
    now = int(clock.now().timestamp()) // mfa.STEP_SECONDS
    valid = {pyotp.TOTP(secret).at(step * mfa.STEP_SECONDS) for step in range(now - 2, now + 3)}
    return next(code for code in (f"{n:06d}" for n in range(123456, 999999, 7919)) if code not in valid)


def forget_last_step(app, user_id: int) -> None:
    """As if a minute had passed: every code within the drift counts as unused again."""
    with app.app_context():
        db.session.execute(update(StaffUser).where(StaffUser.id == user_id).values(totp_last_step=0))
        db.session.commit()


def admin_post(admin, path: str, **data):
    return admin.post(path, data={"csrf_token": csrf_token(admin), **data})


# First sign-in: enrolling the authenticator --------------------------------------------------------


def start_enrolment(app, client):
    user = make_staff(app, "caseworker", enrolled=False)
    response = submit_password(client, user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login/enrol"
    page = client.get("/staff/login/enrol")
    assert page.status_code == 200
    return user, page


def key_shown(page) -> str:
    match = re.search(r'<code class="sps-secret">([^<]+)</code>', page.get_data(as_text=True))
    assert match, "no key shown as text"
    return "".join(match.group(1).split())


def test_first_sign_in_shows_an_inline_qr_code_and_the_key_as_text(app, client):
    _, page = start_enrolment(app, client)
    body = page.get_data(as_text=True)
    assert "<img" not in body
    svg = re.search(r"<svg\b.*?</svg>", body, re.S)
    assert svg, "no inline SVG QR code"
    assert not re.search(r"\b(href|src)\s*=|url\(", svg.group(0)), "the QR code refers to something outside it"
    assert "<title>" in svg.group(0)
    key = key_shown(page)
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    assert client.get("/staff/login/enrol").get_data(as_text=True).count(" ".join(re.findall(".{4}", key))) == 1, (
        "the key changed between two views of the page"
    )


def test_enrolment_refuses_a_wrong_code_then_accepts_the_right_one(app, client):
    user, page = start_enrolment(app, client)
    key = key_shown(page)
    refused = submit_code(client, wrong_code(key), "/staff/login/enrol")
    assert refused.status_code == 200
    assert problems(refused) == [("#code", BAD_ENROLMENT_CODE)]
    assert not signed_in(client)

    confirmed = submit_code(client, pyotp.TOTP(key).at(clock.now()), "/staff/login/enrol")
    assert confirmed.status_code == 302
    assert signed_in(client)
    actions = audit_actions(app, user.id)
    assert "sign-in failed: enrolment code" in actions and "second factor enrolled" in actions


def test_recovery_codes_are_shown_once_and_stored_only_as_digests(app, client):
    user, page = start_enrolment(app, client)
    key = key_shown(page)
    assert submit_code(client, pyotp.TOTP(key).at(clock.now()), "/staff/login/enrol").status_code == 302

    shown = client.get("/staff/recovery-codes")
    assert shown.status_code == 200
    codes = re.findall(r"<li><code>([^<]+)</code></li>", shown.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    again = client.get("/staff/recovery-codes")
    assert again.status_code == 302 and again.headers["Location"] == "/staff/"

    with app.app_context():
        stored_secret = db.session.execute(
            text("SELECT totp_secret FROM staff_users WHERE id = :id"), {"id": user.id}
        ).scalar_one()
        digests = db.session.execute(
            text("SELECT code_sha256 FROM recovery_codes WHERE user_id = :id"), {"id": user.id}
        ).scalars()
        session_data = " ".join(db.session.execute(text("SELECT data FROM staff_sessions")).scalars())
        assert db.session.get(StaffUser, user.id).totp_secret == key
    assert key not in stored_secret and key.lower() not in stored_secret.lower()
    assert sorted(digests) == sorted(hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes)
    for secret in (key, *codes):
        assert secret not in session_data, "a secret is kept in clear in the session row"


def test_enrolment_goes_straight_on_to_the_recovery_codes(app, client):
    _, page = start_enrolment(app, client)
    confirmed = submit_code(client, pyotp.TOTP(key_shown(page)).at(clock.now()), "/staff/login/enrol")
    assert confirmed.status_code == 302
    following = client.get(confirmed.headers["Location"])
    assert "Your recovery codes" in page_text(following)


# The second step: codes count once ----------------------------------------------------------------


def test_a_totp_code_cannot_be_used_twice(app, client):
    user = make_staff(app, "caseworker")
    assert submit_password(client, user.email).status_code == 302
    code = code_for(app, user.id, user.secret)
    assert submit_code(client, code).status_code == 302
    sign_out(client)

    assert submit_password(client, user.email).status_code == 302
    replayed = submit_code(client, code)
    assert replayed.status_code == 200 and problems(replayed) == [("#code", BAD_CODE)]
    assert not signed_in(client)
    assert submit_code(client, fresh_code(app, user)).status_code == 302, "a new code still works"


def test_a_recovery_code_works_once_only(app, client):
    user = make_staff(app, "caseworker")
    with app.app_context():
        codes = mfa.new_recovery_codes(db.session.get(StaffUser, user.id))
        db.session.commit()

    assert submit_password(client, user.email).status_code == 302
    assert submit_code(client, codes[0]).status_code == 302
    assert signed_in(client)
    assert "You have 9 unused recovery codes" in page_text(client.get("/staff/account"))
    sign_out(client)

    assert submit_password(client, user.email).status_code == 302
    reused = submit_code(client, codes[0])
    assert reused.status_code == 200 and problems(reused) == [("#code", BAD_CODE)]
    assert submit_code(client, codes[1].upper().replace("-", " ")).status_code == 302
    assert "signed in" in audit_actions(app, user.id)


# The first step: refusals that do not say who has an account ----------------------------------------


def test_unknown_address_wrong_password_and_deactivated_account_get_the_same_answer(app, client):
    known = make_staff(app, "caseworker")
    gone = make_staff(app, "caseworker")
    with app.app_context():
        db.session.get(StaffUser, gone.id).active = False
        db.session.commit()

    answers = {
        "unknown": submit_password(client, "nobody@sps.example"),
        "wrong password": submit_password(client, known.email, "not the password at all"),
        "deactivated": submit_password(client, gone.email),
    }
    emails = {"unknown": "nobody@sps.example", "wrong password": known.email, "deactivated": gone.email}
    pages = set()
    for case, response in answers.items():
        assert response.status_code == 200, case
        assert problems(response) == [("#email", BAD_CREDENTIALS)], case
        body = response.get_data(as_text=True).replace(emails[case], "EMAIL")
        pages.add(re.sub(r'name="csrf_token" value="[^"]+"', "", body))
    assert len(pages) == 1, "the pages differ beyond the address typed"


def test_five_wrong_passwords_lock_the_account_even_against_the_right_password(app, client):
    user = make_staff(app, "caseworker")
    answers = [submit_password(client, user.email, f"wrong password {n}") for n in range(5)]
    assert [problems(answer)[0][1] for answer in answers[:4]] == [BAD_CREDENTIALS] * 4
    assert LOCKED.fullmatch(problems(answers[4])[0][1]), "the fifth failure locks"

    locked = submit_password(client, user.email)
    assert locked.status_code == 200, "the right password does not get past a lock"
    shown = LOCKED.fullmatch(problems(locked)[0][1])
    assert shown
    with app.app_context():
        until = db.session.get(StaffUser, user.id).locked_until
    until = until if until.tzinfo else until.replace(tzinfo=dt.UTC)
    assert shown.group(1) == f"{london_datetime(until):%H:%M}"
    assert dt.timedelta(minutes=14) < until - clock.now() <= dt.timedelta(minutes=15)

    actions = audit_actions(app, user.id)
    assert actions.count("sign-in failed: password") == 5
    assert actions.count("account locked") == 1
    assert "sign-in refused: locked" in actions
    assert "sign-in: password accepted" not in actions


# Rate limits on sign-in ------------------------------------------------------------------------------


@pytest.fixture
def limited_app(app, database_url):
    """An app with sign-in limited to 3 attempts a minute; ``app`` migrates the database and empties
    it afterwards."""
    limited = build_app(database_url, RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute")
    yield limited
    with limited.app_context():
        db.engine.dispose()


def client_addresses(count: int) -> list[str]:
    """Addresses no other test or run uses: with RATELIMIT_STORAGE_URI on Redis (CI's third pass)
    the counters outlive the app and the run."""
    network = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
    return [f"{network}.{host}" for host in range(1, count + 1)]


def test_sign_in_is_rate_limited_per_client_address(limited_app):
    client = browser(limited_app)
    client.environ_base["REMOTE_ADDR"] = client_addresses(1)[0]
    answers = [submit_password(client, f"someone{n}@sps.example", "wrong").status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.post(
        "/staff/login", data={"csrf_token": client.csrf_token("/staff/login"), "email": "x@sps.example"}
    )
    assert limited.status_code == 429
    assert "too many attempts" in page_text(limited)
    assert limited.headers.get("Retry-After")
    assert client.get("/staff/login").status_code == 200, "reading the sign-in page is never limited"


def test_sign_in_is_rate_limited_per_account_across_addresses(limited_app):
    user = make_staff(limited_app, "caseworker")
    client = browser(limited_app)
    token = client.csrf_token("/staff/login")
    addresses = client_addresses(5)

    def attempt(address: str, email: str, password: str):
        return client.post(
            "/staff/login",
            data={"csrf_token": token, "email": email, "password": password},
            environ_base={"REMOTE_ADDR": address},
        )

    answers = [attempt(address, user.email, "wrong").status_code for address in addresses[:3]]
    assert answers == [200, 200, 200]
    fourth = attempt(addresses[3], user.email, PASSWORD)
    assert fourth.status_code == 429, "a fourth address is still limited for the same account"
    assert attempt(addresses[4], "someone.else@sps.example", "wrong").status_code == 200


# The session ---------------------------------------------------------------------------------------


def test_the_session_identifier_changes_at_sign_in(app, client):
    user = make_staff(app, "caseworker")
    client.get("/staff/login")
    before = cookie_value(client)
    assert before
    assert submit_password(client, user.email).status_code == 302
    half_way = cookie_value(client)
    assert submit_code(client, fresh_code(app, user)).status_code == 302
    after = cookie_value(client)
    assert len({before, half_way, after}) == 3

    for old in (before, half_way):
        planted = browser(app)
        planted.set_cookie(COOKIE, old)
        assert not signed_in(planted), "a token from before sign-in opens the back office"
    carried = browser(app)
    carried.set_cookie(COOKIE, after)
    assert signed_in(carried)
    with app.app_context():
        digests = set(db.session.scalars(select(StaffSession.token_sha256)))
    assert hashlib.sha256(after.encode()).hexdigest() in digests
    assert after not in digests, "only the digest of the token is stored"
    assert not {hashlib.sha256(old.encode()).hexdigest() for old in (before, half_way)} & digests


def test_the_session_cookie_is_http_only_and_same_site(app, client):
    user = make_staff(app, "caseworker")
    response = sign_in_through_forms(client, app, user)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "; HttpOnly" in cookie and "; SameSite=Lax" in cookie and "; Path=/" in cookie
    assert "Domain=" not in cookie


@pytest.fixture
def production_app(app, database_url):
    """The production configuration over HTTPS; ``app`` migrates the database and empties it after."""
    production = build_app(database_url, PORTAL_ENV="production", SESSION_COOKIE_SECURE=True)
    yield production
    with production.app_context():
        db.engine.dispose()


HTTPS = {"base_url": "https://localhost"}


def test_in_production_the_session_cookie_is_a_secure_host_cookie(production_app):
    user = make_staff(production_app, "caseworker")
    client = browser(production_app)
    # Flask-WTF checks the Referer of every HTTPS post (see the next test); sent here as from a
    # browser that sends it, to look at the cookie alone.
    https = {**HTTPS, "headers": {"Referer": "https://localhost/staff/login"}}
    responses = [submit_password(client, user.email, **https)]
    assert responses[0].status_code == 302, responses[0].status_code
    responses.append(submit_code(client, code_for(production_app, user.id, user.secret), **https))
    assert responses[-1].status_code == 302
    assert client.get("/staff/", **HTTPS).status_code == 200
    responses.append(sign_out(client, **https))
    for response in responses:
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-sps_staff="), cookie
        # A browser only accepts (or clears) a __Host- cookie that is Secure, for Path=/, with no Domain.
        for attribute in ("; Secure", "; Path=/", "; SameSite=Lax"):
            assert attribute in cookie, (attribute, cookie)
        assert "Domain=" not in cookie
    assert all("; HttpOnly" in response.headers["Set-Cookie"] for response in responses[:2])
    assert "Max-Age=0" in responses[-1].headers["Set-Cookie"], "signing out clears the cookie"
    assert client.get("/staff/", **HTTPS).status_code == 302, "signed out"


def referer_a_browser_sends(policy: str, page: str) -> str | None:
    """The Referer a browser puts on a same-origin form post from ``page`` under ``policy``."""
    if policy == "no-referrer":
        return None
    if policy in ("origin", "strict-origin"):
        return "https://localhost/"
    return page


def test_in_production_a_browser_can_post_the_sign_in_form(production_app):
    user = make_staff(production_app, "caseworker")
    client = browser(production_app)
    page = client.get("/staff/login", **HTTPS)
    referer = referer_a_browser_sends(page.headers["Referrer-Policy"], "https://localhost/staff/login")
    response = client.post(
        "/staff/login",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "email": user.email, "password": PASSWORD},
        headers={"Referer": referer} if referer else {},
        **HTTPS,
    )
    assert response.status_code == 302, response.status_code


@pytest.mark.parametrize(
    ("column", "age", "message"),
    [
        ("last_seen_at", dt.timedelta(minutes=31), "You were signed out because you had not done anything for a while"),
        ("created_at", dt.timedelta(hours=11), "You were signed out because you have been signed in for the longest"),
    ],
    ids=["idle", "absolute"],
)
def test_a_session_ends_after_a_while(app, client, column, age, message):
    user = make_staff(app, "caseworker")
    sign_in(client, app, user)
    assert signed_in(client)
    with app.app_context():
        db.session.execute(
            update(StaffSession).where(StaffSession.user_id == user.id).values({column: clock.now() - age})
        )
        db.session.commit()

    response = client.get("/staff/referrals")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login?")
    assert message in page_text(client.get(response.headers["Location"]))
    assert sessions_of(app, user.id) == 0
    assert not signed_in(client)


def test_sign_out_is_a_post_and_the_old_cookie_then_opens_nothing(app, client):
    user = make_staff(app, "caseworker")
    sign_in(client, app, user)
    token = cookie_value(client)

    refused = client.get("/staff/logout")
    assert refused.status_code == 405
    assert client.post("/staff/logout").status_code == 400, "no CSRF token, no sign-out"
    assert signed_in(client), "neither a GET nor a forged POST signs out"

    response = sign_out(client)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login?ended=signed-out"
    assert "You have signed out." in page_text(client.get(response.headers["Location"]))
    assert sessions_of(app, user.id) == 0
    replayed = browser(app)
    replayed.set_cookie(COOKIE, token)
    assert not signed_in(replayed)
    assert "signed out" in audit_actions(app, user.id)


# Revocation across processes ---------------------------------------------------------------------


def two_sessions(app, user) -> tuple[CheckingClient, CheckingClient]:
    first, second = browser(app), browser(app)
    sign_in(first, app, user)
    sign_in(second, app, user)
    assert signed_in(first) and signed_in(second)
    assert sessions_of(app, user.id) == 2
    return first, second


def signed_in_admin(app) -> CheckingClient:
    admin = browser(app)
    sign_in(admin, app, make_staff(app, "admin"))
    return admin


@pytest.mark.parametrize(
    ("action", "data"), [("active", {"active": "no"}), ("reset-mfa", {})], ids=["deactivate", "reset-mfa"]
)
def test_an_administrators_change_ends_every_session_at_once(app, action, data):
    user = make_staff(app, "caseworker")
    first, second = two_sessions(app, user)
    admin = signed_in_admin(app)
    response = admin_post(admin, f"/staff/admin/users/{user.id}/{action}", **data)
    assert response.status_code == 302
    assert sessions_of(app, user.id) == 0
    assert not signed_in(first) and not signed_in(second)
    assert signed_in(admin)


def test_a_password_set_by_an_administrator_ends_every_session(app):
    user = make_staff(app, "caseworker")
    first, second = two_sessions(app, user)
    with app.app_context():
        accounts.set_password(db.session.get(StaffUser, user.id), NEW_PASSWORD, Actor(None, "test", clock.now()))
    assert sessions_of(app, user.id) == 0
    assert not signed_in(first) and not signed_in(second)
    assert submit_password(first, user.email).status_code == 200, "the old password no longer works"
    assert submit_password(first, user.email, NEW_PASSWORD).status_code == 302


def change_password(client, current: str, new: str, confirm: str | None = None):
    return client.post(
        "/staff/account/password",
        data={
            "csrf_token": csrf_token(client),
            "password-current": current,
            "password-new": new,
            "password-confirm": new if confirm is None else confirm,
        },
    )


def password_is(app, user_id: int, password: str) -> bool:
    with app.app_context():
        return passwords.verify_password(db.session.get(StaffUser, user_id).password_hash, password)


def test_changing_your_password_ends_your_other_sessions_only(app):
    user = make_staff(app, "caseworker")
    here, elsewhere = two_sessions(app, user)
    response = change_password(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 200 and "Your password has been changed." in page_text(response)
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert sessions_of(app, user.id) == 1
    assert password_is(app, user.id, NEW_PASSWORD)
    assert "password changed" in audit_actions(app, user.id)


def test_changing_your_password_asks_for_the_current_one_first(app):
    user = make_staff(app, "caseworker")
    here, elsewhere = two_sessions(app, user)
    response = change_password(here, "not my password", NEW_PASSWORD)
    assert response.status_code == 200
    assert problems(response) == [("#password-current", "Your current password is not correct.")]
    assert password_is(app, user.id, PASSWORD) and not password_is(app, user.id, NEW_PASSWORD)
    assert signed_in(elsewhere), "nothing changed, so the other session goes on"
    assert "password changed" not in audit_actions(app, user.id)


def test_a_weak_new_password_is_refused_with_the_reason(app, client):
    user = make_staff(app, "caseworker")
    sign_in(client, app, user)
    response = change_password(client, PASSWORD, "password12345")
    assert response.status_code == 200
    [(link, message)] = problems(response)
    assert link == "#password-new"
    assert "This is similar to a commonly used password." in message
    assert password_is(app, user.id, PASSWORD)
    mismatch = change_password(client, PASSWORD, NEW_PASSWORD, "something else entirely")
    assert problems(mismatch) == [("#password-confirm", "The passwords do not match")]
    assert password_is(app, user.id, PASSWORD)


def test_changing_your_authenticator_needs_your_password_then_a_code_from_the_new_one(app, client):
    user = make_staff(app, "caseworker")
    sign_in(client, app, user)
    start = "/staff/account/second-factor"
    assert client.get(start).status_code == 302, "nothing to confirm before the password"

    wrong = client.post(start, data={"csrf_token": csrf_token(client), "factor-current": "not my password"})
    assert problems(wrong) == [("#factor-current", "Your current password is not correct")]
    assert "sps-secret" not in wrong.get_data(as_text=True)

    enrol = client.post(start, data={"csrf_token": csrf_token(client), "factor-current": PASSWORD})
    assert enrol.status_code == 200 and "<svg" in enrol.get_data(as_text=True)
    new_key = key_shown(enrol)
    assert new_key != user.secret

    elsewhere = browser(app)
    sign_in_through_forms(elsewhere, app, user)  # the old app still works until the new one is confirmed
    refused = submit_code(client, wrong_code(new_key), start)
    assert problems(refused) == [("#code", "Enter a correct code from your new authenticator app")]
    assert submit_code(client, pyotp.TOTP(user.secret).at(clock.now()), start).status_code == 200, (
        "a code from the old app does not confirm the new one"
    )

    # A new key has had no code used yet, so replay protection does not hold back its first code.
    confirmed = submit_code(client, pyotp.TOTP(new_key).at(clock.now()), start)
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/staff/recovery-codes"
    codes = re.findall(r"<li><code>([^<]+)</code></li>", client.get("/staff/recovery-codes").get_data(as_text=True))
    assert len(codes) == 10
    assert signed_in(client) and not signed_in(elsewhere)
    assert "second factor changed" in audit_actions(app, user.id)

    forget_last_step(app, user.id)
    fresh = browser(app)
    assert submit_password(fresh, user.email).status_code == 302
    assert problems(submit_code(fresh, code_for(app, user.id, user.secret))) == [("#code", BAD_CODE)]
    assert submit_code(fresh, code_for(app, user.id, new_key)).status_code == 302


# Access paused until training (and the Volunteer Agreement) are recorded -------------------------


def assert_paused(client, gap: str) -> None:
    for path in ("/staff/", "/staff/referrals"):
        response = client.get(path)
        assert response.status_code == 403, path
        content = page_text(response)
        assert "You cannot see casework yet" in content and gap in content, path
    assert client.get("/staff/account").status_code == 200


def test_untrained_staff_see_what_is_missing_until_training_is_recorded(app, client):
    user = make_staff(app, "caseworker", trained=False)
    sign_in(client, app, user)
    assert_paused(client, "Your confidentiality training has not been recorded.")

    admin = signed_in_admin(app)
    today = london_today()
    recorded = admin_post(
        admin,
        f"/staff/admin/users/{user.id}/training",
        **{"trained_on-day": str(today.day), "trained_on-month": str(today.month), "trained_on-year": str(today.year)},
    )
    assert recorded.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/referrals").status_code == 200


def test_a_volunteer_without_the_current_agreement_sees_what_is_missing_until_it_is_recorded(app, client):
    user = make_staff(app, "volunteer", agreement=False)
    sign_in(client, app, user)
    version = app.config["VOLUNTEER_AGREEMENT_VERSION"]
    assert_paused(client, f"You have not signed the current Volunteer Agreement (version {version}).")

    admin = signed_in_admin(app)
    assert admin_post(admin, f"/staff/admin/users/{user.id}/agreement", version=version).status_code == 302
    assert client.get("/staff/referrals").status_code == 200


# Headers ------------------------------------------------------------------------------------------


def test_every_staff_page_is_not_stored_and_carries_the_policy(app, client):
    anonymous = browser(app)
    responses = {
        path: anonymous.get(path) for path in ("/staff/login", "/staff/login/code", "/staff/login/enrol", "/staff/")
    }
    responses["/staff/login (refused)"] = submit_password(anonymous, "nobody@sps.example")

    user = make_staff(app, "caseworker", "manager", "dpo", "admin")
    sign_in(client, app, user)
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/staff/") and "GET" in rule.methods:
            path = rule.rule.replace("<int:user_id>", str(user.id)).replace("<int:referral_id>", "999999")
            responses[path] = client.get(path)
    responses["/staff/no-such-page"] = client.get("/staff/no-such-page")
    responses["/staff/logout (GET)"] = client.get("/staff/logout")
    responses["/staff/account/password"] = change_password(client, "wrong", NEW_PASSWORD)

    statuses = {response.status_code for response in responses.values()}
    assert {200, 302, 404, 405} <= statuses, statuses
    for path, response in responses.items():
        assert response.headers.get("Cache-Control") == "no-store", path
        assert response.headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, path


def test_expired_sessions_are_cleared_when_a_new_one_starts(app):
    user = make_staff(app, "caseworker")
    first = browser(app)
    sign_in(first, app, user)
    with app.app_context():
        db.session.execute(text("UPDATE staff_sessions SET last_seen_at = :old"), {"old": dt.datetime(2020, 1, 1)})
        db.session.commit()
    browser(app).get("/staff/login")  # a visitor's new session clears the expired ones away
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM staff_sessions")) == 1
