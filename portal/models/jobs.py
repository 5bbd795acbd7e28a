"""Slow work done off the request (issue 14): a subject access response PDF or the Annual Report,
made by a worker while the person who asked watches a progress page.

The state lives here whichever backend runs the job (a thread in the app process, or RQ workers
on other hosts), so any app host can draw the progress page. The finished file is kept only as a
Fernet token under the portal's keys, and only until it is downloaded or 15 minutes after it was
made, whichever comes first (``portal.services.jobs``); the row itself, without the file, is kept a
day for the progress page and then removed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import EncryptedText
from portal.extensions import db
from portal.models.referrals import _one_of
from portal.models.requests import InformationRequest

# Codes, never labels: the labels (and which capability each kind needs) live in
# portal.services.jobs.
JOB_KINDS = ("sar_response_requester", "sar_response_team", "annual_report")
JOB_STATUSES = ("queued", "running", "ready", "failed", "downloaded", "expired")
JOB_STEPS = ("waiting", "reading", "redacting", "counting", "drawing", "storing", "done")
# secrets.token_urlsafe(32): 43 characters.
TOKEN_LENGTH = 43


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        _one_of("kind", JOB_KINDS),
        _one_of("status", JOB_STATUSES),
        _one_of("step", JOB_STEPS),
        # A response is about a request, the Annual Report about an academic year: one or the other.
        CheckConstraint("(request_id IS NULL) <> (academic_year IS NULL)", name="about_one_thing"),
        # Only a ready job holds a file: downloading, expiring or failing removes it in the same write.
        CheckConstraint("result IS NULL OR status = 'ready'", name="only_ready_holds_a_file"),
        # The sweep's two questions: which files are past their time, and which rows are old.
        Index("ix_jobs_status_expires_at", "status", "expires_at"),
        Index("ix_jobs_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the URL carries: random, so nobody reaches a job by counting; the page also checks that
    # the person asking is the one who made it.
    token: Mapped[str] = mapped_column(String(TOKEN_LENGTH), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    # Destroyed with its request by the retention purge (and by the database, should anything else
    # delete the request).
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_requests.id", ondelete="CASCADE"), index=True
    )
    academic_year: Mapped[str | None] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(16))
    # Why it failed, in words fit for the person who asked: never an exception's text.
    message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The file as a Fernet token (MultiFernet over PORTAL_ENCRYPTION_KEYS), never the plain bytes.
    result: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Names the request by its reference, so it is encrypted like the reference itself.
    filename: Mapped[str | None] = mapped_column(EncryptedText)

    request: Mapped[InformationRequest | None] = relationship()
