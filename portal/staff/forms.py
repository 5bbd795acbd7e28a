"""Back-office forms. Server-side checks only; the same GOV.UK widgets as the public forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask import request
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.rendering import PasswordInput, TextInput
from portal.services.listing import PersonSearch
from portal.services.validation import DateParts, InvalidInput, real_date


class SignInForm(FlaskForm):
    email = StringField(
        "Email address", widget=TextInput(), validators=[InputRequired("Enter your email address"), Length(max=254)]
    )
    password = PasswordField(
        "Password", widget=PasswordInput(), validators=[InputRequired("Enter your password"), Length(max=128)]
    )


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        widget=TextInput(),
        description="The 6-digit code your authenticator app shows now, or one of your recovery codes",
        validators=[InputRequired("Enter the code from your authenticator app"), Length(max=32)],
    )


class EnrolForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        widget=TextInput(),
        description="The 6-digit code the app shows once you have added the account",
        validators=[InputRequired("Enter the 6-digit code from your authenticator app"), Length(max=32)],
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        "Current password", widget=PasswordInput(), validators=[InputRequired("Enter your current password")]
    )
    new = PasswordField(
        "New password",
        widget=PasswordInput(),
        description="At least 12 characters. Several unrelated words are easy to remember and hard to guess.",
        validators=[InputRequired("Enter a new password"), Length(max=200)],
    )
    confirm = PasswordField(
        "Confirm new password", widget=PasswordInput(), validators=[InputRequired("Enter the new password again")]
    )

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.new.data:
            raise ValidationError("The passwords do not match")


class CurrentPasswordForm(FlaskForm):
    current = PasswordField(
        "Current password", widget=PasswordInput(), validators=[InputRequired("Enter your current password")]
    )


class ChoosePasswordForm(FlaskForm):
    """A first password, or one after a reset, chosen through a set-up link."""

    new = PasswordField(
        "Password",
        widget=PasswordInput(),
        description="At least 12 characters. Several unrelated words are easy to remember and hard to guess.",
        validators=[InputRequired("Enter a password"), Length(max=200)],
    )
    confirm = PasswordField(
        "Confirm password", widget=PasswordInput(), validators=[InputRequired("Enter the password again")]
    )

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.new.data:
            raise ValidationError("The passwords do not match")


def with_date_error(problems: dict[str, str], prefix: str, error: str | None) -> dict[str, str]:
    """A service's problems, with a date typed wrongly reported as typed rather than as missing."""
    return problems | ({prefix: error} if error else {})


def date_from_form(prefix: str, what: str) -> tuple[dt.date | None, str | None]:
    """The date typed in a GOV.UK date input named ``prefix`` (boxes ``prefix-day`` and so on):
    the date, or None and why it is not one. Nothing typed is (None, None): the service that
    needs the date says it is missing, beside whatever else is."""
    return _date_from(request.form, prefix, what)


def date_from_query(prefix: str, what: str) -> tuple[dt.date | None, str | None]:
    """As ``date_from_form``, from the query string: a date that filters a list (a GET form)."""
    return _date_from(request.args, prefix, what)


def _date_from(values: Mapping[str, str], prefix: str, what: str) -> tuple[dt.date | None, str | None]:
    parts = DateParts(*(values.get(f"{prefix}-{part}", "") for part in ("day", "month", "year")))
    if not any((parts.day, parts.month, parts.year)):
        return None, None
    try:
        return real_date(parts, what), None
    except InvalidInput as error:
        return None, str(error)


# Longer than any name or postcode; what is cut off could never have matched anyway.
SEARCH_TEXT_MAX = 200


def person_search_from_form() -> tuple[PersonSearch, dict[str, str]]:
    """The name, date of birth and postcode typed in a list's search, and a date typed wrongly as
    its problem (``date_of_birth``)."""
    born, born_problem = date_from_form("date_of_birth", "the date of birth")
    search = PersonSearch(
        name=request.form.get("name", "").strip()[:SEARCH_TEXT_MAX],
        date_of_birth=born,
        postcode=request.form.get("postcode", "").strip()[:SEARCH_TEXT_MAX],
    )
    return search, with_date_error({}, "date_of_birth", born_problem)
