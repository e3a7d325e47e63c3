"""Forms managers use to move orders along and give money back."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from storefront.forms import choices
from storefront.indonesia import banks
from storefront.orders import fulfilment, refunds
from storefront.orders.models import PaidWith, RefundMethod


def _paid_with_choices(optional: bool):
    pairs = PaidWith.choices(fulfilment.COUNTER_METHODS)
    if optional:
        pairs.insert(0, ("", _l("Already paid")))
    return choices(pairs)


class StepForm(FlaskForm):
    """A button that moves the order one step (pack, ready, out for delivery)."""


class PaymentForm(FlaskForm):
    paid_with = SelectField(_l("Paid with"), validators=[DataRequired()])
    reference = StringField(
        _l("Reference (QRIS or card slip number, optional)"), validators=[Length(max=120)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.paid_with.choices = _paid_with_choices(optional=False)


class CompleteForm(FlaskForm):
    """Hand-over at the counter (pickup code and the name on the order) or delivery done."""

    code = StringField(
        _l("Pickup code from the shopper"),
        validators=[Optional(), Regexp(r"^\s*\d{6}\s*$", message=_l("The code has six digits."))],
    )
    # Checked by fulfilment.hand_over (required there, not for a delivery).
    collector_name = StringField(
        _l("Name on the order (ask the collector)"), validators=[Length(max=120)]
    )
    paid_with = SelectField(_l("Payment taken"), validators=[Optional()])
    reference = StringField(_l("Payment reference (optional)"), validators=[Length(max=120)])

    def __init__(self, *args, unpaid: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.paid_with.choices = _paid_with_choices(optional=not unpaid)


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is the order cancelled?"),
        validators=[DataRequired(message=_l("Say why the order is cancelled.")), Length(max=500)],
    )


class RefundForm(FlaskForm):
    scope = RadioField(
        _l("What to refund"),
        choices=choices(
            [
                ("full", _l("Everything left (with the delivery fee)")),
                ("lines", _l("Only the items below")),
            ]
        ),
        default="full",
    )
    method = SelectField(_l("How the money goes back"))
    restock = BooleanField(_l("Put the goods back on the shelf (they are fit to sell)"))
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Say why the order is refunded.")), Length(max=500)],
    )
    # A transfer refund: the shopper's account, checked by refunds.refund (indonesia.banks).
    bank_code = SelectField(_l("Shopper's bank"), validators=[Optional()])
    other_bank_name = StringField(
        _l("Bank name (if “Other bank”)"), validators=[Optional(), Length(max=80)]
    )
    other_bank_code = StringField(
        _l("Bank transfer code (if “Other bank”)"), validators=[Optional(), Length(max=12)]
    )
    account = StringField(_l("Account number"), validators=[Optional(), Length(max=40)])
    holder = StringField(_l("Account holder's name"), validators=[Optional(), Length(max=120)])
    transfer_reference = StringField(
        _l("Transfer reference from the bank"), validators=[Optional(), Length(max=120)]
    )
    # Sent again with a retried submission, so the provider refunds only once.
    token = HiddenField(validators=[DataRequired(), Length(max=64)])

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = choices(RefundMethod.choices(refunds.methods_for(order)))
        self.bank_code.choices = choices(
            [("", "—")]
            + [(b.code, b.name) for b in banks.BANKS]
            + [(banks.OTHER_BANK, _l("Other bank (BPR, BPRS, digital bank…)"))]
        )

    def transfer(self) -> refunds.TransferAccount:
        return refunds.TransferAccount(
            bank_code=self.bank_code.data or "",
            account=self.account.data or "",
            holder=self.holder.data or "",
            reference=self.transfer_reference.data or "",
            other_bank_name=self.other_bank_name.data or "",
            other_bank_code=self.other_bank_code.data or "",
        )


class QuantityError(ValueError):
    pass


def line_quantities(formdata, order) -> dict[int, int]:
    """Per-line quantities from `qty-<line id>` inputs; blank means 0."""
    quantities = {}
    for line in order.lines:
        raw = (formdata.get(f"qty-{line.id}") or "").strip()
        if not raw:
            continue
        if not raw.isdigit():
            raise QuantityError(
                _l("Enter whole numbers for %(product)s.", product=line.display_name)
            )
        quantities[line.id] = int(raw)
    return quantities


class ReconcileForm(FlaskForm):
    """The range of gateway payments to compare, and optionally the settlement file."""

    class Meta:
        csrf = False  # GET for the API source; the upload's POST checks the token itself

    start = DateField(_l("First day"), validators=[Optional()])
    end = DateField(_l("Last day"), validators=[Optional()])
    file = FileField(
        _l("Settlement file (CSV from the gateway's dashboard, optional)"),
        description=_l("Without a file the gateway's status API is asked about each payment."),
    )
