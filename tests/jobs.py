"""Following a job as a browser does (issue 14): the POST that queued it answers 303 to its progress
page, which reloads itself while the in-process worker makes the file; then the download button."""

from __future__ import annotations

import threading
import time

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.staff import csrf_from

REFRESH = '<meta http-equiv="refresh"'


def wait_until_made(client: FlaskClient, queued: TestResponse, timeout: float = 120) -> str:
    """The progress page's HTML once the job has finished (ready, or failed), polled as the meta
    refresh would; ``queued`` is the 303 the form's POST answered."""
    assert queued.status_code == 303, queued.status_code
    location = queued.headers["Location"]
    assert location.startswith("/staff/jobs/"), location
    deadline = time.monotonic() + timeout
    while True:
        html = client.get(location).get_data(as_text=True)
        if REFRESH not in html:
            return html
        assert time.monotonic() < deadline, "the job did not finish"
        threading.Event().wait(0.05)


def download_when_made(client: FlaskClient, queued: TestResponse) -> TestResponse:
    """Wait for the job ``queued`` started, then press its download button: the file's response."""
    html = wait_until_made(client, queued)
    assert "Download the PDF" in html, html
    return client.post(f"{queued.headers['Location']}/download", data={"csrf_token": csrf_from(html)})
