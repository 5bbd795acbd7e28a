"""The subject access response PDF: redacted content, running margins on every page, the two copies,
escaped markup, and no fetching of anything."""

import datetime as dt
import subprocess
import urllib.request

import pytest
import weasyprint
from weasyprint.urls import FatalURLFetchingError

from portal.services import pdf
from portal.services.pdf import Entry, ResponseDocument, Section, UrlRefused, refuse_every_url, render_pdf
from portal.services.redaction import MARKER, Redactor
from tests.staff import pdf_text

REFERENCE = "SAR-7K3Q-9XM2"
GENERATED_ON = dt.date(2026, 3, 3)
DPO_LINE = "Data protection team's copy – not for release"
MARKUP = ("<b>bold</b>", '<img src="http://example.invalid/a.png">', "</dl>")
FILLER = "The family asked about the annual review of the EHC plan and the school's offer of support. " * 3


def pages_of(document: bytes) -> list[str]:
    return [page for page in pdf_text(document).split("\f") if page.strip()]


def response(redaction_log: bool, entries: int = 12) -> tuple[ResponseDocument, Redactor]:
    redactor = Redactor(["Jane Doe"], keep=["Sam Smith"])
    notes = [
        Entry(
            heading="Case note",
            on=GENERATED_ON - dt.timedelta(days=number),
            fields=[
                ("Written by", "Kim Lee, caseworker"),
                ("Note", redactor.redact(f"Sam Smith and Jane  Doe called.\n{FILLER}", f"Case note {number}")),
                ("Follow-up", redactor.redact(FILLER + "Ring jane.doe@example.org on 07700 900982.", f"Note {number}")),
            ],
        )
        for number in range(entries)
    ]
    markup = Entry(heading="Contact", on=None, fields=[("Summary", "\n".join(MARKUP))])
    document = ResponseDocument(
        reference=REFERENCE,
        subject_name="Sam Smith",
        generated_on=GENERATED_ON,
        sections=[Section("Case notes", notes), Section("Contact log", [markup]), Section("Disclosures", [])],
        redaction_log=redactor.log if redaction_log else None,
    )
    return document, redactor


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL anything asked for while drawing, by the refusing fetcher or by urllib itself."""
    asked: list[str] = []

    def spy(url: str, *args: object, **kwargs: object) -> None:
        asked.append(url)
        raise UrlRefused(url)

    def no_network(self: object, url: object, *args: object, **kwargs: object) -> None:
        asked.append(str(getattr(url, "full_url", url)))
        raise AssertionError(f"urllib asked for {url}")

    monkeypatch.setattr(pdf, "refuse_every_url", spy)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    return asked


def test_the_requesters_copy(app_context, fetches):
    document, redactor = response(redaction_log=False)
    output = render_pdf(document)
    assert output.startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", "-"], input=output, capture_output=True, check=True, timeout=60).stdout.decode()
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Tagged"].strip() == "yes"
    assert fields["Title"].strip().startswith("Your personal information held by the SEND Partnership Service")
    pages = pages_of(output)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert REFERENCE in page
        assert "Generated on 3 March 2026" in page
        assert f"Page {number} of {len(pages)}" in page
        assert "not for release" not in page
    text = "\n".join(pages)
    assert "Jane" not in text and "Doe" not in text and "07700" not in text
    assert text.count(MARKER) >= len(redactor.log)
    assert "Sam Smith" in text
    assert "Redaction log" not in text
    assert "We hold no records of this kind about you." in text
    for markup in MARKUP:
        assert markup in text
    assert fetches == []


def test_the_data_protection_teams_copy(app_context, fetches):
    document, redactor = response(redaction_log=True)
    pages = pages_of(render_pdf(document))
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert DPO_LINE in page
        assert REFERENCE in page and "Generated on 3 March 2026" in page and f"Page {number} of {len(pages)}" in page
    log = "\n".join(pages[next(number for number, page in enumerate(pages) if "Redaction log" in page) :])
    assert "Where" in log and "What kind" in log and "Why" in log
    assert "Case note 0" in log and "Note 11" in log
    for kind in ("Another person's name", "email address", "telephone"):
        assert kind in log
    assert len(redactor.log) == 12 * 3
    assert "Jane" not in "\n".join(pages)
    assert fetches == []


def test_the_data_protection_teams_copy_says_when_nothing_was_withheld(app_context, fetches):
    document = ResponseDocument(REFERENCE, "Sam Smith", GENERATED_ON, [Section("Case notes", [])], redaction_log=[])
    pages = pages_of(render_pdf(document))
    assert all(DPO_LINE in page for page in pages)
    assert "Redaction log" in pages[-1] and "Nothing was withheld from this response." in pages[-1]
    assert fetches == []


@pytest.mark.parametrize(
    "url", ["http://example.invalid/a.png", "https://example.invalid/", "file:///etc/passwd", "data:text/plain,hi"]
)
def test_every_url_is_refused(url):
    with pytest.raises(UrlRefused):
        refuse_every_url(url)


def test_a_fetch_stops_the_rendering_rather_than_losing_content(app_context, fetches):
    # Guards the WeasyPrint 70 fetcher contract that render_pdf relies on, should markup ever name a URL.
    html = weasyprint.HTML(string='<img src="file:///etc/passwd">', base_url=None, url_fetcher=pdf._RefusingFetcher())
    with pytest.raises(FatalURLFetchingError):
        html.write_pdf()
    assert fetches == ["file:///etc/passwd"]


@pytest.mark.parametrize("team_copy", [False, True])
def test_neither_copy_shows_the_words_withheld_however_the_records_wrote_them(app_context, fetches, team_copy):
    redactor = Redactor(["Jane Doe"], keep=["Sam Smith"])
    note = redactor.redact(
        "Jane rang Ms Doe's office on +33 6 12 34 56 78 and 07700.900.982; jane [at] example [dot] org. "
        "Sam Smith agreed.",
        "Case note of 3 March 2026, note",
    )
    document = ResponseDocument(
        REFERENCE,
        "Sam Smith",
        GENERATED_ON,
        [Section("Case notes", [Entry("Case note", GENERATED_ON, [("Note", note)])])],
        redaction_log=redactor.log if team_copy else None,
    )
    text = " ".join(pdf_text(render_pdf(document)).split())
    written = [redaction.written for redaction in redactor.redactions]
    assert written == ["Jane", "Ms Doe", "+33 6 12 34 56 78", "07700.900.982", "jane [at] example [dot] org"]
    for words in (*written, "Doe", "+33", "900", "example"):
        assert words not in text, words
    assert "Sam Smith agreed." in text
    assert text.count(MARKER) >= len(written)
    assert ("Redaction log" in text) is team_copy
    assert fetches == []
