"""Family feedback at closure (issue 12; IASS Minimum Standards ask services to evaluate with
families).

When a case closes, staff may e-mail the family a single-use link (``send_link``), if the family
gave an address and chose to be contacted by e-mail. The family answers three questions and may
leave a comment (``answer``). The answer is stored with nothing that leads back to the case or the
family: the invitation, the only row that named the case, is deleted in the same transaction; the
answer keeps no token, no case and no date finer than the academic year, and its writing is not
audited (an entry would record the moment and the family's address beside a log that names the
case the link went to). Only counts reach the statistics (``answer_counts``); comments are for
managers only (``comments``), never in a report.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.cases import Case
from portal.models.feedback import (
    HELPFUL_ANSWERS,
    INVOLVED_ANSWERS,
    RECOMMEND_ANSWERS,
    FeedbackAnswer,
    FeedbackInvitation,
)
from portal.models.referrals import Person, Referral
from portal.services import audit
from portal.services.academic_year import AcademicYear
from portal.services.accounts import token_digest, until_text
from portal.services.audit import Actor
from portal.services.clock import as_utc
from portal.services.contact import contact_refusal
from portal.services.mail import Mailer, masked_address

# question code: (the question as the family reads it, {answer code: label}), in page order.
QUESTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "helpful": (
        "How helpful was the support you had from the SEND Partnership Service?",
        dict(
            zip(
                HELPFUL_ANSWERS,
                ("Very helpful", "Quite helpful", "Not very helpful", "Not at all helpful"),
                strict=True,
            )
        ),
    ),
    "involved": (
        "Do you feel more able to take part in decisions about your child’s education, or your own?",
        dict(zip(INVOLVED_ANSWERS, ("Yes", "A little", "No", "Not sure"), strict=True)),
    ),
    "recommend": (
        "Would you recommend the service to other families?",
        dict(zip(RECOMMEND_ANSWERS, ("Yes", "Maybe", "No"), strict=True)),
    ),
}
COMMENT_MAX = 1200
VALID_FOR = dt.timedelta(days=60)
# secrets.token_urlsafe(32) makes 43 characters; anything much longer is not a token of ours.
LONGEST_TOKEN = 64
SUBJECT = "Tell us what you thought of the SEND Partnership Service"
CONTACT_LABELS = {"phone": "telephone", "letter": "letter"}


class FeedbackLinkUnusable(LookupError):
    """No waiting invitation answers to this token: never sent, already used or expired. The
    family is told the same in each case, so a guessed link learns nothing."""


class FeedbackLinkRefused(ValueError):
    """No feedback link can be sent for this case now; the message says why."""


@dataclass(frozen=True)
class FeedbackAnswers:
    helpful: str
    involved: str
    recommend: str
    comment: str | None


@dataclass(frozen=True)
class FeedbackOffer:
    """What a closed case's page says about family feedback: when a link went for this closure,
    or else where one would go, or why none can."""

    sent_at: dt.datetime | None
    address: str | None
    refusal: str | None


@dataclass(frozen=True)
class Comment:
    comment: str
    answers: dict[str, str]  # question code: the label of the answer given


@dataclass(frozen=True)
class YearOfComments:
    year: str
    comments: list[Comment]


def _family_email(referral: Referral) -> str | None:
    """The address the family gave for themselves: the parent or carer's, or, with none named,
    the young person's own. Never the referrer's: a professional is not the family."""
    family: Person | None = referral.person("parent_carer") or referral.person("child")
    return family.email if family is not None else None


def _sent_for_this_closure(case: Case) -> dt.datetime | None:
    """When a feedback link went for the case's current closure. The audit log is the record: the
    invitation itself is deleted once used, and must not be kept only to say it was sent."""
    if case.closed_at is None:
        return None
    sent_at = db.session.scalar(
        select(func.max(AuditEntry.occurred_at)).where(
            AuditEntry.action == "feedback link sent",
            AuditEntry.record_type == "case",
            AuditEntry.record_id == case.id,
        )
    )
    if sent_at is None or as_utc(sent_at) < as_utc(case.closed_at):
        return None
    return as_utc(sent_at)


def offer(case: Case) -> FeedbackOffer | None:
    """What the case page offers about feedback; None while the case is not closed."""
    if case.status != "closed":
        return None
    sent_at = _sent_for_this_closure(case)
    if sent_at is not None:
        return FeedbackOffer(sent_at, None, None)
    referral = case.referral
    address = _family_email(referral)
    if referral.preferred_contact != "email":
        how = CONTACT_LABELS.get(referral.preferred_contact, referral.preferred_contact)
        refusal = f"The family asked to be contacted by {how}, not by email, so no feedback link is sent to them."
    elif not address:
        refusal = "The family gave no email address, so no feedback link can be sent to them."
    else:
        refusal = contact_refusal(referral)
    return FeedbackOffer(None, None if refusal else address, refusal)


def send_link(case: Case, mailer: Mailer, link_for: Callable[[str], str], actor: Actor) -> str:
    """E-mail the family a single-use feedback link for this closure; returns the masked address it
    went to. At most one link per closure: a second is refused, as is a family that did not choose
    e-mail (FeedbackLinkRefused says why)."""
    shown = offer(case)
    if shown is None:
        raise FeedbackLinkRefused("A feedback link can be sent only once the case is closed")
    if shown.sent_at is not None:
        raise FeedbackLinkRefused("A feedback link was already sent to the family for this closure")
    if shown.refusal or not shown.address:
        raise FeedbackLinkRefused(shown.refusal or "No feedback link can be sent to this family")
    token = secrets.token_urlsafe(32)
    expires_at = actor.at + VALID_FOR
    # The mail goes before anything is written, so no lock is held while the relay answers, and a
    # relay that refuses it leaves the offer open to try again.
    if not mailer.send(shown.address, SUBJECT, _invitation_text(link_for(token), expires_at)):
        raise FeedbackLinkRefused("The email could not be sent. Try again later.")
    delete_expired_invitations(actor.at)
    # A link of an earlier closure of the same case (reopened and closed again) gives way to this one.
    db.session.execute(delete(FeedbackInvitation).where(FeedbackInvitation.case_id == case.id))
    db.session.add(
        FeedbackInvitation(token_sha256=token_digest(token), case_id=case.id, sent_at=actor.at, expires_at=expires_at)
    )
    # The case, never the token: whoever reads the log must not be able to answer for the family.
    audit.record(actor, "feedback link sent", "case", case.id, detail=f"until {expires_at.date().isoformat()}")
    try:
        db.session.commit()
    except IntegrityError:
        # A colleague's click sent one at the same moment (one waiting link per case): theirs stands.
        db.session.rollback()
        raise FeedbackLinkRefused("A feedback link was already sent to the family for this closure") from None
    return masked_address(shown.address)


def _invitation_text(link: str, expires_at: dt.datetime) -> str:
    # Nothing of the case: an e-mail may be read by others in the household.
    return (
        "Thank you for working with the SEND Partnership Service.\n\n"
        "We would like to know what you thought of our support. There are three short questions and "
        "space for a comment if you want to leave one. It takes about 2 minutes.\n\n"
        "Your answers are anonymous: we do not keep them with your name, your child's name or our "
        "records about you, and no one can tell which answers are yours.\n\n"
        f"{link}\n\n"
        f"The link works once, until {until_text(expires_at)} (UK time). You do not have to answer."
    )


def _waiting(token: str, now: dt.datetime) -> ColumnElement[bool]:
    """The condition a waiting invitation opened by ``token`` meets."""
    return and_(FeedbackInvitation.token_sha256 == token_digest(token), FeedbackInvitation.expires_at > now)


def invitation_open(token: str, now: dt.datetime) -> bool:
    """Whether this token opens a waiting, unexpired invitation."""
    if not token or len(token) > LONGEST_TOKEN:
        return False
    return db.session.scalar(select(FeedbackInvitation.id).where(_waiting(token, now))) is not None


def answer(token: str, answers: FeedbackAnswers, now: dt.datetime, today: dt.date) -> None:
    """Store the family's answers and spend their link, in one transaction. The delete is the
    check: of two answers sent at once with the same link, only the one that deletes the
    invitation is kept (FeedbackLinkUnusable for the other, and for a used or expired link)."""
    if not token or len(token) > LONGEST_TOKEN:
        raise FeedbackLinkUnusable()
    spent = db.session.execute(delete(FeedbackInvitation).where(_waiting(token, now)))
    if spent.rowcount != 1:
        db.session.rollback()
        raise FeedbackLinkUnusable()
    db.session.add(
        FeedbackAnswer(
            academic_year=AcademicYear.of(today).name,
            helpful=answers.helpful,
            involved=answers.involved,
            recommend=answers.recommend,
            comment=answers.comment or None,
        )
    )
    db.session.commit()


def delete_expired_invitations(now: dt.datetime) -> int:
    """Forget every invitation past its time (the daily job may call this too); how many went.
    Each named a case, so none is kept longer than its link works."""
    gone = db.session.execute(delete(FeedbackInvitation).where(FeedbackInvitation.expires_at <= now)).rowcount
    db.session.commit()
    return gone


def answer_counts(year: AcademicYear) -> dict[str, dict[str, int]]:
    """How many families gave each answer to each question in ``year``, every answer listed (0 when
    none gave it): raw counts, for the statistics to suppress under the small-number rule. One
    GROUP BY over the year's answers; comments are never read."""
    counts = {question: dict.fromkeys(labels, 0) for question, (_, labels) in QUESTIONS.items()}
    rows = db.session.execute(
        select(FeedbackAnswer.helpful, FeedbackAnswer.involved, FeedbackAnswer.recommend, func.count())
        .where(FeedbackAnswer.academic_year == year.name)
        .group_by(FeedbackAnswer.helpful, FeedbackAnswer.involved, FeedbackAnswer.recommend)
    ).all()
    for helpful, involved, recommend, count in rows:
        counts["helpful"][helpful] += count
        counts["involved"][involved] += count
        counts["recommend"][recommend] += count
    return counts


def comments(actor: Actor) -> list[YearOfComments]:
    """Every comment families left, newest year first and newest first within it, each with the
    answers beside it. For managers only; the look is audited, and committed before the comments
    are read (a comment may name someone, however the page asks not to)."""
    audit.record(actor, "feedback comments viewed")
    db.session.commit()
    rows = db.session.scalars(
        select(FeedbackAnswer)
        .where(FeedbackAnswer.comment.is_not(None))
        .order_by(FeedbackAnswer.academic_year.desc(), FeedbackAnswer.id.desc())
    ).all()
    return [
        YearOfComments(
            year,
            [
                Comment(
                    row.comment or "",
                    {question: labels[getattr(row, question)] for question, (_, labels) in QUESTIONS.items()},
                )
                for row in answers_of_year
            ],
        )
        for year, answers_of_year in groupby(rows, key=lambda row: row.academic_year)
    ]
