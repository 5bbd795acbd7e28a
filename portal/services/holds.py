"""Manual retention holds (design 8): the data protection team or a manager keeps a record beyond
its destruction date, for a tribunal, a claim, a complaint or a safeguarding review, until a
person lifts the hold.

A hold is placed on a root record: a referral (a hold on a case is stored on its referral, since
the two are destroyed together) or an information request. Placing and lifting are audited with
the reason code only: the note may name people, and it is kept, encrypted, with the hold, which
goes when its record goes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from portal.extensions import db
from portal.models.cases import Case
from portal.models.referrals import Referral
from portal.models.requests import InformationRequest
from portal.models.retention import MANUAL_HOLD_REASONS, RetentionHold
from portal.models.staff import StaffUser
from portal.services import audit
from portal.services.accounts import staff_names
from portal.services.audit import Actor
from portal.services.problems import Refusal
from portal.services.retention import HOLD_REASON_LABELS, Periods, page_open_to
from portal.services.roles import can
from portal.services.validation import clean_text, retention_ends

NOTE_MAX = 2000
LIFT_REASON_MAX = 2000
NO_LONGER_ON_STAFF = "someone no longer on staff"


class HoldRefused(Refusal):
    """The hold cannot be placed or lifted as asked; ``problems`` maps form fields to what to correct."""


@dataclass(frozen=True)
class HoldTarget:
    """The record a hold form is about: its root (what the hold is stored on) and how to name it."""

    record: Referral | InformationRequest
    reference: str
    case_id: int | None  # the case opened from a referral, if any

    @property
    def root_type(self) -> str:
        return "referral" if isinstance(self.record, Referral) else "information_request"

    @property
    def request_kind(self) -> str | None:
        return self.record.kind if isinstance(self.record, InformationRequest) else None


def _case_id_of(referral_id: int) -> int | None:
    return db.session.scalar(select(Case.id).where(Case.referral_id == referral_id))


def target_of_referral(referral_id: int) -> HoldTarget | None:
    """Any referral: those who may hold records hold them whoever works on them."""
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        return None
    return HoldTarget(referral, referral.reference, _case_id_of(referral.id))


def target_of_case(case_id: int) -> HoldTarget | None:
    """A case's hold is stored on its referral: the two are destroyed together."""
    case = db.session.get(Case, case_id)
    if case is None:
        return None
    return HoldTarget(case.referral, case.referral.reference, case.id)


def target_of_request(request_id: int) -> HoldTarget | None:
    request = db.session.get(InformationRequest, request_id)
    if request is None:
        return None
    return HoldTarget(request, request.reference, None)


def target_of_hold(hold: RetentionHold) -> HoldTarget:
    target = target_of_referral(hold.root_id) if hold.root_type == "referral" else target_of_request(hold.root_id)
    assert target is not None  # a hold goes with its record (ON DELETE CASCADE)
    return target


def record_page_open_to(viewer: StaffUser, target: HoldTarget) -> bool:
    """Whether ``viewer`` may open the record's own page (the data protection team holds casework
    it does not read; a manager holds requests of kinds it does not handle)."""
    return page_open_to(viewer, target.root_type, target.request_kind)


def place(
    record: Referral | InformationRequest, reason: str | None, note: str, review_on: dt.date | None, actor: Actor
) -> RetentionHold:
    """Keep ``record`` (and, for a referral, its case) whatever its destruction date, until the hold
    is lifted. The review date makes someone ask again whether the hold is still needed."""
    problems: dict[str, str] = {}
    if reason not in MANUAL_HOLD_REASONS:
        problems["reason"] = "Select why the records must be kept"
    note = clean_text(note, multiline=True)
    if not note:
        problems["note"] = "Enter a note saying what the hold is for"
    elif len(note) > NOTE_MAX:
        problems["note"] = f"The note must be {NOTE_MAX:,} characters or fewer"
    if review_on is None:
        problems["review_on"] = "Enter the date to review the hold by"
    elif review_on <= actor.today:
        problems["review_on"] = "The date to review the hold by must be in the future"
    if problems:
        raise HoldRefused(problems)
    assert reason is not None and review_on is not None  # refused above otherwise
    is_referral = isinstance(record, Referral)
    hold = RetentionHold(
        referral_id=record.id if is_referral else None,
        request_id=None if is_referral else record.id,
        reason=reason,
        note=note,
        review_on=review_on,
        placed_by_id=actor.staff_id,
        placed_at=actor.at,
    )
    db.session.add(hold)
    # The reason code only: the note may name people, and the audit log outlives the record.
    audit.record(
        actor,
        "retention hold placed",
        "referral" if is_referral else "information_request",
        record.id,
        detail=reason,
    )
    db.session.commit()
    return hold


