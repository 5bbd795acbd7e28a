"""Structured logs (issue 14): one JSON line per request with its route's rule, never a path, a
name, an address or a reference; a request id on every response and every error page; the
proxy's id believed only behind a trusted proxy."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from portal.config import ConfigError, load_config
from portal.extensions import db
from portal.request_log import JsonFormatter
from tests.clock import london
from tests.conftest import build_app
from tests.journeys import self_referral_answers, send, start

FRESH_ID = re.compile(r"[0-9a-f]{16}")
REQUEST_LINE_FIELDS = {"time", "level", "logger", "message", "request_id", "method", "route", "status", "duration_ms"}
PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "x" * 32,
    "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "AUDIT_CHAIN_KEY": "y" * 32,
    "MAIL_URL": "smtp://relay.example:587",
}


@pytest.fixture
def json_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog formatting each record as the production log does, when it is written (inside the
    request, so records carry the request's id)."""
    caplog.set_level(logging.INFO)
    caplog.handler.setFormatter(JsonFormatter())
    yield caplog


def lines_of(caplog: pytest.LogCaptureFixture, logger: str | None = None) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in caplog.text.splitlines() if line.startswith("{")]
    return [line for line in lines if logger is None or line["logger"] == logger]


def test_each_request_writes_one_json_line_with_its_rule_and_no_personal_data(client, json_log, time_machine):
    moment = london(dt.date(2026, 5, 11), 14, 30)
    time_machine.move_to(moment, tick=False)
    answers = self_referral_answers()
    check_page = start(client, "self", answers)
    sent = send(client, "self", check_page)
    confirmation = client.get(sent.headers["Location"])
    reference = re.search(r"SPS-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation.get_data(as_text=True)).group(0)

    requests = lines_of(json_log, "portal.request")
    assert [(line["method"], line["route"], line["status"]) for line in requests] == [
        ("POST", "/refer/<any(self, professional):route>", 303),
        ("GET", "/refer/<any(self, professional):route>/check", 200),
        ("POST", "/refer/<any(self, professional):route>/check", 302),
        ("GET", "/refer/<any(self, professional):route>/confirmation", 200),
    ]
    for line, response in zip(requests[1:], (check_page, sent, confirmation), strict=True):
        assert set(line) == REQUEST_LINE_FIELDS
        assert line["request_id"] == response.headers["X-Request-Id"]
        assert line["time"] == moment.astimezone(dt.UTC).isoformat(), "the portal's clock"
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    written = json_log.text
    personal = [answers["parent_carer_name"], answers["child_name"], answers["email"], answers["phone"], reference]
    assert [value for value in personal if value in written] == []
    assert "1 Example Street" not in written and "BA1 1AA" not in written.upper()


def test_a_set_up_links_token_never_reaches_the_log(client, json_log):
    token = secrets.token_urlsafe(32)
    response = client.get(f"/staff/set-up/{token}")
    [line] = lines_of(json_log, "portal.request")
    assert (line["route"], line["status"]) == ("/staff/set-up/<token>", response.status_code)
    assert token not in json_log.text


def test_every_response_carries_a_fresh_request_id_and_error_pages_show_it(client):
    first, second = client.get("/"), client.get("/")
    assert FRESH_ID.fullmatch(first.headers["X-Request-Id"]) and FRESH_ID.fullmatch(second.headers["X-Request-Id"])
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    missing = client.get("/no-such-page", headers={"X-Request-Id": "chosen-by-the-client"})
    request_id = missing.headers["X-Request-Id"]
    assert request_id != "chosen-by-the-client", "without a trusted proxy the header is the client's own"
    assert missing.status_code == 404 and request_id in missing.get_data(as_text=True)


@pytest.fixture
def behind_a_proxy(app: Flask, database_url: str) -> Iterator[Flask]:
    proxied = build_app(database_url, TRUST_PROXY_HOPS=1)
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def test_the_proxys_request_id_is_kept_only_behind_a_trusted_proxy_and_when_well_formed(behind_a_proxy):
    client = behind_a_proxy.test_client()
    nginx_id = "0123456789abcdef0123456789abcdef"
    assert client.get("/", headers={"X-Request-Id": nginx_id}).headers["X-Request-Id"] == nginx_id
    for malformed in ("short", "<script>alert(1)</script>", "x" * 65, "id with spaces"):
        kept = client.get("/", headers={"X-Request-Id": malformed}).headers["X-Request-Id"]
        assert FRESH_ID.fullmatch(kept), malformed


def test_an_unhandled_exception_is_logged_as_json_with_the_rule_and_request_id_never_the_path(database_url, json_log):
    broken = build_app(database_url, PROPAGATE_EXCEPTIONS=False)

    @broken.get("/broken/<token>")
    def fails(token: str) -> str:
        raise RuntimeError("something unforeseen")

    token = secrets.token_urlsafe(32)
    response = broken.test_client().get(f"/broken/{token}")
    request_id = response.headers["X-Request-Id"]
    assert response.status_code == 500 and request_id in response.get_data(as_text=True)
    [error] = lines_of(json_log, "portal.errors")
    assert error["level"] == "ERROR" and "/broken/<token>" in str(error["message"])
    assert error["request_id"] == request_id
    assert "RuntimeError: something unforeseen" in str(error["exception"])
    assert token not in json_log.text
    with broken.app_context():
        db.engine.dispose()


def test_logs_are_json_in_production_and_plain_text_elsewhere_unless_log_format_says():
    assert load_config(PRODUCTION)["LOG_FORMAT"] == "json"
    assert load_config({"PORTAL_ENV": "test"})["LOG_FORMAT"] == "text"
    assert load_config(PRODUCTION | {"LOG_FORMAT": "text"})["LOG_FORMAT"] == "text"
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_config({"PORTAL_ENV": "test", "LOG_FORMAT": "xml"})
