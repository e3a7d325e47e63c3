"""Form pieces shared by every feature."""

from __future__ import annotations

from collections.abc import Callable

from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


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
