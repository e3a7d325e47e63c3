"""The manager's reports: a date range and filters, the table on screen, CSV and XLSX."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.categories import all_categories
from storefront.clock import today_wib
from storefront.dates import date_text
from storefront.errors import render_error
from storefront.extensions import db
from storefront.reports import bp, exports
from storefront.reports.labels import CHANNEL_LABELS
from storefront.reports.ranges import DateRange, RangeError, parse_range
from storefront.reports.sales import SalesFilter
from storefront.reports.tables import KINDS, SALES_GROUPS, ReportKind, Table
from storefront.vendors.models import Vendor, VendorStatus

SCREEN_ROWS = 200


def _kind(kind: str) -> ReportKind:
    found = KINDS.get(kind)
    if found is None:
        abort(404)
    return found


def _number(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _filters(kind: ReportKind) -> SalesFilter:
    channel = request.args.get("channel", "")
    return SalesFilter(
        vendor_id=_number("vendor"),
        category_id=_number("category"),
        channel=channel if kind.uses_channel and channel in CHANNEL_LABELS else None,
    )


def _build(kind: ReportKind) -> tuple[DateRange, SalesFilter, str, Table]:
    """Raises RangeError for a range the report refuses."""
    period = parse_range(request.args.get("start"), request.args.get("end"))
    if not kind.uses_range:
        period = DateRange(today_wib(), today_wib())
    wanted = _filters(kind)
    by = request.args.get("by", "vendor")
    by = by if by in SALES_GROUPS else "vendor"
    return period, wanted, by, kind.build(period, wanted, by)


def _vendors():
    return db.session.execute(
        select(Vendor.id, Vendor.name)
        .where(Vendor.status.in_((VendorStatus.APPROVED.value, VendorStatus.SUSPENDED.value)))
        .order_by(Vendor.name)
    ).all()


@bp.route("/manage/reports")
@role_required(Role.MANAGER)
def reports():
    return redirect(url_for("reports.report", kind="sales"))


@bp.route("/manage/reports/<kind>")
@role_required(Role.MANAGER)
def report(kind: str):
    report_kind = _kind(kind)
    error, table, period, by = None, None, None, request.args.get("by", "vendor")
    try:
        period, _wanted, by, table = _build(report_kind)
    except RangeError as exc:
        error = str(exc.message)
    return (
        render_template(
            "reports/report.html",
            kinds=KINDS,
            kind=report_kind,
            table=table,
            rows=table.rows[:SCREEN_ROWS] if table else [],
            screen_rows=SCREEN_ROWS,
            period=period,
            error=error,
            by=by,
            groups=SALES_GROUPS,
            channels=CHANNEL_LABELS,
            vendors=_vendors(),
            categories=all_categories(),
            args=request.args,
        ),
        400 if error else 200,
    )


@bp.route("/manage/reports/<kind>.<any(csv, xlsx):fmt>")
@role_required(Role.MANAGER)
def report_file(kind: str, fmt: str):
    report_kind = _kind(kind)
    try:
        period, wanted, by, table = _build(report_kind)
    except RangeError as exc:
        return render_error(400, message=str(exc.message))
    info = _info(report_kind, period, wanted, table)
    name = f"{kind}-{period.start.isoformat()}-{period.end.isoformat()}"
    if kind == "sales":
        name = f"sales-by-{by}-{period.start.isoformat()}-{period.end.isoformat()}"
    if fmt == "csv":
        body, mimetype = exports.to_csv(table, info), "text/csv; charset=utf-8"
    else:
        body, mimetype = exports.to_xlsx(table, info), exports.XLSX_MIMETYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _info(kind: ReportKind, period: DateRange, wanted: SalesFilter, table: Table):
    info = [(_("Report"), str(table.title))]
    if kind.uses_range:
        info.append((_("From"), date_text(period.start)))
        info.append((_("To"), date_text(period.end)))
    else:
        info.append((_("On"), date_text(period.end)))
    if wanted.vendor_id:
        vendor = db.session.get(Vendor, wanted.vendor_id)
        info.append((_("Vendor"), vendor.name if vendor else str(wanted.vendor_id)))
    if wanted.category_id:
        names = {c.id: c.display_name for c in all_categories()}
        info.append((_("Category"), names.get(wanted.category_id, str(wanted.category_id))))
    if wanted.channel:
        info.append((_("Channel"), str(CHANNEL_LABELS[wanted.channel])))
    if table.note:
        info.append((_("Note"), str(table.note)))
    return info
