"""Family feedback at closure (issue 12): the invitation sent when a case closes, and the answer,
kept apart so that an answer can never be tied back to the case or the family.

An invitation names its case only while it waits: it is deleted when the family answers or when it
expires. The answer holds the three choices, the optional comment and the academic year it was
given in, nothing else: no case, no token, no date finer than the year.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.crypto import EncryptedText
from portal.extensions import db
from portal.models.referrals import _one_of

HELPFUL_ANSWERS = ("very", "quite", "not_very", "not_at_all")
INVOLVED_ANSWERS = ("yes", "a_little", "no", "not_sure")
RECOMMEND_ANSWERS = ("yes", "maybe", "no")


class FeedbackInvitation(db.Model):
    """A single-use feedback link sent to a family when their case closed. Only the token's SHA-256
    digest is kept: the token is 256 random bits, so the digest cannot be reversed by guessing."""

    __tablename__ = "feedback_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # One waiting link per case. Deleted with the case: it must not outlive the records it was sent about.
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class FeedbackAnswer(db.Model):
    """One family's answers, anonymous by construction: see the module's docstring. The row's id
    says only in which order answers came, which no other table records."""

    __tablename__ = "feedback_answers"
    __table_args__ = (
        _one_of("helpful", HELPFUL_ANSWERS),
        _one_of("involved", INVOLVED_ANSWERS),
        _one_of("recommend", RECOMMEND_ANSWERS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The academic year's name (2025-26): the finest date an answer keeps.
    academic_year: Mapped[str] = mapped_column(String(7), index=True)
    helpful: Mapped[str] = mapped_column(String(16))
    involved: Mapped[str] = mapped_column(String(16))
    recommend: Mapped[str] = mapped_column(String(16))
    # Free text may hold a name however the page asks for none, so it is encrypted like casework.
    comment: Mapped[str | None] = mapped_column(EncryptedText)
