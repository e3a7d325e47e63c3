"""Vendor portal: the vendor's product listings, their permits and photos (sizes and colours:
`variant_views.py`)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.catalog import bp, commission, permits, variant_grid, variants
from storefront.catalog import products as listings
from storefront.catalog.forms import (
    PERMIT_KINDS,
    OptionsForm,
    PermitForm,
    PhotoForm,
    PhotoVariantForm,
    ProductForm,
    VariantGridForm,
)
from storefront.catalog.models import PermitKind, ProductStatus
from storefront.catalog.permits import needs_permits, requirements
from storefront.categories import all_categories
from storefront.clock import today_wib
from storefront.files import send_private
from storefront.forms import flash_error, form_error
from storefront.indonesia import identifiers
from storefront.navigation import page_number
from storefront.uploads import UploadRejected, delete_stored, save_document, upload_form
from storefront.vendors.access import current_vendor
from storefront.vendors.services import is_owner


def _own_product(product_id: int):
    """A product of the signed-in person's vendor, else 404 (never a hint it exists)."""
    product = listings.vendor_product(current_vendor().id, product_id)
    if product is None:
        abort(404)
    return product


def _details(form: ProductForm) -> listings.ProductDetails:
    return listings.ProductDetails(
        name=form.name.data.strip(),
        category_id=form.category_id.data,
        description=form.description.data.strip(),
        price=form.price.data,
        unit=form.unit.data.strip(),
        net_content=(form.net_content.data or "").strip(),
        ingredients=(form.ingredients.data or "").strip(),
        allergens=(form.allergens.data or "").strip(),
        storage=(form.storage.data or "").strip(),
        shelf_life_days=form.shelf_life_days.data,
        non_halal=bool(form.non_halal.data),
        non_halal_ingredient=(form.non_halal_ingredient.data or "").strip(),
        food_type=form.food_type.data,
        animal_derived=bool(form.animal_derived.data),
        size_guide=(form.size_guide.data or "").strip(),
    )


@bp.route("/vendor/products")
@role_required(Role.VENDOR)
def products():
    vendor = current_vendor()
    return render_template(
        "catalog/products/list.html",
        vendor=vendor,
        results=listings.vendor_products(vendor.id, page_number()),
        is_owner=is_owner(current_user, vendor),
    )


@bp.route("/vendor/products/new", methods=["GET", "POST"])
@role_required(Role.VENDOR)
def new_product():
    vendor = current_vendor()
    form = ProductForm(categories=all_categories())
    if form.validate_on_submit():
        try:
            product = listings.create_product(vendor, current_user, _details(form))
        except listings.ListingError as exc:
            form_error(form, exc, default="name")
        else:
            flash(
                _("Product saved as a draft. Add photos and permits, then send it for review."),
                "success",
            )
            return redirect(url_for("catalog.edit_product", product_id=product.id))
    return render_template(
        "catalog/products/form.html",
        form=form,
        product=None,
        is_owner=is_owner(current_user, vendor),
    )


def variant_section(product, options_form=None, grid_form=None, refused=None) -> dict:
    """What the edit page's "Sizes and colours" part shows: the options, the grid of variants
    with their stock, and for each photo which variant it shows."""
    rows = variant_grid.grid(product)
    on_offer = [v for v in rows if v.active]
    return {
        "options_form": options_form or OptionsForm.for_product(product),
        "grid_form": grid_form or VariantGridForm.for_variants(rows),
        "grid_variants": {v.id: v for v in rows},
        "on_hand": variants.stock_on_hand(v.id for v in rows),
        "refused": refused or {},
        "photo_forms": {
            photo.id: PhotoVariantForm(
                formdata=None,
                prefix=f"photo{photo.id}",
                variants=on_offer,
                data={"variant_id": str(photo.variant_id or "")},
            )
            for photo in product.photos
        }
        if on_offer
        else {},
    }


def _edit_page(
    product,
    form=None,
    permit_form=None,
    photo_form=None,
    status=200,
    ask_price=False,
    variant_parts=None,
):
    return (
        render_template(
            "catalog/products/form.html",
            product=product,
            form=form or ProductForm(obj=product, categories=all_categories()),
            permit_form=permit_form or PermitForm(),
            photo_form=photo_form or PhotoForm(),
            permit_kinds=dict(PERMIT_KINDS),
            needs_permits=needs_permits(product),
            needed=requirements(product),
            ask_price=ask_price,
            prices=listings.price_history(product),
            earliest_price_date=listings.earliest_price_date(),
            max_photos=listings.MAX_PHOTOS,
            today=today_wib(),
            is_owner=is_owner(current_user, product.vendor),
            **(variant_parts or variant_section(product)),
        ),
        status,
    )


@bp.route("/vendor/products/<int:product_id>", methods=["GET", "POST"])
@role_required(Role.VENDOR)
def edit_product(product_id: int):
    product = _own_product(product_id)
    form = ProductForm(obj=product, categories=all_categories())
    if not form.is_submitted():
        form.price.data = listings.latest_price(product)
    if form.validate_on_submit():
        try:
            back_to_review = listings.update_product(
                product,
                current_user,
                _details(form),
                price_confirmed=form.confirm_price.data,
                price_from=form.price_from.data,
            )
        except listings.ListingError as exc:
            form_error(form, exc, default="name")
            ask_price = isinstance(exc, listings.PriceChangeUnconfirmed)
            return _edit_page(product, form=form, status=400, ask_price=ask_price)
        else:
            if back_to_review:
                flash(_("Saved. The changes go live after a manager reviews them again."), "info")
            else:
                flash(_("Saved."), "success")
            return redirect(url_for("catalog.edit_product", product_id=product.id))
    return _edit_page(product, form=form)


