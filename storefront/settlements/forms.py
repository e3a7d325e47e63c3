"""Forms for settlements: generating a month, paying, comments, commission rates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from storefront.forms import PercentField, choices
from storefront.settlements.models import CommentKind


class MonthForm(FlaskForm):
    month = StringField(
        _l("Month"),
        validators=[
            DataRequired(message=_l("Choose a month.")),
            Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Choose a month.")),
        ],
    )


class ConfirmForm(FlaskForm):
    """A bare POST with its CSRF token (close, delete, export)."""


class PayForm(FlaskForm):
    paid_on = DateField(
        _l("Transfer date"), validators=[InputRequired(message=_l("Enter the transfer date."))]
    )
    reference = StringField(
        _l("Transfer reference"),
        validators=[
            DataRequired(message=_l("Enter the bank transfer reference.")),
            Length(max=120),
        ],
    )
    amount = StringField(
        _l("Amount transferred"),
        validators=[DataRequired(message=_l("Enter the amount transferred."))],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    confirmed = BooleanField(_l("I confirm the amount differs from the net payable"))
    holder_confirmed = StringField(
        _l("Account holder's name as the bank showed it"),
        validators=[Optional(), Length(max=120)],
    )
    proof = FileField(_l("Proof of transfer (PDF, JPEG or PNG)"))


class AdvanceForm(FlaskForm):
    """An advance against the period that is still running (it cannot be closed yet)."""

    amount = StringField(
        _l("Advance amount"),
        validators=[DataRequired(message=_l("Enter the amount transferred."))],
    )
    paid_on = DateField(
        _l("Transfer date"), validators=[InputRequired(message=_l("Enter the transfer date."))]
    )
    reference = StringField(
        _l("Transfer reference"),
        validators=[
            DataRequired(message=_l("Enter the bank transfer reference.")),
            Length(max=120),
        ],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class CommentForm(FlaskForm):
    kind = SelectField(_l("Type"), default="comment")
    body = TextAreaField(
        _l("Your comment"),
        validators=[DataRequired(message=_l("Write your comment first.")), Length(max=4000)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(CommentKind.choices())


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Answer"),
        validators=[DataRequired(message=_l("Write the answer first.")), Length(max=4000)],
    )


class RateForm(FlaskForm):
    """A commission rate in percent ("12,5"); `percent.data` is basis points, None when empty
    ("use the next, less specific rate")."""

    percent = PercentField(_l("Commission (%)"), validators=[Optional()])
