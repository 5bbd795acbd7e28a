"""Who runs the jobs of ``portal.services.jobs``, chosen by ``JOBS_URL``.

- Empty (the embedded default): ``ThreadRunner``, one daemon thread per app process, started by
  the process's first job, running its jobs one at a time in an app context of its own, and
  sweeping expired files when idle. ``make run`` needs nothing more. A job queued in a process that
  then stops is never run; the sweep marks it failed after an hour and its page says to make it
  again.
- ``redis://…`` or ``rediss://…``: ``RQRunner``, an RQ queue on that Redis shared by every app host,
  worked by one or more ``flask --app wsgi jobs worker`` processes on any host, each an RQ worker
  with its scheduler (which runs the sweep at each file's expiry).

Either way the job's state is in the database, so any app host can draw its progress page.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import logging
import os
import queue
import threading
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker

from portal.config import REDIS_TIMEOUTS
from portal.extensions import db
from portal.services import clock, jobs

log = logging.getLogger(__name__)

QUEUE_NAME = "sps-portal-jobs"
# RQ stops a job that runs longer than this (the longest response measured took 39 s).
JOB_TIMEOUT_SECONDS = 600
# RQ keeps a failed job's record this long for whoever looks at the queue; the portal's own record
# of the failure is the job's row and the audit log.
FAILURE_TTL_SECONDS = 24 * 3600
# The thread sweeps at least this often when idle, and at each file's expiry.
IDLE_SWEEP_SECONDS = 60.0


class ThreadRunner:
    """The in-process worker: a queue of tokens and one daemon thread, started on first use (so a
    process that never makes a PDF never has the thread, and a forked gunicorn worker starts its own)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._tokens: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._expiries: list[dt.datetime] = []  # when each file this thread stored is to be deleted
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def submit(self, token: str) -> None:
        with self._starting:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="portal-jobs", daemon=True)
                self._thread.start()
        self._tokens.put(token)

    def _idle_wait(self) -> float:
        if not self._expiries:
            return IDLE_SWEEP_SECONDS
        until_next = (self._expiries[0] - clock.now()).total_seconds()
        return min(max(until_next, 0.0), IDLE_SWEEP_SECONDS)

    def _work(self) -> None:
        while True:
            try:
                token = self._tokens.get(timeout=self._idle_wait())
            except queue.Empty:
                self._in_context(self._sweep)
                continue
            self._in_context(functools.partial(self._run, token))

    def _run(self, token: str) -> None:
        expires_at = jobs.run(token)
        if expires_at is not None:
            heapq.heappush(self._expiries, clock.as_utc(expires_at))

    def _sweep(self) -> None:
        now = clock.now()
        jobs.sweep(now)
        while self._expiries and self._expiries[0] <= now:
            heapq.heappop(self._expiries)

    def _in_context(self, work: Callable[[], None]) -> None:
        """Run ``work`` in an app context of its own; whatever goes wrong (the database away, say)
        is logged and the thread carries on to the next job."""
        with self.app.app_context():
            try:
                work()
            except Exception as error:
                db.session.rollback()
                log.error("the job thread's work failed: %s", type(error).__name__)
            finally:
                db.session.remove()


class RQRunner:
    """Jobs on an RQ queue in Redis, run by ``flask --app wsgi jobs worker`` processes."""

    def __init__(self, connection: Redis) -> None:
        self.connection = connection
        self.queue = Queue(QUEUE_NAME, connection=connection)

    def submit(self, token: str) -> None:
        try:
            self.queue.enqueue(
                run_from_queue,
                token,
                job_timeout=JOB_TIMEOUT_SECONDS,
                result_ttl=0,
                failure_ttl=FAILURE_TTL_SECONDS,
                description="portal job",
            )
        except RedisError as error:
            log.error("the job queue did not take a job: %s", type(error).__name__)
            raise jobs.QueueUnavailable from None

    def sweep_at(self, moment: dt.datetime) -> None:
        """Have the scheduler sweep when a file's 15 minutes are up, whatever traffic there is."""
        self.queue.enqueue_at(clock.as_utc(moment), sweep_from_queue, result_ttl=0, description="portal job sweep")

    def work(self, burst: bool = False) -> None:
        Worker([self.queue], connection=self.connection).work(burst=burst, with_scheduler=True)


Runner = ThreadRunner | RQRunner


def runner_for(app: Flask) -> Runner:
    """The runner ``JOBS_URL`` chose (the config has checked its scheme)."""
    url = app.config["JOBS_URL"]
    # A page queuing a job waits at most a second for Redis, as the rate limits do (config.py): a
    # Redis that stops answering fails the job at once rather than holding the request. The
    # worker's own long waits for work are unaffected: RQ raises its connection's read timeout
    # above them.
    return RQRunner(Redis.from_url(url, **REDIS_TIMEOUTS)) if url else ThreadRunner(app)


def run_from_queue(token: str) -> None:
    """An RQ job: make the portal job's file, and have the file swept at its expiry."""
    expires_at = jobs.run(token)
    runner = current_app.extensions["portal_jobs"]
    if expires_at is not None and isinstance(runner, RQRunner):
        runner.sweep_at(expires_at)


def sweep_from_queue() -> None:
    jobs.sweep(clock.now())


jobs_commands = AppGroup("jobs", help="Slow work done off the request: response PDFs and the Annual Report.")


@jobs_commands.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty, instead of waiting for more.")
def jobs_worker(burst: bool) -> None:
    """Work the RQ queue named by JOBS_URL (with its scheduler); run one or more, on any host."""
    runner = current_app.extensions["portal_jobs"]
    if not isinstance(runner, RQRunner):
        raise click.ClickException(
            "JOBS_URL is not set, so jobs run inside the portal's own processes; set JOBS_URL=redis://… to use workers."
        )
    # RQ forks a work horse per job: each must open database connections of its own, never use the
    # ones it inherited, which belong to this process.
    os.register_at_fork(after_in_child=lambda: db.engine.dispose(close=False))
    db.engine.dispose()
    runner.work(burst=burst)