@bp.route("/vendor/products/<int:product_id>/permits", methods=["POST"])
@role_required(Role.VENDOR)
@upload_form
def add_permit(product_id: int):
    product = _own_product(product_id)
    form = PermitForm()
    if not form.validate_on_submit():
        return _edit_page(product, permit_form=form, status=400)
    stored = None
    try:
        if form.file.data:
            stored = save_document(form.file.data, folder=f"vendors/{product.vendor_id}")
        listings.set_permit(
            product,
            kind=PermitKind(form.kind.data),
            number=form.number.data,
            issued_on=form.issued_on.data,
            expires_on=form.expires_on.data,
            stored_file=stored,
            today=today_wib(),
        )
    except (identifiers.InvalidIdentifier, listings.ListingError, UploadRejected) as exc:
        if stored is not None:
            delete_stored(stored.path)
        form_error(form, exc, default="file" if isinstance(exc, UploadRejected) else "number")
        return _edit_page(product, permit_form=form, status=400)
    flash(_("Permit saved."), "success")
    return redirect(url_for("catalog.edit_product", product_id=product.id))


@bp.route("/vendor/products/<int:product_id>/permits/<kind>/delete", methods=["POST"])
@role_required(Role.VENDOR)
def delete_permit(product_id: int, kind: str):
    product = _own_product(product_id)
    if kind not in {k.value for k in PermitKind}:
        abort(404)
    listings.remove_permit(product, PermitKind(kind))
    flash(_("Permit removed."), "info")
    return redirect(url_for("catalog.edit_product", product_id=product.id))


@bp.route("/vendor/products/<int:product_id>/permits/<kind>/file")
@role_required(Role.VENDOR)
def permit_file(product_id: int, kind: str):
    product = _own_product(product_id)
    permit = next((p for p in product.permits if p.kind == kind and p.file_path), None)
    if permit is None:
        abort(404)
    return send_private(permit.file_path, permit.mime, permit.original_name)


@bp.route("/vendor/products/<int:product_id>/photos", methods=["POST"])
@role_required(Role.VENDOR)
@upload_form
def add_photo(product_id: int):
    product = _own_product(product_id)
    form = PhotoForm()
    if not form.validate_on_submit():
        return _edit_page(product, photo_form=form, status=400)
    try:
        listings.add_photo(product, form.photo.data)
    except (UploadRejected, listings.ListingError) as exc:
        form_error(form, exc, default="photo")
        return _edit_page(product, photo_form=form, status=400)
    flash(_("Photo added."), "success")
    return redirect(url_for("catalog.edit_product", product_id=product.id))


@bp.route("/vendor/products/<int:product_id>/photos/<int:photo_id>/<action>", methods=["POST"])
@role_required(Role.VENDOR)
def change_photo(product_id: int, photo_id: int, action: str):
    product = _own_product(product_id)
    try:
        if action == "up":
            listings.move_photo(product, photo_id, -1)
        elif action == "down":
            listings.move_photo(product, photo_id, +1)
        elif action == "delete":
            listings.delete_photo(product, photo_id)
        else:
            abort(404)
    except listings.ListingError:
        abort(404)
    return redirect(url_for("catalog.edit_product", product_id=product.id))


@bp.route("/vendor/products/<int:product_id>/submit", methods=["POST"])
@role_required(Role.VENDOR)
def submit_product(product_id: int):
    product = _own_product(product_id)
    if product.status == ProductStatus.SUBMITTED:
        flash(_("This product is already waiting for review."), "info")
        return redirect(url_for("catalog.edit_product", product_id=product.id))
    try:
        listings.submit(product, current_user)
    except listings.ListingError as exc:
        flash_error(exc)
        return redirect(url_for("catalog.edit_product", product_id=product.id))
    flash(_("Sent for review. We will let you know."), "success")
    return redirect(url_for("catalog.products"))


@bp.app_template_global()
def permit_alerts_for(vendor_id: int) -> tuple[list, list]:
    """The vendor dashboard's banners: products whose permits expire within 30 days, and those
    already expired. vendors/ sits below catalog/, so its dashboard template asks for them here
    instead of its view importing catalog."""
    return listings.permit_alerts(vendor_id, today_wib())


@bp.app_template_global()
def commission_in_effect_for(vendor) -> list:
    """The vendor dashboard's commission: the rates its sales actually get (its own, its
    categories', the outlet default for the rest), by `commission.rates_in_effect`; vendors/
    cannot import catalog/, so its template asks here."""
    return commission.rates_in_effect([vendor])[vendor.id]


@bp.app_template_global()
def permit_number(permit) -> str:
    """A permit number as printed on the label: `P-IRT No. 2093603010123-28` for a P-IRT."""
    if permit.kind == PermitKind.PIRT:
        return identifiers.format_pirt(permit.number)
    return permit.number


bp.add_app_template_global(permits.non_halal_label, "non_halal_label")
