"""Form pieces shared by every feature, and the one way a refused action reaches the page."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from storefront import database
from storefront.errors import DomainError
from storefront.money import InvalidPercent, format_percent, percent_to_basis_points


class ConfirmForm(FlaskForm):
    """A button that changes something and asks nothing: the CSRF token only."""


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (easier on a phone than a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def checked_by(parse: Callable, *exceptions: type[Exception]) -> Callable:
    """A WTForms validator that runs a domain parser and shows its message on the field.

    The parsers (identifiers, phones, money) are the single home of each rule; forms only
    surface their messages, so a rule is never written twice.
    """

    def validator(form, field):
        if not field.data:
            return
        try:
            parse(field.data)
        except exceptions as exc:
            raise ValidationError(str(getattr(exc, "message", exc))) from exc

    return validator


def choices(pairs, optgroup: str | None = None) -> list[SelectChoice]:
    """(value, label) pairs as WTForms SelectChoice objects (raw tuples are deprecated)."""
    return [SelectChoice(value, label, optgroup=optgroup) for value, label in pairs]


class PercentField(StringField):
    """A percentage as people type it, "22,5" or "22.5" (at most two decimals, 0 to 100).

    `data` is basis points (2250), or None when left empty: what the services take and the
    database stores, so no view converts. A value that is not a percentage is a field error
    with money.percent_to_basis_points's words."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = percent_to_basis_points(valuelist[0])
        except InvalidPercent as exc:
            raise ValueError(str(exc.message)) from exc

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_percent(self.data, sign=False)


def form_error(form, error: DomainError, default: str | None = None) -> None:
    """Show why a service refused the action, and roll the action back.

    The message goes on the form field the error names, like a validation error; when the form
    has no such field, on `default`; without either it is flashed. The unit of work rolls back
    at once, so the page shows what is really stored and nothing of the action is committed.
    """
    database.rollback()
    field = None
    for name in (error.field, default):
        candidate = getattr(form, name, None) if form is not None and name else None
        if candidate is not None and hasattr(candidate, "errors"):
            field = candidate
            break
    if field is None:
        flash(str(error.message), "error")
        return
    field.errors = [*field.errors, str(error.message)]


def flash_error(error: DomainError) -> None:
    """`form_error` for actions without a form (a button): flash the message, roll back."""
    form_error(None, error)
