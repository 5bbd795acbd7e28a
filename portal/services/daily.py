"""What the service needs done once a day (``flask --app wsgi daily``, run by cron or a systemd timer).

The steps run in order: lapse the referrals nobody took up, destroy what is due, delete finished
PDFs past their 15 minutes, send reminders, verify the audit chain. A step that finishes is
remembered for the day, so a second run the same day (a retried timer, a person running it by hand)
does nothing new; a step that fails is not
remembered, so the next run tries it again, and the others still run: a failed e-mail relay must
not stop records being destroyed on time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models.retention import DailyStep
from portal.services import audit, jobs, reminders, retention
from portal.services.audit import Actor
from portal.services.deadlines import plural
from portal.services.mail import Mailer

log = logging.getLogger(__name__)

# Who the destruction log and the audit log say ran the steps.
RAN_BY = "daily"


class StepFailed(Exception):
    """A step could not do its work; the message says what and what to do."""


@dataclass(frozen=True)
class StepResult:
    step: str
    ok: bool
    line: str


@dataclass(frozen=True)
class Context:
    actor: Actor
    config: dict[str, Any]
    mailer: Mailer


def _lapse(context: Context) -> str:
    lapsed = retention.lapse_stale_referrals(context.actor, context.config["REFERRAL_LAPSE_DAYS"])
    return f"Lapse: {plural(lapsed, 'referral')} new for {context.config['REFERRAL_LAPSE_DAYS']} days closed as lapsed."


def _purge(context: Context) -> str:
    if context.config["RETENTION_PURGE"] == "off":
        return "Purge: off (RETENTION_PURGE=off); run flask --app wsgi retention purge by hand."
    report = retention.purge(context.actor, retention.periods_from(context.config), RAN_BY)
    removal = audit.remove_expired(
        context.actor.today, context.config["AUDIT_RETENTION_YEARS"], context.actor, dry_run=False
    )
    freeze = "".join(f"; freeze {year} first" for year in sorted(report.years_to_freeze))
    removed = plural(removal.removed, "audit entry", "audit entries")
    return f"Purge: {report.summary()}; {removed} past their period removed{freeze}."


def _sweep_jobs(context: Context) -> str:
    # Files are normally deleted at their 15 minutes by the runners; this catches any a stopped
    # runner left, and removes the day-old rows.
    return jobs.sweep(context.actor.at).describe()


def _remind(context: Context) -> str:
    summary = reminders.send_due(context.actor.today, context.actor, context.mailer, context.config["PORTAL_URL"])
    return summary.describe()


def _verify(context: Context) -> str:
    verdict = audit.verify()
    if not verdict.whole:
        raise StepFailed(f"audit chain broken at entry {verdict.first_bad_sequence}: {verdict.reason}")
    return f"Audit chain: whole, {verdict.checked} entries verified."


STEPS: dict[str, Callable[[Context], str]] = {
    "lapse": _lapse,
    "purge": _purge,
    "jobs": _sweep_jobs,
    "reminders": _remind,
    "verify": _verify,
}


def run(context: Context) -> list[StepResult]:
    """Run each step not yet done today; one result, with its summary line, per step."""
    today = context.actor.today
    done = dict(db.session.execute(select(DailyStep.step, DailyStep.summary).where(DailyStep.ran_on == today)).all())
    results = []
    for step, work in STEPS.items():
        if step in done:
            results.append(StepResult(step, True, f"{done[step]} (done earlier today)"))
            continue
        try:
            line = work(context)
        except Exception as failure:
            db.session.rollback()
            log.exception("daily step %s failed", step)
            results.append(StepResult(step, False, f"{step.capitalize()}: FAILED: {failure}"))
            continue
        try:
            db.session.add(DailyStep(ran_on=today, step=step, finished_at=context.actor.at, summary=line[:200]))
            db.session.commit()
        except IntegrityError:
            # Another run finished the same step at the same time: its work and ours are the same.
            db.session.rollback()
        results.append(StepResult(step, True, line))
    return results
