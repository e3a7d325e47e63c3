"""Gerai Tangerang Gemilang online storefront: the application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise

from storefront.config import PROJECT_ROOT, load_config

# Files with a version or a content hash in their name never change; let browsers keep them.
_VERSIONED_NAME = r"(-\d+\.\d+\.\d+[.-]|\.[0-9a-f]{12}\.)"


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides settings read from the environment (tests use it)."""
    instance_path = Path(os.environ.get("STOREFRONT_INSTANCE", PROJECT_ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=str(instance_path.resolve()),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)

    _init_extensions(app)
    _register_blueprints(app)

    from storefront.errors import register_error_handlers
    from storefront.security import register_security_headers
    from storefront.templating import register_template_helpers

    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)

    from storefront.shop.seo import register_seo_helpers

    register_seo_helpers(app)

    from storefront.cli import register_cli

    register_cli(app)

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(PROJECT_ROOT / "static"),
        prefix="static/",
        max_age=3600,
        immutable_file_test=_VERSIONED_NAME,
        # In development pick up edited files without a restart; elsewhere scan once at start.
        autorefresh=app.config["STOREFRONT_ENV"] == "development",
    )
    return app


def _init_extensions(app: Flask) -> None:
    from storefront import (
        crypto,
        database,  # noqa: F401  (SQLite pragmas)
    )
    from storefront.auth.models import load_user_from_session
    from storefront.extensions import babel, csrf, db, limiter, login_manager, migrate
    from storefront.i18n import select_locale

    crypto.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_session)

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to open that page.")

    # Import every model so Alembic and create_all see the whole schema.
    from storefront import models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from storefront.auth import bp as auth_bp

    # Views attach their routes to the blueprints when imported.
    from storefront.auth import views as _auth  # noqa: F401
    from storefront.catalog import bp as catalog_bp
    from storefront.catalog import vendor_views as _vendor_products  # noqa: F401
    from storefront.manage import bp as manage_bp
    from storefront.manage import views as _manage  # noqa: F401
    from storefront.orders import bp as orders_bp
    from storefront.orders.views import manage as _orders_manage  # noqa: F401
    from storefront.orders.views import shopper as _orders  # noqa: F401
    from storefront.orders.views import webhooks as _payments  # noqa: F401
    from storefront.payments import bp as payments_bp
    from storefront.pos import bp as pos_bp
    from storefront.pos import views as _pos  # noqa: F401
    from storefront.settlements.views import manager as _settlements  # noqa: F401
    from storefront.settlements.views import rates as _rates  # noqa: F401
    from storefront.settlements.views import vendor as _statements  # noqa: F401
    from storefront.shop import bp as pages_bp
    from storefront.shop.views import home as _pages  # noqa: F401
    from storefront.shop.views import products as _catalog  # noqa: F401
    from storefront.shop.views import search as _search_views  # noqa: F401
    from storefront.shop.views import seo as _seo  # noqa: F401
    from storefront.stock import bp as consignment_bp
    from storefront.stock.views import history as _stock_history  # noqa: F401
    from storefront.stock.views import intake as _stock_intake  # noqa: F401
    from storefront.stock.views import operations as _stock  # noqa: F401
    from storefront.uploads import register_media_route
    from storefront.vendors import bp as vendors_bp
    from storefront.vendors import portal as _portal  # noqa: F401
    from storefront.vendors import views as _vendors  # noqa: F401

    app.register_blueprint(pages_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(vendors_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(consignment_bp)
    app.register_blueprint(pos_bp, url_prefix="/counter")
    register_media_route(app)
