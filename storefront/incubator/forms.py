"""Forms of the incubator pages. Choices that depend on the database (mentors, products,
vendors) are filled by the view; the services decide what is valid."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from storefront.catalog.models import PermitKind
from storefront.forms import MultiCheckboxField, choices
from storefront.incubator.models import ApplicationStatus, HalalRoute


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") and str(value).isdigit() else None


class PlanFields:
    mentor_id = SelectField(_l("Assisting mentor"), coerce=_int_or_none, choices=[])
    next_step = TextAreaField(_l("Next step"), validators=[Length(max=2000)], render_kw={"rows": 2})
    due_on = DateField(_l("Due date"), validators=[Optional()])


class NewApplicationForm(PlanFields, FlaskForm):
    product_id = SelectField(_l("Product"), coerce=_int_or_none, choices=[])
    kind = SelectField(_l("Permit"), choices=choices(PermitKind.choices()))
    route = SelectField(
        _l("Halal route"),
        choices=choices([("", _l("(not halal)")), *HalalRoute.choices()]),
        validators=[Optional()],
    )


class PlanForm(PlanFields, FlaskForm):
    pass


class MoveForm(FlaskForm):
    status = SelectField(
        _l("Move to"),
        choices=choices(
            (s.value, s.label) for s in ApplicationStatus if s != ApplicationStatus.ISSUED
        ),
    )
    reason = TextAreaField(
        _l("Reason (needed to move back or for a refusal)"),
        validators=[Length(max=2000)],
        render_kw={"rows": 2},
    )


class IssueForm(FlaskForm):
    number = StringField(
        _l("Certificate number"),
        validators=[DataRequired(message=_l("Enter the number.")), Length(max=60)],
    )
    issued_on = DateField(_l("Issued on"), validators=[Optional()])
    expires_on = DateField(_l("Valid until (berlaku sampai), as printed"), validators=[Optional()])


class NoteForm(FlaskForm):
    noted_on = DateField(_l("Date of the meeting"), validators=[Optional()])
    body = TextAreaField(
        _l("What you discussed"),
        validators=[Length(max=4000)],
        render_kw={"rows": 4},
    )


class AssignForm(FlaskForm):
    vendor_ids = MultiCheckboxField(_l("Vendors this mentor follows"), coerce=int, choices=[])


class CohortForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=120)])
    starts_on = DateField(_l("Start date"), validators=[Optional()])
    mentor_id = SelectField(_l("Mentor"), coerce=_int_or_none, choices=[])


class MemberForm(FlaskForm):
    vendor_id = SelectField(_l("Vendor"), coerce=_int_or_none, choices=[])
    joined_on = DateField(_l("Joined on (empty: the cohort's start)"), validators=[Optional()])
