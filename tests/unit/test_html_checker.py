"""The Nu HTML Checker's two halves (tests/browser/html_checker.py): the live server's collector
keeps each distinct HTML page it sends and nothing else, and vnu's errors are reported with the
address the page was served for."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.browser.html_checker import VNU_JAR, HtmlCollector, _addresses, describe, run_vnu

PAGE = b'<!DOCTYPE html><html lang="en"><head><title>A page</title></head><body>%s</body></html>'
FORM = b'<form method="post"><input type="hidden" name="csrf_token" value="%s"></form>'


def serving(body: bytes, content_type: str):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", content_type)])
        return [body]

    return app


def fetch(collector: HtmlCollector, path: str, method: str = "GET") -> bytes:
    return b"".join(collector({"PATH_INFO": path, "REQUEST_METHOD": method}, lambda *args: None))


def test_each_distinct_html_page_is_kept_once_with_where_it_was_served(tmp_path):
    first = HtmlCollector(serving(PAGE % (FORM % b"token-one"), "text/html; charset=utf-8"), tmp_path)
    again = HtmlCollector(serving(PAGE % (FORM % b"token-two"), "text/html; charset=utf-8"), tmp_path)

    assert fetch(first, "/staff/referrals/1") == PAGE % (FORM % b"token-one"), "the browser gets the page as sent"
    fetch(again, "/staff/referrals/1", "POST")

    kept = list(tmp_path.glob("*.html"))
    assert len(kept) == 1, "the same page with another CSRF token is the same page"
    assert b'value=""' in kept[0].read_bytes()
    assert _addresses(tmp_path) == {kept[0].name: "GET /staff/referrals/1"}


def test_what_is_not_html_is_passed_on_untouched_and_not_kept(tmp_path):
    collector = HtmlCollector(serving(b"%PDF-1.7", "application/pdf"), tmp_path)

    assert fetch(collector, "/staff/cases/1/print") == b"%PDF-1.7"
    assert not list(tmp_path.glob("*.html"))


def test_an_error_is_described_by_the_address_the_page_was_served_for(tmp_path):
    (tmp_path / "main.index.jsonl").write_text(json.dumps({"file": "abc.html", "address": "GET /contact"}) + "\n")
    message = {"url": f"file:{tmp_path}/abc.html", "lastLine": 12, "message": "Stray end tag “p”.", "extract": "</p>"}

    assert describe(message, _addresses(tmp_path)) == "GET /contact (abc.html line 12): Stray end tag “p”.\n      </p>"


@pytest.mark.skipif(shutil.which("java") is None or not VNU_JAR.exists(), reason="needs Java and npm's vnu-jar")
def test_vnu_reports_invalid_html_and_passes_valid_html(tmp_path):
    (tmp_path / "valid.html").write_bytes(PAGE % b"<p>Fine.</p>")
    (tmp_path / "invalid.html").write_bytes(PAGE % b"<p>Not fine.</p></p>")
    (tmp_path / "main.index.jsonl").write_text("not a page\n")

    errors = run_vnu(tmp_path, shutil.which("java") or "java")

    assert [error["url"].rsplit("/", 1)[-1] for error in errors] == ["invalid.html"]
