"""The shop as shoppers browse it: home, listings, categories, product and maker pages, search
suggestions, sitemap, and the page cache that keeps those pages for anonymous visitors."""

from flask import Blueprint, Flask

bp = Blueprint("shop", __name__)


def init_app(app: Flask) -> None:
    from storefront.shop import browse, page_cache, seo
    from storefront.shop.views import home, products, search  # noqa: F401  (attach routes to bp)
    from storefront.shop.views import seo as sitemap  # noqa: F401

    page_cache.init_app(app)
    seo.register_seo_helpers(app)
    app.add_template_global(browse.card_price)
    app.add_template_global(browse.card_halal)
    app.register_blueprint(bp)
