"""Slow work off the request (issue 14), without HTTP: a response PDF or the Annual Report queued
after the same checks as ever, made by a worker (the in-process thread, or RQ: fakeredis and a
SimpleWorker here), kept encrypted until its one download or for 15 minutes, whichever comes first,
and audited at each step. Jobs are run by calling ``jobs.run`` as a worker would, except in the
tests of the runners themselves."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Iterator

import fakeredis
import pytest
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import select, text

from portal.config import ConfigError, load_config
from portal.crypto import keyring
from portal.extensions import db
from portal.job_runners import RQRunner, ThreadRunner
from portal.models import AuditEntry, InformationRequest, Job, Referral
from portal.models.jobs import JOB_STATUSES
from portal.services import jobs, requests, statistics, subject_access
from portal.services.audit import Actor
from portal.services.clock import as_utc
from portal.services.requests import Closure, Requester, RequestRefused, SubjectAccessAnswers
from tests.clock import london
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff, pdf_text

DAY = dt.date(2026, 11, 25)
CHILD = "Siân 李 Ó Briain"
PARENT = Requester("Zoë Ó Briain-Nakamura", "zoe.family@example.com", None, None, None, "email")
NEIGHBOUR = "Priya Raman"


class HeldBack:
    """A runner that keeps what it is given, so the test runs each job when it chooses."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def submit(self, token: str) -> None:
        self.tokens.append(token)


@pytest.fixture
def held(app, app_context, time_machine, monkeypatch) -> HeldBack:
    time_machine.move_to(london(DAY), tick=False)
    runner = HeldBack()
    monkeypatch.setitem(app.extensions, "portal_jobs", runner)
    return runner


@pytest.fixture
def people(app, held):
    return {"dpo": make_staff(app, "dpo"), "other_dpo": make_staff(app, "dpo"), "manager": make_staff(app, "manager")}


def acting(user, at: dt.datetime | None = None) -> Actor:
    return Actor(user.id, "192.0.2.44", at or london(DAY))


def releasable_sar(app, dpo, verified: bool = True) -> InformationRequest:
    """A parent's request for their child's records: the child's referral chosen and (unless not
    ``verified``) the identity verified."""
    submit_referral(app, "self", self_referral_answers())
    referral = db.session.scalars(select(Referral)).one()
    answers = SubjectAccessAnswers(
        "parent_carer", PARENT, None, CHILD, None, dt.date(2015, 3, 14), None, "Everything.", "documents"
    )
    request = requests.submit_subject_access(
        answers, True, "key", app.extensions["portal_mailer"], london(DAY - dt.timedelta(days=2))
    )
    who = acting(dpo)
    if verified:
        subject_access.verify_identity(request, "photo_id_and_address", DAY, who, DAY)
    subject_access.choose_records(request, [referral.id], who)
    subject_access.add_withheld_name(request, NEIGHBOUR, who)
    return request


def job_of(token: str) -> Job:
    db.session.expire_all()
    return db.session.scalars(select(Job).where(Job.token == token)).one()


def audited(action: str) -> list[str | None]:
    return list(db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == action)))


def test_a_response_is_queued_only_after_the_same_checks_and_its_request_is_audited(app, held, people):
    request = releasable_sar(app, people["dpo"], verified=False)
    with pytest.raises(RequestRefused) as refused:
        jobs.enqueue_response(request, False, acting(people["dpo"]))
    assert "identity has not been verified" in refused.value.problems["response_pdf"]
    db.session.rollback()
    assert db.session.scalars(select(Job)).all() == [] and held.tokens == []

    subject_access.verify_identity(request, "photo_id_and_address", DAY, acting(people["dpo"]), DAY)
    job = jobs.enqueue_response(request, True, acting(people["dpo"]))
    assert held.tokens == [job.token] and len(job.token) == 43
    stored = job_of(job.token)
    assert (stored.kind, stored.status, stored.step) == ("sar_response_team", "queued", "waiting")
    assert as_utc(stored.created_at) == london(DAY) and stored.requested_by_id == people["dpo"].id
    assert audited("subject access response requested") == ["team copy; 1 records"]


def test_a_worker_stores_the_pdf_encrypted_never_as_the_pdf_itself(app, held, people):
    request = releasable_sar(app, people["dpo"])
    job = jobs.enqueue_response(request, False, acting(people["dpo"]))
    expires_at = jobs.run(job.token)

    stored = job_of(job.token)
    assert (stored.status, stored.step) == ("ready", "done")
    assert stored.expires_at == expires_at == stored.finished_at + dt.timedelta(minutes=15)
    assert not stored.result.startswith(b"%PDF") and b"%PDF" not in stored.result
    content = keyring().decrypt_bytes(stored.result)
    assert content.startswith(b"%PDF-")
    text_of_pdf = pdf_text(content)
    assert "Siân" in text_of_pdf and "Priya" not in text_of_pdf
    reference = request.reference
    # The file's name carries the request's reference, so it is stored encrypted too.
    raw_name = db.session.execute(text("SELECT filename FROM jobs WHERE id = :id"), {"id": stored.id}).scalar()
    assert reference not in raw_name and stored.filename == f"{reference}.pdf"
    [ready] = audited("subject access response ready")
    assert ready.startswith("requester copy; 1 records;") and ready.endswith("items withheld")
    assert jobs.run(job.token) is None, "a job handed over twice is made once"


