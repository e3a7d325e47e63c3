"""The catalogue: products, their permits, photos and review, search, and the commission rate
a sale snapshots. Vendors edit their products here (`vendor_views.py`); shoppers see them
through `shop/`. `flask check-permits`, `flask reindex-search`."""

from flask import Blueprint, Flask

from storefront import states

bp = Blueprint("catalog", __name__, cli_group=None)


def init_app(app: Flask) -> None:
    from storefront.catalog import (  # noqa: F401  (routes, commands)
        cli,
        search_index,
        variant_views,
        vendor_views,
    )
    from storefront.catalog.models import ProductStatus, VariantReview

    search_index.init_app(app)
    states.expose(app, ProductStatus, VariantReview)
    app.register_blueprint(bp)
