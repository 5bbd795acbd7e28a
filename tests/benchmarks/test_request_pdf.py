"""In-process cost of a subject access response PDF (``subject_access.response_pdf``: the chosen
records gathered and redacted, drawn by WeasyPrint, as a job's worker makes it) for a SAR whose chosen
referral's case has 10 timeline entries and then 500, against baselines measured in the same run.

The case and its timeline go in through ``tests.bulk`` (``insert_cases``, ``insert_timeline``:
notes, some revised, contacts, consents naming third parties, reviews, disclosures), encrypted as
the app stores them. ``insert_timeline``'s notes are a sentence long; a caseworker's note after a
meeting runs to a few paragraphs, so every note is then given one of a few realistic texts of 600
to 900 characters (naming a neighbour the team withholds, and an e-mail address and a telephone
number the redactor withholds by pattern). The request goes through the service's own steps:
identity verified, the referral found by the parent's e-mail address and chosen, a name withheld.

Where the time goes: ``build_response`` (the queries, decryption and redaction) and ``render_pdf``
(the template and WeasyPrint's layout) are timed apart as well as the whole. Baselines: a bare
Flask route rendering a one-line template (the other benchmarks' baseline), and a one-entry PDF
through the same ``render_pdf`` (WeasyPrint's fixed cost: fonts, stylesheet, one page).

Memory: the peak of Python's allocations during one response (``tracemalloc``), which does not see
what WeasyPrint's C libraries (Pango, HarfBuzz, fontconfig) allocate; and the growth of
the process's peak resident set (``ru_maxrss``) across the 500-entry runs, which does, but only
shows when that run raises the process's high-water mark.

Medians of a few runs (five at 10 entries, two at 500) after one warm-up at the smaller size; each
response's split into its parts comes from the same runs (``build_response`` and ``render_pdf`` are
wrapped where ``response_pdf`` calls them). Nothing fails on a duration.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask, render_template
from jinja2 import DictLoader
from sqlalchemy import select

from portal.extensions import db
from portal.models import InformationRequest, Referral
from portal.services import clock, requests, subject_access
from portal.services.audit import Actor
from portal.services.clock import london_today
from portal.services.pdf import Entry, ResponseDocument, Section, render_pdf
from portal.services.requests import Requester, SubjectAccessAnswers
from tests.benchmarks.figures import sized
from tests.bulk import NOTES, insert_cases, insert_timeline
from tests.conftest import empty_tables
from tests.staff import make_staff

pytestmark = pytest.mark.benchmark

SIZES = sized(full=(10, 500), quick=(10, 50))
# The 500-entry response takes about 5 s, and its run under tracemalloc several times that: two timed
# runs (their median is their mean) keep the file near a minute; the two agree within a few per cent.
RUNS = {SIZES[0]: sized(full=5, quick=2), SIZES[1]: sized(full=2, quick=1)}
WARMUP = 1
BASELINE_RUNS = 5
BARE_WARMUP, BARE_REPETITIONS = sized(full=(20, 200), quick=(5, 50))
NEIGHBOUR = "Priya Raman"
WHERE = "192.0.2.60"

LONG_NOTES = (
    "Home visit with the family. Mum explained that the school has reduced the timetable to mornings only "
    "since the half-term break, and that nobody has put this in writing. We went through what a part-time "
    "timetable should look like under the guidance, and agreed that she will ask the school for a written "
    "plan with a review date. Their neighbour Priya Raman, who sometimes collects the children, was there "
    "and confirmed the pick-up times. Action: send the family our factsheet on part-time timetables and a "
    "template letter to the head teacher; call again on Friday to see whether the school has replied.",
    "Annual review meeting at school (SENCo, class teacher, educational psychologist, mum, me). The draft "
    "amendments still describe support as 'access to' a teaching assistant without saying how many hours. "
    "I asked for Section F to be specified and quantified and for the speech and language therapy to be "
    "written as provision rather than advice. The SENCo agreed to send the revised draft within two weeks. "
    "Mum was worried about the move to secondary school next September; we talked through consultation "
    "with the preferred school and the deadline for naming it in the plan. She asked me to copy her on "
    "anything sent to the council, at family.contact@example.com, and to text 07700 900456 before calls.",
    "Phone call with dad. He has received the council's decision not to carry out an EHC needs assessment "
    "and wants to appeal. Explained mediation (the certificate is needed before an appeal), the two-month "
    "deadline from the date on the decision letter, and what evidence helps: the school's record of the "
    "support already given and its effect, the private assessment report, and the paediatrician's letter. "
    "He will gather these over the weekend. I offered to help him fill in the appeal form and to come to "
    "mediation if it goes ahead. Next step: book a meeting for the week after next at the family centre.",
    "Email exchange with the school about the fixed-term exclusion last Tuesday. The letter to the family "
    "did not give the reason in enough detail, nor tell them of their right to make representations to the "
    "governors. Drafted a short letter with mum asking for the reasons, the evidence considered and whether "
    "the child's special educational needs were taken into account, and asking that the exclusion be "
    "removed from the record. Mum will send it today. Also discussed a reintegration meeting and what "
    "reasonable adjustments to ask for: a quiet space at lunchtime, a named adult, and an agreed exit card.",
)  # fmt: skip


@dataclass(frozen=True)
class World:
    request_id: int
    case_id: int
    dpo_id: int
    recorders: tuple[int, int]
    manager_id: int


@pytest.fixture
def world(app: Flask) -> Iterator[World]:
    """One referral accepted into a case; a parent's subject access request for the child's
    records, the identity verified, the referral chosen and a neighbour's name withheld. The
    timeline is added by the test; the tables are emptied afterwards."""
    try:
        dpo = make_staff(app, "dpo")
        manager = make_staff(app, "manager")
        caseworker = make_staff(app, "caseworker")
        added = insert_cases(app, 1, opened_by=manager.id, assigned_to=caseworker.id, seed=7)
        today = london_today()
        actor = Actor(dpo.id, WHERE, clock.now())
        with app.app_context():
            referral = db.session.get(Referral, added.referrals.first_id)
            child, parent = referral.person("child"), referral.person("parent_carer")
            assert child is not None and parent is not None and parent.email
            answers = SubjectAccessAnswers(
                acting_as="parent_carer",
                requester=Requester(parent.full_name, parent.email, None, None, None, "email"),
                authority=None,
                subject_name=child.full_name,
                subject_other_names=None,
                subject_date_of_birth=child.date_of_birth,
                reference_given=None,
                wanted="Everything you hold about my child.",
                identity_check="documents",
            )
            request = requests.submit_subject_access(
                answers, True, "benchmark-sar", app.extensions["portal_mailer"], clock.now()
            )
            subject_access.verify_identity(request, "photo_id_and_address", today, actor, today)
            if subject_access.needs_child_confirmation(request):
                subject_access.record_child_confirmation(request, "agreed", "Agreed at the school meeting.", actor)
            matches = subject_access.matching_records(request, actor)
            assert [match.referral.id for match in matches] == [referral.id], "the referral was not found"
            subject_access.choose_records(request, [referral.id], actor)
            subject_access.add_withheld_name(request, NEIGHBOUR, actor)
            assert not subject_access.release_problems(request)
            made = World(request.id, added.first_id, dpo.id, (caseworker.id, manager.id), manager.id)
            db.session.remove()
        yield made
    finally:
        empty_tables(app)


def lengthen_notes(app: Flask, case_id: int) -> int:
    """Give every note of the case one of ``LONG_NOTES`` (encrypted once each); returns how many."""
    keyring = app.extensions["portal_keyring"]
    tokens = [keyring.encrypt(text) for text in LONG_NOTES]
    with app.app_context(), db.engine.begin() as connection:
        ids = list(connection.scalars(select(NOTES.c.id).where(NOTES.c.case_id == case_id).order_by(NOTES.c.id)))
        for number, note_id in enumerate(ids):
            connection.execute(NOTES.update().where(NOTES.c.id == note_id).values(text=tokens[number % len(tokens)]))
    return len(ids)


def median_seconds(work: Callable[[], object], runs: int, warmup: int = WARMUP) -> float:
    gc.collect()
    samples = []
    for run in range(warmup + runs):
        started = time.perf_counter()
        work()
        if run >= warmup:
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)


class Split:
    """Wraps ``build_response`` and ``render_pdf`` where ``response_pdf`` calls them, so each
    response's time divides into its parts within the same run."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.build: list[float] = []
        self.render: list[float] = []
        self.on = True
        build, render = subject_access.build_response, subject_access.render_pdf

        def timed_build(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return build(*args, **kwargs)
            finally:
                if self.on:
                    self.build.append(time.perf_counter() - started)

        def timed_render(document: ResponseDocument) -> bytes:
            started = time.perf_counter()
            try:
                return render(document)
            finally:
                if self.on:
                    self.render.append(time.perf_counter() - started)

        monkeypatch.setattr(subject_access, "build_response", timed_build)
        monkeypatch.setattr(subject_access, "render_pdf", timed_render)

    def clear(self) -> None:
        self.build.clear()
        self.render.clear()


def peak_traced_bytes(work: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def max_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # kilobytes on Linux


def pages_in(content: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True, timeout=60).stdout
    match = re.search(rb"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def one_entry_document(today: dt.date) -> ResponseDocument:
    entry = Entry("Case note", today, [("Written by", "A caseworker"), ("Note", "Called the family back.")])
    return ResponseDocument("SAR-7K3Q-9XM2", "A Person", today, [Section("Case notes", [entry])], None)


def bare_route_ms() -> float:
    """The baseline of ``test_in_process``: a bare Flask route rendering a one-line template."""
    bare_app = Flask(__name__)
    bare_app.jinja_loader = DictLoader({"one_line.html": "<p>{{ message }}</p>"})

    @bare_app.get("/")
    def hello() -> str:
        return render_template("one_line.html", message="Hello")

    client = bare_app.test_client()
    return median_seconds(lambda: client.get("/").get_data(), BARE_REPETITIONS, BARE_WARMUP) * 1000


def megabytes(size: int) -> float:
    return size / 1_000_000


def test_response_pdf_with_10_and_500_timeline_entries(app, world, record_figure, monkeypatch):
    with app.app_context():
        dialect = db.engine.dialect.name
    group = (
        f"in-process, subject access response PDF ({dialect}; WeasyPrint): median per response, ratio to a"
        " one-entry PDF and to a bare Flask route"
    )
    today = london_today()

    def record(name: str, line: str, **data: object) -> None:
        record_figure(group, name, line, kind="in-process", **data)

    bare_ms = bare_route_ms()
    with app.app_context():
        document = one_entry_document(today)
        one_entry_ms = median_seconds(lambda: render_pdf(document), BASELINE_RUNS) * 1000
    record(
        "bare Flask route",
        f"{'bare Flask route (the other benchmarks baseline)':<48}{bare_ms:10.2f} ms",
        median_ms=round(bare_ms, 3),
    )
    record(
        "one-entry PDF",
        f"{'one-entry PDF (render_pdf alone, one page)':<48}{one_entry_ms:10.1f} ms"
        f"  {one_entry_ms / bare_ms:.0f}× bare",
        median_ms=round(one_entry_ms, 2),
        ratio_to_bare=round(one_entry_ms / bare_ms, 1),
        runs=BASELINE_RUNS,
    )

    made: list[bytes] = []

    def response() -> None:
        """One response, as the route makes it (in an app context); its PDF is kept in ``made``."""
        found = db.session.get(InformationRequest, world.request_id)
        made[:] = [subject_access.response_pdf(found, False, False, today).content]

    split = Split(monkeypatch)
    totals: dict[int, float] = {}
    entries = 0
    rss_growth = 0
    for size in SIZES:
        insert_timeline(
            app, world.case_id, size - entries, recorded_by=world.recorders, approved_by=world.manager_id, seed=size
        )
        entries = size
        notes = lengthen_notes(app, world.case_id)
        with app.app_context():
            found = db.session.get(InformationRequest, world.request_id)
            document, withheld = subject_access.build_response(found, False, False, today)
            shown = sum(len(section.entries) for section in document.sections)
            # One warm-up at the smaller size (templates, fonts, caches); the larger size starts warm.
            split.on = False
            for _ in range(WARMUP if size == SIZES[0] else 0):
                response()
            split.on = True
            split.clear()
            rss_before = max_rss_bytes()
            total_ms = median_seconds(response, RUNS[size], warmup=0) * 1000
            rss_after = max_rss_bytes()
            build_ms = statistics.median(split.build) * 1000
            render_ms = statistics.median(split.render) * 1000
            split.on = False
            traced = peak_traced_bytes(response)
            [content] = made
            assert content.startswith(b"%PDF-")
            db.session.remove()
        totals[size] = total_ms
        if size == SIZES[-1]:
            rss_growth = rss_after - rss_before
        rest_ms = total_ms - build_ms - render_ms
        pages = pages_in(content)
        record(
            f"response_pdf, {size} entries",
            f"response_pdf, {size:>3} timeline entries ({shown} in the PDF, {notes} notes of 600-900 characters,"
            f" {pages} pages, {len(content) / 1000:.0f} kB, {withheld} items withheld): {total_ms:.1f} ms,"
            f" {total_ms / one_entry_ms:.1f}× a one-entry PDF, {total_ms / bare_ms:.0f}× bare",
            median_ms=round(total_ms, 1),
            runs=RUNS[size],
            timeline_entries=size,
            pdf_entries=shown,
            notes=notes,
            pages=pages,
            pdf_bytes=len(content),
            items_withheld=withheld,
            ratio_to_one_entry_pdf=round(total_ms / one_entry_ms, 2),
            ratio_to_bare=round(total_ms / bare_ms, 1),
        )
        record(
            f"where the time goes, {size} entries",
            f"  of which build_response {build_ms:.1f} ms ({build_ms / total_ms:.0%}), render_pdf {render_ms:.1f} ms"
            f" ({render_ms / total_ms:.0%}), the rest (the checks) {rest_ms:.1f} ms;"
            f" peak traced Python memory {megabytes(traced):.1f} MB",
            build_ms=round(build_ms, 1),
            render_ms=round(render_ms, 1),
            rest_ms=round(rest_ms, 1),
            peak_traced_bytes=traced,
        )

    small, large = SIZES
    per_entry_ms = (totals[large] - totals[small]) / (large - small)
    record(
        "per timeline entry",
        f"per timeline entry: (t{large} - t{small}) / {large - small} = {per_entry_ms:.2f} ms"
        f" ({per_entry_ms / one_entry_ms:.3f}× a one-entry PDF);"
        f" t{large} / t{small} = {totals[large] / totals[small]:.1f}×",
        per_entry_ms=round(per_entry_ms, 3),
        ratio_large_to_small=round(totals[large] / totals[small], 2),
    )
    record(
        "peak resident set growth",
        f"peak resident set (ru_maxrss) rose by {megabytes(rss_growth):.1f} MB over the {large}-entry runs"
        " (counts WeasyPrint's C libraries, which tracemalloc does not; 0 when an earlier peak was higher)",
        ru_maxrss_growth_bytes=rss_growth,
    )
