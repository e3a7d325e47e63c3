from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/account")

from storefront.auth import views  # noqa: E402,F401  (routes register on import)
