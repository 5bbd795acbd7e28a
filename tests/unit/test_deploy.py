"""deploy/ agrees with the portal: what the nginx site, the systemd units, gunicorn's settings and
the example environment file say about the app is checked against the app itself, so neither can
change without the other. Where nginx or systemd-analyze is installed, each also checks the files."""

from __future__ import annotations

import ast
import datetime as dt
import re
import runpy
import shlex
import shutil
import subprocess
import types
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask, Response
from gunicorn.config import Config as GunicornConfig

from portal.config import ConfigError, load_config
from portal.public.answers import LARGEST_COOKIE_HEADER
from portal.security import apply_security_headers

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX_SITE = DEPLOY / "nginx" / "sps-portal.conf"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
ENV_EXAMPLE = DEPLOY / "env.example"
FLASK_WRAPPER = DEPLOY / "sps-portal-flask"
# Where deploy/README.md installs the project; the units and the site name files under it.
INSTALLED_AT = "/srv/sps"
SERVICES = ("sps-portal.service", "sps-portal-worker@.service", "sps-portal-daily.service")
UNITS = (*SERVICES, "sps-portal.socket", "sps-portal-daily.timer")
# What differs between the services by design; everything else in [Service] (user, environment,
# hardening) must be the same in each.
UNIT_SPECIFIC_KEYS = {
    "Type",
    "NotifyAccess",
    "ExecStart",
    "ExecReload",
    "KillMode",
    "TimeoutStopSec",
    "TimeoutStartSec",
    "Restart",
    "RestartSec",
}
SECRETS = ("SECRET_KEY", "PORTAL_ENCRYPTION_KEYS", "AUDIT_CHAIN_KEY")
VALID_SECRETS = {
    "SECRET_KEY": "s" * 40,
    "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "AUDIT_CHAIN_KEY": "a" * 40,
}


# --- Reading the files ---------------------------------------------------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None


NGINX_TOKEN = re.compile(
    r"""
      (?P<space>\s+|\#[^\n]*)          # blanks and comments
    | "(?P<dq>(?:[^"\\]|\\.)*)"      # a double-quoted string
    | '(?P<sq>(?:[^'\\]|\\.)*)'      # a single-quoted string
    | (?P<punct>[{};])
    | (?P<word>[^\s{};"'#]+)
    """,
    re.VERBOSE,
)


def parse_nginx(text: str) -> list[Directive]:
    """nginx's configuration as a tree of directives (words, quoted strings, blocks, comments)."""
    top: list[Directive] = []
    stack = [top]
    words: list[str] = []
    position = 0
    for token in NGINX_TOKEN.finditer(text):
        assert token.start() == position, f"unreadable nginx text at {text[position : position + 40]!r}"
        position = token.end()
        if token["space"] is not None:
            continue
        if token["punct"] == ";":
            stack[-1].append(Directive(words[0], words[1:]))
            words = []
        elif token["punct"] == "{":
            directive = Directive(words[0], words[1:], [])
            stack[-1].append(directive)
            stack.append(directive.block)  # type: ignore[arg-type]
            words = []
        elif token["punct"] == "}":
            assert not words, f"directive without ';' before '}}': {words}"
            stack.pop()
        else:
            words.append(next(value for value in (token["dq"], token["sq"], token["word"]) if value is not None))
    assert position == len(text) and len(stack) == 1 and not words, "unbalanced nginx configuration"
    return top


def named(directives: list[Directive], name: str) -> list[Directive]:
    return [directive for directive in directives if directive.name == name]


def walk(directives: list[Directive]) -> Iterator[Directive]:
    for directive in directives:
        yield directive
        yield from walk(directive.block or [])


def portal_https_server() -> list[Directive]:
    """The server block answering the portal's own name over TLS."""
    servers = [
        server.block or []
        for server in named(parse_nginx(NGINX_SITE.read_text()), "server")
        if named(server.block or [], "server_name")
        and any("443" in listen.args[0] for listen in named(server.block or [], "listen"))
    ]
    assert len(servers) == 1
    return servers[0]


def location(server: list[Directive], prefix: str) -> list[Directive]:
    (found,) = [directive.block for directive in named(server, "location") if directive.args == [prefix]]
    return found or []


def value(directives: list[Directive], name: str) -> list[str]:
    (found,) = named(directives, name)
    return found.args


