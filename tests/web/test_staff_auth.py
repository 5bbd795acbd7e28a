"""Back-office sign-in through the web: replay and recovery codes, refusals that do not tell who has
an account, holds that slow guessing without locking the person out, rate limits, the session (a
signed cookie until sign-in, then a row under a new token, timed out, ended by sign-out and by an
administrator in every process), where ``next`` may lead, changing one's own
password and authenticator, the page shown while training is outstanding, and the headers every
back-office page carries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import secrets
from collections import Counter

import pyotp
import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import event, func, select, text, update

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.staff import StaffSession, StaffUser
from portal.security import CONTENT_SECURITY_POLICY
from portal.services import accounts, clock, mfa, passwords, signin
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
SIGN_IN_COOKIE = "sps_signin"
KNOWN_BROWSER_COOKIE = "sps_known_browser"
BAD_CREDENTIALS = "Enter a correct email address and password"
BAD_CODE = (
    "That code is wrong. Codes change every 30 seconds: enter the code your authenticator app shows now, "
    "or an unused recovery code"
)
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


def key_shown(page) -> str:
    match = re.search(r'<code class="sps-secret">([^<]+)</code>', page.get_data(as_text=True))
    assert match, "no key shown as text"
    return "".join(match.group(1).split())


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


# The first step: refusals that do not say who has an account, and holds that lock nobody out -------


def hold_account(app, user) -> None:
    """Bring the account to its ceiling as a guesser would: the last failure, from a browser of the
    guesser's own, starts the hold."""
    with app.app_context():
        db.session.execute(update(StaffUser).where(StaffUser.id == user.id).values(failed_sign_ins=signin.CEILING - 1))
        db.session.commit()
    assert submit_password(browser(app), user.email, "a guess").status_code == 200
    with app.app_context():
        assert db.session.get(StaffUser, user.id).locked_until is not None


