"""Public pages, the two referral journeys and the three information request journeys: question
pages, check your answers, confirmation.

Every step is post, redirect, get: a question page's answers are posted, kept and followed by a
redirect to the next page or to the check page, which has its own URL, so Back and refresh never
resubmit anything. Until the person sends them, the answers are kept sealed in their browser
(``portal.public.answers``), so an abandoned form leaves nothing on the server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from portal.extensions import limiter
from portal.models.requests import InformationRequest
from portal.public import answers as answers_cookies
from portal.public.forms import (
    HONEYPOT,
    ComplaintForm,
    DateField,
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
from portal.public.pages import (
    COMPLAINT_FIELDS,
    FOI_FIELDS,
    PROFESSIONAL_PAGES,
    SELF_REFERRAL_FIELDS,
    SUBJECT_ACCESS_PAGES,
    QuestionPage,
    asked_pages,
    next_page,
    one_page,
    page_of,
    previous_page,
)
from portal.rendering import blank_form_page
from portal.request_time import request_now, request_today
from portal.services import feedback, referrals, sealing
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
from portal.services.sealing import SealBroken, Sealed, SealExpired

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
    pages: tuple[QuestionPage, ...]  # in the order asked; the first has the journey's own URL
    summary: Callable[[Any], list[SummarySection]]
    submit: Callable[..., Any]
    agreement_label: str
    acknowledged_at: Callable[[Any], str | None]  # the e-mail address the reference goes to


SELF = Journey(
    name="self",
    title="Refer yourself or your child",
    form_class=SelfReferralForm,
    pages=one_page("public/refer_self.html", "Refer yourself or your child", SELF_REFERRAL_FIELDS),
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
    pages=PROFESSIONAL_PAGES,
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
    pages: tuple[QuestionPage, ...]  # in the order asked; the first has the journey's own URL
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
    pages=SUBJECT_ACCESS_PAGES,
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
    pages=one_page("public/request_foi.html", "Make a Freedom of Information request", FOI_FIELDS),
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
    pages=one_page(
        "public/request_complaint.html", "Complain about how we handled your personal data", COMPLAINT_FIELDS
    ),
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


@bp.get("/contact")
def contact() -> ResponseReturnValue:
    return render_template("public/contact.html")


@bp.route("/refer/<any(self, professional):route>", methods=["GET", "POST"])
@form_posts
def refer(route: str) -> ResponseReturnValue:
    journey = JOURNEYS[route]
    return _question_page(journey, journey.pages[0])


@bp.route("/refer/<any(self, professional):route>/<slug>", methods=["GET", "POST"])
@form_posts
def refer_page(route: str, slug: str) -> ResponseReturnValue:
    journey = JOURNEYS[route]
    return _question_page(journey, _page_named(journey, slug))


@bp.get("/refer/<any(self, professional):route>/check")
def check(route: str) -> ResponseReturnValue:
    journey = JOURNEYS[route]
    opened = _open_answers(journey)
    if not isinstance(opened, _Opened):
        return opened
    return _render_check(journey, opened.form)


@bp.post("/refer/<any(self, professional):route>/check")
@form_posts
def send(route: str) -> ResponseReturnValue:
    journey = JOURNEYS[route]
    opened = _open_answers(journey)
    if not isinstance(opened, _Opened):
        return opened
    form = opened.form
    agreement = PrivacyAgreement(
        agreed=request.form.get("privacy_agreed") == "yes",
        version_shown=request.form.get("privacy_version"),
        current_version=current_privacy_notice().version,
    )
    answers = form.answers()
    try:
        referral = journey.submit(
            answers, agreement, opened.sealed.submission_key, current_app.extensions["portal_mailer"], request_now()
        )
    except (ConsentMissing, PrivacyNoticeChanged) as refusal:
        return _render_check(journey, form, agreement_error=str(refusal))
    except (IncompleteAttestation, UnreachableFamily) as refusal:
        return _show_problems(journey, form, refusal.problems)
    _keep_confirmation(route, referral.reference, journey.acknowledged_at(answers))
    return _sent(journey, url_for("public.confirmation", route=route))


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
    return _question_page(journey, journey.pages[0])


@bp.route("/requests/<any(records, foi, complaint):kind>/<slug>", methods=["GET", "POST"])
@form_posts
def request_page(kind: str, slug: str) -> ResponseReturnValue:
    journey = REQUEST_JOURNEYS[kind]
    return _question_page(journey, _page_named(journey, slug))


@bp.get("/requests/<any(records, foi, complaint):kind>/check")
def request_check(kind: str) -> ResponseReturnValue:
    journey = REQUEST_JOURNEYS[kind]
    opened = _open_answers(journey)
    if not isinstance(opened, _Opened):
        return opened
    return _render_request_check(journey, opened.form)


@bp.post("/requests/<any(records, foi, complaint):kind>/check")
@form_posts
def request_send(kind: str) -> ResponseReturnValue:
    journey = REQUEST_JOURNEYS[kind]
    opened = _open_answers(journey)
    if not isinstance(opened, _Opened):
        return opened
    form = opened.form
    declared = request.form.get("declared") == "yes"
    answers = form.answers()
    try:
        sent = journey.submit(
            answers, declared, opened.sealed.submission_key, current_app.extensions["portal_mailer"], request_now()
        )
    except DeclarationMissing as refusal:
        return _render_request_check(journey, form, declaration_error=str(refusal))
    except RequestRefused as refusal:
        return _show_problems(journey, form, refusal.problems)
    _keep_confirmation(kind, sent.reference, answers.requester.email, sent.due_on)
    return _sent(journey, url_for("public.request_confirmation", kind=kind))


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


AnyJourney = Journey | RequestJourney

# Said on the journey's first page when the answers it was asked to use cannot be: none were kept
# (this browser never answered, or sent them already), or they were kept too long.
ANSWERS_GONE = "We could not find your answers. Nothing was sent: please start again."
ANSWERS_EXPIRED = (
    f"Your answers were cleared because {sealing.KEPT_FOR.seconds // 3600} hours passed without them being sent. "
    "Nothing was sent: please start again."
)


@dataclass(frozen=True)
class _Opened:
    sealed: Sealed
    form: Any


def _page_named(journey: AnyJourney, slug: str) -> QuestionPage:
    page = next((page for page in journey.pages if page.slug == slug), None)
    if page is None or not page.slug:
        abort(404)
    return page


def _page_url(journey: AnyJourney, page: QuestionPage, **args: Any) -> str:
    if isinstance(journey, Journey):
        if not page.slug:
            return url_for("public.refer", route=journey.name, **args)
        return url_for("public.refer_page", route=journey.name, slug=page.slug, **args)
    if not page.slug:
        return url_for("public.request_form", kind=journey.name, **args)
    return url_for("public.request_page", kind=journey.name, slug=page.slug, **args)


def _check_url(journey: AnyJourney) -> str:
    if isinstance(journey, Journey):
        return url_for("public.check", route=journey.name)
    return url_for("public.request_check", kind=journey.name)


def _cookie_path(journey: AnyJourney) -> str:
    """Where the journey's answer cookies are sent: its own pages, nowhere else."""
    return _page_url(journey, journey.pages[0])


