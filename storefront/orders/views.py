"""The cart page. Adding to the cart and checkout arrive with the orders issue."""

from __future__ import annotations

from flask import render_template

from storefront.auth.access import public
from storefront.orders import bp


@bp.route("/cart")
@public
def cart():
    return render_template("orders/cart.html", lines=[])
