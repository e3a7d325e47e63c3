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
    """Build the app. `config` overrides settings read from the environment (tests use it).

    Configuration, extensions, then each feature package's `init_app`, which registers its
    blueprint with its views, commands and signals. Nothing registers itself on import.
    """
    from storefront import (
        auth,
        catalog,
        crypto,
        database,  # noqa: F401  (SQLite pragmas on every connection)
        manage,
        models,  # noqa: F401  (every table, for create_all and Alembic)
        orders,
        pos,
        settlements,
        shop,
        stock,
        vendors,
    )
    from storefront.cli import seed_demo
    from storefront.errors import register_error_handlers
    from storefront.extensions import babel, csrf, db, limiter, login_manager, migrate
    from storefront.i18n import select_locale
    from storefront.security import register_security_headers
    from storefront.templating import register_template_helpers
    from storefront.uploads import register_media_route

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

    crypto.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    translations = str(Path(__file__).parent / "translations")
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=translations)
    limiter.init_app(app)
    login_manager.init_app(app)

    for package in (shop, auth, catalog, orders, vendors, manage, stock, settlements, pos):
        package.init_app(app)
    register_media_route(app)
    app.cli.add_command(seed_demo)

    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
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
