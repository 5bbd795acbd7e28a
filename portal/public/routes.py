"""Public pages, the two referral journeys and the three information request journeys: form,
check your answers, confirmation.

Answers live only in the pages until the person sends them: the check page carries them sealed
(``portal.services.sealing``), so an abandoned form leaves nothing on the server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from portal.extensions import limiter
from portal.models.requests import InformationRequest
from portal.public.forms import (
    HONEYPOT,
    ComplaintForm,
    FeedbackForm,
    FoiRequestForm,
    ProfessionalReferralForm,
    PublicForm,
    RequestForm,
    SelfReferralForm,
    SubjectAccessForm,
    SummarySection,
    complaint_summary,
    foi_summary,
    professional_summary,
    self_referral_summary,
    subject_access_summary,
)
from portal.rendering import blank_form_page
from portal.request_time import request_now, request_today
from portal.services import feedback, referrals
from portal.services import requests as information_requests
from portal.services.consent import (
    ConsentMissing,
    IncompleteAttestation,
    PrivacyNoticeChanged,
    current_privacy_notice,
)
from portal.services.feedback import FeedbackLinkUnusable
from portal.services.mail import Mailer, masked_address
from portal.services.referrals import PrivacyAgreement, UnreachableFamily
from portal.services.requests import DeclarationMissing, RequestRefused
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
    acknowledged_at: Callable[[Any], str | None]  # the e-mail address the reference goes to


SELF = Journey(
    name="self",
    title="Refer yourself or your child",
    form_class=SelfReferralForm,
    form_template="public/refer_self.html",
    summary=self_referral_summary,
    submit=referrals.submit_self_referral,
    agreement_label="I have read the privacy notice and I agree to the SEND Partnership Service keeping "
    "these details to support us",
    acknowledged_at=lambda answers: answers.contact.email,
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
    acknowledged_at=lambda answers: answers.referrer.email,
)
JOURNEYS = {journey.name: journey for journey in (SELF, PROFESSIONAL)}


@dataclass(frozen=True)
class RequestJourney:
    name: str  # as in the URL
    kind: str  # as the requests service names it
    title: str
    noun: str
    form_class: type[RequestForm]
    form_template: str
    confirmation_template: str
    summary: Callable[[Any], list[SummarySection]]
    submit: Callable[[Any, bool, str, Mailer, dt.datetime], InformationRequest]
    declaration: str | None = None


RECORDS = RequestJourney(
    name="records",
    kind="sar",
    title="Ask for a copy of your records",
    noun="request",
    form_class=SubjectAccessForm,
    form_template="public/request_records.html",
    confirmation_template="public/request_records_sent.html",
    summary=subject_access_summary,
    submit=information_requests.submit_subject_access,
    declaration="I confirm the information I have given is correct and that I am the person the records are about, "
    "or I am entitled to ask for them",
)
# Only a subject access request carries a declaration; the others have nothing to declare.
FOI = RequestJourney(
    name="foi",
    kind="foi",
    title="Make a Freedom of Information request",
    noun="request",
    form_class=FoiRequestForm,
    form_template="public/request_foi.html",
    confirmation_template="public/request_foi_sent.html",
    summary=foi_summary,
    submit=lambda answers, declared, key, mailer, now: information_requests.submit_foi(answers, key, mailer, now),
)
COMPLAINT = RequestJourney(
    name="complaint",
    kind="complaint",
    title="Complain about how we handled your personal data",
    noun="complaint",
    form_class=ComplaintForm,
    form_template="public/request_complaint.html",
    confirmation_template="public/request_complaint_sent.html",
    summary=complaint_summary,
    submit=lambda answers, declared, key, mailer, now: information_requests.submit_complaint(answers, key, mailer, now),
)
REQUEST_JOURNEYS = {journey.name: journey for journey in (RECORDS, FOI, COMPLAINT)}


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
    if request.method != "POST":  # GET or HEAD: nothing sent yet
        return _blank_form(journey)
    form = journey.form_class()
    if form.validate():
        return _render_check(journey, form, _seal_answers())
    return _render_form(journey, form)


@bp.post("/refer/<any(self, professional):route>/check")
@form_posts
def check(route: str) -> ResponseReturnValue:
    journey = JOURNEYS[route]
    form, sealed, submission_key = _reopen(journey.form_class)
    if request.form.get("change") or not form.validate():
        return _render_form(journey, form)
    agreement = PrivacyAgreement(
        agreed=request.form.get("privacy_agreed") == "yes",
        version_shown=request.form.get("privacy_version"),
        current_version=current_privacy_notice().version,
    )
    answers = form.answers()
    try:
        referral = journey.submit(
            answers, agreement, submission_key, current_app.extensions["portal_mailer"], request_now()
        )
    except (ConsentMissing, PrivacyNoticeChanged) as refusal:
        return _render_check(journey, form, sealed, agreement_error=str(refusal))
    except (IncompleteAttestation, UnreachableFamily) as refusal:
        form.add_problems(refusal.problems)
        return _render_form(journey, form)
    _keep_confirmation(route, referral.reference, journey.acknowledged_at(answers))
    return redirect(url_for("public.confirmation", route=route))


@bp.get("/refer/<any(self, professional):route>/confirmation")
def confirmation(route: str) -> ResponseReturnValue:
    sent = _show_confirmation(route)
    if sent is None:
        return redirect(url_for("public.start"))
    return render_template("public/confirmation.html", journey=JOURNEYS[route], sent=sent)


@bp.route("/requests/<any(records, foi, complaint):kind>", methods=["GET", "POST"])
@form_posts
def request_form(kind: str) -> ResponseReturnValue:
    journey = REQUEST_JOURNEYS[kind]
    if request.method != "POST":  # GET or HEAD: nothing sent yet
        return _blank_form(journey)
    form = journey.form_class()
    if form.validate():
        return _render_request_check(journey, form, _seal_answers())
    return _render_form(journey, form)


@bp.post("/requests/<any(records, foi, complaint):kind>/check")
@form_posts
def request_check(kind: str) -> ResponseReturnValue:
    journey = REQUEST_JOURNEYS[kind]
    form, sealed, submission_key = _reopen(journey.form_class)
    if request.form.get("change") or not form.validate():
        return _render_form(journey, form)
    declared = request.form.get("declared") == "yes"
    answers = form.answers()
    try:
        sent = journey.submit(answers, declared, submission_key, current_app.extensions["portal_mailer"], request_now())
    except DeclarationMissing as refusal:
        return _render_request_check(journey, form, sealed, declaration_error=str(refusal))
    except RequestRefused as refusal:
        form.add_problems(refusal.problems)
        return _render_form(journey, form)
    _keep_confirmation(kind, sent.reference, answers.requester.email, sent.due_on)
    return redirect(url_for("public.request_confirmation", kind=kind))


@bp.get("/requests/<any(records, foi, complaint):kind>/confirmation")
def request_confirmation(kind: str) -> ResponseReturnValue:
    journey = REQUEST_JOURNEYS[kind]
    sent = _show_confirmation(kind)
    if sent is None or sent.due_on is None:
        return redirect(url_for("public.start"))
    return render_template(journey.confirmation_template, journey=journey, sent=sent)


@bp.route("/feedback/<token>", methods=["GET", "POST"])
@form_posts
def feedback_form(token: str) -> ResponseReturnValue:
    """A family's feedback, opened by the single-use link e-mailed when their case closed. A link
    never sent, used or expired gets the same kind page: the page gives nothing away about a case."""
    form = FeedbackForm()
    if not (form.is_submitted() and form.validate()):
        if not feedback.invitation_open(token, request_now()):
            return _feedback_unavailable()
        return render_template(
            "public/feedback.html",
            form=form,
            questions=feedback.QUESTIONS,
            comment_max=feedback.COMMENT_MAX,
            token=token,
        )
    try:
        feedback.answer(token, form.answers(), request_now(), request_today())
    except FeedbackLinkUnusable:
        return _feedback_unavailable()
    return redirect(url_for("public.feedback_thanks"))


@bp.get("/feedback/thank-you")
def feedback_thanks() -> ResponseReturnValue:
    return render_template("public/feedback_thanks.html")


def _feedback_unavailable() -> ResponseReturnValue:
    return render_template("public/feedback_unavailable.html", valid_days=feedback.VALID_FOR.days), 404


def _seal_answers() -> str:
    answers = [(name, value) for name, value in request.form.items(multi=True) if name not in ("csrf_token", HONEYPOT)]
    return seal(current_app.config["SECRET_KEY"], answers)


def _reopen(form_class: type[PublicForm]) -> tuple[Any, str, str]:
    """The form rebuilt from the check page's sealed answers, the seal itself and its submission key."""
    sealed = request.form.get("sealed", "")
    try:
        answers, submission_key = unseal(current_app.config["SECRET_KEY"], sealed)
    except SealBroken:
        abort(400)
    # The request itself passed CSRFProtect; the sealed answers carry no token of their own.
    return form_class(formdata=MultiDict(answers), meta={"csrf": False}), sealed, submission_key


