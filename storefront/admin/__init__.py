"""What only administrators do: the shop settings, staff accounts and the audit log
(`/admin`, every route `@role_required(Role.ADMIN)`)."""

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    from storefront.admin import audit_log
    from storefront.admin.views import audit_log as log_views  # noqa: F401  (routes)
    from storefront.admin.views import settings, users  # noqa: F401

    app.add_template_global(audit_log.action_label, "audit_action_label")
    app.register_blueprint(bp)
