"""Public pages and the two referral journeys: form, check your answers, confirmation.

Answers live only in the pages until the person sends them: the check page carries them sealed
(``portal.services.sealing``), so an abandoned form leaves nothing on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from portal.extensions import limiter
from portal.public.forms import (
    HONEYPOT,
    ProfessionalReferralForm,
    PublicForm,
    SelfReferralForm,
    SummarySection,
    professional_summary,
    self_referral_summary,
)
from portal.services import referrals
from portal.services.consent import (
    ConsentMissing,
    IncompleteAttestation,
    PrivacyNoticeChanged,
    current_privacy_notice,
)
from portal.services.referrals import PrivacyAgreement, UnreachableFamily
from portal.services.sealing import SealBroken, seal, unseal

bp = Blueprint("public", __name__)

# One budget per client across every public form POST: enough for a person correcting mistakes,
# too few for a script filling the queue.
form_posts = limiter.shared_limit(
    lambda: current_app.config["SUBMISSION_RATE_LIMIT"], scope="public-forms", methods=["POST"]
)


@dataclass(frozen=True)
class Journey:
    name: str
    title: str
    form_class: type[PublicForm]
    form_template: str
    summary: Callable[[Any], list[SummarySection]]
    submit: Callable[..., Any]
    agreement_label: str


SELF = Journey(
    name="self",
    title="Refer yourself or your child",
    form_class=SelfReferralForm,
    form_template="public/refer_self.html",
    summary=self_referral_summary,
    submit=referrals.submit_self_referral,
    agreement_label="I have read the privacy notice and I agree to the SEND Partnership Service keeping "
    "these details to support us",
)
PROFESSIONAL = Journey(
    name="professional",
    title="Refer a family as a professional",
    form_class=ProfessionalReferralForm,
    form_template="public/refer_professional.html",
    summary=professional_summary,
    submit=referrals.submit_professional_referral,
    agreement_label="I have read the privacy notice, which says how the service will use my details and "
    "the family's, and I will tell the family where to find it",
)
JOURNEYS = {journey.name: journey for journey in (SELF, PROFESSIONAL)}


@bp.get("/")
def start() -> ResponseReturnValue:
    return render_template("public/start.html")


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    return render_template("public/privacy.html", notice=current_privacy_notice())


@bp.get("/accessibility")
def accessibility() -> ResponseReturnValue:
    return render_template("public/accessibility.html")


@bp.route("/refer/<any(self, professional):route>", methods=["GET", "POST"])
@form_posts
def refer(route: str) -> ResponseReturnValue:
    journey = JOURNEYS[route]
    form = journey.form_class()
    if form.is_submitted() and form.validate():
        answers = [
            (name, value) for name, value in request.form.items(multi=True) if name not in ("csrf_token", HONEYPOT)
        ]
        return _render_check(journey, form, seal(current_app.config["SECRET_KEY"], answers))
    return _render_form(journey, form)


@bp.post("/refer/<any(self, professional):route>/check")
@form_posts
def check(route: str) -> ResponseReturnValue:
    journey = JOURNEYS[route]
    sealed = request.form.get("sealed", "")
    try:
        answers, submission_key = unseal(current_app.config["SECRET_KEY"], sealed)
    except SealBroken:
        abort(400)
    # The request itself passed CSRFProtect; the sealed answers carry no token of their own.
    form = journey.form_class(formdata=MultiDict(answers), meta={"csrf": False})
    if request.form.get("change"):
        return _render_form(journey, form)
    if not form.validate():
        return _render_form(journey, form)
    agreement = PrivacyAgreement(
        agreed=request.form.get("privacy_agreed") == "yes",
        version_shown=request.form.get("privacy_version"),
        current_version=current_privacy_notice().version,
    )
    try:
        referral = journey.submit(form.answers(), agreement, submission_key, current_app.extensions["portal_mailer"])
    except (ConsentMissing, PrivacyNoticeChanged) as refusal:
        return _render_check(journey, form, sealed, agreement_error=str(refusal))
    except (IncompleteAttestation, UnreachableFamily) as refusal:
        form.add_problems(refusal.problems)
        return _render_form(journey, form)
    session["confirmed_reference"] = referral.reference
    return redirect(url_for("public.confirmation", route=route))


@bp.get("/refer/<any(self, professional):route>/confirmation")
def confirmation(route: str) -> ResponseReturnValue:
    reference = session.get("confirmed_reference")
    if not reference:
        return redirect(url_for("public.start"))
    return render_template("public/confirmation.html", journey=JOURNEYS[route], reference=reference)


def _render_form(journey: Journey, form: PublicForm) -> str:
    return render_template(journey.form_template, journey=journey, form=form)


def _render_check(journey: Journey, form: PublicForm, sealed: str, agreement_error: str | None = None) -> str:
    return render_template(
        "public/check.html",
        journey=journey,
        sections=journey.summary(form),
        sealed=sealed,
        notice=current_privacy_notice(),
        agreement_error=agreement_error,
    )
