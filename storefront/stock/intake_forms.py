"""The intake form: a vendor's delivery typed or scanned line by line."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from storefront.forms import choices

BLANK_ROWS = 8
MAX_ROWS = 200


class IntakeLineForm(Form):
    """One line; the CSRF token lives on the outer form."""

    product = SelectField(_l("Product"), choices=[], validate_choice=False)
    code = StringField(_l("or product code"), validators=[Optional(), Length(max=32)])
    quantity = IntegerField(
        _l("Quantity"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    batch_code = StringField(_l("Batch code"), validators=[Optional(), Length(max=40)])
    produced_on = DateField(_l("Produced on"), validators=[Optional()])
    expires_on = DateField(_l("Expires on"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not (
            self.product.data
            or (self.code.data or "").strip()
            or self.quantity.data is not None
            or (self.quantity.raw_data and self.quantity.raw_data[0].strip())
            or (self.batch_code.data or "").strip()
            or self.expires_on.data
            or self.produced_on.data
        )


class IntakeForm(FlaskForm):
    vendor_id = HiddenField()
    submission_key = HiddenField(
        validators=[
            DataRequired(message=_l("This form has expired; please open it again.")),
            Regexp(r"^[0-9a-f]{32}$", message=_l("This form has expired; please open it again.")),
        ]
    )
    scan = StringField(
        _l("Scan or type a product code"),
        validators=[Optional(), Length(max=32)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    delivered_by = StringField(_l("Delivered by (name)"), validators=[Optional(), Length(max=120)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(IntakeLineForm), min_entries=BLANK_ROWS, max_entries=MAX_ROWS)

    def set_products(self, products) -> None:
        self._options = choices(
            [("", "—"), *((str(p.id), f"{p.name} · {p.code}") for p in products)]
        )
        for row in self.lines:
            row.product.choices = self._options

    def add_rows(self, count: int = BLANK_ROWS) -> None:
        for _ in range(min(count, MAX_ROWS - len(self.lines))):
            self.lines.append_entry()
            self.lines[-1].product.choices = getattr(self, "_options", [])
