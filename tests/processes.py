"""Real processes for the resilience tests and the benchmarks: a private redis-server the test may
kill, gunicorn serving the portal as production does, a job worker beside it, and a browser (its own
cookie jar, redirects not followed) that can walk the referral and sign-in journeys against them."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Self
from urllib.parse import urlencode

import redis
from cryptography.fernet import Fernet

from portal.config import PROJECT_ROOT
from tests.journeys import hidden_value, professional_answers, self_referral_answers

HOST = "127.0.0.1"
START_CAP_SECONDS = 30.0
REQUEST_TIMEOUT_SECONDS = 30.0
REFERENCE = re.compile(r"SPS-[0-9A-Z]{4}-[0-9A-Z]{4}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def tail(log_path: Path, lines: int = 40) -> str:
    """The last ``lines`` of a process's log, for a failure's message."""
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def wait_for(what: str, ready: object, seconds: float, every: float = 0.1) -> None:
    """Poll ``ready()`` until it is true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():  # type: ignore[operator]
            return
        threading.Event().wait(every)  # time.sleep fails under libfaketime
    raise AssertionError(f"{what} did not happen within {seconds:.0f}s")


class RedisServer:
    """A redis-server of the test's own, on a free loopback port, keeping nothing on disk. Never
    the shared one on 6379, which other tests are using."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host=HOST, port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> None:
        command = ["redis-server", "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for("redis-server starting", self._answers, START_CAP_SECONDS)

    def kill(self) -> None:
        """SIGKILL: no goodbye to its clients, as a crash or a pulled cable."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        try:
            with self.client() as connection:
                return bool(connection.ping())
        except redis.RedisError:
            return False


@dataclass(frozen=True)
class Secrets:
    """What every process serving one portal shares: a check page sealed, a CSRF token signed or
    a personal detail encrypted by one must open in all the others (and in the test itself)."""

    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    encryption_key: str = field(default_factory=lambda: Fernet.generate_key().decode())

    def app_overrides(self) -> dict[str, object]:
        return {"SECRET_KEY": self.secret_key, "PORTAL_ENCRYPTION_KEYS": [self.encryption_key]}


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)


def portal_environment(database_url: str, keys: Secrets, **settings: str) -> dict[str, str]:
    """The environment of a process serving the portal (gunicorn, a job worker): the test's
    database and keys, mail kept in memory, JSON logs, and ``settings`` on top. The job queue and
    the rate-limit storage are only ever what ``settings`` say, never the run's own."""
    return {
        **{name: value for name, value in os.environ.items() if name not in ("JOBS_URL", "RATELIMIT_STORAGE_URI")},
        "PORTAL_ENV": "test",
        "SECRET_KEY": keys.secret_key,
        "PORTAL_ENCRYPTION_KEYS": keys.encryption_key,
        "DATABASE_URL": database_url,
        "MAIL_URL": "memory://",
        "LOG_FORMAT": "json",
        **settings,
    }


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not gone within 15 seconds."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def gunicorn(database_url: str, keys: Secrets, log_path: Path, workers: int = 2, **settings: str) -> Iterator[Server]:
    """gunicorn serving ``wsgi:app`` as deployed (sync workers) on a free loopback port, logging
    JSON; yields once ``/readyz`` answers 200. ``settings`` are more environment variables."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(workers),
        "--bind", f"{HOST}:{port}",
        "--graceful-timeout", "5",
        "wsgi:app",
    ]  # fmt: skip
    environment = portal_environment(database_url, keys, **settings)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://{HOST}:{port}", process, log_path)
    try:
        probe = Browser(server.base_url)

        def ready() -> bool:
            assert process.poll() is None, f"gunicorn exited with {process.returncode}:\n{server.tail()}"
            try:
                return probe.get("/readyz").status == 200
            except OSError:
                return False

        wait_for(f"gunicorn answering /readyz\n{server.tail()}", ready, START_CAP_SECONDS)
        yield server
    finally:
        stop(process)


@contextlib.contextmanager
def jobs_worker(database_url: str, keys: Secrets, log_path: Path, **settings: str) -> Iterator[subprocess.Popen[bytes]]:
    """``flask --app wsgi jobs worker`` on the queue ``settings["JOBS_URL"]`` names, as deployed."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"]
    environment = portal_environment(database_url, keys, **settings)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        stop(process)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx comes back as the response, to be checked, not followed


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    @property
    def request_id(self) -> str:
        return self.headers.get("x-request-id", "")