def _rebuilt(journey: AnyJourney, answers: list[tuple[str, str]]) -> Any:
    # The POST that brought these answers passed CSRFProtect (or this is a GET); the kept answers
    # carry no token of their own.
    return journey.form_class(formdata=MultiDict(answers), meta={"csrf": False})


def _page_form(journey: AnyJourney, page: QuestionPage, answers: list[tuple[str, str]], with_errors: bool) -> Any:
    """The journey's form holding ``answers``; with the problems of this page's questions only, if asked."""
    form = _rebuilt(journey, answers)
    if with_errors:
        form.validate()
        for name, field in form._fields.items():
            if name not in page.validated:
                field.errors = []
    return form


def _first_page_with_problems(journey: AnyJourney, form: Any) -> QuestionPage | None:
    """Every answer checked together (the services' cross-question rules too): the first asked
    page with a problem, or None when all is well."""
    form.validate()
    for page in asked_pages(journey.pages, form):
        if any(form[name].errors for name in page.validated):
            return page
    return None


def _question_page(journey: AnyJourney, page: QuestionPage) -> ResponseReturnValue:
    """A question page: GET shows it (with the answers kept so far), POST checks its answers, keeps
    them sealed in the browser and moves on to the next page asked, or back to the check page."""
    try:
        kept = answers_cookies.read(request, journey.name)
    except SealExpired:
        kept, gone = None, ANSWERS_EXPIRED
    except SealBroken:
        kept, gone = None, ANSWERS_GONE
    else:
        gone = ANSWERS_GONE
    returning = request.args.get("return") == "check"
    if request.method == "POST" and kept is None and page is not journey.pages[0]:
        # A later page's answers alone are no use: the earlier ones went (too old, or never here).
        return _start_again(journey, gone)
    if request.method != "POST":  # GET or HEAD
        if kept is None and not returning and not session.get("_flashes") and page is journey.pages[0]:
            return _blank_form(journey)
        form = _page_form(journey, page, kept.answers if kept else [], with_errors=request.args.get("errors") == "1")
        return _render_page(journey, page, form, returning)
    posted = _posted_answers(journey, page)
    earlier = [(name, value) for name, value in (kept.answers if kept else []) if name not in page.fields]
    form = _page_form(journey, page, [*earlier, *posted, (HONEYPOT, request.form.get(HONEYPOT, ""))], with_errors=True)
    if form.errors:
        return _render_page(journey, page, form, returning)
    sealed = Sealed([*earlier, *posted], kept.submission_key if kept else sealing.new_submission_key())
    if returning:
        # Back to the check page, unless the change opened a question not yet answered (a branch).
        following = _first_page_with_problems(journey, _rebuilt(journey, sealed.answers))
        args = {"return": "check"}
    else:
        following, args = next_page(journey.pages, page, form), {}
    response = redirect(_page_url(journey, following, **args) if following else _check_url(journey), code=303)
    answers_cookies.keep(response, request, journey.name, _cookie_path(journey), sealed)
    return response