def nginx_bytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", size).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit.lower()]


def nginx_seconds(duration: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", duration).groups()  # type: ignore[union-attr]
    return int(number) * (60 if unit == "m" else 1)


def read_unit(name: str) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit as its sections' (key, value) lines, in order; keys may repeat."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, _, setting = line.partition("=")
        current.append((key.strip(), setting.strip()))
    return sections


def unit_setting(name: str, section: str, key: str) -> str:
    (found,) = [setting for each, setting in read_unit(name)[section] if each == key]
    return found


def env_example() -> dict[str, tuple[str, bool]]:
    """Each setting env.example names: its value, and whether it is set (not a commented default)."""
    settings = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.fullmatch(r"(#?)([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            commented, name, raw = match.groups()
            assert name not in settings, f"{name} is named twice"
            settings[name] = (raw.strip().strip('"'), not commented)
    return settings


def example_environ(**changes: str) -> dict[str, str]:
    return {name: raw for name, (raw, is_set) in env_example().items() if is_set} | changes


def settings_config_py_reads() -> set[str]:
    """Every variable portal/config.py reads from the environment: environ.get("NAME", …),
    environ["NAME"], and helpers called as helper(environ, "NAME", …)."""
    tree = ast.parse((ROOT / "portal" / "config.py").read_text())
    names = set()

    def is_environ(node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id == "environ"

    def constant(node: ast.AST) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and is_environ(func.value):
                names.add(constant(node.args[0]))
            elif is_environ(node.args[0]) and len(node.args) > 1:
                names.add(constant(node.args[1]))
        elif isinstance(node, ast.Subscript) and is_environ(node.value):
            names.add(constant(node.slice))
    return names - {None}  # type: ignore[return-value]


class RecordingEnviron(Mapping[str, str]):
    """An environment that notes every name looked up in it."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        return self.values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def exec_start(unit: str) -> list[str]:
    return shlex.split(unit_setting(unit, "Service", "ExecStart"))


def installed(path: str) -> Path:
    """Where a path under the installed project is in this checkout."""
    assert path.startswith(INSTALLED_AT + "/"), f"{path} is not under {INSTALLED_AT}"
    return ROOT / path.removeprefix(INSTALLED_AT + "/")


def gunicorn_settings() -> dict[str, object]:
    return {
        name: setting
        for name, setting in runpy.run_path(str(GUNICORN_CONF)).items()
        if not name.startswith("_") and not isinstance(setting, types.ModuleType)
    }


# --- nginx and the app ---------------------------------------------------------------------------


def test_nginx_refuses_exactly_the_bodies_the_portal_refuses():
    config = load_config(example_environ(**VALID_SECRETS))
    assert nginx_bytes(value(portal_https_server(), "client_max_body_size")[0]) == config["MAX_CONTENT_LENGTH"]


def test_nginx_and_gunicorn_accept_the_largest_cookie_header_of_answers_kept_in_the_browser():
    count, size = value(portal_https_server(), "large_client_header_buffers")
    assert int(count) >= 2 and nginx_bytes(size) >= LARGEST_COOKIE_HEADER
    field_size = gunicorn_settings()["limit_request_field_size"]
    assert field_size >= LARGEST_COOKIE_HEADER
    assert GunicornConfig().settings["limit_request_field_size"].default < LARGEST_COOKIE_HEADER, "the default is not"


def test_nginx_waits_for_the_portal_at_least_as_long_as_gunicorn_lets_a_worker_run():
    proxied = location(portal_https_server(), "/")
    timeout = gunicorn_settings()["timeout"]
    assert nginx_seconds(value(proxied, "proxy_read_timeout")[0]) >= timeout
    assert nginx_seconds(value(proxied, "proxy_send_timeout")[0]) >= timeout


def test_nginx_sets_the_forwarded_headers_the_portal_trusts_and_blanks_those_it_does_not():
    headers = {
        args[0]: args[1]
        for args in (each.args for each in named(location(portal_https_server(), "/"), "proxy_set_header"))
    }
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Request-Id"] == "$request_id"
    assert headers["Host"] == "$host"
    for never_trusted in ("X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix", "Forwarded"):
        assert headers[never_trusted] == ""


def test_nginx_serves_the_assets_from_where_the_portal_serves_them(app: Flask):
    assets = location(portal_https_server(), f"{app.static_url_path}/")
    (folder,) = value(assets, "alias")
    assert installed(folder.rstrip("/")) == Path(app.static_folder)  # type: ignore[arg-type]


def test_assets_served_by_nginx_carry_the_headers_the_portal_gives_them_in_production(app: Flask):
    with app.test_request_context(f"{app.static_url_path}/application.css"):
        response = apply_security_headers(Response(), production=True)
    expected = {
        name: header for name, header in response.headers.items() if name not in ("Content-Type", "Content-Length")
    }
    added = [each.args for each in named(location(portal_https_server(), f"{app.static_url_path}/"), "add_header")]
    assert {args[0]: args[1] for args in added} == expected
    # "always": error answers (a missing file's 404) carry them too, as the portal's do.
    assert all(args[2:] == ["always"] for args in added)


def test_nginx_adds_no_header_to_what_the_portal_answers():
    # The portal sets its own security headers, HSTS included: any nginx added would be doubled.
    server = portal_https_server()
    outside_assets = [*[each for each in server if each.name != "location"], *walk(location(server, "/"))]
    assert not [each for each in outside_assets if each.name in ("add_header", "expires", "more_set_headers")]


def test_nginx_proxies_to_the_socket_systemd_opens_for_nginx_alone():
    site = parse_nginx(NGINX_SITE.read_text())
    (upstream,) = named(site, "upstream")
    assert value(location(portal_https_server(), "/"), "proxy_pass") == [f"http://{upstream.args[0]}"]
    assert (
        value(upstream.block or [], "server")[0]
        == f"unix:{unit_setting('sps-portal.socket', 'Socket', 'ListenStream')}"
    )
    assert unit_setting("sps-portal.socket", "Socket", "SocketMode") == "0600"


def test_nginx_access_log_names_no_address_and_no_path():
    (log_format,) = named(parse_nginx(NGINX_SITE.read_text()), "log_format")
    fields = " ".join(log_format.args[1:])
    for personal in (
        "$remote_addr",
        "$request ",
        "$request_uri",
        "$uri",
        "$args",
        "$http_referer",
        "$http_x_forwarded_for",
    ):
        assert personal not in f"{fields} "
    assert "$request_id" in fields


# --- gunicorn and the systemd units --------------------------------------------------------------


def test_every_name_in_the_gunicorn_config_is_a_gunicorn_setting():
    # gunicorn ignores a name it does not know, so a misspelt setting would silently do nothing.
    assert set(gunicorn_settings()) <= set(GunicornConfig().settings)
    assert gunicorn_settings()["worker_class"] == "sync"


def test_the_web_service_runs_gunicorn_on_the_portals_app_with_these_settings():
    command = exec_start("sps-portal.service")
    assert installed(command[0]).name == "gunicorn" and installed(command[0]).exists()
    assert command[1:] == ["--config", f"{INSTALLED_AT}/deploy/gunicorn.conf.py"]
    module, _, attribute = str(gunicorn_settings()["wsgi_app"]).partition(":")
    wsgi = ast.parse((ROOT / f"{module}.py").read_text())
    assigned = {
        target.id
        for node in ast.walk(wsgi)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert attribute in assigned


@pytest.mark.parametrize("unit", ["sps-portal-worker@.service", "sps-portal-daily.service"])
def test_each_unit_runs_a_flask_command_the_portal_has(app: Flask, unit: str):
    program, app_option, app_name, *words = exec_start(unit)
    assert installed(program).name == "flask" and installed(program).exists()
    assert [app_option, app_name] == ["--app", "wsgi"] and (ROOT / "wsgi.py").exists()
    command: click.Command | None = app.cli
    for word in words:
        assert isinstance(command, click.Group), f"{unit}: {word!r} follows a command that takes no subcommand"
        command = command.get_command(click.Context(command), word)
        assert command is not None, f"{unit}: flask --app wsgi has no command {' '.join(words)!r}"
    assert not isinstance(command, click.Group), f"{unit}: {' '.join(words)!r} is a group, not a command"


def test_every_service_runs_as_the_portals_user_with_its_environment_file_and_the_same_hardening():
    common = [
        Counter((key, setting) for key, setting in read_unit(unit)["Service"] if key not in UNIT_SPECIFIC_KEYS)
        for unit in SERVICES
    ]
    assert common[0] == common[1] == common[2]
    assert {
        ("User", "sps"),
        ("EnvironmentFile", "/etc/sps-portal/env"),
        ("NoNewPrivileges", "true"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "true"),
    } <= set(common[0])
    # Nothing on disk is writable but the font cache: no ReadWritePaths.
    assert "ReadWritePaths" not in {key for key, _ in common[0]}


def test_the_command_wrapper_runs_as_the_services_do():
    script = FLASK_WRAPPER.read_text()
    service = dict(
        (key, setting) for key, setting in read_unit("sps-portal.service")["Service"] if key != "Environment"
    )
    assert f"--uid={service['User']} --gid={service['Group']}" in script
    assert f"--property=WorkingDirectory={service['WorkingDirectory']}" in script
    assert f"--property=EnvironmentFile={service['EnvironmentFile']}" in script
    assert f'{service["WorkingDirectory"]}/.venv/bin/flask --app wsgi "$@"' in script
    assert FLASK_WRAPPER.stat().st_mode & 0o111


def test_the_daily_timer_starts_the_daily_service_once_a_day_catching_up_after_downtime():
    timer = dict(read_unit("sps-portal-daily.timer")["Timer"])
    assert timer["Persistent"] == "true"
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", timer["OnCalendar"])
    assert timer.get("Unit", "sps-portal-daily.service") == "sps-portal-daily.service"
    assert unit_setting("sps-portal-daily.service", "Service", "Type") == "oneshot"


# --- The example environment file ----------------------------------------------------------------


def test_the_example_environment_names_every_setting_the_portal_reads_and_no_other():
    read = settings_config_py_reads()
    # The reading of config.py's source misses nothing load_config actually asks for.
    recording = RecordingEnviron({"PORTAL_ENV": "test"})
    load_config(recording)
    assert recording.asked <= read
    assert set(env_example()) == read


def test_the_example_environment_trusts_the_one_proxy_in_front():
    assert env_example()["TRUST_PROXY_HOPS"] == ("1", True)
    assert load_config(example_environ(**VALID_SECRETS))["TRUST_PROXY_HOPS"] == 1


def test_the_example_environment_is_production_with_json_logs_and_shared_state_in_redis():
    config = load_config(example_environ(**VALID_SECRETS))
    assert config["PORTAL_ENV"] == "production"
    assert config["LOG_FORMAT"] == "json"
    assert config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert config["JOBS_URL"].startswith("redis://")
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


@pytest.mark.parametrize("secret", SECRETS)
def test_the_example_secrets_are_refused_so_an_unedited_copy_cannot_start(secret: str):
    others = {name: key for name, key in VALID_SECRETS.items() if name != secret}
    with pytest.raises(ConfigError, match=secret):
        load_config(example_environ(**others))


# --- The tools themselves, where installed -------------------------------------------------------


def _in_checkout(text: str) -> str:
    return text.replace(INSTALLED_AT + "/", f"{ROOT}/")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_every_unit(tmp_path: Path):
    for unit in UNITS:
        (tmp_path / unit).write_text(_in_checkout((DEPLOY / unit).read_text()))
    (tmp_path / "sps-portal-worker@1.service").write_text((tmp_path / "sps-portal-worker@.service").read_text())
    checked = [str(tmp_path / unit) for unit in UNITS if "@." not in unit] + [
        str(tmp_path / "sps-portal-worker@1.service")
    ]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *checked], capture_output=True, text=True, timeout=120, check=False
    )
    # verify exits 0 after merely warning of an unknown key or a bad value: any message fails.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal.example.invalid")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * 100))
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificate_path, key_path


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_site(tmp_path: Path):
    certificate, key = _self_signed_certificate(tmp_path)
    site = _in_checkout(NGINX_SITE.read_text())
    site = site.replace("/etc/letsencrypt/live/portal.example.invalid/fullchain.pem", str(certificate))
    site = site.replace("/etc/letsencrypt/live/portal.example.invalid/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "sps-portal.conf").write_text(site)
    # The site's "include mime.types" is relative to the main file's folder, as in /etc/nginx.
    shutil.copy("/etc/nginx/mime.types", tmp_path / "mime.types")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    include mime.types;\n    include {tmp_path}/sps-portal.conf;\n}}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", f"{tmp_path}/", "-e", f"{tmp_path}/error.log", "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
