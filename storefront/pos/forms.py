"""Forms of the counter: open and close a shift, scan, quantities, payment, void, and the
hand-over of an online pickup order."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from storefront.catalog.forms import RupiahField
from storefront.forms import choices
from storefront.pos.models import PayMethod


class AmountField(RupiahField):
    """Whole rupiah as the cashier types it (50000, 50.000, Rp50.000)."""

    invalid_message = _l("Enter an amount in whole rupiah, e.g. 50000.")


class OpenShiftForm(FlaskForm):
    opening_float = AmountField(
        _l("Cash in the drawer (float)"),
        validators=[InputRequired(message=_l("Enter the cash in the drawer, 0 or more."))],
    )


class ScanForm(FlaskForm):
    code = StringField(
        _l("Scan a code or search by name"), validators=[Length(max=120)], default=""
    )


class QuantityForm(FlaskForm):
    quantity = IntegerField(
        _l("Quantity"),
        validators=[
            InputRequired(message=_l("Enter a quantity of 0 or more.")),
            NumberRange(min=0, max=999, message=_l("Enter a quantity from 0 to 999.")),
        ],
    )


class AddForm(FlaskForm):
    """One product from the search results."""


class PaymentForm(FlaskForm):
    cash = AmountField(_l("Cash received"), validators=[Optional()])
    qris = AmountField(_l("QRIS amount"), validators=[Optional()])
    qris_reference = StringField(_l("QRIS reference"), validators=[Length(max=120)])
    debit = AmountField(_l("Debit card amount"), validators=[Optional()])
    debit_reference = StringField(_l("Debit reference"), validators=[Length(max=120)])


class VoidForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is this sale voided?"),
        validators=[InputRequired(message=_l("Say why the sale is voided.")), Length(max=500)],
    )
    approver_email = EmailField(_l("Approving manager's email"), validators=[Length(max=254)])
    approver_password = PasswordField(_l("Manager's password"), validators=[Length(max=200)])


class CloseShiftForm(FlaskForm):
    counted_cash = AmountField(
        _l("Cash counted in the drawer"),
        validators=[InputRequired(message=_l("Enter the cash counted in the drawer."))],
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=1000)])


class PickupForm(FlaskForm):
    """Hand-over of an online pickup order at the till."""

    code = StringField(
        _l("Pickup code from the shopper"),
        validators=[
            DataRequired(message=_l("Enter the six-digit pickup code.")),
            Length(max=12),
        ],
    )
    collector_name = StringField(
        _l("Name on the order (ask the collector)"),
        validators=[DataRequired(message=_l("Ask for the name on the order.")), Length(max=120)],
    )
    method = SelectField(_l("Payment taken"), validators=[Optional()])
    tendered = AmountField(_l("Cash received"), validators=[Optional()])
    reference = StringField(_l("QRIS or debit reference"), validators=[Length(max=120)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = choices([("", "—"), *PayMethod.choices()])
