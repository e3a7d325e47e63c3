"""Checkout and order lookup forms. Prices are never fields: the server computes them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from storefront.auth.forms import channel_field, valid_email, valid_phone
from storefront.forms import choices
from storefront.money import format_rupiah
from storefront.orders.delivery import delivery_fees
from storefront.orders.models import Fulfilment, PaymentMethod
from storefront.payments.gateway import CHANNEL_LABELS


class CheckoutForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=120)],
    )
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(message=_l("Enter your email.")), valid_email],
    )
    phone = TelField(
        _l("Phone / WhatsApp"),
        validators=[DataRequired(message=_l("Enter a phone number.")), valid_phone],
    )
    fulfilment = RadioField(
        _l("How do you get your order?"),
        default=Fulfilment.PICKUP.value,
        validators=[DataRequired(message=_l("Choose pickup or delivery."))],
    )
    kecamatan = SelectField(_l("Kecamatan"), validators=[Optional()])
    address = TextAreaField(
        _l("Delivery address"),
        validators=[Optional(), Length(max=500)],
        description=_l("Street, house number, RT/RW, village (desa/kelurahan)."),
    )
    note = TextAreaField(_l("Note for the outlet (optional)"), validators=[Length(max=500)])
    message_channel = channel_field(_l("Order updates by"))
    payment_method = RadioField(
        _l("Payment"),
        default=PaymentMethod.OUTLET.value,
        validators=[DataRequired(message=_l("Choose how to pay."))],
    )

    def set_choices(self, *, card_offered: bool, pickup_note: str, gateway_offered: bool = False):
        self.fulfilment.choices = choices(
            [
                (Fulfilment.PICKUP.value, _l("Pick up at the outlet (free)")),
                (Fulfilment.DELIVERY.value, _l("Local delivery in Tangerang")),
            ]
        )
        fees = delivery_fees()
        self.kecamatan.choices = choices(
            [("", _l("Choose your kecamatan"))]
            + [(name, f"{name} · {format_rupiah(fee)}") for name, fee in sorted(fees.items())]
        )
        payment = [(PaymentMethod.OUTLET.value, pickup_note)]
        if gateway_offered:
            # One radio per way to pay through the gateway; the view maps it to
            # payment_method "gateway" and the channel.
            payment.extend((channel.value, label) for channel, label in CHANNEL_LABELS.items())
        if card_offered:
            payment.append((PaymentMethod.STRIPE.value, _l("Pay online now (card)")))
        self.payment_method.choices = choices(payment)


class OrderLookupForm(FlaskForm):
    number = StringField(
        _l("Order number"),
        validators=[DataRequired(message=_l("Enter the order number.")), Length(max=30)],
        description=_l("For example GTG-261123-0042, in your confirmation email."),
    )
    email = EmailField(
        _l("Email used for the order"),
        validators=[DataRequired(message=_l("Enter your email.")), Length(max=254)],
    )
