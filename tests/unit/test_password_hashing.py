"""Which argon2 parameters hash staff passwords: argon2-cffi's defaults in development and
production, cheap ones only in the test configuration (so the suite is quick), argon2id in all."""

import pytest
from argon2 import PasswordHasher, extract_parameters
from cryptography.fernet import Fernet
from flask import Flask

from portal.config import TEST_PASSWORD_HASH, load_config
from portal.services import passwords

SECRETS = {
    "SECRET_KEY": "s" * 40,
    "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "AUDIT_CHAIN_KEY": "a" * 40,
    "MAIL_URL": "smtp://relay.example:587",
}
PASSWORD = "correct horse battery staple"
DEFAULTS = PasswordHasher()


def app_for(env: str) -> Flask:
    """A bare app configured as ``env`` is: the hasher reads nothing else."""
    app = Flask(__name__)
    app.config.update(load_config({"PORTAL_ENV": env, **SECRETS}))
    return app


def made_in(env: str) -> str:
    with app_for(env).app_context():
        return passwords.hash_password(PASSWORD)


@pytest.mark.parametrize("env", ["production", "development"])
def test_production_and_development_hash_with_argon2_cffis_defaults(env):
    parameters = extract_parameters(made_in(env))
    assert parameters.type.name == "ID"
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (
        DEFAULTS.time_cost,
        DEFAULTS.memory_cost,
        DEFAULTS.parallelism,
    )
    assert (parameters.salt_len, parameters.hash_len) == (DEFAULTS.salt_len, DEFAULTS.hash_len)
    # The defaults are the strong ones (RFC 9106's second recommendation), not something cheaper.
    assert parameters.memory_cost >= 64 * 1024 and parameters.time_cost >= 3


def test_tests_hash_with_cheap_argon2id_and_only_the_test_configuration_says_so():
    parameters = extract_parameters(made_in("test"))
    assert parameters == TEST_PASSWORD_HASH
    assert parameters.type.name == "ID" and parameters.memory_cost < DEFAULTS.memory_cost
    for env in ("development", "production"):
        assert load_config({"PORTAL_ENV": env, **SECRETS})["PASSWORD_HASH_PARAMETERS"] is None


def test_the_suites_own_app_hashes_cheaply(app):
    with app.app_context():
        assert extract_parameters(passwords.hash_password(PASSWORD)) == TEST_PASSWORD_HASH


def test_a_hash_from_other_parameters_verifies_and_is_marked_for_rehashing_either_way():
    cheap, strong = made_in("test"), made_in("production")
    with app_for("production").app_context():
        assert passwords.verify_password(cheap, PASSWORD)
        assert passwords.needs_rehash(cheap) and not passwords.needs_rehash(strong)
    with app_for("test").app_context():
        assert passwords.verify_password(strong, PASSWORD)
        assert passwords.needs_rehash(strong) and not passwords.needs_rehash(cheap)


def test_the_dummy_hash_costs_what_the_apps_real_hashes_cost():
    for env, expected in (("production", made_in("production")), ("test", made_in("test"))):
        with app_for(env).app_context():
            assert extract_parameters(passwords.dummy_hash()) == extract_parameters(expected)