@dataclass(frozen=True)
class Confirmation:
    reference: str | None  # None once the page has shown it
    sent_to: str | None  # the masked address the reference was e-mailed to, if one was given
    due_on: dt.date | None = None  # an information request's reply date


def _keep_confirmation(journey: str, reference: str, email: str | None, due_on: dt.date | None = None) -> None:
    """What the confirmation page shows, kept in the signed cookie until it is shown. The address
    is masked before it goes in: the cookie outlives the page on a shared computer."""
    session["confirmation"] = {
        "journey": journey,
        "reference": reference,
        "sent_to": masked_address(email) if email else None,
        "due_on": due_on.isoformat() if due_on else None,
    }


def _show_confirmation(journey: str) -> Confirmation | None:
    """The confirmation of what was just sent on ``journey`` (after a subject access request, the
    referral confirmation page must not show the SAR- reference as a referral's). The reference is
    shown once and then dropped from the cookie: the next person at a shared or library computer
    who reloads the page, or comes back to it, must not learn it."""
    kept = session.get("confirmation")  # signed: only _keep_confirmation wrote it
    if not kept or kept.get("journey") != journey:
        return None
    if kept["reference"]:
        session["confirmation"] = kept | {"reference": None}
    due_on = dt.date.fromisoformat(kept["due_on"]) if kept["due_on"] else None
    return Confirmation(kept["reference"], kept["sent_to"], due_on)


def _render_form(journey: Journey | RequestJourney, form: PublicForm) -> str:
    return render_template(journey.form_template, journey=journey, form=form)


def _blank_form(journey: Journey | RequestJourney) -> str:
    """The journey's form page before anything is sent, the same for everyone but its token: drawn
    once per process (``portal.rendering.blank_form_page``)."""
    return blank_form_page(journey.form_template, journey.form_class, journey.name, journey=journey)


def _render_check(journey: Journey, form: PublicForm, sealed: str, agreement_error: str | None = None) -> str:
    return render_template(
        "public/check.html",
        journey=journey,
        sections=journey.summary(form),
        sealed=sealed,
        notice=current_privacy_notice(),
        send_error=agreement_error,
    )


def _render_request_check(
    journey: RequestJourney, form: RequestForm, sealed: str, declaration_error: str | None = None
) -> str:
    return render_template(
        "public/request_check.html",
        journey=journey,
        sections=journey.summary(form),
        sealed=sealed,
        send_error=declaration_error,
    )
