"""The counter (point of sale): shifts, counter sales, payments, receipts, voids. `flask pos
create-cashier`."""

from flask import Blueprint, Flask

bp = Blueprint("pos", __name__, url_prefix="/counter")


def init_app(app: Flask) -> None:
    from storefront.pos import cli, views  # noqa: F401  (attach routes and commands to bp)

    app.register_blueprint(bp)
