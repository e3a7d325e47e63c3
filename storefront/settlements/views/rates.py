"""Commission rates for managers: the outlet default, per category and per vendor.

The most specific rate wins at the moment of sale (catalog.commission) and is snapshotted on
the sale line, so changing a rate here never changes a past sale or statement.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from storefront import audit
from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.catalog.commission import rates_in_effect
from storefront.categories import Category
from storefront.extensions import db
from storefront.settlements import bp
from storefront.settlements.forms import RateForm
from storefront.vendors.models import Vendor, VendorStatus
from storefront.vendors.services import default_commission_bp


@bp.route("/manage/settlements/commission")
@role_required(Role.MANAGER)
def commission_rates():
    categories = db.session.scalars(select(Category).order_by(Category.position)).all()
    vendors = db.session.scalars(
        select(Vendor).where(Vendor.status == VendorStatus.APPROVED.value).order_by(Vendor.name)
    ).all()
    return render_template(
        "settlements/commission.html",
        categories=categories,
        vendors=vendors,
        default_bp=default_commission_bp(),
        in_effect=rates_in_effect(vendors),
        form=RateForm(),
    )


def _save(record, kind: str):
    form = RateForm()
    if not form.validate_on_submit():
        flash(" ".join(form.percent.errors) or _("Enter a rate from 0 to 100 %."), "error")
        return redirect(url_for("settlements.commission_rates")), 303
    before = record.commission_bp
    record.commission_bp = form.percent.data
    audit.record(
        current_user,
        f"{kind}.commission",
        record,
        before={"commission_bp": before},
        after={"commission_bp": record.commission_bp},
    )
    flash(_("The commission rate is saved. It applies to sales from now on."), "success")
    return redirect(url_for("settlements.commission_rates"))


@bp.route("/manage/settlements/commission/categories/<int:category_id>", methods=["POST"])
@role_required(Role.MANAGER)
def category_commission(category_id: int):
    category = db.session.get(Category, category_id) or abort(404)
    return _save(category, "category")


@bp.route("/manage/settlements/commission/vendors/<int:vendor_id>", methods=["POST"])
@role_required(Role.MANAGER)
def vendor_commission(vendor_id: int):
    vendor = db.session.get(Vendor, vendor_id) or abort(404)
    return _save(vendor, "vendor")
