"""Vendors' own statements in the portal: list, detail, PDF, CSV and comments.

Every page takes the vendor from `current_vendor()` and looks statements up by id *and* that
vendor, so another vendor's statement answers 404 exactly like one that does not exist.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.settlements import bp, figures
from storefront.settlements import services as service
from storefront.settlements.documents import (
    payment_rows,
    statement_csv,
    statement_pdf,
    status_label,
    summary_rows,
)
from storefront.settlements.forms import CommentForm
from storefront.settlements.views.manager import _download, filename
from storefront.templating import outlet
from storefront.vendors.access import current_vendor
from storefront.vendors.services import is_owner


def _own(settlement_id: int):
    vendor = current_vendor()
    settlement = service.vendor_statement(vendor.id, settlement_id)
    if settlement is None:
        abort(404)
    return vendor, settlement


@bp.route("/vendor/statements")
@role_required(Role.VENDOR)
def vendor_statements():
    vendor = current_vendor()
    return render_template(
        "settlements/statements.html",
        vendor=vendor,
        statements=service.vendor_statements(vendor.id),
        status_label=status_label,
        is_owner=is_owner(current_user, vendor),
    )


@bp.route("/vendor/statements/<int:settlement_id>")
@role_required(Role.VENDOR)
def vendor_statement(settlement_id: int):
    vendor, settlement = _own(settlement_id)
    return render_template(
        "settlements/statements_detail.html",
        vendor=vendor,
        settlement=settlement,
        summary=summary_rows(settlement),
        markdowns=figures.markdowns(
            settlement.vendor_id, settlement.period_start, settlement.period_end
        ),
        pending_refunds=service.pending_refunds(settlement),
        payment=payment_rows(settlement),
        status_label=status_label,
        form=CommentForm(),
        is_owner=is_owner(current_user, vendor),
    )


@bp.route("/vendor/statements/<int:settlement_id>/statement.pdf")
@role_required(Role.VENDOR)
def vendor_statement_pdf(settlement_id: int):
    _vendor, settlement = _own(settlement_id)
    data = statement_pdf(settlement, outlet())
    return _download(data, "application/pdf", filename(settlement, "pdf"), inline=True)


@bp.route("/vendor/statements/<int:settlement_id>/statement.csv")
@role_required(Role.VENDOR)
def vendor_statement_csv(settlement_id: int):
    _vendor, settlement = _own(settlement_id)
    return _download(statement_csv(settlement), "text/csv", filename(settlement, "csv"))


@bp.route("/vendor/statements/<int:settlement_id>/comments", methods=["POST"])
@role_required(Role.VENDOR)
def vendor_statement_comment(settlement_id: int):
    _vendor, settlement = _own(settlement_id)
    form = CommentForm()
    target = redirect(url_for("settlements.vendor_statement", settlement_id=settlement.id))
    if not form.validate_on_submit():
        flash(_("Write your comment first."), "error")
        return target, 303
    service.add_comment(settlement, form.body.data, form.kind.data, author=current_user)
    flash(_("Thank you. The outlet will answer here."), "success")
    return target
