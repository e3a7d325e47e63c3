"""Manager screens: dashboard, the vendor and product review queues, a vendor onboarded at the
counter. Orders, stock and settlements have their own manager pages in their packages."""

from flask import Blueprint, Flask

bp = Blueprint("manage", __name__, url_prefix="/manage")


def init_app(app: Flask) -> None:
    from storefront.manage import notifications, views  # noqa: F401  (attach routes to bp)

    app.add_template_global(notifications.unread_notifications)
    app.register_blueprint(bp)
