"""Two gunicorn servers (separate processes on different ports, as two app hosts would be) on one
database and one Redis: the app keeps no state of its own, so a session, a rate limit and the
audit chain are each one thing, whichever server a request reaches."""

from __future__ import annotations

import contextlib
import itertools
import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Referral
from portal.models.audit import AuditEntry
from portal.services import audit
from tests.processes import Browser, gunicorn
from tests.staff import PASSWORD, code_for, make_staff

pytestmark = pytest.mark.resilience

LIMIT = 10  # public form POSTs per address per hour, for this test: a professional referral takes 9
REFERRALS_EACH = 4  # per sender; two senders at once, each alternating between the servers


def test_two_servers_share_sessions_rate_limits_and_one_audit_chain(own_database, redis_server, keys, tmp_path):
    app = own_database.app
    user = make_staff(app, "caseworker")
    settings = {
        "RATELIMIT_STORAGE_URI": redis_server.url,
        "TRUST_PROXY_HOPS": "1",
        "SUBMISSION_RATE_LIMIT": f"{LIMIT} per hour",
    }
    with contextlib.ExitStack() as servers:
        first, second = (
            servers.enter_context(gunicorn(own_database.url, keys, tmp_path / f"gunicorn-{name}.log", **settings))
            for name in ("first", "second")
        )

        # A session signed in on one server works on the other, and signing out on that one ends it on both.
        staff = Browser(first.base_url, address="192.0.2.10")
        staff.sign_in(user.email, PASSWORD, lambda: code_for(app, user.id, user.secret))
        dashboard = staff.on(second.base_url).expect(staff.get("/staff/"), 200, "the dashboard on the second server")
        assert user.name in dashboard.body
        staff.expect(staff.post("/staff/logout", {"csrf_token": staff.csrf("/staff/account")}), 302, "sign out")
        assert staff.on(first.base_url).get("/staff/").status == 302, "signed out on the first server too"

        # A rate limit counted on one server is enforced on the other.
        limited = Browser(first.base_url, address="192.0.2.20")
        token = limited.csrf("/refer/self")
        for base_url in itertools.islice(itertools.cycle((first.base_url, second.base_url)), LIMIT):
            limited.on(base_url).expect(limited.post("/refer/self", {"csrf_token": token}), 200, "within the limit")
        assert limited.on(first.base_url).post("/refer/self", {"csrf_token": token}).status == 429
        assert limited.on(second.base_url).post("/refer/self", {"csrf_token": token}).status == 429

        # Referrals sent to both at once, alternately, extend one chain.
        confirmed: list[str] = []
        failures: list[str] = []

        def send(sender: int) -> None:
            in_turn = [first.base_url, second.base_url] if sender == 0 else [second.base_url, first.base_url]
            servers_in_turn = itertools.cycle(in_turn)
            for number, route in zip(range(REFERRALS_EACH), itertools.cycle(("self", "professional")), strict=False):
                # Each from an address of its own: a referral's POSTs (9 at most) stay within the limit.
                browser = Browser(next(servers_in_turn), address=f"198.51.100.{sender * 50 + number + 1}")
                try:
                    confirmed.append(browser.refer(route))
                except Exception as error:
                    failures.append(f"{type(error).__name__}: {error}")

        senders = [threading.Thread(target=send, args=(sender,)) for sender in range(2)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(60)

    assert failures == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == len(confirmed) == 2 * REFERRALS_EACH
        verdict = audit.verify()
        entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert verdict.whole, verdict.reason
    assert verdict.checked == entries
