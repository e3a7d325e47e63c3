"""The kit's pages ("Materi promosi") in the vendor portal, and the same for managers, with the
share images, poster and what each shared link brought."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from flask import Response, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.catalog import interest
from storefront.catalog import products as listings
from storefront.catalog.models import Product, ProductStatus
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.marketing import bp, captions, images, poster
from storefront.marketing.kit import KitSubject, kept_file, product_subject, vendor_subject
from storefront.vendors.access import current_vendor
from storefront.vendors.models import Vendor, VendorStatus
from storefront.vendors.services import is_owner

STATS_DAYS = 30
FILES = {
    "square.png": ("square", "image/png"),
    "story.png": ("story", "image/png"),
    "poster.pdf": ("poster", "application/pdf"),
}


def _file(subject: KitSubject, name: str):
    what, mimetype = FILES.get(name, (None, None))
    if what is None:
        abort(404)
    if what == "poster":
        path = kept_file(subject, what, "pdf", lambda: poster.poster_pdf(subject))
    else:
        path = kept_file(subject, what, "png", lambda: images.share_image(subject, what))
    # Read whole (a few hundred kB): no open file handed to the server to close later.
    response = Response(path.read_bytes(), mimetype=mimetype)
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    # The vendor's own file (no personal data in it): browsers may keep it, proxies may not.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="{subject.kind}-{subject.id}-{name}"'
    )
    return response


def _share(subject: KitSubject) -> dict:
    whatsapp_text = f"{subject.title}\n{subject.link('whatsapp')}"
    return {
        "whatsapp": "https://wa.me/?text=" + quote(whatsapp_text, safe=""),
        "facebook": "https://www.facebook.com/sharer/sharer.php?u="
        + quote(subject.link("facebook"), safe=""),
        "link": subject.link("link"),
    }


def _page(
    subject: KitSubject,
    *,
    vendor: Vendor,
    product: Product | None,
    file_endpoint: str,
    file_args: dict,
    manager: bool,
    products=(),
):
    today = today_wib()
    per_link, per_product = interest.link_figures(
        vendor.id,
        today - timedelta(days=STATS_DAYS - 1),
        today,
        product_id=product.id if product else None,
    )
    names = dict(
        db.session.execute(
            select(Product.id, Product.name).where(
                Product.id.in_({row.product_id for row in per_product})
            )
        ).all()
    )
    return render_template(
        "marketing/kit.html",
        subject=subject,
        vendor=vendor,
        product=product,
        listed=product is None
        or (product.status == ProductStatus.APPROVED.value and not product.hidden),
        manager=manager,
        is_owner=not manager and is_owner(current_user, vendor),
        file_url=lambda name, **extra: _url(file_endpoint, file_args, name, extra),
        captions=captions.captions(subject),
        share=_share(subject),
        poster_link=subject.short_link("poster"),
        per_link=per_link,
        per_product=per_product if product is None else [],
        product_names=names,
        products=products,
        stats_days=STATS_DAYS,
    )


def _url(endpoint: str, args: dict, name: str, extra: dict) -> str:
    return url_for(endpoint, name=name, **args, **extra)


def _listed_products(vendor_id: int) -> list[Product]:
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.vendor_id == vendor_id, Product.status == ProductStatus.APPROVED.value)
            .order_by(Product.name)
        )
    )


# --- the vendor portal ---------------------------------------------------------------------


def _own_product(product_id: int) -> Product:
    """A product of the signed-in person's vendor, else 404 (never a hint it exists)."""
    product = listings.vendor_product(current_vendor().id, product_id)
    if product is None:
        abort(404)
    return product


@bp.route("/vendor/marketing")
@role_required(Role.VENDOR)
def vendor_kit():
    vendor = current_vendor()
    return _page(
        vendor_subject(vendor),
        vendor=vendor,
        product=None,
        file_endpoint="marketing.vendor_kit_file",
        file_args={},
        manager=False,
        products=_listed_products(vendor.id),
    )


@bp.route("/vendor/marketing/<name>")
@role_required(Role.VENDOR)
def vendor_kit_file(name: str):
    return _file(vendor_subject(current_vendor()), name)


@bp.route("/vendor/products/<int:product_id>/marketing")
@role_required(Role.VENDOR)
def product_kit(product_id: int):
    product = _own_product(product_id)
    return _page(
        product_subject(product),
        vendor=product.vendor,
        product=product,
        file_endpoint="marketing.product_kit_file",
        file_args={"product_id": product.id},
        manager=False,
    )


@bp.route("/vendor/products/<int:product_id>/marketing/<name>")
@role_required(Role.VENDOR)
def product_kit_file(product_id: int, name: str):
    return _file(product_subject(_own_product(product_id)), name)


# --- managers ------------------------------------------------------------------------------


def _vendor(vendor_id: int) -> Vendor:
    vendor = db.session.get(Vendor, vendor_id)
    if vendor is None or vendor.status not in (
        VendorStatus.APPROVED.value,
        VendorStatus.SUSPENDED.value,
    ):
        abort(404)
    return vendor


def _product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404)
    return product


@bp.route("/manage/vendors/<int:vendor_id>/marketing")
@role_required(Role.MANAGER)
def manage_vendor_kit(vendor_id: int):
    vendor = _vendor(vendor_id)
    return _page(
        vendor_subject(vendor),
        vendor=vendor,
        product=None,
        file_endpoint="marketing.manage_vendor_kit_file",
        file_args={"vendor_id": vendor.id},
        manager=True,
        products=_listed_products(vendor.id),
    )


@bp.route("/manage/vendors/<int:vendor_id>/marketing/<name>")
@role_required(Role.MANAGER)
def manage_vendor_kit_file(vendor_id: int, name: str):
    return _file(vendor_subject(_vendor(vendor_id)), name)


@bp.route("/manage/products/<int:product_id>/marketing")
@role_required(Role.MANAGER)
def manage_product_kit(product_id: int):
    product = _product(product_id)
    return _page(
        product_subject(product),
        vendor=product.vendor,
        product=product,
        file_endpoint="marketing.manage_product_kit_file",
        file_args={"product_id": product.id},
        manager=True,
    )


@bp.route("/manage/products/<int:product_id>/marketing/<name>")
@role_required(Role.MANAGER)
def manage_product_kit_file(product_id: int, name: str):
    return _file(product_subject(_product(product_id)), name)
