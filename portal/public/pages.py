"""The question pages of each public journey, in the order they are asked.

A page asks a few questions on one topic (GOV.UK's "question pages" pattern). Each page names the
form fields it asks; the whole journey's form (``portal.public.forms``) still checks everything,
cross-question rules included, before the check page is shown. A page may be asked only for some
answers (``asked``): branching instead of "leave this empty if…" instructions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal.public.forms import CONTACT_FIELDS, HONEYPOT


def _always(form: Any) -> bool:
    return True


@dataclass(frozen=True)
class QuestionPage:
    slug: str  # after the journey's URL; "" for its first page, which has the journey's own URL
    title: str
    template: str
    fields: tuple[str, ...]  # the questions it asks: its answers replace those kept for them
    asked: Callable[[Any], bool] = field(default=_always)  # from the answers so far

    @property
    def validated(self) -> tuple[str, ...]:
        # Every page carries the honeypot, so a bot is stopped on the page it fills in.
        return (HONEYPOT, *self.fields)


def asked_pages(pages: tuple[QuestionPage, ...], form: Any) -> list[QuestionPage]:
    return [page for page in pages if page.asked(form)]


def next_page(pages: tuple[QuestionPage, ...], current: QuestionPage, form: Any) -> QuestionPage | None:
    """The page asked after ``current`` given the answers in ``form``; None after the last."""
    later = pages[pages.index(current) + 1 :]
    return next((page for page in later if page.asked(form)), None)


def previous_page(pages: tuple[QuestionPage, ...], current: QuestionPage, form: Any) -> QuestionPage | None:
    earlier = pages[: pages.index(current)]
    return next((page for page in reversed(earlier) if page.asked(form)), None)


def page_of(pages: tuple[QuestionPage, ...], field_name: str, form: Any) -> QuestionPage | None:
    """The asked page holding the question ``field_name`` (a date's box ids end in -day)."""
    name = field_name.removesuffix("-day")
    return next((page for page in asked_pages(pages, form) if name in page.fields), None)


def one_page(template: str, title: str, fields: tuple[str, ...]) -> tuple[QuestionPage, ...]:
    return (QuestionPage("", title, template, fields),)


SELF_REFERRAL_FIELDS = (
    "completed_by",
    "parent_carer_name",
    "child_name",
    "child_date_of_birth",
    "school_or_setting",
    "needs",
    *CONTACT_FIELDS,
)
FOI_FIELDS = ("wanted", "full_name", *(name for name in CONTACT_FIELDS if name != "phone"))
COMPLAINT_FIELDS = ("full_name", *CONTACT_FIELDS, "reference_given", "complaint", "remedy_wanted")

CONTACT_DETAILS = tuple(name for name in CONTACT_FIELDS if name != "preferred_contact")


def _contacting_a_parent(form: Any) -> bool:
    return form.contact_through.data == "parent_carer"


PROFESSIONAL_PAGES = (
    QuestionPage(
        "",
        "About you",
        "public/professional/about_you.html",
        ("referrer_name", "referrer_job_title", "referrer_organisation", "referrer_email", "referrer_phone"),
    ),
    QuestionPage(
        "child",
        "The child or young person",
        "public/professional/child.html",
        ("child_name", "child_date_of_birth", "school_or_setting"),
    ),
    QuestionPage("who-to-contact", "Who to contact", "public/professional/who_to_contact.html", ("contact_through",)),
    QuestionPage(
        "parent-carer",
        "The parent or carer",
        "public/professional/parent_carer.html",
        ("parent_carer_name",),
        asked=_contacting_a_parent,
    ),
    QuestionPage("contact-method", "How to contact the family", "public/contact_method.html", ("preferred_contact",)),
    QuestionPage("contact-details", "The family’s contact details", "public/contact_details.html", CONTACT_DETAILS),
    QuestionPage("reason", "Why you are referring", "public/professional/reason.html", ("reason",)),
    QuestionPage(
        "consent",
        "The family’s consent",
        "public/professional/consent.html",
        ("consent_given_by", "consent_given_on", "consent_method", "consent_confirmed"),
    ),
)


def _acting_for_someone(form: Any) -> bool:
    return form.acting_as.data in ("parent_carer", "authorised")


def _asking_for_own_records(form: Any) -> bool:
    return not _acting_for_someone(form)


def _acting_with_authority(form: Any) -> bool:
    return form.acting_as.data == "authorised"


SUBJECT_DETAILS = ("subject_other_names", "subject_date_of_birth", "reference_given")
SUBJECT_ACCESS_PAGES = (
    QuestionPage("", "Ask for a copy of your records", "public/records/who_is_asking.html", ("acting_as",)),
    QuestionPage(
        "authority",
        "Your authority to act",
        "public/records/authority.html",
        ("authority",),
        asked=_acting_with_authority,
    ),
    QuestionPage(
        "whose-records",
        "Whose records you want",
        "public/records/whose_records.html",
        ("subject_name", *SUBJECT_DETAILS),
        asked=_acting_for_someone,
    ),
    # The person asking for their own records is the person the records are about: their
    # details are asked once, about themselves.
    QuestionPage(
        "about-you",
        "About you",
        "public/records/about_you.html",
        ("full_name", *SUBJECT_DETAILS),
        asked=_asking_for_own_records,
    ),
    QuestionPage("your-name", "About you", "public/records/your_name.html", ("full_name",), asked=_acting_for_someone),
    QuestionPage("reply-method", "How to receive the copy", "public/contact_method.html", ("preferred_contact",)),
    QuestionPage("contact-details", "Your contact details", "public/contact_details.html", CONTACT_DETAILS),
    QuestionPage("records-wanted", "The records you want", "public/records/records_wanted.html", ("wanted",)),
    QuestionPage("identity", "Checking your identity", "public/records/identity.html", ("identity_check",)),
)
