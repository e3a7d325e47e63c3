"""Vendor settlements: periods, statements and their figures, closing, payouts, reconciliation,
and the commission rates managers set."""

from flask import Blueprint, Flask

bp = Blueprint("settlements", __name__)


def init_app(app: Flask) -> None:
    from storefront.settlements.views import manager, rates, vendor  # noqa: F401  (routes)

    app.register_blueprint(bp)