def test_the_file_is_downloaded_once_and_only_by_the_person_who_asked(app, held, people):
    request = releasable_sar(app, people["dpo"])
    job = jobs.enqueue_response(request, True, acting(people["dpo"]))
    jobs.run(job.token)

    with pytest.raises(jobs.JobNotFound):
        jobs.download(job.token, people["other_dpo"], acting(people["other_dpo"]))
    with pytest.raises(jobs.JobNotFound):
        jobs.progress(job.token, people["other_dpo"], london(DAY))
    made = jobs.download(job.token, people["dpo"], acting(people["dpo"]))
    assert made.content.startswith(b"%PDF-") and "Redaction log" in pdf_text(made.content)
    assert made.filename == f"{request.reference}-data-protection-copy.pdf"
    stored = job_of(job.token)
    assert (stored.status, stored.result) == ("downloaded", None)
    with pytest.raises(jobs.NothingToDownload):
        jobs.download(job.token, people["dpo"], acting(people["dpo"]))
    assert audited("subject access response downloaded") == ["team copy"]
    assert jobs.progress(job.token, people["dpo"], london(DAY)).status == "downloaded"


def test_a_job_cannot_be_seen_with_a_token_of_the_wrong_shape_or_by_someone_who_lost_the_capability(app, held, people):
    job = jobs.enqueue_annual_report(None, acting(people["manager"]))
    for token in ("", "x" * 44, job.token[:-1] + "/", f"{job.token}'"):
        with pytest.raises(jobs.JobNotFound):
            jobs.progress(token, people["manager"], london(DAY))
    # A response job of the dpo's, once they no longer handle subject access: not theirs to see.
    request = releasable_sar(app, people["dpo"])
    response = jobs.enqueue_response(request, False, acting(people["dpo"]))
    people["dpo"].roles = "manager"
    with pytest.raises(jobs.JobNotFound):
        jobs.progress(response.token, people["dpo"], london(DAY))


def test_a_file_is_deleted_exactly_15_minutes_after_it_was_made(app, held, people, time_machine):
    request = releasable_sar(app, people["dpo"])
    job = jobs.enqueue_response(request, False, acting(people["dpo"]))
    made_at = london(DAY, 10, 1)
    time_machine.move_to(made_at, tick=False)
    jobs.run(job.token)
    assert as_utc(job_of(job.token).finished_at) == made_at

    just_before = made_at + dt.timedelta(minutes=15) - dt.timedelta(microseconds=1)
    jobs.sweep(just_before)
    assert job_of(job.token).status == "ready"
    assert jobs.progress(job.token, people["dpo"], just_before).expires_at == made_at + dt.timedelta(minutes=15)

    on_the_minute = made_at + dt.timedelta(minutes=15)
    with pytest.raises(jobs.NothingToDownload):
        jobs.download(job.token, people["dpo"], acting(people["dpo"], on_the_minute))
    stored = job_of(job.token)
    assert (stored.status, stored.result) == ("expired", None)
    assert audited("subject access response downloaded") == []


def test_the_sweep_gives_up_on_jobs_left_unfinished_and_removes_rows_a_day_old(app, held, people):
    started = london(DAY)
    waiting = jobs.enqueue_annual_report(None, acting(people["manager"], started))
    done = jobs.enqueue_annual_report(None, acting(people["manager"], started))
    jobs.run(done.token)
    jobs.download(done.token, people["manager"], acting(people["manager"]))

    jobs.sweep(started + dt.timedelta(minutes=59))
    assert job_of(waiting.token).status == "queued"
    jobs.sweep(started + dt.timedelta(hours=1))
    given_up = job_of(waiting.token)
    assert (given_up.status, given_up.message) == ("failed", jobs.GAVE_UP_MESSAGE)
    assert jobs.run(waiting.token) is None, "a job given up is not made after all"

    jobs.sweep(started + dt.timedelta(days=1))
    db.session.expire_all()
    assert db.session.scalars(select(Job)).all() == []


def test_a_failure_is_recorded_in_plain_words_and_logs_no_personal_data(app, held, people, monkeypatch, caplog):
    request = releasable_sar(app, people["dpo"])
    job = jobs.enqueue_response(request, False, acting(people["dpo"]))

    def broken(document):
        raise ValueError(document.subject_name)

    monkeypatch.setattr(subject_access, "render_pdf", broken)
    with caplog.at_level("ERROR"):
        assert jobs.run(job.token) is None
    stored = job_of(job.token)
    assert (stored.status, stored.message, stored.result) == ("failed", jobs.FAILED_MESSAGE, None)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "ValueError" in logged and "broken" in logged
    assert "Siân" not in logged
    assert audited("subject access response failed") == [jobs.FAILED_MESSAGE]
    assert jobs.progress(job.token, people["dpo"], london(DAY)).message == jobs.FAILED_MESSAGE


