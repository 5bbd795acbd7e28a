"""The subject access response as a PDF, drawn from plain data: the caller has already redacted every
value (portal.services.redaction), and nothing in the document can make WeasyPrint fetch anything."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from portal.services.redaction import MARKER, Withholding

if TYPE_CHECKING:
    from portal.services.statistics import PublishedReport

TEMPLATE = "pdf/subject_access.html"
STYLESHEET = "pdf/subject_access.css"
SHARED_STYLESHEET = "pdf/print_headings.css"
ANNUAL_REPORT_TEMPLATE = "pdf/annual_report.html"
ANNUAL_REPORT_STYLESHEET = "pdf/annual_report.css"


@dataclass(frozen=True)
class Entry:
    """One record in the response, such as a case note; values are already redacted."""

    heading: str
    on: dt.date | None
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class Section:
    title: str
    entries: list[Entry]


@dataclass(frozen=True)
class ResponseDocument:
    """``redaction_log`` is None for the requester's copy, a list (perhaps empty) for the data
    protection team's copy."""

    reference: str
    subject_name: str
    generated_on: dt.date
    sections: list[Section]
    redaction_log: list[Withholding] | None
    # Who asked (the request's acting_as): a parent or carer, or someone acting with authority, is
    # told about the records of the person named, not about "you".
    requested_as: str = "self"


class UrlRefused(Exception):
    """Something asked for a URL while drawing a response; nothing ever may."""


def refuse_every_url(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise UrlRefused(url)


class _RefusingFetcher(URLFetcher):
    """WeasyPrint 70 wants an instance of ``weasyprint.urls.URLFetcher``, not a bare function: its
    ``fetch()`` context manager reads ``url_fetcher._fail_on_errors`` when the fetcher raises, so a
    plain function that raises ends in an AttributeError. Subclasses override ``fetch(url, headers=None)``
    and must return a ``URLFetcherResponse`` (the old dict is gone). ``fail_on_errors`` makes a refusal
    stop the rendering: a response that silently lost part of itself would be worse than none."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=True)

    def fetch(self, url: str, headers: Any = None) -> NoReturn:
        refuse_every_url(url, headers)


def _stylesheet(name: str) -> str:
    """The shared headings, then the document's own stylesheet ``name``, as one text."""
    loader = current_app.jinja_env.loader
    assert loader is not None  # create_app always sets one
    return "\n".join(loader.get_source(current_app.jinja_env, part)[0] for part in (SHARED_STYLESHEET, name))


def render_pdf(document: ResponseDocument) -> bytes:
    """The response as PDF bytes, built in memory. Needs an app context."""
    html = render_template(TEMPLATE, document=document, marker=MARKER)
    stylesheet = _stylesheet(STYLESHEET)
    fetcher = _RefusingFetcher()
    # Tagged, so screen readers find the headings, lists and tables (about a fifth slower). Not
    # pdf_variant="pdf/ua-1": it tags the same way but also claims PDF/UA conformance, which nobody
    # has validated.
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=stylesheet, base_url=None, url_fetcher=fetcher)], pdf_tags=True
    )


def annual_report_html(report: PublishedReport, embed_stylesheet: bool = True) -> str:
    """The Annual Report as one HTML document (its stylesheet inside it, so the file stands alone):
    what ``report annual --format html`` writes and what the PDF is drawn from."""
    stylesheet = _stylesheet(ANNUAL_REPORT_STYLESHEET) if embed_stylesheet else None
    return render_template(ANNUAL_REPORT_TEMPLATE, report=report, stylesheet=stylesheet)


def render_annual_report(report: PublishedReport) -> bytes:
    """The Annual Report as PDF bytes: the same figures, tables and charts as the reports page,
    tagged like the response above, and drawn with the same fetcher, which refuses every URL."""
    fetcher = _RefusingFetcher()
    return HTML(
        string=annual_report_html(report, embed_stylesheet=False), base_url=None, url_fetcher=fetcher
    ).write_pdf(
        stylesheets=[CSS(string=_stylesheet(ANNUAL_REPORT_STYLESHEET), base_url=None, url_fetcher=fetcher)],
        pdf_tags=True,
    )