def lift(hold: RetentionHold, reason: str, actor: Actor) -> None:
    """End the hold: the record is destroyed when it falls due, unless something else holds it.
    The hold stays, with who lifted it and why, until its record goes."""
    if hold.lifted_at is not None:
        raise HoldRefused({"lift_reason": "This hold has already been lifted"})
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise HoldRefused({"lift_reason": "Enter why the hold is lifted"})
    if len(reason) > LIFT_REASON_MAX:
        raise HoldRefused({"lift_reason": f"The reason must be {LIFT_REASON_MAX:,} characters or fewer"})
    hold.lifted_at, hold.lifted_by_id, hold.lift_reason = actor.at, actor.staff_id, reason
    audit.record(actor, "retention hold lifted", hold.root_type, hold.root_id, detail=hold.reason)
    db.session.commit()


def _holds_where(*criteria: object) -> list[RetentionHold]:
    """Holds in force first (soonest review first), then lifted ones (last lifted first)."""
    return list(
        db.session.scalars(
            select(RetentionHold)
            .where(*criteria)
            .order_by(
                RetentionHold.lifted_at.is_not(None),
                RetentionHold.lifted_at.desc(),
                RetentionHold.review_on,
                RetentionHold.id,
            )
        )
    )


def on_referral(referral_id: int) -> list[RetentionHold]:
    return _holds_where(RetentionHold.referral_id == referral_id)


def on_request(request_id: int) -> list[RetentionHold]:
    return _holds_where(RetentionHold.request_id == request_id)


def past_review_count(today: dt.date) -> int:
    """Holds in force whose review date has come: someone must decide whether each is still needed."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RetentionHold)
            .where(RetentionHold.lifted_at.is_(None), RetentionHold.review_on <= today)
        )
        or 0
    )


@dataclass(frozen=True)
class ShownHold:
    hold: RetentionHold
    placed_by: str
    lifted_by: str | None
    past_review: bool

    @property
    def reason_label(self) -> str:
        return HOLD_REASON_LABELS[self.hold.reason]


@dataclass(frozen=True)
class RetentionSummary:
    """The "Retention" part of a referral, case or request page."""

    target: HoldTarget
    destroyed_on: dt.date | None  # None while the record is open
    in_force: list[ShownHold]
    lifted: list[ShownHold]


def _shown(found: list[RetentionHold], today: dt.date) -> list[ShownHold]:
    names = staff_names([hold.placed_by_id for hold in found] + [hold.lifted_by_id for hold in found])
    return [
        ShownHold(
            hold,
            names.get(hold.placed_by_id, NO_LONGER_ON_STAFF),
            names.get(hold.lifted_by_id, NO_LONGER_ON_STAFF) if hold.lifted_by_id else None,
            hold.lifted_at is None and hold.review_on <= today,
        )
        for hold in found
    ]


def summary(
    viewer: StaffUser, record: Referral | InformationRequest, periods: Periods, today: dt.date
) -> RetentionSummary | None:
    """The record's destruction date and holds, for those who may read retention; else None."""
    if not can(viewer, "read_retention"):
        return None
    if isinstance(record, Referral):
        target = HoldTarget(record, record.reference, _case_id_of(record.id))
        shown = _shown(on_referral(record.id), today)
        closed_on = record.closed_on
    else:
        target = HoldTarget(record, record.reference, None)
        shown = _shown(on_request(record.id), today)
        closed_on = record.closed_on if record.status == "closed" else None
    return RetentionSummary(
        target=target,
        destroyed_on=retention_ends(closed_on, periods.years_of(target.root_type)),
        in_force=[held for held in shown if held.hold.lifted_at is None],
        lifted=[held for held in shown if held.hold.lifted_at is not None],
    )


@dataclass(frozen=True)
class DescribedHold:
    """One hold with its record, for the page that lifts it."""

    shown: ShownHold
    target: HoldTarget


def describe(hold_id: int, today: dt.date) -> DescribedHold | None:
    hold = db.session.get(RetentionHold, hold_id)
    if hold is None:
        return None
    [shown] = _shown([hold], today)
    return DescribedHold(shown, target_of_hold(hold))
