"""Emails to shoppers about their orders, in the language they ordered in.

Links carry the order's access key so a guest can open the order from their mailbox.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from storefront.links import external_url
from storefront.mail import send_template
from storefront.notices import tell
from storefront.orders.models import Order
from storefront.settings.services import get_settings


def order_link(order: Order, **values) -> str:
    """The order's page with its access key, on the public address (emails, Stripe)."""
    return external_url("orders.order_page", number=order.number, key=order.access_key, **values)


def send(order: Order, template: str, subject, *, once: bool = True, key: str = "", **context):
    """Render templates/orders/email/<template>.txt for `order` and tell the shopper, by email
    or WhatsApp as they chose at checkout. `subject` is a lazy string (worded in the order's
    language). With `once`, the event reaches the shopper once however often it is reported;
    `key` tells apart events that happen more than once (refunds)."""
    with force_locale(order.locale or "id"):
        outlet = get_settings(
            "outlet_name", "outlet_address", "opening_hours_id", "opening_hours_en"
        )
        hours = outlet["opening_hours_en" if order.locale == "en" else "opening_hours_id"]
        link = order_link(order)
        tell(
            email=order.email,
            phone=order.phone,
            choice=order.message_channel,
            locale=order.locale or "id",
            event=EVENTS.get(template, f"order_{template}"),
            key=f"order:{order.id}:{template}{key}" if once else None,
            subject=f"{subject} · {order.number}",
            template=f"orders/email/{template}.txt",
            whatsapp_params=[order.contact_name, order.number, link],
            order=order,
            link=link,
            outlet=outlet,
            hours=hours,
            **context,
        )


EVENTS = {"refund": "order_refunded"}


def order_placed(order: Order, payment=None) -> None:
    """`payment`: the gateway payment, whose VA number the email repeats."""
    send(order, "placed", _l("Thank you for your order"), payment=payment)


def order_paid(order: Order) -> None:
    send(order, "paid", _l("Payment received"))


def order_ready(order: Order) -> None:
    send(order, "ready", _l("Your order is ready for pickup"))


def order_out_for_delivery(order: Order) -> None:
    send(order, "out_for_delivery", _l("Your order is on its way"))


def order_delivered(order: Order) -> None:
    send(order, "delivered", _l("Your order was delivered"))


def order_cancelled(order: Order) -> None:
    send(order, "cancelled", _l("Your order is cancelled"))


def order_link_requested(order: Order) -> None:
    """Someone asked for this order's link on the lookup page; it goes only to the order's
    own address (by email: the address is what the lookup proved)."""
    with force_locale(order.locale or "id"):
        outlet = get_settings("outlet_name", "outlet_address")
        subject = _l("The link to your order")
        send_template(
            order.email,
            "orders/email/link.txt",
            f"{subject} · {order.number}",
            locale=order.locale or "id",
            event="order_link",
            order=order,
            link=order_link(order),
            outlet=outlet,
        )