@pytest.fixture
def hasher_calls(app, monkeypatch) -> Counter:
    """How often argon2 verifies and hashes. The dummy hash is made once per process, on first
    use: made here first, so only the work of a sign-in is counted."""
    with app.app_context():
        passwords.dummy_hash()
    calls: Counter = Counter()
    real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

    def verify(self, *args, **kwargs):
        calls["verify"] += 1
        return real_verify(self, *args, **kwargs)

    def hash_(self, *args, **kwargs):
        calls["hash"] += 1
        return real_hash(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    monkeypatch.setattr(PasswordHasher, "hash", hash_)
    return calls


def test_unknown_wrong_held_and_deactivated_get_the_same_answer_after_the_same_work(app, client, hasher_calls):
    known, held, gone = (make_staff(app, "caseworker") for _ in range(3))
    with app.app_context():
        db.session.get(StaffUser, gone.id).active = False
        db.session.commit()
    hold_account(app, held)

    attempts = {
        "unknown address": ("nobody@sps.example", PASSWORD),
        "wrong password": (known.email, "not the password at all"),
        "held account, right password": (held.email, PASSWORD),
        "deactivated account, right password": (gone.email, PASSWORD),
    }
    pages, work = set(), {}
    for case, (email, password) in attempts.items():
        page = client.get("/staff/login")
        hasher_calls.clear()
        response = client.post(
            "/staff/login",
            data={"csrf_token": csrf_from(page.get_data(as_text=True)), "email": email, "password": password},
        )
        work[case] = dict(hasher_calls)
        assert response.status_code == 200, case
        assert problems(response) == [("#email", BAD_CREDENTIALS)], case
        body = response.get_data(as_text=True).replace(email, "EMAIL")
        pages.add(re.sub(r'name="csrf_token" value="[^"]+"', "", body))
    assert len(pages) == 1, "the pages differ beyond the address typed and the CSRF token"
    assert all(calls == {"verify": 1} for calls in work.values()), work


def test_failed_sign_ins_are_audited_without_the_password_or_the_address(app, client):
    known, held = make_staff(app, "caseworker"), make_staff(app, "caseworker")
    hold_account(app, held)
    typed = [("nobody@sps.example", "first secret guess"), (known.email, "second secret guess"), (held.email, PASSWORD)]
    for email, password in typed:
        assert submit_password(client, email, password).status_code == 200
    with app.app_context():
        entries = db.session.execute(select(AuditEntry.action, AuditEntry.detail, AuditEntry.client)).all()
    actions = [entry.action for entry in entries]
    assert actions.count("sign-in failed") >= 2 and "sign-in refused: locked" in actions
    recorded = " ".join(str(field) for entry in entries for field in entry).casefold()
    for email, password in typed:
        assert password.casefold() not in recorded and email.casefold() not in recorded


@pytest.fixture
def app_with_default_limits(app, database_url):
    """Sign-in limited per client address as the portal is by default."""
    limited = build_app(database_url, RATELIMIT_ENABLED=True)
    assert limited.config["SIGN_IN_RATE_LIMIT"] == "10 per minute;50 per hour"
    yield limited
    with limited.app_context():
        db.engine.dispose()


def test_wrong_passwords_sent_for_hours_never_keep_the_person_out_of_their_usual_browser(
    app_with_default_limits, time_machine
):
    app = app_with_default_limits
    start = clock.now()
    time_machine.move_to(start, tick=False)
    user = make_staff(app, "caseworker")
    rounds = 40  # five wrong passwords every quarter of an hour, for ten hours
    person_address, *attacker_addresses = client_addresses(1 + rounds)
    person = browser(app)
    person.environ_base["REMOTE_ADDR"] = person_address
    sign_in_through_forms(person, app, user)  # the browser they use every day
    sign_out(person)

    # Each round from an address of its own, as a guesser spread over many would send them: the
    # per-address limit then never applies, and the account's own defences are what is tested.
    # (It also keeps the test true on Redis, whose counters expire by the real clock, not the
    # one the test moves.)
    attacker = browser(app)
    for number in range(rounds):
        time_machine.move_to(start + dt.timedelta(minutes=15 * number), tick=False)
        attacker.environ_base["REMOTE_ADDR"] = attacker_addresses[number]
        for guess in range(5):
            refused = submit_password(attacker, user.email, f"guess {number}.{guess}")
            assert refused.status_code == 200 and problems(refused) == [("#email", BAD_CREDENTIALS)]

    time_machine.move_to(start + dt.timedelta(minutes=15 * (rounds - 1) + 1), tick=False)
    assert submit_password(person, user.email).status_code == 302
    assert submit_code(person, fresh_code(app, user)).status_code == 302
    assert signed_in(person)

    # The guesser's browser is held: even the right password gets the usual answer there.
    assert problems(submit_password(attacker, user.email)) == [("#email", BAD_CREDENTIALS)]
    actions = audit_actions(app, user.id)
    assert actions.count("sign-in failed") == signin.CEILING, "guesses are checked up to the ceiling, no further"
    assert actions.count("account locked") == 1
    assert "sign-in refused: locked" in actions


def test_the_code_that_reaches_the_ceiling_says_the_account_is_locked_and_until_when(app, client):
    user = make_staff(app, "caseworker")
    with app.app_context():
        db.session.execute(update(StaffUser).where(StaffUser.id == user.id).values(failed_sign_ins=signin.CEILING - 1))
        db.session.commit()
    assert submit_password(client, user.email).status_code == 302
    refused = submit_code(client, wrong_code(user.secret))
    shown = LOCKED.fullmatch(problems(refused)[0][1])
    assert shown, "only someone who gave the right password is told"
    with app.app_context():
        until = db.session.get(StaffUser, user.id).locked_until
    until = until if until.tzinfo else until.replace(tzinfo=dt.UTC)
    assert shown.group(1) == f"{london_datetime(until):%H:%M}"
    assert until - clock.now() <= dt.timedelta(hours=signin.HOLD_HOURS)


def test_five_wrong_codes_send_the_person_back_to_their_password(app, client):
    user = make_staff(app, "caseworker")
    assert submit_password(client, user.email).status_code == 302
    for _ in range(signin.CODE_TRIES - 1):
        refused = submit_code(client, wrong_code(user.secret))
        assert refused.status_code == 200 and problems(refused) == [("#code", BAD_CODE)]
    ended = submit_code(client, wrong_code(user.secret))
    assert ended.status_code == 302 and ended.headers["Location"] == "/staff/login?ended=codes"
    assert "You entered too many wrong codes." in page_text(client.get(ended.headers["Location"]))
    assert client.get("/staff/login/code").status_code == 302, "the half-done sign-in has ended"


def test_a_copy_of_a_half_done_sign_in_taken_before_a_wrong_code_no_longer_works(app, client):
    user = make_staff(app, "caseworker")
    assert submit_password(client, user.email).status_code == 302
    before = cookie_value(client, SIGN_IN_COOKIE)
    assert submit_code(client, wrong_code(user.secret)).status_code == 200
    replay = browser(app)
    replay.set_cookie(SIGN_IN_COOKIE, before)
    assert replay.get("/staff/login/code").status_code == 302, "the wrong codes it had tried would start again"
    assert client.get("/staff/login/code").status_code == 200, "the browser that tried carries on"


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


def test_guesses_at_an_account_from_other_addresses_do_not_rate_limit_its_person(limited_app):
    user = make_staff(limited_app, "caseworker")
    client = browser(limited_app)
    token = client.csrf_token("/staff/login")
    addresses = client_addresses(7)

    def attempt(address: str, password: str):
        return client.post(
            "/staff/login",
            data={"csrf_token": token, "email": user.email, "password": password},
            environ_base={"REMOTE_ADDR": address},
        )

    assert [attempt(address, "wrong").status_code for address in addresses[:6]] == [200] * 6
    assert attempt(addresses[6], PASSWORD).status_code == 302, "a limit per account would let anyone spend it"


# The session ---------------------------------------------------------------------------------------


def statements_touching(app: Flask, table: str):
    """Collects, into the list it returns, every SQL statement naming ``table`` until removed."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def listener(connection, cursor, statement, parameters, context, executemany) -> None:
        if table in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    return seen, lambda: event.remove(engine, "before_cursor_execute", listener)


def test_cookieless_visits_to_the_sign_in_page_write_no_session_row_and_scan_no_table(app):
    seen, stop = statements_touching(app, "staff_sessions")
    try:
        for _ in range(50):
            visit = browser(app).get("/staff/login")
            assert visit.status_code == 200
            assert visit.headers.get("Set-Cookie", "").startswith(f"{SIGN_IN_COOKIE}=")
    finally:
        stop()
    assert seen == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_the_sign_in_form_still_needs_the_csrf_token_of_its_own_browser(app):
    user = make_staff(app, "caseworker")
    visitor = browser(app)
    token = csrf_from(visitor.get("/staff/login").get_data(as_text=True))
    fields = {"email": user.email, "password": PASSWORD}
    assert visitor.post("/staff/login", data=fields).status_code == 400, "no token"

    other = browser(app)
    other.get("/staff/login")
    assert other.post("/staff/login", data={**fields, "csrf_token": token}).status_code == 400, "another's token"

    value = cookie_value(visitor, SIGN_IN_COOKIE)
    altered = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    forged = browser(app)
    forged.set_cookie(SIGN_IN_COOKIE, altered)
    assert forged.post("/staff/login", data={**fields, "csrf_token": token}).status_code == 400, "a cookie not ours"

    assert visitor.post("/staff/login", data={**fields, "csrf_token": token}).status_code == 302


def test_a_half_done_sign_in_cannot_be_replayed_after_the_code_is_used(app, client):
    user = make_staff(app, "caseworker")
    assert submit_password(client, user.email).status_code == 302
    token = csrf_from(client.get("/staff/login/code").get_data(as_text=True))
    half_done = cookie_value(client, SIGN_IN_COOKIE)
    used = client.post("/staff/login/code", data={"csrf_token": token, "code": fresh_code(app, user)})
    assert used.status_code == 302
    assert signed_in(client)

    replay = browser(app)
    replay.set_cookie(SIGN_IN_COOKIE, half_done)
    assert replay.get("/staff/login/code").status_code == 302
    replayed = replay.post("/staff/login/code", data={"csrf_token": token, "code": fresh_code(app, user)})
    assert replayed.status_code == 302 and replayed.headers["Location"] == "/staff/login"
    assert not signed_in(replay)


def test_the_session_identifier_changes_at_sign_in(app, client):
    user = make_staff(app, "caseworker")
    client.get("/staff/login")
    before = cookie_value(client, SIGN_IN_COOKIE)
    assert before and cookie_value(client) is None, "before sign-in the session is the signed cookie alone"
    assert submit_password(client, user.email).status_code == 302
    half_way = cookie_value(client, SIGN_IN_COOKIE)
    assert half_way and cookie_value(client) is None
    assert submit_code(client, fresh_code(app, user)).status_code == 302
    after = cookie_value(client)
    assert after and cookie_value(client, SIGN_IN_COOKIE) is None, "the signed cookie goes at sign-in"
    assert len({before, half_way, after}) == 3

    for old in (before, half_way):
        for name in (COOKIE, SIGN_IN_COOKIE):
            planted = browser(app)
            planted.set_cookie(name, old)
            assert not signed_in(planted), "a cookie from before sign-in opens the back office"
    carried = browser(app)
    carried.set_cookie(COOKIE, after)
    assert signed_in(carried)
    with app.app_context():
        digests = set(db.session.scalars(select(StaffSession.token_sha256)))
    assert hashlib.sha256(after.encode()).hexdigest() in digests
    assert after not in digests, "only the digest of the token is stored"
    assert not {hashlib.sha256(old.encode()).hexdigest() for old in (before, half_way)} & digests


def set_cookies(response) -> dict[str, str]:
    """Each cookie the response sets (or clears), by name."""
    return {cookie.split("=", 1)[0]: cookie for cookie in response.headers.getlist("Set-Cookie")}


def test_the_session_cookies_are_http_only_and_same_site(app, client):
    user = make_staff(app, "caseworker")
    before = set_cookies(client.get("/staff/login"))
    response = sign_in_through_forms(client, app, user)
    cookies = set_cookies(response)
    assert "Max-Age=0" in cookies[SIGN_IN_COOKIE], "the signed cookie is cleared at sign-in"
    for cookie in (before[SIGN_IN_COOKIE], cookies[COOKIE], cookies[KNOWN_BROWSER_COOKIE]):
        assert "; HttpOnly" in cookie and "; SameSite=Lax" in cookie and "; Path=/" in cookie
        assert "Domain=" not in cookie
    assert "Max-Age=" not in cookies[COOKIE] and "Max-Age=" not in before[SIGN_IN_COOKIE], "gone with the browser"
    assert f"Max-Age={signin.KNOWN_BROWSER_DAYS * 86400}" in cookies[KNOWN_BROWSER_COOKIE]


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
    names = [set(set_cookies(response)) for response in responses]
    assert names[0] == {"__Host-sps_signin"}
    assert names[1] == {"__Host-sps_signin", "__Host-sps_staff", "__Host-sps_known_browser"}
    for response in responses:
        for cookie in response.headers.getlist("Set-Cookie"):
            assert cookie.startswith("__Host-"), cookie
            # A browser only accepts (or clears) a __Host- cookie that is Secure, for Path=/, with no Domain.
            for attribute in ("; Secure", "; Path=/", "; SameSite=Lax"):
                assert attribute in cookie, (attribute, cookie)
            assert "Domain=" not in cookie
            assert "; HttpOnly" in cookie or "Max-Age=0" in cookie, cookie
    assert "Max-Age=0" in set_cookies(responses[-1])["__Host-sps_staff"], "signing out clears the cookie"
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


def test_expired_sessions_are_cleared_when_someone_signs_in(app):
    user = make_staff(app, "caseworker")
    first = browser(app)
    sign_in(first, app, user)
    with app.app_context():
        db.session.execute(text("UPDATE staff_sessions SET last_seen_at = :old"), {"old": dt.datetime(2020, 1, 1)})
        db.session.commit()
    sign_in_through_forms(browser(app), app, make_staff(app, "caseworker"))  # a new session clears them away
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM staff_sessions")) == 1


# Where sign-in leads: ``next`` ---------------------------------------------------------------------


def test_a_newline_in_next_falls_back_to_the_dashboard_once_the_code_is_used(app, client):
    """The penetration test's case: a CR LF in ``next`` made a 500 after the code was spent."""
    user = make_staff(app, "caseworker")
    page = client.get("/staff/login?next=/staff/%0d%0aSet-Cookie:%20planted=1")
    assert page.status_code == 200
    response = client.post(
        "/staff/login?next=/staff/%0d%0aSet-Cookie:%20planted=1",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    signed = submit_code(client, fresh_code(app, user))
    assert signed.status_code == 302 and signed.headers["Location"] == "/staff/"
    assert "planted" not in str(signed.headers)
    assert signed_in(client)


@pytest.mark.parametrize(
    "target",
    [
        "/staff/\r\nSet-Cookie: planted=1",
        "/staff/\n",
        "/staff/%0d%0aSet-Cookie:%20planted=1",
        "/staff/%0A",
        "/staff/x\x00",
        "/staff/\x0b",
        "/staff/\u2028",
        "/staff/\u202e",
        "/staff/\\evil.example",
        "/staff/%5cevil.example",
        "/\t/evil.example",
        "//evil.example",
        "///evil.example/staff",
        "/staff//evil.example",
        "https:evil.example",
        "https://evil.example/staff/",
        "javascript:alert(1)",
        "/staffing",
        "/staff@evil.example",
        "staff/cases",
        "/staff/" + "x" * 1000,
        "",
        None,
    ],
)
def test_next_that_could_leave_the_site_or_break_the_redirect_goes_to_the_dashboard(app, target):
    from portal.staff.auth import _safe_next

    with app.test_request_context("/staff/login"):
        assert _safe_next(target) == "/staff/"


@pytest.mark.parametrize("target", ["/staff", "/staff/", "/staff/cases?status=open&worker=3", "/staff/referrals/12"])
def test_next_within_the_back_office_is_kept(app, target):
    from portal.staff.auth import _safe_next

    with app.test_request_context("/staff/login"):
        assert _safe_next(target) == target


def test_the_sign_in_address_is_a_username_field_html_allows(client):
    """autocomplete="username" is valid only on a text input (the Nu HTML Checker refused it on
    type="email"); phones still get their email keyboard through inputmode."""
    page = client.get("/staff/login").get_data(as_text=True)
    field = re.search(r'<input[^>]*id="email"[^>]*>', page)
    assert field, "no email field"
    for attribute in ('type="text"', 'inputmode="email"', 'autocomplete="username"', 'spellcheck="false"'):
        assert attribute in field.group(0), attribute


def test_a_wrong_code_says_it_was_wrong_and_that_codes_change(app, client):
    user = make_staff(app, "caseworker")
    submit_password(client, user.email)
    refused = submit_code(client, "000000")
    assert problems(refused) == [("#code", BAD_CODE)]
