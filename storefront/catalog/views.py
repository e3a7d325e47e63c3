"""Shop pages for products: search and listing, product detail."""

from __future__ import annotations

from flask import abort, render_template, request

from storefront.auth.access import public
from storefront.catalog import bp
from storefront.catalog.services import (
    all_categories,
    approved_vendor_by_slug,
    category_by_slug,
    search_products,
    vendor_listing,
    visible_product_by_slug,
)
from storefront.consignment.availability import availability_for
from storefront.navigation import page_number


@bp.route("/search")
@public
def search():
    query = request.args.get("q", "").strip()[:100]
    category_slug = request.args.get("category") or None
    category = category_by_slug(category_slug) if category_slug else None
    if category_slug and category is None:
        abort(404)
    results = search_products(query, category_slug, page=page_number())
    return render_template(
        "catalog/search.html",
        query=query,
        category=category,
        categories=all_categories(),
        results=results,
        stock=availability_for(results.items),
    )


@bp.route("/product/<slug>")
@public
def product(slug: str):
    item = visible_product_by_slug(slug)
    if item is None:
        abort(404)
    return render_template(
        "catalog/product.html", product=item, stock=availability_for([item])[item.id]
    )


@bp.route("/vendors/<slug>")
@public
def vendor_page(slug: str):
    vendor = approved_vendor_by_slug(slug)
    if vendor is None:
        abort(404)
    results = vendor_listing(vendor, page_number())
    return render_template(
        "catalog/vendor.html",
        vendor=vendor,
        results=results,
        stock=availability_for(results.items),
    )
