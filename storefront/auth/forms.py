"""Account forms. Messages are lazy so they follow the visitor's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from storefront.auth.services import MIN_PASSWORD_LENGTH, InvalidEmail, normalise_email
from storefront.forms import choices
from storefront.notices import CHANNEL_LABELS, ChannelChoice
from storefront.phones import InvalidPhone, normalise_phone


def valid_email(form, field):
    try:
        normalise_email(field.data or "")
    except InvalidEmail as exc:
        raise ValidationError(_l("Enter a valid email address, e.g. nama@contoh.com.")) from exc


def valid_phone(form, field):
    if not field.data:
        return
    try:
        normalise_phone(field.data)
    except InvalidPhone as exc:
        raise ValidationError(
            _l("Enter a valid phone number, e.g. 0812-3456-7890 or +62 812 3456 7890.")
        ) from exc


def _new_password():
    return PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Enter a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH),
            ),
        ],
    )


def _confirm(field_name: str):
    return PasswordField(
        _l("Repeat password"),
        validators=[
            DataRequired(message=_l("Repeat the password.")),
            EqualTo(field_name, message=_l("The passwords do not match.")),
        ],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Enter your email."))])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Enter your password."))]
    )
    remember = BooleanField(_l("Remember me on this device"))


class RegisterForm(FlaskForm):
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=120)],
    )
    email = EmailField(
        _l("Email"), validators=[DataRequired(message=_l("Enter your email.")), valid_email]
    )
    phone = TelField(
        _l("Phone / WhatsApp (optional)"), validators=[Optional(), Length(max=30), valid_phone]
    )
    password = _new_password()
    confirm = _confirm("password")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(message=_l("Enter your email.")), valid_email]
    )


class ResetPasswordForm(FlaskForm):
    password = _new_password()
    confirm = _confirm("password")


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
    )
    password = _new_password()
    confirm = _confirm("password")


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Enter your password."))]
    )


def channel_field(label) -> RadioField:
    """Email, WhatsApp or both; a form without it (an older page) means email."""
    return RadioField(
        label,
        choices=choices([(choice.value, CHANNEL_LABELS[choice]) for choice in ChannelChoice]),
        default=ChannelChoice.EMAIL.value,
        validators=[Optional()],
    )


class MessagePreferencesForm(FlaskForm):
    message_channel = channel_field(_l("Messages from the shop by"))
    phone = TelField(_l("WhatsApp number"), validators=[Optional(), Length(max=30)])
