import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from portal.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
KEY = Fernet.generate_key().decode()


def test_production_names_the_missing_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY and PORTAL_ENCRYPTION_KEYS are not set"):
        load_config({"PORTAL_ENV": "production"})
    with pytest.raises(ConfigError, match="PORTAL_ENCRYPTION_KEYS is not set"):
        load_config({"PORTAL_ENV": "production", "SECRET_KEY": "s" * 40})
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config({"PORTAL_ENV": "production", "PORTAL_ENCRYPTION_KEYS": KEY})


def test_production_settings_harden_cookies_and_trust_one_proxy():
    config = load_config({"PORTAL_ENV": "production", "SECRET_KEY": "s" * 40, "PORTAL_ENCRYPTION_KEYS": KEY})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["TRUST_PROXY_HOPS"] == 1


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
    env = {"PORTAL_ENV": "production", "PATH": "/usr/bin:/bin", "SECRET_KEY": "s" * 40}
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
