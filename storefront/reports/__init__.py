"""How the outlet is doing: sales, stock and money figures for the manager dashboard, the
reports (on screen, CSV and XLSX) and the vendors' insights."""

import os
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, Flask
from flask_babel import format_number

from storefront.money import format_percent

bp = Blueprint("reports", __name__)


def share_percent(fraction: Decimal | float | None) -> str:
    """A share (0.455) as the shop writes a percentage, to one decimal: `45,5 %` in Indonesian,
    `45.5%` in English (money.format_percent, the one percent formatter)."""
    if fraction is None or fraction == "":
        return ""
    tenths = (Decimal(str(fraction)) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return format_percent(int(tenths) * 10)


def thousands(count: int | None) -> str:
    """12345 -> `12.345` in Indonesian, `12,345` in English."""
    return "" if count is None or count == "" else format_number(count)


def init_app(app: Flask) -> None:
    from storefront.reports.views import manager, vendor  # noqa: F401  (attach routes to bp)

    # How long the dashboard keeps the figures of the days before today (reports/dashboard.py);
    # tests see every change at once.
    default = 0 if app.config.get("TESTING") else 600
    app.config.setdefault(
        "REPORT_CACHE_SECONDS", int(os.environ.get("REPORT_CACHE_SECONDS", default))
    )
    app.add_template_filter(share_percent, "share")
    app.add_template_filter(thousands, "thousands")
    app.register_blueprint(bp)
