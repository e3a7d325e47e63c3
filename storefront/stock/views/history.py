"""Stock and movement history pages: a vendor's own (read only) and the managers' view of all.

Vendor pages take the vendor from `current_vendor()` and ignore any `vendor` parameter, so a
vendor can only ever read its own batches and movements.
"""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.clock import today_wib
from storefront.navigation import page_number
from storefront.stock import bp, history
from storefront.vendors.access import current_vendor
from storefront.vendors.services import is_owner


@bp.route("/vendor/stock")
@role_required(Role.VENDOR)
def vendor_stock():
    vendor = current_vendor()
    include_empty = request.args.get("show") == "all"
    results, groups = history.vendor_stock(vendor.id, page_number(), include_empty=include_empty)
    return render_template(
        "stock/history/vendor_stock.html",
        vendor=vendor,
        results=results,
        groups=groups,
        include_empty=include_empty,
        is_owner=is_owner(current_user, vendor),
    )


def _vendor_filters(vendor_id: int):
    filters, errors = history.read_filters(request.args)
    # The vendor comes from the signed-in account, never from the URL.
    return history.MovementFilters(
        vendor_id=vendor_id,
        product_id=filters.product_id,
        kind=filters.kind,
        date_from=filters.date_from,
        date_to=filters.date_to,
    ), errors


@bp.route("/vendor/stock/movements")
@role_required(Role.VENDOR)
def vendor_movements():
    vendor = current_vendor()
    filters, errors = _vendor_filters(vendor.id)
    return render_template(
        "stock/history/vendor_movements.html",
        vendor=vendor,
        filters=filters,
        errors=errors,
        results=None if errors else history.movement_page(filters, page_number()),
        products=history.vendor_products(vendor.id),
        kinds=history.kind_choices(),
        kind_label=history.kind_label,
        document_label=history.document_label,
        csv_args={k: v for k, v in filters.query_args().items() if k != "vendor"},
        is_owner=is_owner(current_user, vendor),
    ), 200 if not errors else 400


def _csv_response(filters, errors, filename: str, *, with_vendor: bool):
    if errors:
        return Response("\n".join(errors.values()) + "\n", status=400, mimetype="text/plain")
    response = Response(history.csv_rows(filters, with_vendor=with_vendor), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/vendor/stock/movements.csv")
@role_required(Role.VENDOR)
def vendor_movements_csv():
    vendor = current_vendor()
    filters, errors = _vendor_filters(vendor.id)
    filename = f"stock-movements-{vendor.slug}-{today_wib().isoformat()}.csv"
    return _csv_response(filters, errors, filename, with_vendor=False)


@bp.route("/manage/stock/movements")
@role_required(Role.MANAGER)
def manage_movements():
    filters, errors = history.read_filters(request.args, product_code=True)
    return render_template(
        "stock/history/manage_movements.html",
        filters=filters,
        errors=errors,
        product_code=(request.args.get("product") or "").strip()[:40],
        results=None if errors else history.movement_page(filters, page_number()),
        vendors=history.vendor_choices(),
        kinds=history.kind_choices(),
        kind_label=history.kind_label,
        document_label=history.document_label,
        csv_args={k: v for k, v in request.args.items() if k != "page"},
    ), 200 if not errors else 400


@bp.route("/manage/stock/movements.csv")
@role_required(Role.MANAGER)
def manage_movements_csv():
    filters, errors = history.read_filters(request.args, product_code=True)
    filename = f"stock-movements-{today_wib().isoformat()}.csv"
    return _csv_response(filters, errors, filename, with_vendor=True)