def test_a_request_closed_while_its_job_waited_is_not_drawn(app, held, people):
    request = releasable_sar(app, people["dpo"])
    job = jobs.enqueue_response(request, False, acting(people["dpo"]))
    requests.close(request, Closure("records_sent", DAY, "Sent by post."), acting(people["dpo"]), DAY)
    jobs.run(job.token)
    stored = job_of(job.token)
    assert stored.status == "failed" and stored.message == "The response cannot be made yet: the request is closed"


def test_the_annual_report_is_a_job_too_and_a_year_not_offered_is_refused(app, held, people):
    manager = people["manager"]
    with pytest.raises(statistics.NotOffered):
        jobs.enqueue_annual_report("1999-00", acting(manager))
    job = jobs.enqueue_annual_report(None, acting(manager))
    jobs.run(job.token)
    made = jobs.download(job.token, manager, acting(manager))
    assert made.filename == "sps-annual-report-2026-27.pdf" and made.content.startswith(b"%PDF-")
    assert "SEND Partnership Service statistics 2026-27" in pdf_text(made.content)
    assert [audited(f"annual report {step}") for step in ("requested", "ready", "downloaded")] == [["2026-27"]] * 3


def test_a_job_the_queue_cannot_take_fails_at_once_with_a_plain_message(app, held, people, monkeypatch):
    # Nothing listens on port 1: Redis "down".
    monkeypatch.setitem(app.extensions, "portal_jobs", RQRunner(Redis(port=1, socket_connect_timeout=1)))
    job = jobs.enqueue_annual_report(None, acting(people["manager"]))
    stored = job_of(job.token)
    assert (stored.status, stored.message) == ("failed", jobs.QUEUE_DOWN_MESSAGE)


@pytest.fixture
def signal_handlers_kept() -> Iterator[None]:
    """An RQ worker installs its own SIGINT and SIGTERM handlers; put pytest's back."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


def test_on_rq_a_worker_makes_the_file_and_the_scheduler_is_asked_to_sweep_at_its_expiry(
    app, held, people, monkeypatch, signal_handlers_kept
):
    connection = fakeredis.FakeRedis()
    runner = RQRunner(connection)
    monkeypatch.setitem(app.extensions, "portal_jobs", runner)
    request = releasable_sar(app, people["dpo"])
    job = jobs.enqueue_response(request, False, acting(people["dpo"]))
    assert runner.queue.count == 1 and job_of(job.token).status == "queued"

    SimpleWorker([runner.queue], connection=connection).work(burst=True)
    stored = job_of(job.token)
    assert stored.status == "ready" and keyring().decrypt_bytes(stored.result).startswith(b"%PDF-")
    [sweep_id] = runner.queue.scheduled_job_registry.get_job_ids()
    scheduled = runner.queue.scheduled_job_registry.get_scheduled_time(sweep_id)
    assert scheduled == as_utc(stored.expires_at), "swept when its 15 minutes are up"


def test_the_in_process_thread_runs_a_job_to_ready(app, held, people):
    runner = ThreadRunner(app)
    job = jobs.enqueue_annual_report(None, acting(people["manager"]))
    db.session.remove()
    runner.submit(job.token)
    deadline = time.monotonic() + 60
    while job_of(job.token).status in jobs.IN_PROGRESS:
        assert time.monotonic() < deadline, "the thread did not finish the job"
        threading.Event().wait(0.05)
    assert job_of(job.token).status == "ready"
    assert runner._thread is not None and runner._thread.daemon


def test_daily_deletes_files_left_past_their_15_minutes(app, held, people, time_machine):
    job = jobs.enqueue_annual_report(None, acting(people["manager"]))
    jobs.run(job.token)
    db.session.remove()
    time_machine.move_to(london(DAY + dt.timedelta(days=1), 2), tick=False)
    result = app.test_cli_runner().invoke(args=["daily"])
    assert "Jobs: " in result.stdout
    stored = job_of(job.token)
    assert (stored.status, stored.result) == ("expired", None)


def test_jobs_url_is_empty_or_redis_and_anything_else_is_refused_in_one_line():
    assert load_config({"PORTAL_ENV": "test"})["JOBS_URL"] == ""
    assert load_config({"PORTAL_ENV": "test", "JOBS_URL": "rediss://:secret@jobs.example:6380/2"})["JOBS_URL"]
    with pytest.raises(ConfigError) as refused:
        load_config({"PORTAL_ENV": "test", "JOBS_URL": "amqp://user:secret@broker"})
    assert "secret" not in str(refused.value) and "\n" not in str(refused.value)


def test_the_worker_command_says_what_to_set_when_jobs_run_in_process(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "JOBS_URL is not set" in result.output


def test_every_status_the_table_allows_has_its_label_and_its_heading():
    assert set(jobs.STATUS_LABELS) == set(jobs.STATUS_HEADINGS) == set(JOB_STATUSES)
