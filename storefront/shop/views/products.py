"""Shop pages for products: the listing (all products, search, a category), product detail and
the vendor page."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from storefront.auth.access import public
from storefront.catalog import interest, share_links
from storefront.catalog.models import Product
from storefront.catalog.preview import product_for_viewer
from storefront.catalog.services import approved_vendor_by_slug, visible_products
from storefront.categories import all_categories, category_by_slug
from storefront.extensions import csrf, db, limiter
from storefront.navigation import page_number
from storefront.security import is_cross_site_request
from storefront.shop import bp, picker
from storefront.shop.browse import (
    NAME_SORT,
    SORTS,
    ListingFilters,
    listing_sizes,
    listing_vendors,
    parse_listing_args,
    product_listing,
    with_rows,
)
from storefront.shop.page_cache import personal_page
from storefront.stock import markdowns
from storefront.stock.availability import availability_for
from storefront.vendors.models import Vendor, VendorStatus


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
    stock, marked = markdowns.listing_stock(results.items)
    return render_template(
        "shop/search.html",
        filters=filters,
        category_in_path=category_in_path is not None,
        messages=parsed.messages,
        categories=all_categories(),
        vendors=listing_vendors(selected=vendor),
        sizes=listing_sizes(filters),
        sorts=SORTS,
        results=results,
        stock=stock,
        marked=marked,
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
    if found.unlisted:
        personal_page()  # a preview for its vendor or the staff, never kept for others
    offers = markdowns.offers(item.id)
    if not item.has_options:
        return render_template(
            "shop/product.html",
            product=item,
            preview=found.unlisted,
            stock=availability_for([item])[item.id],
            offers=offers,
            photos=item.photos,
            picker=None,
            guide=picker.size_guide(item.size_guide),
        )
    # Sizes and colours: the choice is in the query string (shop/picker.py says how).
    item = picker.load_for_page(item)
    chosen = picker.build(item, request.args)
    by_variant: dict[int, list] = {}
    for offer in offers:
        by_variant.setdefault(offer.variant_id, []).append(offer)
    return render_template(
        "shop/product.html",
        product=item,
        preview=found.unlisted,
        stock=chosen.stock,
        offers=by_variant.get(chosen.variant.id, []) if chosen.variant else [],
        photos=picker.photos_for(item, chosen.variant),
        picker=chosen,
        guide=picker.size_guide(item.size_guide),
        variant_table=picker.script_table(item, chosen, by_variant),
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
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404)
    interest.count_view(product_id)
    campaign = share_links.campaign_from(request.args)
    if campaign is not None:
        interest.count_link_visit(product_id, campaign)
        _remember_came_from(product.vendor_id, campaign)
    return "", 204


def _remember_came_from(vendor_id: int, campaign: share_links.Campaign) -> None:
    """The shared link this visitor arrived by, for their cart and order (share_links.py):
    in their session only, and only the link's words and the vendor's id."""
    session[share_links.CAME_FROM_KEY] = share_links.came_from_value(vendor_id, campaign)


@bp.route("/vendors/<slug>/seen", methods=["POST"])
@csrf.exempt
@limiter.limit("60 per minute")
@public
def vendor_page_seen(slug: str):
    """The vendor's page was opened by a shared link (the poster's QR code): count the visit.
    Without campaign parameters there is nothing to count."""
    if is_cross_site_request():
        return "", 403
    vendor = approved_vendor_by_slug(slug)
    campaign = share_links.campaign_from(request.args)
    if vendor is None or campaign is None:
        abort(404)
    interest.count_vendor_link_visit(vendor.id, campaign)
    _remember_came_from(vendor.id, campaign)
    return "", 204


@bp.route("/s/<code>")
@public
def short_link(code: str):
    """A short shared link: to the product's or vendor's page with its campaign parameters,
    where the page's beacon counts the visit. A code for nothing listed is a plain 404."""
    found = share_links.parse_short_code(code)
    if found is None:
        abort(404)
    if found.kind == "product":
        product = db.session.scalar(visible_products().where(Product.id == found.id))
        if product is None:
            abort(404)
        target = url_for("shop.product", slug=product.slug)
    else:
        vendor = db.session.get(Vendor, found.id)
        if vendor is None or vendor.status != VendorStatus.APPROVED.value:
            abort(404)
        target = url_for("shop.vendor_page", slug=vendor.slug)
    return redirect(f"{target}?{urlencode(found.campaign.params())}")


@bp.route("/vendors/<slug>")
@public
def vendor_page(slug: str):
    vendor = approved_vendor_by_slug(slug)
    if vendor is None:
        abort(404)
    # The listing query, so the cards get their photos, permits and stock in one query each.
    results = product_listing(ListingFilters(vendor=vendor, sort=NAME_SORT), page=page_number())
    stock, marked = markdowns.listing_stock(results.items)
    return render_template(
        "shop/vendor.html", vendor=vendor, results=results, stock=stock, marked=marked
    )