def _posted_answers(journey: AnyJourney, page: QuestionPage) -> list[tuple[str, str]]:
    """The page's answers as posted: one value a question, three for a date (day, month, year).
    Nothing else is kept, so what the browser carries is only ever what the questions checked."""
    posted = []
    for name in page.fields:
        values = request.form.getlist(name)
        kept = 3 if issubclass(getattr(journey.form_class, name).field_class, DateField) else 1
        posted += [(name, value) for value in values[:kept]]
    return posted


def _open_answers(journey: AnyJourney) -> _Opened | ResponseReturnValue:
    """The kept answers, checked as a whole, for the check page; or where the person should go
    instead: the page with a problem, the journey's start when nothing usable was kept, or (a
    second press of "send" after the answers went) the confirmation of what was sent."""
    try:
        kept = answers_cookies.read(request, journey.name)
    except SealExpired:
        return _start_again(journey, ANSWERS_EXPIRED)
    except SealBroken:
        return _start_again(journey, ANSWERS_GONE)
    if kept is None:
        sent = session.get("confirmation")
        if sent and sent.get("journey") == journey.name:
            # Sent already (Back to the check page, a double click, or Back then send): the
            # answers went with it; the one record made stands, and the person sees its confirmation.
            return redirect(_confirmation_url(journey))
        return _start_again(journey, ANSWERS_GONE)
    form = _rebuilt(journey, kept.answers)
    problem_page = _first_page_with_problems(journey, form)
    if problem_page is not None:
        return redirect(_page_url(journey, problem_page, errors="1", **{"return": "check"}), code=303)
    return _Opened(kept, form)


def _confirmation_url(journey: AnyJourney) -> str:
    if isinstance(journey, Journey):
        return url_for("public.confirmation", route=journey.name)
    return url_for("public.request_confirmation", kind=journey.name)


def _start_again(journey: AnyJourney, message: str) -> ResponseReturnValue:
    flash(message)
    response = redirect(_page_url(journey, journey.pages[0]), code=303)
    answers_cookies.forget(response, request, journey.name, _cookie_path(journey))
    return response


def _sent(journey: AnyJourney, confirmation_url: str) -> ResponseReturnValue:
    """After sending: the answers leave the browser (the record holds them now)."""
    response = redirect(confirmation_url)
    answers_cookies.forget(response, request, journey.name, _cookie_path(journey))
    return response


def _show_problems(journey: AnyJourney, form: Any, problems: dict[str, str]) -> ResponseReturnValue:
    """A service refused what the form accepted: the page with the first problem, showing them."""
    form.add_problems(problems)
    page = next(
        (page for page in asked_pages(journey.pages, form) if any(name in page.fields for name in problems)),
        journey.pages[0],
    )
    for name, field in form._fields.items():
        if name not in page.validated:
            field.errors = []
    return _render_page(journey, page, form, returning=True)


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


def _render_page(journey: AnyJourney, page: QuestionPage, form: Any, returning: bool) -> str:
    return render_template(page.template, **_page_context(journey, page, form, returning), form=form)


def _page_context(journey: AnyJourney, page: QuestionPage, form: Any, returning: bool) -> dict[str, Any]:
    if returning:
        back_url = _check_url(journey)
    else:
        earlier = previous_page(journey.pages, page, form)
        back_url = _page_url(journey, earlier) if earlier else url_for("public.start")
    return {
        "journey": journey,
        "page": page,
        "action": _page_url(journey, page, **({"return": "check"} if returning else {})),
        "back_url": back_url,
    }


def _blank_form(journey: AnyJourney) -> str:
    """The journey's first page before anything is answered, the same for everyone but its token:
    drawn once per process (``portal.rendering.blank_form_page``)."""
    page = journey.pages[0]
    blank = journey.form_class(formdata=None)
    context = _page_context(journey, page, blank, returning=False)
    return blank_form_page(page.template, journey.form_class, journey.name, **context)


def _change_urls(journey: AnyJourney, form: Any) -> Callable[[str], str]:
    """Where each check page row's Change link goes: the page asking that question, which then
    returns to the check page; the fragment brings the person to the very question."""

    def change_url(field_name: str) -> str:
        page = page_of(journey.pages, field_name, form) or journey.pages[0]
        return _page_url(journey, page, **{"return": "check"}) + "#" + field_name

    return change_url


def _render_check(journey: Journey, form: PublicForm, agreement_error: str | None = None) -> str:
    return render_template(
        "public/check.html",
        journey=journey,
        sections=journey.summary(form),
        change_url=_change_urls(journey, form),
        back_url=_page_url(journey, asked_pages(journey.pages, form)[-1]),
        notice=current_privacy_notice(),
        send_error=agreement_error,
    )


def _render_request_check(journey: RequestJourney, form: RequestForm, declaration_error: str | None = None) -> str:
    return render_template(
        "public/request_check.html",
        journey=journey,
        sections=journey.summary(form),
        change_url=_change_urls(journey, form),
        back_url=_page_url(journey, asked_pages(journey.pages, form)[-1]),
        send_error=declaration_error,
    )
