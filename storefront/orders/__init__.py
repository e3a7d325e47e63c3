"""Cart, checkout, orders and their states, fulfilment, refunds, and what payment events do to
orders (Stripe's webhook). `flask expire-reservations`."""

from flask import Blueprint, Flask
from flask_login import user_logged_in

from storefront import states

bp = Blueprint("orders", __name__, cli_group=None)


def init_app(app: Flask) -> None:
    from storefront.orders import cart, cli  # noqa: F401  (attach commands to bp)
    from storefront.orders.models import OrderStatus, PaidWith, RefundMethod
    from storefront.orders.views import manage, shopper, webhooks  # noqa: F401  (routes)

    user_logged_in.connect(cart.merge_at_sign_in, app)
    states.expose(app, OrderStatus, PaidWith, RefundMethod)
    app.register_blueprint(bp)
