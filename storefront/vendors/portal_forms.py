"""Forms of the vendor portal. The bank form is the application's (`vendors.forms.BankForm`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, IntegerField, TelField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from storefront.auth.forms import valid_email, valid_phone

STORY_MAX_LENGTH = 2000


class ProfileForm(FlaskForm):
    story = TextAreaField(
        _l("Your story"),
        validators=[Length(max=STORY_MAX_LENGTH, message=_l("Keep it under 2000 characters."))],
    )
    whatsapp = TelField(
        _l("WhatsApp number for shoppers (optional)"),
        validators=[Optional(), Length(max=30), valid_phone],
    )


class LogoForm(FlaskForm):
    logo = FileField(
        _l("Logo (JPEG, PNG or WebP)"),
        validators=[FileRequired(message=_l("Choose an image to upload."))],
    )


class PhotoForm(FlaskForm):
    photo = FileField(
        _l("Add a photo (JPEG, PNG or WebP)"),
        validators=[FileRequired(message=_l("Choose an image to upload."))],
    )


class PhotoActionForm(FlaskForm):
    """The small buttons beside each photo: move up, move down, delete."""

    photo_id = IntegerField(validators=[InputRequired()])
    direction = HiddenField(validators=[Optional(), AnyOf(["up", "down"])])


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Email of the person to invite"),
        validators=[DataRequired(message=_l("Enter an email address.")), valid_email],
    )


class RemoveMemberForm(FlaskForm):
    member_id = IntegerField(validators=[InputRequired()])


class ConfirmForm(FlaskForm):
    """A button and its CSRF token."""
