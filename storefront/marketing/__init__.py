"""The marketing kit: share images, a printable poster, captions and share links for a product
or a vendor's page, made on demand and kept on disk (kit.py); how many visits, add-to-carts
and orders each shared link brought is counted in catalog/interest.py and shown here."""

import os

from flask import Blueprint, Flask

bp = Blueprint("marketing", __name__)


def init_app(app: Flask) -> None:
    from storefront.marketing import views  # noqa: F401  (attach routes to bp)

    # Made files are a cache: inside UPLOAD_DIR (always writable by the app) but outside its
    # public/ area, so the media route never serves them; safe to delete at any time.
    app.config.setdefault(
        "MARKETING_KIT_DIR",
        os.environ.get("MARKETING_KIT_DIR")
        or os.path.join(app.config["UPLOAD_DIR"], "cache", "marketing-kit"),
    )
    app.register_blueprint(bp)
