"""The Nu HTML Checker (vnu) over every page the browser tests were served.

Two halves, because under pytest-xdist the pages are served in the workers and the one place that
sees the whole run is the main process, which collects no tests and so never loads the browser
tests' conftest:

- ``HtmlChecker``, a plugin ``tests/conftest.py`` registers in every process, names the run's
  folder, ``tests/output/html/run-<main process id>/`` (a run of its own, so runs side by side in
  one checkout keep apart), and tells the workers through the environment they inherit.
- ``HtmlCollector`` wraps the live server's app (``tests/browser/conftest.py``) and keeps each
  HTML document it sends, as sent (not the DOM after scripts ran), in that folder: one file per
  distinct page (CSRF tokens blanked, so the same page sent twice is kept once), and, per
  process, an index of the address each was served for.
- When the run ends, the main process runs vnu once over the folder. Any error fails the run
  (exit status 1) and is listed with the page's address and line; the folder is kept to look
  at. A clean folder is removed.

vnu is the npm package ``vnu-jar`` (a devDependency) run by Java (Debian's
``openjdk-17-jre-headless``, which ``make test`` installs). Without Java or the jar the check is
skipped with a message, except in CI (``CI`` set, as ``.ci/run`` does), where it fails the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "tests" / "output" / "html"
# Where the main process tells its workers this run's pages go.
RUN_FOLDER = "SPS_HTML_CHECK_FOLDER"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
INDEX_SUFFIX = ".index.jsonl"
# Every form's CSRF token differs, and would make every copy of a page a page of its own.
CSRF_VALUE = re.compile(rb'(name="csrf_token" value=")[^"]*(")')
# Long enough for some 500 pages on a slow CI machine; a hung Java must not hang the run.
VNU_TIMEOUT_SECONDS = 900


def _in_ci() -> bool:
    return bool(os.environ.get("CI", "").strip())


def _process_name() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "") or "main"


def run_folder() -> Path:
    """This run's folder of pages, as the main process named it."""
    return Path(os.environ.get(RUN_FOLDER) or PAGES / f"run-{os.getpid()}")


class HtmlCollector:
    """WSGI middleware: passes every request to ``app`` and keeps each HTML response's body."""

    def __init__(self, app: Callable[..., Iterable[bytes]], folder: Path | None = None) -> None:
        self.app = app
        self.folder = folder or run_folder()
        self.index = self.folder / f"{_process_name()}{INDEX_SUFFIX}"
        self.seen: set[str] = set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        sent: dict[str, bool] = {}

        def noting_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
            sent["html"] = content_type.startswith("text/html")
            return start_response(status, headers, exc_info)

        body = self.app(environ, noting_start_response)
        if not sent.get("html"):
            return body
        return self._kept(body, environ)

    def _kept(self, body: Iterable[bytes], environ: dict[str, Any]) -> Iterator[bytes]:
        chunks = []
        try:
            for chunk in body:
                chunks.append(chunk)
                yield chunk
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        path = environ.get("PATH_INFO", "/") + (f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else "")
        self._keep(b"".join(chunks), f"{environ.get('REQUEST_METHOD', 'GET')} {path}")

    def _keep(self, html: bytes, address: str) -> None:
        html = CSRF_VALUE.sub(rb"\1\2", html)
        digest = hashlib.sha256(html).hexdigest()[:20]
        if digest in self.seen:
            return
        self.seen.add(digest)
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{digest}.html"
        if not target.exists():
            # Written whole, then renamed: two workers sending the same page never leave half a file.
            partial = self.folder / f".{digest}.{_process_name()}.part"
            partial.write_bytes(html)
            partial.replace(target)
        with self.index.open("a", encoding="utf-8") as index:
            index.write(json.dumps({"file": target.name, "address": address}) + "\n")


def _addresses(folder: Path) -> dict[str, str]:
    """Each kept file's name and the first address it was served for."""
    found: dict[str, str] = {}
    for index in sorted(folder.glob(f"*{INDEX_SUFFIX}")):
        for line in index.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            found.setdefault(entry["file"], entry["address"])
    return found


def run_vnu(folder: Path, java: str, jar: Path = VNU_JAR) -> list[dict[str, Any]]:
    """vnu's error messages for every HTML file in ``folder``, in one run of Java."""
    finished = subprocess.run(
        [
            java,
            "-Xss4m",
            "-jar",
            str(jar),
            "--errors-only",
            "--skip-non-html",
            "--format",
            "json",
            "--stdout",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=VNU_TIMEOUT_SECONDS,
        check=False,
    )
    try:
        messages = json.loads(finished.stdout or "{}").get("messages", [])
    except json.JSONDecodeError:
        messages = [{"type": "error", "message": f"vnu did not answer in JSON: {finished.stdout[:500]}"}]
    if finished.returncode not in (0, 1) and not messages:
        messages = [{"type": "error", "message": f"vnu exited {finished.returncode}: {finished.stderr[:500]}"}]
    return [message for message in messages if message.get("type") in ("error", "non-document-error")]


def describe(message: dict[str, Any], addresses: dict[str, str]) -> str:
    """One error as a line: the address the page was served for, its file, the line, the message."""
    file_name = Path(unquote(urlsplit(message.get("url", "")).path)).name
    address = addresses.get(file_name, "?")
    line = message.get("lastLine", "?")
    extract = " ".join((message.get("extract") or "").split())
    said = f"{address} ({file_name} line {line}): {message.get('message', '')}"
    return f"{said}\n      {extract[:200]}" if extract else said


class HtmlChecker:
    """The run's end: vnu over the kept pages, once, in the process that reports the run."""

    def __init__(self, config: pytest.Config) -> None:
        self.lines: list[str] = []
        self.heading = ""
        if self._main_process(config):
            # Registered while pytest configures, before pytest-xdist starts the workers that
            # inherit this environment.
            os.environ[RUN_FOLDER] = str(PAGES / f"run-{os.getpid()}")
        self.folder = run_folder()

    @staticmethod
    def _main_process(config: pytest.Config) -> bool:
        return not hasattr(config, "workerinput")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self._main_process(session.config):
            return
        pages = sorted(self.folder.glob("*.html")) if self.folder.exists() else []
        if not pages:
            return  # no browser test ran
        java = shutil.which("java")
        if java is None or not VNU_JAR.exists():
            missing = "Java" if java is None else f"the vnu jar ({VNU_JAR.relative_to(ROOT)}; `npm ci`)"
            if not _in_ci():
                self.heading = f"Nu HTML Checker skipped: no {missing} (`make test` installs it)"
                return
            self.heading = f"Nu HTML Checker could not run in CI: no {missing}"
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            return
        errors = run_vnu(self.folder, java)
        addresses = _addresses(self.folder)
        if errors:
            self.heading = f"Nu HTML Checker: {len(errors)} error(s) in the {len(pages)} pages the browser tests saw"
            self.lines = [describe(message, addresses) for message in errors]
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        else:
            self.heading = f"Nu HTML Checker: no errors in the {len(pages)} pages the browser tests saw"
            shutil.rmtree(self.folder, ignore_errors=True)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.heading:
            return
        terminalreporter.write_sep("=", self.heading, red=bool(self.lines), bold=bool(self.lines))
        for line in self.lines:
            terminalreporter.write_line(f"  {line}")
