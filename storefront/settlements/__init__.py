"""Vendor settlements: periods, statements and their figures, closing, payouts, reconciliation,
and the commission rates managers set."""

from flask import Blueprint, Flask

from storefront import states

bp = Blueprint("settlements", __name__, cli_group=None)


def init_app(app: Flask) -> None:
    from storefront.settlements import cli  # noqa: F401  (commands)
    from storefront.settlements.models import CommentKind, SettlementStatus
    from storefront.settlements.views import manager, rates, vendor  # noqa: F401  (routes)

    states.expose(app, CommentKind, SettlementStatus)
    app.register_blueprint(bp)
