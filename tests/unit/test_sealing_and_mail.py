import hashlib
import logging
import socket
from pathlib import Path

import pytest

from portal.services.mail import Mailer, masked_address

ROOT = Path(__file__).resolve().parents[2]


def test_log_mail_writes_to_the_log_without_an_address_or_a_reference_in_full(caplog):
    body = "Your reference is SPS-7K3Q-9XM2.\nYour request: FOI-AB12-CD34. Reply to zoe.family@example.com"
    with caplog.at_level(logging.INFO, logger="portal.services.mail"):
        assert Mailer("log://", "sps@example.invalid").send("zoe.family@example.com", "Referral DPC-1234-5678", body)
    logged = caplog.text
    assert "mail to z***@example.com: Referral DPC-1234-****" in logged
    assert "SPS-7K3Q-****" in logged and "FOI-AB12-****" in logged and "Reply to z***@example.com" in logged
    for whole in ("zoe.family", "9XM2", "CD34", "5678"):
        assert whole not in logged


@pytest.mark.parametrize(
    ("address", "shown"),
    [("zoe.family@example.com", "z***@example.com"), ("a@b.example", "a***@b.example"), ("no-at-sign", "***")],
)
def test_an_address_is_masked_to_its_first_character_and_domain(address, shown):
    assert masked_address(address) == shown


def test_smtp_failure_is_logged_not_raised(caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailer = Mailer(f"smtp://user:pass@127.0.0.1:{port}", "sps@example.invalid")
    assert mailer.send("a@example.com", "Subject", "Body") is False
    assert "could not be sent" in caplog.text


def test_an_unknown_mail_scheme_is_refused():
    with pytest.raises(ValueError, match="MAIL_URL scheme"):
        Mailer("carrier-pigeon://", "sps@example.invalid")


def test_the_privacy_notice_text_matches_the_version_people_agree_to(app_context):
    """Editing the notice means publishing a new version (a migration adding its row and digest),
    so that 'agreed to version 1.0' always means the words that version 1.0 had."""
    from portal.services.consent import current_privacy_notice

    text = (ROOT / "templates/public/privacy_notice_text.html").read_bytes()
    assert hashlib.sha256(text).hexdigest() == current_privacy_notice().content_sha256