class Unexpected(AssertionError):
    pass


class Browser:
    """One person's browser: its own cookies (which, as a real browser's, ignore the port, so
    ``base_url`` may be pointed at another server), loopback only. ``address`` is sent as the
    proxy's X-Forwarded-For, for servers started with TRUST_PROXY_HOPS=1: rate limits count it."""

    def __init__(self, base_url: str, address: str | None = None) -> None:
        self.base_url = base_url
        self.address = address
        self.replies: list[tuple[str, Reply]] = []
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect()
        )

    def on(self, base_url: str) -> Self:
        self.base_url = base_url
        return self

    def get(self, path: str) -> Reply:
        return self._open(path, None)

    def post(self, path: str, form: dict[str, object]) -> Reply:
        return self._open(path, urlencode(form, doseq=True).encode("utf-8"))

    def _open(self, path: str, data: bytes | None) -> Reply:
        request = urllib.request.Request(self.base_url + path, data=data)
        if self.address:
            request.add_header("X-Forwarded-For", self.address)
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as answer:
                reply = Reply(answer.status, _headers(answer.headers), answer.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            with error:
                reply = Reply(error.code, _headers(error.headers), error.read().decode("utf-8", "replace"))
        self.replies.append((f"{'POST' if data else 'GET'} {path}", reply))
        return reply

    def expect(self, reply: Reply, status: int, what: str) -> Reply:
        if reply.status != status:
            heading = re.search(r"<h1[^>]*>(.*?)</h1>", reply.body, re.S)
            said = " ".join(heading.group(1).split()) if heading else reply.body[:200]
            raise Unexpected(f"{what}: {reply.status} ({said!r}), expected {status}")
        return reply

    def csrf(self, path: str) -> str:
        return hidden_value(self.expect(self.get(path), 200, f"GET {path}").body, "csrf_token")

    def check_page(self, route: str) -> Reply:
        """The referral's question pages answered, each redirecting to the next: its
        check-answers page, ready to send (the answers kept in this browser's cookies)."""
        answers = {**(self_referral_answers() if route == "self" else professional_answers())}
        answers["csrf_token"] = self.csrf(f"/refer/{route}")
        reply = self.post(f"/refer/{route}", answers)
        while reply.status == 303 and not reply.location.endswith("/check"):
            reply = self.post(reply.location.removeprefix(self.base_url), answers)
        self.expect(reply, 303, f"POST /refer/{route}")
        return self.expect(self.get(f"/refer/{route}/check"), 200, f"GET /refer/{route}/check")

    def send(self, route: str, check_page: Reply) -> Reply:
        return self.post(
            f"/refer/{route}/check",
            {
                "csrf_token": hidden_value(check_page.body, "csrf_token"),
                "privacy_version": hidden_value(check_page.body, "privacy_version"),
                "privacy_agreed": "yes",
                "send": "yes",
            },
        )

    def refer(self, route: str) -> str:
        """A whole referral (form, check page, send, confirmation); the reference it showed."""
        sent = self.expect(self.send(route, self.check_page(route)), 302, f"POST /refer/{route}/check")
        confirmation = self.expect(self.get(f"/refer/{route}/confirmation"), 200, "the confirmation")
        shown = REFERENCE.search(confirmation.body)
        if not sent.location.endswith(f"/refer/{route}/confirmation") or not shown:
            raise Unexpected(f"no reference confirmed after sending a {route} referral")
        return shown.group(0)

    def sign_in(self, email: str, password: str, code: object) -> Reply:
        """Both steps of sign-in; ``code()`` gives the authenticator's code when it is asked for."""
        token = self.csrf("/staff/login")
        step = self.expect(
            self.post("/staff/login", {"csrf_token": token, "email": email, "password": password}), 302, "password"
        )
        token = self.csrf("/staff/login/code")
        done = self.post(step.location.removeprefix(self.base_url), {"csrf_token": token, "code": code()})  # type: ignore[operator]
        return self.expect(done, 302, "code")


def _headers(message: object) -> dict[str, str]:
    return {name.lower(): value for name, value in message.items()}  # type: ignore[attr-defined]
