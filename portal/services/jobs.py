"""Slow work off the request (issue 14): subject access response PDFs and the Annual Report PDF.

A 500-entry response takes 5 to 40 seconds to draw; drawn in the request it held a web worker that
long, and with as many PDFs as workers every page waited. Now the request only checks that the file
can be made, records a job and hands its token to a runner (``portal.job_runners``: a thread in
the app process by default, RQ workers when ``JOBS_URL`` names Redis); the person watches a
progress page, and downloads the file once it is ready.

What is kept, and for how long: the finished PDF, encrypted with the portal's keys, until its first
download or 15 minutes after it was made, whichever comes first; then the ciphertext is deleted
(by the download itself, in the same transaction, or by ``sweep``). ``sweep`` runs on every
enqueue, progress view and download, when a runner is idle (the thread) or at the file's expiry
(an RQ scheduled job), and in ``flask daily``. The row, without the file, stays a day for the
progress page. Only the person who asked may see the job or download its file, and only while
they hold the capability that made it.

Every step is audited as the download used to be: requested (by the person), ready or failed
(by the worker, on the person's behalf), downloaded (by the person).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import traceback
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from flask import current_app
from sqlalchemy import delete, select, update

from portal.crypto import keyring
from portal.extensions import db
from portal.models.jobs import TOKEN_LENGTH, Job
from portal.models.requests import InformationRequest
from portal.models.staff import StaffUser
from portal.services import audit, clock, pdf, statistics, subject_access
from portal.services.audit import Actor
from portal.services.roles import can

log = logging.getLogger(__name__)

KIND_LABELS = {
    "sar_response_requester": "Subject access response: the requester’s copy",
    "sar_response_team": "Subject access response: our copy with the redaction log",
    "annual_report": "Annual Report",
}
# Who may see a job: its maker, while they still hold the capability the job needed.
KIND_CAPABILITIES = {
    "sar_response_requester": "handle_sar",
    "sar_response_team": "handle_sar",
    "annual_report": "read_statistics",
}
STATUS_LABELS = {
    "queued": "Waiting to start",
    "running": "Being made",
    "ready": "Ready to download",
    "failed": "Could not be made",
    "downloaded": "Downloaded",
    "expired": "No longer kept",
}
# The progress page's heading in each status, said to the person who asked.
STATUS_HEADINGS = {
    "queued": "Your PDF is waiting to be made",
    "running": "Your PDF is being made",
    "ready": "Your PDF is ready",
    "failed": "Your PDF could not be made",
    "downloaded": "You have downloaded this PDF",
    "expired": "This PDF is no longer kept",
}
STEP_LABELS = {
    "waiting": "Waiting for a worker to start it",
    "reading": "Reading the records",
    "redacting": "Withholding other people’s details",
    "counting": "Counting the year’s figures",
    "drawing": "Drawing the PDF",
    "storing": "Encrypting the PDF to keep it for you",
    "done": "Done",
}
IN_PROGRESS = ("queued", "running")

# How long a finished file waits for its download. Short, because the PDF holds other people's
# withheld-from-the-requester context and a family's whole file: long enough to come back to it
# after a phone call, no longer.
KEPT_FOR = dt.timedelta(minutes=15)
# A job neither finished nor failed by then lost its worker (a restart, a crash): it is marked
# failed, so its page stops waiting and says to make it again.
GIVE_UP_AFTER = dt.timedelta(hours=1)
# How long the row (never the file) stays, so its page can still say what happened.
ROWS_KEPT_FOR = dt.timedelta(days=1)

FAILED_MESSAGE = (
    "Something went wrong while making the PDF. Make it again; if it fails again, tell the portal’s support team."
)
GAVE_UP_MESSAGE = "The PDF was not made within an hour, so the portal stopped waiting for it. Make it again."
QUEUE_DOWN_MESSAGE = "The job queue is not answering, so the PDF could not be started. Try again in a few minutes."
TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")


class JobNotFound(LookupError):
    """No job with that token that this person made (or may still see): the page answers 404."""


class NothingToDownload(Exception):
    """The job has no file to hand over (not ready yet, downloaded, expired or failed)."""


class QueueUnavailable(Exception):
    """The runner could not take the job (Redis did not answer)."""


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes


@dataclass(frozen=True)
class SweepSummary:
    files_deleted: int
    given_up: int
    rows_removed: int

    def describe(self) -> str:
        return (
            f"Jobs: {self.files_deleted} finished file(s) past {int(KEPT_FOR.total_seconds()) // 60} minutes deleted,"
            f" {self.given_up} unfinished job(s) given up, {self.rows_removed} old job(s) removed."
        )


@dataclass(frozen=True)
class Progress:
    """What the progress page shows: the job's state in words, never its file."""

    token: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    step_label: str
    message: str | None
    expires_at: dt.datetime | None
    request_id: int | None
    academic_year: str | None

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    @property
    def heading(self) -> str:
        return STATUS_HEADINGS[self.status]

    @property
    def kept_minutes(self) -> int:
        """How long a finished file waits for its download, for the page to say."""
        return int(KEPT_FOR.total_seconds()) // 60


