"""UMKM vendors: the "Jadi Mitra" application, review, the team, the profile, the bank account
and the vendor portal's dashboard."""

from flask import Blueprint, Flask

bp = Blueprint("vendors", __name__)


def init_app(app: Flask) -> None:
    from storefront.vendors import portal, views  # noqa: F401  (attach routes to bp)

    app.register_blueprint(bp)
