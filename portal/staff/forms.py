"""Back-office forms. Server-side checks only; the same GOV.UK widgets as the public forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, ValidationError


class SignInForm(FlaskForm):
    email = StringField(
        "Email address", widget=GovTextInput(), validators=[InputRequired("Enter your email address"), Length(max=254)]
    )
    password = PasswordField(
        "Password", widget=GovPasswordInput(), validators=[InputRequired("Enter your password"), Length(max=128)]
    )


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        widget=GovTextInput(),
        description="The 6-digit code your authenticator app shows now, or one of your recovery codes",
        validators=[InputRequired("Enter the code from your authenticator app"), Length(max=32)],
    )


class EnrolForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        widget=GovTextInput(),
        description="The 6-digit code the app shows once you have added the account",
        validators=[InputRequired("Enter the 6-digit code from your authenticator app"), Length(max=32)],
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        "Current password", widget=GovPasswordInput(), validators=[InputRequired("Enter your current password")]
    )
    new = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="At least 12 characters. Several unrelated words are easy to remember and hard to guess.",
        validators=[InputRequired("Enter a new password"), Length(max=200)],
    )
    confirm = PasswordField(
        "Confirm new password", widget=GovPasswordInput(), validators=[InputRequired("Enter the new password again")]
    )

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.new.data:
            raise ValidationError("The passwords do not match")


class CurrentPasswordForm(FlaskForm):
    current = PasswordField(
        "Current password", widget=GovPasswordInput(), validators=[InputRequired("Enter your current password")]
    )
