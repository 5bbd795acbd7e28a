"""The public forms (referrals and information requests): GOV.UK widgets, server-side checks from
``portal.services``.

Each field cleans what was typed (control characters out, any script in) and checks it with the
shared rules in ``portal.services.validation``; the cross-field rules (how the family can be
reached, a complete consent attestation, whose records are asked for) come from the referral,
consent and requests services, so the forms and the storing code cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

from portal.models.referrals import CONTACT_METHODS
from portal.rendering import CharacterCount, CheckboxInput, DateInput, RadioInput, TextInput
from portal.request_time import request_today
from portal.services import feedback, references, validation
from portal.services.clock import long_date
from portal.services.consent import (
    ATTESTATION_STATEMENT,
    GIVER_LABELS,
    METHOD_LABELS,
    Attestation,
    attestation_problems,
    consent_date,
)
from portal.services.referrals import (
    Child,
    Contact,
    ProfessionalReferral,
    Referrer,
    SelfReferral,
    contact_problems,
    family_contact_problems,
)
from portal.services.requests import (
    ComplaintAnswers,
    FoiAnswers,
    Requester,
    SubjectAccessAnswers,
    reply_problems,
    subject_access_problems,
)
from portal.services.validation import DateParts, InvalidInput

HONEYPOT = "website"
CONTACT_LABELS = {"email": "Email", "phone": "Telephone", "letter": "Letter"}
CONTACT_THROUGH_LABELS = {"parent_carer": "A parent or carer", "young_person": "The young person directly"}


def checked(rule: Callable[[Any], Any], optional: bool = False) -> Callable[[Any, Field], None]:
    """A WTForms validator applying ``rule`` and keeping its cleaned result as the field's data."""

    def validator(form: Any, field: Field) -> None:
        if optional and not validation.clean_text(field.data if isinstance(field.data, str) else ""):
            field.data = None
            raise StopValidation()
        try:
            field.data = rule(field.data)
        except InvalidInput as error:
            raise StopValidation(str(error)) from None

    return validator


def text_rule(what: str, limit: int = validation.SHORT_TEXT_MAX, multiline: bool = False) -> Callable[[Any], str]:
    return lambda value: validation.required_text(value, what, limit, multiline)


class TextField(StringField):
    widget = TextInput()


class LongTextField(TextAreaField):
    widget = CharacterCount()


class ChoiceField(RadioField):
    """Radios whose 'nothing chosen' and 'unknown value' both get the GOV.UK message given."""

    widget = RadioInput()

    def __init__(self, label: str, choices: list[tuple[str, str]], message: str, **kwargs: Any) -> None:
        super().__init__(
            label, choices=[SelectChoice(value, text) for value, text in choices], validate_choice=False, **kwargs
        )
        self.labels = dict(choices)
        self.message = message

    def pre_validate(self, form: Any) -> None:
        if self.data not in self.labels:
            self.data = None
            raise StopValidation(self.message)


class TickField(BooleanField):
    widget = CheckboxInput()


