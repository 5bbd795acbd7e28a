"""Referrals made by calling the services, for tests that need one to work on but are not about
the public form that makes it.

The answers are the same dictionaries the form tests post (``tests.journeys``), read by the same
form classes and handed to the same submit functions as the public routes use, so a record made
here is the record the form would have made, without the form page, the check page, the sealing
and the confirmation round trips. Tests of the forms themselves keep posting them
(``journeys.start``/``send``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.models.referrals import Referral
from portal.public.forms import HONEYPOT
from portal.public.routes import JOURNEYS
from portal.request_time import request_now
from portal.services import clock, triage
from portal.services.audit import Actor
from portal.services.consent import current_privacy_notice
from portal.services.referrals import PrivacyAgreement
from tests.journeys import professional_answers, self_referral_answers

REFERRAL_ANSWERS = {"self": self_referral_answers, "professional": professional_answers}


@dataclass(frozen=True)
class Made:
    """A record in the database: enough to find it again (``route`` is the referral's route or
    the request's kind: sar, foi or complaint)."""

    id: int
    reference: str
    route: str


def _form_data(answers: dict[str, object]) -> MultiDict[str, str]:
    """The answers as the browser would post them: a date's three boxes as three values."""
    pairs: list[tuple[str, str]] = []
    for name, value in answers.items():
        if name == HONEYPOT:
            continue
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, str(one)))
    return MultiDict(pairs)


def _read(form_class: type, answers: dict[str, object]) -> Any:
    """The service's answers object, as the route builds it from a valid form."""
    form = form_class(formdata=_form_data(answers), meta={"csrf": False})
    assert form.validate(), f"the factory's answers are not valid: {form.errors}"
    return form.answers()


def submit_referral(app: Flask, route: str = "self", answers: dict[str, object] | None = None) -> Made:
    """A referral sent now by the ``route`` ("self" or "professional") form's answers (by default
    the valid ones in ``tests.journeys``), agreed to the current privacy notice."""
    answers = REFERRAL_ANSWERS[route]() if answers is None else answers
    journey = JOURNEYS[route]
    with app.app_context(), app.test_request_context(f"/refer/{route}/check", method="POST"):
        # As in the route: the request's one moment, which the form's date checks read too.
        now = request_now()
        version = current_privacy_notice().version
        referral: Referral = journey.submit(
            _read(journey.form_class, answers),
            PrivacyAgreement(agreed=True, version_shown=version, current_version=version),
            secrets.token_urlsafe(24),
            app.extensions["portal_mailer"],
            now,
        )
        made = Made(referral.id, str(referral.reference), referral.route)
    return made


def open_case(app: Flask, worker_id: int) -> int:
    """A self-referral accepted by ``worker_id`` (a caseworker or manager), now: the new case's id."""
    submit_referral(app, "self", self_referral_answers())
    with app.app_context():
        referral = db.session.scalars(db.select(Referral).order_by(Referral.id.desc())).first()
        acts = Actor(worker_id, "192.0.2.1", clock.now())
        return triage.accept(referral, acts, acts.today, 6).id
