"""PostgreSQL goes away under a running gunicorn and comes back.

Between the portal and the shared cluster sits a TCP forwarder (``forwarder.py``), "stopped" (every
connection closed under the portal, new ones refused) and "restarted" on the same port: the
cluster itself is never stopped, since other tests use it at the same moment.
"""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy.engine import make_url

from tests.processes import Browser, Reply, gunicorn, wait_for
from tests.resilience.forwarder import Forwarder
from tests.staff import PASSWORD, code_for, make_staff

pytestmark = pytest.mark.resilience


def shows_its_request_id(reply: Reply) -> bool:
    return bool(reply.request_id) and reply.request_id in reply.body


def test_every_kind_of_route_answers_503_while_postgresql_is_away_and_200_once_it_is_back(
    own_database, redis_server, keys, tmp_path
):
    app, direct = own_database.app, make_url(own_database.url)
    signed_in_user, signing_in_user = make_staff(app, "caseworker"), make_staff(app, "caseworker")
    with Forwarder(direct.host or "127.0.0.1", direct.port or 5432) as forwarder:
        through_forwarder = direct.set(host="127.0.0.1", port=forwarder.port).render_as_string(hide_password=False)
        with gunicorn(
            through_forwarder, keys, tmp_path / "gunicorn.log", RATELIMIT_STORAGE_URI=redis_server.url
        ) as server:
            staff = Browser(server.base_url)
            staff.sign_in(
                signed_in_user.email, PASSWORD, lambda: code_for(app, signed_in_user.id, signed_in_user.secret)
            )
            family = Browser(server.base_url)
            check_page = family.check_page("self")  # filled in while the database was there
            signing_in = Browser(server.base_url)
            sign_in_form = {
                "csrf_token": signing_in.csrf("/staff/login"),
                "email": signing_in_user.email,
                "password": PASSWORD,
            }
            set_up_link = f"/staff/set-up/{secrets.token_urlsafe(32)}"
            feedback_link = f"/feedback/{secrets.token_urlsafe(32)}"

            forwarder.stop()
            outage = {
                "public GET needing the database": family.get(feedback_link),
                "public POST": family.send("self", check_page),
                "sign-in POST": signing_in.post("/staff/login", sign_in_form),
                "sign-in GET without a session": Browser(server.base_url).get("/staff/login"),
                "sign-in GET with a session": staff.get("/staff/login"),
                "staff page with a session": staff.get("/staff/"),
                "staff POST with a session": staff.post("/staff/logout", {"csrf_token": "any"}),
                "set-up link": Browser(server.base_url).get(set_up_link),
            }
            for what, reply in outage.items():
                assert reply.status == 503, f"{what}: {reply.status}"
                assert "Sorry, the service is unavailable" in reply.body, what
                assert shows_its_request_id(reply), f"{what}: the page does not show its request id"
            healthz, readyz = Browser(server.base_url).get("/healthz"), Browser(server.base_url).get("/readyz")
            assert (healthz.status, json.loads(healthz.body)["database"]) == (503, "unreachable")
            assert readyz.status == 503
            assert json.loads(readyz.body) == {
                "status": "unavailable",
                "database": "unreachable",
                "rate_limit_storage": "reachable",
                "job_queue": "in process",
            }
            # Pages that need no database still work (the start page, which only explains).
            assert Browser(server.base_url).get("/").status == 200

            forwarder.start()
            wait_for("/readyz answering 200 again", lambda: Browser(server.base_url).get("/readyz").status == 200, 20)
            assert staff.get("/staff/").status == 200, "the session outlived the outage"
            assert family.send("self", check_page).status == 302, "the same check page sends once it can"
            assert signing_in.post("/staff/login", sign_in_form).status == 302
            assert Browser(server.base_url).get(feedback_link).status == 404, "an unknown feedback link, as usual"
            assert server.process.poll() is None
            booted = [line for line in server.log_lines() if "Booting worker" in line]
            assert len(booted) == 2, "the same workers answered throughout: none was restarted"
