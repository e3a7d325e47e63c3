"""A vendor's insights in the vendor portal."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.dates import date_text
from storefront.money import format_rupiah
from storefront.reports import bp, charts, insights
from storefront.reports.labels import CHANNEL_LABELS
from storefront.reports.ranges import last_days
from storefront.settlements.documents import status_label as statement_status
from storefront.vendors.access import current_vendor
from storefront.vendors.services import is_owner


@bp.route("/vendor/insights")
@role_required(Role.VENDOR)
def vendor_insights():
    vendor = current_vendor()
    days = request.args.get("days", "30")
    days = int(days) if days.isdigit() and int(days) in insights.PERIODS else 30
    found = insights.build(vendor.id, last_days(days))
    return render_template(
        "reports/vendor_insights.html",
        vendor=vendor,
        is_owner=is_owner(current_user, vendor),
        insights=found,
        days=days,
        periods=insights.PERIODS,
        chart=charts.sales_per_day(found.per_day, CHANNEL_LABELS),
        chart_rows=[
            [date_text(day), *(format_rupiah(v[c]) for c in CHANNEL_LABELS)]
            for day, v in sorted(found.per_day.items(), reverse=True)
            if any(v.values())
        ],
        channel_labels=CHANNEL_LABELS,
        status_label=statement_status,
    )
