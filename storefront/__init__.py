"""Gerai Tangerang Gemilang online storefront: the application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from whitenoise import WhiteNoise

from storefront.config import PROJECT_ROOT, load_config

# Files with a version or a content hash in their name never change; let browsers keep them.
_VERSIONED_NAME = r"(-\d+\.\d+\.\d+[.-]|\.[0-9a-f]{12}\.)"


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions and the unit of work, then each feature
    package's `init_app` (its blueprint, commands and signals). `config` overrides the
    environment's settings (tests)."""
    from storefront import (
        admin,
        auth,
        catalog,
        database,
        extensions,
        incubator,
        manage,
        marketing,
        models,  # noqa: F401  (every table, for create_all and Alembic)
        orders,
        payments,
        pos,
        reports,
        settlements,
        shop,
        stock,
        vendors,
        worker,
    )
    from storefront.cli import backup, restore, rotate_field_keys, seed_demo
    from storefront.errors import register_error_handlers
    from storefront.security import register_host_check, register_security_headers
    from storefront.shop.front_door import FrontDoor
    from storefront.templating import register_template_helpers
    from storefront.uploads import UploadAwareRequest, register_media_route

    instance_path = Path(os.environ.get("STOREFRONT_INSTANCE", PROJECT_ROOT / "instance"))
    # Every view runs as one action in one unit of work (database.py, DESIGN invariant 11).
    app = database.App(
        __name__,
        instance_path=str(instance_path.resolve()),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.request_class = UploadAwareRequest
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)

    register_host_check(app)
    extensions.init_app(app)
    database.init_app(app)
    for package in (shop, auth, catalog, orders, vendors, manage, stock, settlements, pos):
        package.init_app(app)
    for package in (reports, incubator, marketing, admin, payments, worker):
        package.init_app(app)
    register_media_route(app)
    for command in (seed_demo, backup, restore, rotate_field_keys):
        app.cli.add_command(command)

    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    # Kept catalogue pages for anonymous and signed-in shoppers, before Flask (issue 19).
    app.wsgi_app = FrontDoor(app, app.wsgi_app)
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(PROJECT_ROOT / "static"),
        prefix="static/",
        max_age=3600,
        immutable_file_test=_VERSIONED_NAME,
        # In development pick up edited files without a restart; elsewhere scan once at start.
        autorefresh=app.config["STOREFRONT_ENV"] == "development",
    )
    proxies = app.config["TRUSTED_PROXY_COUNT"]
    if proxies:
        # The client's address (rate limits, logs) and scheme come from the last `proxies`
        # entries the proxies appended; the Host header stays the one the proxy sent.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    return app
