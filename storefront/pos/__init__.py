"""The counter (point of sale): shifts, counter sales, payments, receipts, voids, and the
hand-over of online pickup orders. `flask pos create-cashier`."""

from flask import Blueprint, Flask

bp = Blueprint("pos", __name__, url_prefix="/counter")


def init_app(app: Flask) -> None:
    from storefront.pos import cli, pickup_views, views  # noqa: F401  (attach routes and commands to bp)

    app.register_blueprint(bp)
