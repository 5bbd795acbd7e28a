"""Redis (the rate limits' storage) is killed while families send referrals and staff sign in.

Before issue 14 every public form POST and every sign-in got a 500 while Redis was down, and a
referral saved just before the limiter's header step failed was shown to its sender as not sent.
Now the limits fall back to each process's memory: nobody sees a 5xx, every referral stored was
confirmed to whoever sent it (and none confirmed was lost), sign-in works, and once Redis is back
the limits are counted there again, shared by every process.
"""

from __future__ import annotations

import itertools
import json
import threading

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Referral
from tests.processes import Browser, gunicorn, wait_for
from tests.staff import PASSWORD, code_for, make_staff

pytestmark = pytest.mark.resilience

SENDERS = 3
SIGN_INS_DURING_THE_OUTAGE = 2
POSTS_TO_COUNT = 6


class Senders:
    """Families sending referrals, self and professional by turns, until told to stop; each from
    an address of its own (the proxy's X-Forwarded-For), far below the limits."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.confirmed: list[str] = []
        self.failures: list[str] = []
        self.browsers: list[Browser] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._send, args=(number,), daemon=True) for number in range(SENDERS)]

    def __enter__(self) -> Senders:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def count(self) -> int:
        with self.lock:
            return len(self.confirmed)

    def _send(self, number: int) -> None:
        for route in itertools.cycle(("self", "professional")):
            if self.stop.is_set():
                return
            browser = Browser(self.base_url, address=f"198.51.100.{number + 1}")
            with self.lock:
                self.browsers.append(browser)
            try:
                reference = browser.refer(route)
            except Exception as error:  # reported, not left to die with the thread
                with self.lock:
                    self.failures.append(f"{type(error).__name__}: {error}")
                return
            with self.lock:
                self.confirmed.append(reference)


def counted_in_redis(redis_server, address: str) -> int:
    with redis_server.client() as connection:
        return sum(int(connection.get(key) or 0) for key in connection.scan_iter(f"*{address}*"))


def test_killing_redis_during_referrals_and_sign_ins_shows_nobody_a_5xx_and_loses_nothing(
    own_database, redis_server, keys, tmp_path
):
    app = own_database.app
    staff = [make_staff(app, "caseworker") for _ in range(SIGN_INS_DURING_THE_OUTAGE)]
    probes = itertools.count(1)

    def limits_shared_again() -> bool:
        # Every POST of a round, whichever worker takes it, must be counted in Redis.
        address = f"203.0.113.{next(probes)}"
        probe = Browser(server.base_url, address=address)
        token = probe.csrf("/refer/self")
        for _ in range(POSTS_TO_COUNT):
            probe.expect(probe.post("/refer/self", {"csrf_token": token}), 200, "a form with errors")
        return counted_in_redis(redis_server, address) == POSTS_TO_COUNT

    with (
        gunicorn(
            own_database.url,
            keys,
            tmp_path / "gunicorn.log",
            RATELIMIT_STORAGE_URI=redis_server.url,
            TRUST_PROXY_HOPS="1",
            SUBMISSION_RATE_LIMIT="1000 per minute",
            SIGN_IN_RATE_LIMIT="1000 per minute",
        ) as server,
        Senders(server.base_url) as senders,
    ):
        wait_for("referrals sent with Redis up", lambda: senders.count() >= 4 or senders.failures, 30)
        redis_server.kill()
        during = senders.count()
        for number, user in enumerate(staff):
            browser = Browser(server.base_url, address=f"192.0.2.{number + 1}")
            browser.sign_in(user.email, PASSWORD, lambda user=user: code_for(app, user.id, user.secret))
            browser.expect(browser.get("/staff/"), 200, "the dashboard, signed in while Redis was away")
        wait_for("referrals sent with Redis down", lambda: senders.count() >= during + 6 or senders.failures, 30)
        redis_server.start()
        wait_for("the limits counted in Redis again", limits_shared_again, 45, every=0.5)
        after = senders.count()
        wait_for("referrals sent with Redis back", lambda: senders.count() >= after + 2 or senders.failures, 30)

    assert senders.failures == [], senders.failures[0]
    replies = [reply for browser in senders.browsers for reply in browser.replies]
    assert [what for what, reply in replies if reply.status >= 500] == [], "a 5xx while Redis was away"
    with app.app_context():
        stored = db.session.scalars(select(Referral.reference)).all()
    assert sorted(stored) == sorted(senders.confirmed), "every referral stored was confirmed, and only those"
    assert len(senders.confirmed) >= during + 6 + 2

    request_lines = [json.loads(line) for line in server.log_lines() if line.startswith("{")]
    assert any("falling back to in-memory storage" in line["message"] for line in request_lines)
    logged = "\n".join(server.log_lines())
    for reference in senders.confirmed:
        assert reference not in logged, "a reference in the log"
    for personal in ("Zoë", "Kowalsk", "example.com", "07700", "Example Street"):
        assert personal not in logged, f"{personal!r} in the log"