class DateField(Field):
    """A GOV.UK date input: three boxes under one name, read as ``DateParts``."""

    widget = DateInput()

    def __init__(self, label: str, rule: Callable[[DateParts, dt.date], dt.date], **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.rule = rule

    def process_formdata(self, valuelist: list[str]) -> None:
        parts = [validation.clean_text(value) for value in valuelist[:3]]
        parts += [""] * (3 - len(parts))
        self.raw_data = parts
        self.data = DateParts(*parts)

    def _value(self) -> str:
        return ""

    def pre_validate(self, form: Any) -> None:
        parts = self.data if isinstance(self.data, DateParts) else DateParts("", "", "")
        try:
            self.data = self.rule(parts, request_today())
        except InvalidInput as error:
            self.data = None
            raise StopValidation(str(error)) from None


def email_field(about: str) -> TextField:
    return TextField(
        "Email address",
        description=f"We will only use this to contact you about {about}",
        validators=[checked(validation.email_address, optional=True)],
    )


CONTACT_FIELDS = ("email", "phone", "address_line_1", "address_line_2", "address_town", "postcode", "preferred_contact")
CHILD_FIELDS = ("child_name", "child_date_of_birth", "school_or_setting")


class PublicForm(FlaskForm):
    """What both referral forms share: the honeypot and the family's contact details."""

    PAGE_ORDER: tuple[str, ...] = ()

    # Bots fill every field; people never see this one (see the template and application.scss).
    website = StringField("Leave this field empty")

    email = email_field("this referral")
    phone = TextField(
        "Telephone number",
        description="For example, 01632 960 001 or 07700 900 982",
        validators=[checked(validation.uk_phone, optional=True)],
    )
    address_line_1 = TextField(
        "Address line 1", validators=[checked(text_rule("address line 1", validation.ADDRESS_LINE_MAX), optional=True)]
    )
    address_line_2 = TextField(
        "Address line 2 (optional)",
        validators=[checked(text_rule("address line 2", validation.ADDRESS_LINE_MAX), optional=True)],
    )
    address_town = TextField(
        "Town or city", validators=[checked(text_rule("town or city", validation.ADDRESS_LINE_MAX), optional=True)]
    )
    postcode = TextField("Postcode", validators=[checked(validation.uk_postcode, optional=True)])
    preferred_contact = ChoiceField(
        "How would you like us to contact you?",
        choices=[(method, CONTACT_LABELS[method]) for method in CONTACT_METHODS],
        message="Select how you would like us to contact you",
    )

    def validate_website(self, field: Field) -> None:
        if field.data:
            raise ValidationError("Leave the field labelled ‘Leave this field empty’ empty")

    def contact(self) -> Contact:
        lines = [self.address_line_1.data, self.address_line_2.data, self.address_town.data]
        address = "\n".join(line for line in lines if line) or None
        return Contact(
            email=self.email.data,
            # The Freedom of Information form asks for no telephone number (it replies in writing).
            phone=self.phone.data if self.phone is not None else None,
            address=address if self.address_line_1.data and self.address_town.data else None,
            postcode=self.postcode.data,
            preferred=self.preferred_contact.data or "",
        )

    def add_problems(self, problems: dict[str, str]) -> None:
        """Attach errors found by a service rule to the fields that can put them right."""
        for name, message in problems.items():
            field = getattr(self, name)
            if not field.errors:
                field.errors = [message]

    def contact_problems(self) -> dict[str, str]:
        return contact_problems(self.contact())

    def check_contact(self) -> None:
        if self.preferred_contact.data:
            problems = self.contact_problems()
            # The service sees one address; an address with its first line but no town is
            # reported against the town box, where the gap is.
            if "address_line_1" in problems and self.address_line_1.data and not self.address_town.data:
                problems["address_town"] = problems.pop("address_line_1")
            self.add_problems(problems)

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        self.check_cross_field()
        return not self.errors

    def check_cross_field(self) -> None:
        self.check_contact()

    @property
    def errors(self) -> dict[str, list[str]]:  # type: ignore[override]
        # Fresh on every read (WTForms caches them after validate(), hiding problems added later by
        # the service rules), in the order the questions appear on the page.
        names = [*self.PAGE_ORDER, *(name for name in self._fields if name not in self.PAGE_ORDER)]
        return {name: self[name].errors for name in names if self[name].errors}


def _child(form: Any) -> Child:
    return Child(
        full_name=form.child_name.data,
        date_of_birth=form.child_date_of_birth.data,
        school_or_setting=form.school_or_setting.data,
    )


class SelfReferralForm(PublicForm):
    PAGE_ORDER = (HONEYPOT, "completed_by", "parent_carer_name", *CHILD_FIELDS, "needs", *CONTACT_FIELDS)

    completed_by = ChoiceField(
        "Who is filling in this form?",
        choices=[
            ("parent_carer", "I am the parent or carer of the child or young person"),
            ("young_person", "I am the young person this referral is about"),
        ],
        message="Select who is filling in this form",
    )
    parent_carer_name = TextField(
        "Your full name",
        description="If you are the young person, leave this empty: we will use the name you give below",
        validators=[checked(text_rule("your full name", validation.NAME_MAX), optional=True)],
    )
    child_name = TextField(
        "Full name", validators=[checked(text_rule("the child or young person's full name", validation.NAME_MAX))]
    )
    child_date_of_birth = DateField(
        "Date of birth", rule=validation.date_of_birth, description="For example, 27 3 2012"
    )
    school_or_setting = TextField(
        "School, college or other setting",
        description="For example, the name of their school or nursery, or ‘not in education’",
        validators=[checked(text_rule("their school, college or other setting"))],
    )
    needs = LongTextField(
        "What are their needs, and what would you like help with?",
        description="Tell us in your own words. Do not include bank details or passwords.",
        validators=[
            checked(text_rule("their needs and what you would like help with", validation.LONG_TEXT_MAX, True))
        ],
    )

    def check_cross_field(self) -> None:
        super().check_cross_field()
        if (
            self.completed_by.data == "parent_carer"
            and not self.parent_carer_name.data
            and not self.parent_carer_name.errors
        ):
            self.add_problems({"parent_carer_name": "Enter your full name"})

    def answers(self) -> SelfReferral:
        return SelfReferral(
            completed_by=self.completed_by.data,
            parent_carer_name=self.parent_carer_name.data if self.completed_by.data == "parent_carer" else None,
            child=_child(self),
            contact=self.contact(),
            needs=self.needs.data,
        )


class ProfessionalReferralForm(PublicForm):
    PAGE_ORDER = (
        HONEYPOT,
        "referrer_name",
        "referrer_job_title",
        "referrer_organisation",
        "referrer_email",
        "referrer_phone",
        *CHILD_FIELDS,
        "contact_through",
        "parent_carer_name",
        # The way to contact the family is asked first: it decides which details are needed.
        "preferred_contact",
        *(name for name in CONTACT_FIELDS if name != "preferred_contact"),
        "reason",
        "consent_given_by",
        "consent_given_on",
        "consent_method",
        "consent_confirmed",
    )

    referrer_name = TextField("Your full name", validators=[checked(text_rule("your full name", validation.NAME_MAX))])
    referrer_job_title = TextField("Your job title", validators=[checked(text_rule("your job title"))])
    referrer_organisation = TextField(
        "Your organisation", validators=[checked(text_rule("the name of your organisation"))]
    )
    referrer_email = TextField(
        "Your work email address",
        description="We will send the referral's reference to this address",
        validators=[checked(validation.email_address)],
    )
    referrer_phone = TextField("Your work telephone number", validators=[checked(validation.uk_phone)])
    child_name = TextField(
        "Full name", validators=[checked(text_rule("the child or young person's full name", validation.NAME_MAX))]
    )
    child_date_of_birth = DateField(
        "Date of birth", rule=validation.date_of_birth, description="For example, 27 3 2012"
    )
    school_or_setting = TextField(
        "School, college or other setting",
        description="For example, the name of their school or nursery, or ‘not in education’",
        validators=[checked(text_rule("their school, college or other setting"))],
    )
    contact_through = ChoiceField(
        "Should we contact a parent or carer, or the young person directly?",
        choices=list(CONTACT_THROUGH_LABELS.items()),
        message="Select whether we should contact a parent or carer, or the young person directly",
    )
    parent_carer_name = TextField(
        "Parent or carer's full name",
        validators=[checked(text_rule("the parent or carer's full name", validation.NAME_MAX), optional=True)],
    )
    reason = LongTextField(
        "Why are you referring this family, and what support do they need?",
        validators=[checked(text_rule("why you are referring this family", validation.LONG_TEXT_MAX, True))],
    )
    consent_given_by = ChoiceField(
        "Who gave consent?",
        choices=list(GIVER_LABELS.items()),
        message="Select who gave consent",
    )
    consent_given_on = DateField("When did they give consent?", rule=consent_date, description="For example, 3 11 2026")
    consent_method = ChoiceField(
        "How did they give consent?",
        choices=list(METHOD_LABELS.items()),
        message="Select how consent was given",
    )
    consent_confirmed = TickField(ATTESTATION_STATEMENT)

    def attestation(self) -> Attestation:
        return Attestation(
            given_by=self.consent_given_by.data,
            given_on=self.consent_given_on.data,
            method=self.consent_method.data,
            statement_confirmed=bool(self.consent_confirmed.data),
        )

    def family_contact(self) -> str | None:
        """The parent or carer to contact, or None when the service contacts the young person."""
        return self.parent_carer_name.data if self.contact_through.data != "young_person" else None

    def check_cross_field(self) -> None:
        super().check_cross_field()
        attestation = self.attestation()
        self.add_problems(attestation_problems(attestation))
        if self.contact_through.data == "parent_carer" and not (
            self.parent_carer_name.data or self.parent_carer_name.errors
        ):
            self.add_problems({"parent_carer_name": "Enter the parent or carer's full name"})
        if not self.parent_carer_name.errors:
            problems = family_contact_problems(self.family_contact(), attestation)
            if problems and self.contact_through.data == "young_person":
                # The answer to put right is whom to contact, asked on its own page.
                problems = {"contact_through": "A parent or carer gave consent: select that we should contact them"}
            self.add_problems(problems)

    def answers(self) -> ProfessionalReferral:
        return ProfessionalReferral(
            referrer=Referrer(
                full_name=self.referrer_name.data,
                job_title=self.referrer_job_title.data,
                organisation=self.referrer_organisation.data,
                email=self.referrer_email.data,
                phone=self.referrer_phone.data,
            ),
            child=_child(self),
            parent_carer_name=self.family_contact(),
            contact=self.contact(),
            reason=self.reason.data,
            attestation=self.attestation(),
        )


# Information requests: subject access, Freedom of Information and data protection complaints.

REFERENCE_MAX = 20
EARLIEST_BIRTH = dt.date(1900, 1, 1)
ACTING_AS_LABELS = {
    "self": "I am asking for my own records",
    "parent_carer": "I am a parent or carer asking for my child’s records",
    "authorised": "I am acting with the person’s authority, for example as their solicitor or attorney",
}
IDENTITY_CHECK_LABELS = {
    "documents": "I will send copies of documents: photo ID and proof of my address",
    "in_person": "I will show the documents in person",
    "known_to_service": "I am known to the service’s staff",
}
WRITTEN_REPLY_LABELS = {"email": "By email", "letter": "By post"}


def past_date_of_birth(parts: DateParts, today: dt.date) -> dt.date:
    """Anyone's date of birth, not only a child's: a parent may ask for their own records."""
    born = validation.real_date(parts, "date of birth")
    if born > today:
        raise InvalidInput("Date of birth must be in the past")
    # A four-digit year such as 0212 is a real date but a slip of the keyboard.
    if born < EARLIEST_BIRTH:
        raise InvalidInput(f"Date of birth must be the same as or after {long_date(EARLIEST_BIRTH)}")
    return born


def reference_rule(*prefixes: str) -> Callable[[Any], str]:
    """A reference the person quotes, kept in its standard form, if it is one of ``prefixes``."""
    names = f"{', '.join(prefixes[:-1])} or {prefixes[-1]}" if len(prefixes) > 1 else prefixes[0]

    def rule(value: Any) -> str:
        text = validation.limited(validation.clean_text(value), "the reference", REFERENCE_MAX)
        try:
            reference = references.parse(text, default_prefix=prefixes[0])
        except references.InvalidReference as error:
            raise InvalidInput(str(error)) from None
        if reference.prefix not in prefixes:
            raise InvalidInput(f"Enter a reference that starts with {names}, like {prefixes[0]}-7K3Q-9XM2")
        return str(reference)

    return rule


class RequestForm(PublicForm):
    """What the three request forms share: who is asking and how to reply to them."""

    KIND = ""  # the service's name for the kind of request: sar, foi or complaint

    full_name = TextField("Your full name", validators=[checked(text_rule("your full name", validation.NAME_MAX))])
    email = email_field("this request")

    def requester(self) -> Requester:
        contact = self.contact()
        return Requester(
            full_name=self.full_name.data,
            email=contact.email,
            phone=contact.phone,
            address=contact.address,
            postcode=contact.postcode,
            reply_by=contact.preferred,
        )

    def contact_problems(self) -> dict[str, str]:
        return reply_problems(self.requester(), self.KIND)


class SubjectAccessForm(RequestForm):
    KIND = "sar"
    PAGE_ORDER = (
        HONEYPOT,
        "acting_as",
        "authority",
        "subject_name",
        "full_name",
        "subject_other_names",
        "subject_date_of_birth",
        "reference_given",
        "preferred_contact",
        *(name for name in CONTACT_FIELDS if name != "preferred_contact"),
        "wanted",
        "identity_check",
    )

    acting_as = ChoiceField(
        "Who is asking?", choices=list(ACTING_AS_LABELS.items()), message="Select who is asking for the records"
    )
    authority = TextField(
        "How are you entitled to act for them?",
        description="For example, you hold a lasting power of attorney for them, or you are their solicitor.",
        validators=[checked(text_rule("how you are entitled to act for them"), optional=True)],
    )
    subject_name = TextField(
        "Their full name",
        validators=[
            checked(text_rule("the full name of the person whose records you want", validation.NAME_MAX), optional=True)
        ],
    )
    subject_other_names = TextField(
        "Any other names they have been known by (optional)",
        description="For example, a name before marriage or adoption",
        validators=[checked(text_rule("the other names they have been known by"), optional=True)],
    )
    subject_date_of_birth = DateField("Date of birth", rule=past_date_of_birth, description="For example, 27 3 1985")
    reference_given = TextField(
        "Reference number (optional)",
        description="If you have one from us, for example SPS-7K3Q-9XM2 for a referral or SAR-7K3Q-9XM2 for an "
        "earlier request for records",
        validators=[checked(reference_rule("SPS", "SAR"), optional=True)],
    )
    wanted = LongTextField(
        "What information do you want?",
        description="For example, everything you hold about me, or your notes from a meeting in March 2026",
        validators=[checked(text_rule("the information you want", validation.LONG_TEXT_MAX, True))],
    )
    preferred_contact = ChoiceField(
        "How would you like to receive the copy?",
        choices=list(WRITTEN_REPLY_LABELS.items()),
        message="Select how you would like to receive the copy",
    )
    identity_check = ChoiceField(
        "How can we check your identity?",
        description="We must be sure who you are before we send any records. If you are asking for someone else, "
        "we will also ask for proof that you can act for them.",
        choices=list(IDENTITY_CHECK_LABELS.items()),
        message="Select how we can check your identity",
    )

    def check_cross_field(self) -> None:
        super().check_cross_field()
        self.add_problems(subject_access_problems(self.answers()))

    def answers(self) -> SubjectAccessAnswers:
        acting_as = self.acting_as.data
        return SubjectAccessAnswers(
            acting_as=acting_as,
            requester=self.requester(),
            authority=self.authority.data if acting_as == "authorised" else None,
            subject_name=self.subject_name.data if acting_as != "self" else None,
            subject_other_names=self.subject_other_names.data,
            subject_date_of_birth=self.subject_date_of_birth.data,
            reference_given=self.reference_given.data,
            wanted=self.wanted.data,
            identity_check=self.identity_check.data,
        )


class FoiRequestForm(RequestForm):
    KIND = "foi"
    PAGE_ORDER = (
        HONEYPOT,
        "wanted",
        "full_name",
        *(name for name in CONTACT_FIELDS if name != "phone"),
    )

    # The reply is in writing, so a telephone number would be kept for nothing.
    phone = None  # type: ignore[assignment]
    wanted = LongTextField(
        "What information do you want?",
        description="Describe the information as clearly as you can. We do not release anyone’s personal "
        "information under the Freedom of Information Act.",
        validators=[checked(text_rule("the information you want", validation.LONG_TEXT_MAX, True))],
    )
    preferred_contact = ChoiceField(
        "How would you like us to reply?",
        choices=list(WRITTEN_REPLY_LABELS.items()),
        message="Select how you would like us to reply",
    )

    def answers(self) -> FoiAnswers:
        return FoiAnswers(requester=self.requester(), request=self.wanted.data)


class ComplaintForm(RequestForm):
    KIND = "complaint"
    PAGE_ORDER = (HONEYPOT, "full_name", *CONTACT_FIELDS, "reference_given", "complaint", "remedy_wanted")

    reference_given = TextField(
        "Reference number (optional)",
        description="If your complaint is about a referral or a request you made, give its reference, for example "
        "SPS-7K3Q-9XM2",
        validators=[checked(reference_rule(*references.PREFIXES), optional=True)],
    )
    complaint = LongTextField(
        "What went wrong with how we handled your personal data?",
        description="Tell us what happened and when, in your own words",
        validators=[checked(text_rule("what went wrong", validation.LONG_TEXT_MAX, True))],
    )
    remedy_wanted = LongTextField(
        "What would put it right? (optional)",
        validators=[checked(text_rule("what would put it right", validation.LONG_TEXT_MAX, True), optional=True)],
    )

    def answers(self) -> ComplaintAnswers:
        return ComplaintAnswers(
            requester=self.requester(),
            complaint=self.complaint.data,
            remedy_wanted=self.remedy_wanted.data,
            reference_given=self.reference_given.data,
        )


class FeedbackForm(FlaskForm):
    """A family's feedback at closure: three questions (``feedback.QUESTIONS``) and a comment."""

    helpful = ChoiceField(
        feedback.QUESTIONS["helpful"][0],
        choices=list(feedback.QUESTIONS["helpful"][1].items()),
        message="Select how helpful the support was",
    )
    involved = ChoiceField(
        feedback.QUESTIONS["involved"][0],
        choices=list(feedback.QUESTIONS["involved"][1].items()),
        message="Select whether you feel more able to take part in decisions",
    )
    recommend = ChoiceField(
        feedback.QUESTIONS["recommend"][0],
        choices=list(feedback.QUESTIONS["recommend"][1].items()),
        message="Select whether you would recommend the service",
    )
    comment = LongTextField(
        "Is there anything else you would like to tell us? (optional)",
        description="For example, what went well or what we could do better. Please do not include any names, "
        "yours or anyone else’s.",
        validators=[checked(text_rule("your comment", feedback.COMMENT_MAX, True), optional=True)],
    )

    def answers(self) -> feedback.FeedbackAnswers:
        return feedback.FeedbackAnswers(
            helpful=self.helpful.data,
            involved=self.involved.data,
            recommend=self.recommend.data,
            comment=self.comment.data,
        )


@dataclass(frozen=True)
class SummaryRow:
    key: str
    value: str
    field: str  # the id of the box a "Change" button returns to


@dataclass(frozen=True)
class SummarySection:
    title: str
    rows: list[SummaryRow]


def _contact_rows(form: PublicForm, how: str, method_first: bool = False) -> list[SummaryRow]:
    """The contact details, with the way chosen last, or first where the question pages ask it first."""
    contact = form.contact()
    address = "\n".join(part for part in (contact.address, contact.postcode) if part)
    rows = [SummaryRow("Email address", contact.email or "Not given", "email")]
    if form.phone is not None:
        rows.append(SummaryRow("Telephone number", contact.phone or "Not given", "phone"))
    rows.append(SummaryRow("Address", address or "Not given", "address_line_1"))
    method = SummaryRow(how, form.preferred_contact.labels.get(contact.preferred, ""), "preferred_contact")
    return [method, *rows] if method_first else [*rows, method]


def _child_rows(form: Any) -> list[SummaryRow]:
    return [
        SummaryRow("Full name", form.child_name.data, "child_name"),
        SummaryRow("Date of birth", long_date(form.child_date_of_birth.data), "child_date_of_birth-day"),
        SummaryRow("School, college or setting", form.school_or_setting.data, "school_or_setting"),
    ]


def self_referral_summary(form: SelfReferralForm) -> list[SummarySection]:
    who = form.completed_by.labels[form.completed_by.data]
    about_you = [SummaryRow("Who is filling in this form", who, "completed_by")]
    if form.completed_by.data == "parent_carer":
        about_you.append(SummaryRow("Your full name", form.parent_carer_name.data, "parent_carer_name"))
    return [
        SummarySection("About you", about_you),
        SummarySection("The child or young person", _child_rows(form)),
        SummarySection("Their needs", [SummaryRow("Needs and help wanted", form.needs.data, "needs")]),
        SummarySection("Contact details", _contact_rows(form, "How to contact you")),
    ]


def professional_summary(form: ProfessionalReferralForm) -> list[SummarySection]:
    return [
        SummarySection(
            "About you",
            [
                SummaryRow("Your full name", form.referrer_name.data, "referrer_name"),
                SummaryRow("Job title", form.referrer_job_title.data, "referrer_job_title"),
                SummaryRow("Organisation", form.referrer_organisation.data, "referrer_organisation"),
                SummaryRow("Work email address", form.referrer_email.data, "referrer_email"),
                SummaryRow("Work telephone number", form.referrer_phone.data, "referrer_phone"),
            ],
        ),
        SummarySection("The child or young person", _child_rows(form)),
        SummarySection(
            "The family",
            [
                SummaryRow("Who to contact", CONTACT_THROUGH_LABELS[form.contact_through.data], "contact_through"),
                *(
                    [SummaryRow("Parent or carer", form.parent_carer_name.data, "parent_carer_name")]
                    if form.family_contact()
                    else []
                ),
                *_contact_rows(form, "How to contact the family", method_first=True),
            ],
        ),
        SummarySection("Reason for referral", [SummaryRow("Reason and support needed", form.reason.data, "reason")]),
        SummarySection(
            "Consent",
            [
                SummaryRow("Who gave consent", GIVER_LABELS[form.consent_given_by.data], "consent_given_by"),
                SummaryRow("When", long_date(form.consent_given_on.data), "consent_given_on-day"),
                SummaryRow("How", METHOD_LABELS[form.consent_method.data], "consent_method"),
                SummaryRow("You confirmed", ATTESTATION_STATEMENT, "consent_confirmed"),
            ],
        ),
    ]


def subject_access_summary(form: SubjectAccessForm) -> list[SummarySection]:
    acting_as = form.acting_as.data
    about_you = [SummaryRow("Who is asking", ACTING_AS_LABELS[acting_as], "acting_as")]
    if acting_as == "authorised":
        about_you.append(SummaryRow("How you are entitled to act", form.authority.data, "authority"))
    about_you.append(SummaryRow("Your full name", form.full_name.data, "full_name"))
    subject = [SummaryRow("Their full name", form.subject_name.data, "subject_name")] if acting_as != "self" else []
    subject += [
        SummaryRow("Other names", form.subject_other_names.data or "None given", "subject_other_names"),
        SummaryRow("Date of birth", long_date(form.subject_date_of_birth.data), "subject_date_of_birth-day"),
        SummaryRow("Reference number", form.reference_given.data or "None given", "reference_given"),
    ]
    return [
        SummarySection("About you", about_you),
        SummarySection("Your records" if acting_as == "self" else "The person whose records you want", subject),
        SummarySection("What you want", [SummaryRow("Information wanted", form.wanted.data, "wanted")]),
        SummarySection("Contact details", _contact_rows(form, "How to receive the copy", method_first=True)),
        SummarySection(
            "Checking your identity",
            [SummaryRow("How we can check", IDENTITY_CHECK_LABELS[form.identity_check.data], "identity_check")],
        ),
    ]


def foi_summary(form: FoiRequestForm) -> list[SummarySection]:
    return [
        SummarySection("Your request", [SummaryRow("Information wanted", form.wanted.data, "wanted")]),
        SummarySection(
            "About you",
            [SummaryRow("Your full name", form.full_name.data, "full_name"), *_contact_rows(form, "How to reply")],
        ),
    ]


def complaint_summary(form: ComplaintForm) -> list[SummarySection]:
    return [
        SummarySection(
            "About you",
            [
                SummaryRow("Your full name", form.full_name.data, "full_name"),
                *_contact_rows(form, "How to contact you"),
            ],
        ),
        SummarySection(
            "Your complaint",
            [
                SummaryRow("Reference number", form.reference_given.data or "None given", "reference_given"),
                SummaryRow("What went wrong", form.complaint.data, "complaint"),
                SummaryRow("What would put it right", form.remedy_wanted.data or "Not given", "remedy_wanted"),
            ],
        ),
    ]
