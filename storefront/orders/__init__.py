"""Cart, checkout and orders."""

from flask import Blueprint

bp = Blueprint("orders", __name__)

from storefront.orders import views  # noqa: E402,F401
