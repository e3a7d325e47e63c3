"""Accounts and roles: sign-in, registration, password reset, `@role_required`, `flask
create-admin`."""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from storefront.auth.models import load_user_from_session
from storefront.extensions import login_manager

bp = Blueprint("auth", __name__, url_prefix="/account", cli_group=None)


def init_app(app: Flask) -> None:
    from storefront.auth import cli, verify_views, views  # noqa: F401  (routes and commands)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_session)
    app.register_blueprint(bp)
