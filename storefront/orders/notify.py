"""Emails to shoppers about their orders, in the language they ordered in.

Links carry the order's access key so a guest can open the order from their mailbox.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from storefront.links import external_url
from storefront.mail import send_mail
from storefront.orders.models import Order
from storefront.settings.services import get_settings


def order_link(order: Order, **values) -> str:
    """The order's page with its access key, on the public address (emails, Stripe)."""
    return external_url("orders.order_page", number=order.number, key=order.access_key, **values)


def send(order: Order, template: str, subject, **context) -> None:
    """Render templates/orders/email/<template>.txt for `order` and send it to the shopper."""
    with force_locale(order.locale or "id"):
        outlet = get_settings(
            "outlet_name", "outlet_address", "opening_hours_id", "opening_hours_en"
        )
        hours = outlet["opening_hours_en" if order.locale == "en" else "opening_hours_id"]
        body = render_template(
            f"orders/email/{template}.txt",
            order=order,
            link=order_link(order),
            outlet=outlet,
            hours=hours,
            **context,
        )
        send_mail(order.email, f"{subject} · {order.number}", body)


def order_placed(order: Order, payment=None) -> None:
    """`payment`: the gateway payment, whose VA number the email repeats."""
    send(order, "placed", str(_l("Thank you for your order")), payment=payment)


def order_paid(order: Order) -> None:
    send(order, "paid", str(_l("Payment received")))


def order_cancelled(order: Order) -> None:
    send(order, "cancelled", str(_l("Your order is cancelled")))


def order_link_requested(order: Order) -> None:
    """Someone asked for this order's link on the lookup page; it goes only to the order's
    own address."""
    send(order, "link", str(_l("The link to your order")))
