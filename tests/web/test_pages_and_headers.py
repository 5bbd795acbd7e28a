"""Every public route, the security headers, error pages, CSRF and rate limits."""

import pytest
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.security import CONTENT_SECURITY_POLICY
from tests.conftest import CheckingClient, build_app
from tests.factories import submit_referral
from tests.journeys import self_referral_answers, start
from tests.staff import TEST_CLIENT_ADDRESS, make_staff, sign_in

EXACT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PUBLIC_PAGES = [
    "/",
    "/privacy",
    "/accessibility",
    "/contact",
    "/refer/self",
    "/refer/professional",
    "/requests/records",
    "/requests/foi",
    "/requests/complaint",
]


def get_routes(app):
    return {
        rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and not rule.rule.startswith("/staff")
    }


def test_every_get_route_is_known_and_answers(app, client):
    """A new public route must be added here, so it is checked for headings, ids and forms (the
    back office's routes have their own walk, in test_staff_roles.py)."""
    known = {
        "/",
        "/privacy",
        "/accessibility",
        "/contact",
        "/healthz",
        "/readyz",
        "/assets/<path:filename>",
        "/refer/<any(self, professional):route>",
        "/refer/<any(self, professional):route>/<slug>",  # question pages: tests/web/test_professional_referral.py
        "/refer/<any(self, professional):route>/check",  # check pages: tests/web/test_self_referral.py
        "/refer/<any(self, professional):route>/confirmation",
        "/requests/<any(records, foi, complaint):kind>",
        "/requests/<any(records, foi, complaint):kind>/<slug>",  # tests/web/test_public_requests.py
        "/requests/<any(records, foi, complaint):kind>/check",
        "/requests/<any(records, foi, complaint):kind>/confirmation",
        "/feedback/<token>",  # tests/web/test_feedback.py walks it
        "/feedback/thank-you",
    }
    assert get_routes(app) == known
    for path in PUBLIC_PAGES:
        assert client.get(path).status_code == 200, path


def test_the_exact_content_security_policy_on_every_response(client):
    assert CONTENT_SECURITY_POLICY == EXACT_CSP
    for path in [*PUBLIC_PAGES, "/healthz", "/missing", "/assets/application.css"]:
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == EXACT_CSP, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers, "HSTS only in production"


def test_pages_holding_personal_data_are_never_cached(client):
    assert client.get("/refer/self").headers["Cache-Control"] == "no-store"
    assert client.get("/refer/professional").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_production_adds_hsts_and_secure_cookies(database_url):
    production = build_app(database_url, PORTAL_ENV="production", SESSION_COOKIE_SECURE=True)
    page = production.test_client().get("/refer/self", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    cookie = page.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_session_cookie_is_http_only_and_same_site(client):
    cookie = client.get("/refer/self").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_post_without_a_csrf_token_gets_the_400_page(client):
    response = client.post("/refer/self", data=self_referral_answers())
    assert response.status_code == 400
    assert "Sorry, there is a problem with your request" in response.get_data(as_text=True)


def test_forged_answers_send_the_person_back_to_the_start_of_the_form(client):
    client.set_cookie("sps_answers_self_0", "forged", path="/refer/self")
    token = client.csrf_token("/refer/self")
    response = client.post("/refer/self/check", data={"csrf_token": token, "send": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == "/refer/self"


def test_confirmation_without_a_referral_returns_to_the_start(client):
    response = client.get("/refer/self/confirmation")
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize(("path", "status"), [("/missing", 404), ("/refer/nobody", 404)])
def test_not_found_page(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert "Page not found" in response.get_data(as_text=True)


def test_method_not_allowed_page(client):
    response = client.post("/privacy")
    assert response.status_code in (400, 405)  # CSRF refuses an unsigned POST before routing does


def test_too_large_a_form_gets_the_413_page(client):
    token = client.csrf_token("/refer/self")
    response = client.post("/refer/self", data={"csrf_token": token, "needs": "x" * 400_000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_submissions_are_rate_limited_per_client(database_url):
    app = build_app(database_url, RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="3 per minute")
    app.test_client_class = CheckingClient
    browser = app.test_client()
    statuses = [start(browser, "self", self_referral_answers(child_name="")).status_code for _ in range(3)]
    limited = start(browser, "self", self_referral_answers())
    assert statuses == [200, 200, 200] and limited.status_code == 429
    assert "too many attempts" in limited.get_data(as_text=True)
    assert limited.headers.get("Retry-After")
    assert browser.get("/refer/self").status_code == 200, "reading the form is never limited"


def test_an_unexpected_error_gets_the_500_page(database_url):
    app = build_app(database_url, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("unexpected")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)


def test_a_database_outage_gets_the_503_page(database_url):
    app = build_app(database_url, PROPAGATE_EXCEPTIONS=False)

    @app.get("/down")
    def down():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    response = app.test_client().get("/down")
    assert response.status_code == 503
    assert "the service is unavailable" in response.get_data(as_text=True)


def test_healthz_reports_the_database(client, tmp_path):
    assert client.get("/healthz").get_json() == {"database": "reachable", "status": "ok"}
    unreachable = build_app(f"sqlite:///{tmp_path}/no/such/folder/db.sqlite")
    response = unreachable.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_static_assets_are_served_under_assets(client):
    css = client.get("/assets/application.css")
    assert css.status_code == 200 and b".govuk-template" in css.data
    assert client.get("/assets/sps/application.mjs").status_code == 200
    assert client.get("/assets/govuk-frontend.min.js").status_code == 200


FORGED = "203.0.113.66"  # what a client claims in X-Forwarded-For
PROXY_SAW = "198.51.100.7"  # what the one proxy in front appends: the address it was reached from


@pytest.mark.usefixtures("app")  # the migrated database
@pytest.mark.parametrize(("hops", "client_seen_as"), [(0, TEST_CLIENT_ADDRESS), (1, PROXY_SAW)])
def test_x_forwarded_for_is_believed_only_for_the_proxies_configured(database_url, hops, client_seen_as):
    """With no proxy configured a client's own X-Forwarded-For changes nothing: the audit log and
    the rate limits see the address the connection came from. With one, only the entry that proxy
    added counts, never one the client wrote before it."""
    app = build_app(database_url, TRUST_PROXY_HOPS=hops, RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per minute")
    app.test_client_class = CheckingClient
    referral = submit_referral(app)
    staff = app.test_client()
    sign_in(staff, app, make_staff(app, "manager"))
    forwarded = FORGED if hops == 0 else f"{FORGED}, {PROXY_SAW}"
    assert staff.get(f"/staff/referrals/{referral.id}", headers={"X-Forwarded-For": forwarded}).status_code == 200
    with app.app_context():
        newest = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.sequence.desc())).first()
        assert (newest.record_type, newest.record_id, newest.client) == ("referral", referral.id, client_seen_as)

    public = app.test_client()
    token = public.csrf_token("/refer/self")
    statuses = []
    for number in range(3):
        # Each post claims another address; only a proxy-added one may spread them over budgets.
        claimed = f"203.0.113.{number}" if hops == 0 else f"{FORGED}, 198.51.100.{number}"
        response = public.post("/refer/self", data={"csrf_token": token}, headers={"X-Forwarded-For": claimed})
        statuses.append(response.status_code)
    assert statuses == ([200, 200, 429] if hops == 0 else [200, 200, 200])