# Queuing ------------------------------------------------------------------------------------------


def enqueue_response(request: InformationRequest, for_team: bool, actor: Actor) -> Job:
    """Queue a subject access response PDF, after the same checks as ever: a refusal (the identity
    not verified, the request closed) raises ``RequestRefused`` for the request's page."""
    sweep(actor.at)
    subject_access.check_response_can_be_made(request)
    job = _new_job("sar_response_team" if for_team else "sar_response_requester", actor, request_id=request.id)
    audit.record(
        actor,
        "subject access response requested",
        "information_request",
        request.id,
        detail=f"{_copy(job)} copy; {len(request.chosen_records)} records",
    )
    return _submit(job)


def enqueue_annual_report(year_name: str | None, actor: Actor) -> Job:
    """Queue the Annual Report PDF of the year named (the current one when none is); a year the
    reports do not offer raises ``statistics.NotOffered``."""
    sweep(actor.at)
    year = statistics.chosen_year(year_name, actor.today)
    job = _new_job("annual_report", actor, academic_year=year.name)
    audit.record(actor, "annual report requested", detail=year.name)
    return _submit(job)


def _new_job(kind: str, actor: Actor, request_id: int | None = None, academic_year: str | None = None) -> Job:
    job = Job(
        token=secrets.token_urlsafe(32),
        kind=kind,
        requested_by_id=actor.staff_id,
        request_id=request_id,
        academic_year=academic_year,
        status="queued",
        step="waiting",
        created_at=actor.at,
    )
    db.session.add(job)
    return job


def _submit(job: Job) -> Job:
    """Commit the job (so whichever worker takes it finds its row), then hand it to the runner."""
    db.session.commit()
    try:
        current_app.extensions["portal_jobs"].submit(job.token)
    except QueueUnavailable:
        job.status, job.message = "failed", QUEUE_DOWN_MESSAGE
        db.session.commit()
    return job


def _copy(job: Job) -> str:
    return "team" if job.kind == "sar_response_team" else "requester"


# Running (the worker) -----------------------------------------------------------------------------


