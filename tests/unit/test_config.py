import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from portal.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
KEY = Fernet.generate_key().decode()
PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "PORTAL_ENCRYPTION_KEYS": KEY,
    "AUDIT_CHAIN_KEY": "a" * 40,
    "MAIL_URL": "smtp://sps:secret@relay.example:587",
}


def test_production_names_the_missing_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY, PORTAL_ENCRYPTION_KEYS and AUDIT_CHAIN_KEY are not set"):
        load_config({"PORTAL_ENV": "production"})
    for missing in ("SECRET_KEY", "PORTAL_ENCRYPTION_KEYS", "AUDIT_CHAIN_KEY"):
        with pytest.raises(ConfigError, match=f"production: {missing} is not set"):
            load_config({name: value for name, value in PRODUCTION.items() if name != missing})


def test_production_settings_harden_cookies():
    config = load_config(PRODUCTION)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("env", ["development", "test", "production"])
def test_no_proxy_is_trusted_until_the_deployment_says_how_many_there_are(env):
    environ = PRODUCTION | {"PORTAL_ENV": env}
    assert load_config(environ)["TRUST_PROXY_HOPS"] == 0
    assert load_config(environ | {"TRUST_PROXY_HOPS": " 2 "})["TRUST_PROXY_HOPS"] == 2


@pytest.mark.parametrize("hops", ["-1", "one", "1.5", "1e2", "٣"])
def test_a_proxy_count_that_is_not_a_whole_number_refuses_to_start(hops):
    with pytest.raises(ConfigError, match="TRUST_PROXY_HOPS must be the number of proxies in front of the portal"):
        load_config({"PORTAL_ENV": "test", "TRUST_PROXY_HOPS": hops})


def test_production_refuses_to_start_without_a_mail_relay():
    without_mail = {name: value for name, value in PRODUCTION.items() if name != "MAIL_URL"}
    with pytest.raises(ConfigError, match="Refusing to start in production: MAIL_URL is not set"):
        load_config(without_mail)
    for quiet in ("log://", "memory://", "relay.example:25"):
        with pytest.raises(ConfigError, match="MAIL_URL must be smtp://… or smtps://…") as refused:
            load_config(PRODUCTION | {"MAIL_URL": quiet})
        assert "relay.example" not in str(refused.value)
    assert load_config(PRODUCTION | {"MAIL_URL": "smtps://sps:secret@relay.example"})["MAIL_URL"].startswith("smtps")


def test_outside_production_mail_goes_to_the_log_unless_told_otherwise():
    assert load_config({"PORTAL_ENV": "test"})["MAIL_URL"] == "log://"
    with pytest.raises(ConfigError, match="MAIL_URL must start with log://, memory://, smtp://, smtps://"):
        load_config({"PORTAL_ENV": "test", "MAIL_URL": "carrier-pigeon://loft"})


def test_bad_settings_are_refused_with_a_reason():
    with pytest.raises(ConfigError, match="PORTAL_ENV must be one of"):
        load_config({"PORTAL_ENV": "staging"})
    with pytest.raises(ConfigError, match="DATABASE_URL is not a database URL"):
        load_config({"PORTAL_ENV": "test", "DATABASE_URL": "bogus://x"})
    with pytest.raises(ConfigError, match="key 2 is not a Fernet key"):
        load_config({"PORTAL_ENV": "test", "PORTAL_ENCRYPTION_KEYS": f"{KEY},not-a-key"})


def test_tests_get_generated_secrets():
    config = load_config({"PORTAL_ENV": "test"})
    assert len(config["SECRET_KEY"]) >= 32 and len(config["PORTAL_ENCRYPTION_KEYS"]) == 1


def test_the_app_refuses_to_start_with_one_line_and_no_traceback():
    env = PRODUCTION | {"PATH": "/usr/bin:/bin", "PORTAL_ENCRYPTION_KEYS": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "sps-portal: Refusing to start in production: PORTAL_ENCRYPTION_KEYS is not set in the environment."
    ]


def test_the_readme_documents_every_setting():
    source = (ROOT / "portal/config.py").read_text()
    read = set(re.findall(r'environ(?:\.get\(|, )"([A-Z_]+)"', source))
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M))
    assert read == documented
