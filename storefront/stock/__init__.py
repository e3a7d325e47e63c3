"""Stock: batches, the stock ledger (its only writer), intake, returns, write-offs, stock counts,
expiry, movement history and what shoppers see of it. `flask verify-ledger`."""

from flask import Blueprint, Flask

from storefront import states
from storefront.catalog import variants

bp = Blueprint("stock", __name__, cli_group=None)


def init_app(app: Flask) -> None:
    from storefront.stock import cli  # noqa: F401  (attach commands to bp)
    from storefront.stock.ledger import on_hand_by_variant
    from storefront.stock.models import CountScope, CountStatus, MovementKind
    from storefront.stock.operations import ReturnReason
    from storefront.stock.views import history, intake, operations  # noqa: F401  (routes)

    states.expose(app, CountScope, CountStatus, MovementKind, ReturnReason)
    # A size that still has units on the shelf cannot be removed (catalog.variants asks).
    variants.count_stock_with(on_hand_by_variant)
    app.register_blueprint(bp)