def run(token: str) -> dt.datetime | None:
    """The worker's entry point, inside an app context: make the job's file, store it encrypted and
    mark it ready; or mark it failed with a plain message. Returns when the file expires (for the
    runner to sweep then), or None when nothing was stored. A job already taken, given up or
    swept is left alone, so a job handed over twice is made once."""
    claimed = db.session.execute(
        update(Job).where(Job.token == token, Job.status == "queued").values(status="running")
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return None
    job = db.session.scalars(select(Job).where(Job.token == token)).one()
    try:
        made = _make(job)
        # End the reads of the drawing before writing: on SQLite a read transaction that saw an
        # older state cannot become a write, and the steps were written beside it.
        db.session.commit()
        return _store(job, made)
    except subject_access.RequestRefused as refusal:
        # The request changed while the job waited (closed, say): the same words as the page's.
        db.session.rollback()
        _fail(job, refusal.problems.get("response_pdf", FAILED_MESSAGE))
    except Exception as error:
        db.session.rollback()
        # The exception's class and where it was raised, never its message: a message can quote
        # the data being drawn.
        log.error(
            "job %s (%s) failed: %s\n%s",
            job.id,
            job.kind,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        _fail(job, FAILED_MESSAGE)
    return None


def _set_step(job_id: int, step: str) -> None:
    """Tell the progress page which step the job is on, on a connection of its own, so the worker's
    reads stay one transaction and any app host sees the step at once."""
    with db.engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(step=step))


def _make(job: Job) -> subject_access.ResponsePdf | statistics.Download:
    today = clock.london_day(clock.now())

    def on_step(step: str) -> None:
        _set_step(job.id, step)

    if job.kind == "annual_report":
        assert job.academic_year is not None  # the table's check: a report is about a year
        on_step("counting")
        report = statistics.publish(statistics.year_counts(statistics.chosen_year(job.academic_year, today), today))
        on_step("drawing")
        return statistics.Download(
            statistics.annual_report_filename(job.academic_year), "application/pdf", pdf.render_annual_report(report)
        )
    request = db.session.get(InformationRequest, job.request_id)
    if request is None:
        raise subject_access.RequestRefused({"response_pdf": "The request is no longer held."})
    return subject_access.response_pdf(
        request, job.kind == "sar_response_team", current_app.config["SAR_WITHHOLD_STAFF_NAMES"], today, on_step
    )


def _store(job: Job, made: subject_access.ResponsePdf | statistics.Download) -> dt.datetime:
    _set_step(job.id, "storing")
    ciphertext = keyring().encrypt_bytes(made.content)
    finished = clock.now()
    job = db.session.scalars(select(Job).where(Job.id == job.id)).one()
    job.status, job.step, job.result, job.filename = "ready", "done", ciphertext, made.filename
    job.finished_at, job.expires_at = finished, finished + KEPT_FOR
    worker = _worker_actor(job, finished)
    if isinstance(made, subject_access.ResponsePdf):
        chosen = len(job.request.chosen_records) if job.request else 0
        audit.record(
            worker,
            "subject access response ready",
            "information_request",
            job.request_id,
            detail=f"{_copy(job)} copy; {chosen} records; {made.withheld} items withheld",
        )
    else:
        audit.record(worker, "annual report ready", detail=job.academic_year)
    db.session.commit()
    return job.expires_at


def _fail(job: Job, message: str) -> None:
    finished = clock.now()
    job = db.session.scalars(select(Job).where(Job.id == job.id)).one()
    job.status, job.message, job.finished_at = "failed", message, finished
    audit.record(
        _worker_actor(job, finished),
        "annual report failed" if job.kind == "annual_report" else "subject access response failed",
        None if job.kind == "annual_report" else "information_request",
        job.request_id,
        detail=message,
    )
    db.session.commit()


def _worker_actor(job: Job, at: dt.datetime) -> Actor:
    """The worker acts for the person who asked: the log names them, and the worker as the client."""
    return Actor(staff_id=job.requested_by_id, client="job worker", at=at)


# The person's side ----------------------------------------------------------------------------------


def _job_for(token: str, user: StaffUser) -> Job:
    if not TOKEN_SHAPE.fullmatch(token):
        raise JobNotFound(token)
    job = db.session.scalars(select(Job).where(Job.token == token)).one_or_none()
    # Someone else's job, or one whose capability its maker has since lost, answers as no job at
    # all: the token alone never opens anything.
    if job is None or job.requested_by_id != user.id or not can(user, KIND_CAPABILITIES[job.kind]):
        raise JobNotFound(token)
    return job


def progress(token: str, user: StaffUser, at: dt.datetime) -> Progress:
    sweep(at)
    job = _job_for(token, user)
    return Progress(
        token=job.token,
        kind=job.kind,
        kind_label=KIND_LABELS[job.kind],
        status=job.status,
        status_label=STATUS_LABELS[job.status],
        step_label=STEP_LABELS[job.step],
        message=job.message,
        expires_at=clock.as_utc(job.expires_at) if job.expires_at else None,
        request_id=job.request_id,
        academic_year=job.academic_year,
    )


def download(token: str, user: StaffUser, actor: Actor) -> Download:
    """The file, once: decrypted, and in the same transaction the ciphertext deleted and the job
    marked downloaded, so a second download (or a second tab's) finds nothing."""
    sweep(actor.at)
    job = _job_for(token, user)
    if job.status != "ready" or job.result is None or job.filename is None:
        raise NothingToDownload(token)
    try:
        content = keyring().decrypt_bytes(job.result)
    except InvalidToken:
        # Its key was taken out of PORTAL_ENCRYPTION_KEYS within its 15 minutes: made again, it reads.
        log.error("job %s: its file cannot be decrypted with PORTAL_ENCRYPTION_KEYS", job.id)
        raise NothingToDownload(token) from None
    filename = job.filename
    taken = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == "ready")
        .values(status="downloaded", result=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        db.session.rollback()  # another download of the same job committed first
        raise NothingToDownload(token)
    if job.kind == "annual_report":
        audit.record(actor, "annual report downloaded", detail=job.academic_year)
    else:
        audit.record(
            actor,
            "subject access response downloaded",
            "information_request",
            job.request_id,
            detail=f"{_copy(job)} copy",
        )
    db.session.commit()
    return Download(filename, content)


# Housekeeping -------------------------------------------------------------------------------------


def sweep(now: dt.datetime) -> SweepSummary:
    """Delete every file past its 15 minutes, give up on jobs unfinished after an hour, and remove
    rows older than a day; its own transaction, so whatever the caller does next cannot undo it."""
    files_deleted = db.session.execute(
        update(Job)
        .where(Job.status == "ready", Job.expires_at <= now)
        .values(status="expired", result=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    given_up = db.session.execute(
        update(Job)
        .where(Job.status.in_(IN_PROGRESS), Job.created_at <= now - GIVE_UP_AFTER)
        .values(status="failed", message=GAVE_UP_MESSAGE, finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    rows_removed = db.session.execute(
        delete(Job)
        .where(Job.created_at <= now - ROWS_KEPT_FOR, Job.status.not_in(IN_PROGRESS))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return SweepSummary(files_deleted, given_up, rows_removed)
