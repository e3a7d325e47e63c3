"""Shop pages for products: the listing (all products, search, a category), product detail and
the vendor page."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from storefront.auth.access import public
from storefront.catalog import interest
from storefront.catalog.models import Product
from storefront.catalog.preview import product_for_viewer
from storefront.catalog.services import approved_vendor_by_slug
from storefront.categories import all_categories, category_by_slug
from storefront.extensions import csrf, db, limiter
from storefront.navigation import page_number
from storefront.security import is_cross_site_request
from storefront.shop import bp
from storefront.shop.browse import (
    NAME_SORT,
    SORTS,
    ListingFilters,
    listing_vendors,
    parse_listing_args,
    product_listing,
    with_rows,
)
from storefront.stock import markdowns
from storefront.stock.availability import availability_for


def _listing(category_in_path=None):
    """Both listing URLs: parse the GET filters, look up the slugs (unknown ones are a 404,
    as a stale shared link should say plainly), render one page of results."""
    parsed = parse_listing_args(request.args)
    category = category_in_path
    if category is None and parsed.category_slug:
        category = category_by_slug(parsed.category_slug)
        if category is None:
            abort(404)
    vendor = None
    if parsed.vendor_slug:
        vendor = approved_vendor_by_slug(parsed.vendor_slug)
        if vendor is None:
            abort(404)
    filters = with_rows(parsed, category, vendor)
    results = product_listing(filters, page=page_number())
    return render_template(
        "shop/search.html",
        filters=filters,
        category_in_path=category_in_path is not None,
        messages=parsed.messages,
        categories=all_categories(),
        vendors=listing_vendors(selected=vendor),
        sorts=SORTS,
        results=results,
        stock=availability_for(results.items),
        query=filters.q,
        category=category,
    )


@bp.route("/search")
@public
def search():
    return _listing()


@bp.route("/category/<slug>")
@public
def category(slug: str):
    found = category_by_slug(slug)
    if found is None:
        abort(404)
    return _listing(found)


@bp.route("/product/<slug>")
@public
def product(slug: str):
    # Shoppers see listed products only; the product's own vendor and managers may preview it.
    found = product_for_viewer(slug, current_user)
    if found is None:
        abort(404)
    item = found.product
    return render_template(
        "shop/product.html",
        product=item,
        preview=found.unlisted,
        stock=availability_for([item])[item.id],
        offers=markdowns.offers(item.id),
    )


@bp.route("/product/<int:product_id>/seen", methods=["POST"])
@csrf.exempt
@limiter.limit("60 per minute")
@public
def product_seen(product_id: int):
    """The product page was shown: count one view (catalog/interest.py says why a beacon).
    No token: it carries nothing of the visitor's and changes only a daily number."""
    if is_cross_site_request():
        return "", 403
    if db.session.get(Product, product_id) is None:
        abort(404)
    interest.count_view(product_id)
    return "", 204


@bp.route("/vendors/<slug>")
@public
def vendor_page(slug: str):
    vendor = approved_vendor_by_slug(slug)
    if vendor is None:
        abort(404)
    # The listing query, so the cards get their photos, permits and stock in one query each.
    results = product_listing(ListingFilters(vendor=vendor, sort=NAME_SORT), page=page_number())
    return render_template(
        "shop/vendor.html",
        vendor=vendor,
        results=results,
        stock=availability_for(results.items),
    )
