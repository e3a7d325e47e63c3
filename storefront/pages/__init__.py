from flask import Blueprint

bp = Blueprint("pages", __name__)

from storefront.pages import views  # noqa: E402,F401
