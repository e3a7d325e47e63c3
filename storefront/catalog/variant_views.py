"""Vendor portal: a product's sizes and colours — its options, the grid of variants, which
variant a photo shows — on the product's edit page (`vendor_views.edit_product`)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.catalog import bp, variant_grid, variants
from storefront.catalog.forms import OptionsForm, PhotoVariantForm, VariantGridForm
from storefront.catalog.vendor_views import _edit_page, _own_product, variant_section
from storefront.forms import flash_error, form_error


def _to_variants(product):
    return redirect(url_for("catalog.edit_product", product_id=product.id, _anchor="variants"))


@bp.route("/vendor/products/<int:product_id>/options", methods=["POST"])
@role_required(Role.VENDOR)
def set_options(product_id: int):
    product = _own_product(product_id)
    form = OptionsForm()
    if form.validate_on_submit():
        try:
            made = variants.set_options(product, form.specs())
        except variants.VariantError as exc:
            form_error(form, exc, default="options")
        else:
            if made:
                flash(
                    ngettext(
                        "Saved: %(num)d new variant made.",
                        "Saved: %(num)d new variants made.",
                        len(made),
                    ),
                    "success",
                )
            else:
                flash(_("Saved. No new variants were needed."), "success")
            return _to_variants(product)
    parts = variant_section(product, options_form=form)
    return _edit_page(product, status=400, variant_parts=parts)


@bp.route("/vendor/products/<int:product_id>/variants", methods=["POST"])
@role_required(Role.VENDOR)
def save_variants(product_id: int):
    product = _own_product(product_id)
    form = VariantGridForm()
    refused = {}
    if form.validate_on_submit():
        try:
            changed = variant_grid.save_grid(product, form.changes())
        except variant_grid.GridRefused as exc:
            refused = exc.rows
            form_error(form, exc, default="rows")
        else:
            flash(
                ngettext(
                    "Saved: %(num)d variant changed.", "Saved: %(num)d variants changed.", changed
                ),
                "success",
            )
            return _to_variants(product)
    parts = variant_section(product, grid_form=form, refused=refused)
    return _edit_page(product, status=400, variant_parts=parts)


@bp.route("/vendor/products/<int:product_id>/variants/remove", methods=["POST"])
@role_required(Role.VENDOR)
def remove_options(product_id: int):
    product = _own_product(product_id)
    if not product.has_options:
        return _to_variants(product)
    try:
        variants.remove_options(product)
    except variants.VariantError as exc:
        flash_error(exc)
    else:
        flash(_("The product is sold as one item again."), "success")
    return _to_variants(product)


@bp.route("/vendor/products/<int:product_id>/photo/<int:photo_id>/variant", methods=["POST"])
@role_required(Role.VENDOR)
def photo_variant(product_id: int, photo_id: int):
    product = _own_product(product_id)
    if not any(photo.id == photo_id for photo in product.photos):
        abort(404)
    form = PhotoVariantForm(prefix=f"photo{photo_id}", variants=variant_grid.grid(product))
    if not form.validate_on_submit():
        flash(_("Choose the whole product or one of its variants."), "error")
        return redirect(url_for("catalog.edit_product", product_id=product.id, _anchor="photos"))
    chosen = form.variant_id.data
    try:
        variant_grid.assign_photo(product, photo_id, int(chosen) if chosen else None)
    except variants.VariantError as exc:
        flash_error(exc)
    else:
        flash(_("Photo saved."), "success")
    return redirect(url_for("catalog.edit_product", product_id=product.id, _anchor="photos"))
