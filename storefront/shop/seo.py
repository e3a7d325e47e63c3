"""What search engines and link previews read: canonical URLs, share images, JSON-LD, the
sitemap, and the related products shown under a product.

Shoppers arrive from WhatsApp and Instagram links, so every shop page names one absolute,
tracking-free URL and an image WhatsApp can fetch for its preview. Templates use these through
`register_seo_helpers(app)` (called from create_app) and `templates/macros/seo.html`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from storefront.catalog.models import Product
from storefront.catalog.services import visible_products
from storefront.categories import Category
from storefront.extensions import db
from storefront.indonesia.regions import CITIES
from storefront.links import external_path_url, external_url
from storefront.shop.picker import VARIANT_PARAMETER
from storefront.shop.sizes import schema_property
from storefront.stock import markdowns
from storefront.stock.availability import LOW_STOCK
from storefront.templating import static_url
from storefront.vendors.models import Vendor, VendorStatus

# Query parameters that say where a visitor came from, never what the page shows.
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "igshid", "igsh", "yclid", "mc_cid", "mc_eid", "ref"}
)
SHARE_WIDTH = 1200
SHARE_FALLBACK = "img/share.jpg"
RELATED_LIMIT = 4
# One sitemap file may list at most 50,000 URLs (sitemaps.org).
SITEMAP_MAX_URLS = 50_000

SCHEMA_IN_STOCK = "https://schema.org/InStock"
SCHEMA_LIMITED = "https://schema.org/LimitedAvailability"
SCHEMA_OUT_OF_STOCK = "https://schema.org/OutOfStock"


def _is_tracking(name: str) -> bool:
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


def canonical_url(*keep: str) -> str:
    """This page's absolute URL without tracking parameters.

    With `keep`, only those query parameters survive (a product page keeps none); without, every
    non-tracking parameter does (listing filters change what the page shows). Empty values and
    `page=1` are dropped, so one page has one URL.
    """
    if request.endpoint is None:
        return external_path_url(request.path)
    args: dict[str, str | list[str]] = {}
    for name, values in sorted(request.args.lists()):
        kept = [value for value in values if value.strip()]
        if not kept or (keep and name not in keep) or _is_tracking(name):
            continue
        if name == "page" and kept == ["1"]:
            continue
        args[name] = kept if len(kept) > 1 else kept[0]
    return external_url(request.endpoint, **{**(request.view_args or {}), **args})


def share_image(photo=None, key: str | None = None) -> dict | None:
    """The picture a link preview shows: a photo's 1200px variant (or its largest), else a
    stored image key (a vendor logo), else None (the page falls back to the outlet logo)."""
    if photo is not None:
        widths = sorted(int(w) for w in str(photo.widths).split(","))
        width = next((w for w in widths if w >= SHARE_WIDTH), widths[-1])
        image = {"url": _absolute_media(f"{photo.image_key}-{width}.webp"), "width": width}
        full_width, full_height = getattr(photo, "width", None), getattr(photo, "height", None)
        if full_width and full_height:
            image["height"] = max(1, round(full_height * width / full_width))
        return image
    if key:
        return {"url": _absolute_media(key)}
    return None


def _absolute_media(relative: str) -> str:
    return external_url("media", relative=relative)


def outlet_image() -> dict:
    """The outlet's picture, for pages with no picture of their own: `static/img/share.jpg`
    (1200×630) when it exists, since WhatsApp and Facebook previews do not show SVG, else the
    SVG logo."""
    if (Path(current_app.static_folder) / SHARE_FALLBACK).is_file():
        return {
            "url": static_url(SHARE_FALLBACK, external=True),
            "width": 1200,
            "height": 630,
        }
    return {"url": static_url("img/logo.svg", external=True)}


def schema_availability(stock: int | None) -> str:
    """schema.org availability for the units a shopper can buy now (same thresholds as the
    "in stock" / "only N left" / "sold out" badge)."""
    if not stock or stock <= 0:
        return SCHEMA_OUT_OF_STOCK
    if stock <= LOW_STOCK:
        return SCHEMA_LIMITED
    return SCHEMA_IN_STOCK


def _offer(price: int, stock: int | None, url: str, seller: dict | None = None) -> dict:
    offer = {
        "@type": "Offer",
        # Integer rupiah, written without separators or decimals.
        "price": str(int(price)),
        "priceCurrency": "IDR",
        "availability": schema_availability(stock),
        "itemCondition": "https://schema.org/NewCondition",
        "url": url,
    }
    if seller is not None:
        offer["seller"] = seller
    return offer


def _seller(outlet_name: str) -> dict:
    return {"@type": "Organization", "name": outlet_name, "url": external_url("shop.home")}


def product_json_ld(product: Product, stock: int | None, outlet_name: str, picker=None) -> dict:
    """schema.org `Product` with one `Offer` in rupiah, for search results and previews; a
    product sold in sizes or colours (`picker`, shop/picker.py) is a `ProductGroup` whose
    `hasVariant` lists each size or colour on offer as a `Product` with its own code, price
    and availability.

    The template writes it with `|tojson`, which escapes <, > and & so no product text can
    close the script element.
    """
    url = external_url("shop.product", slug=product.slug)
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": product.code,
        "url": url,
        "brand": {"@type": "Brand", "name": product.vendor.name},
        "category": product.category.display_name,
        "offers": _offer(product.current_price, stock, url, _seller(outlet_name)),
    }
    if product.description:
        data["description"] = product.description
    images = [share_image(photo)["url"] for photo in product.photos]
    if images:
        data["image"] = images
    if picker is not None:
        _as_group(data, product, picker)
    return data


def _as_group(data: dict, product: Product, picker) -> None:
    kinds = {option.id: schema_property(option.name) for option in product.options}
    names = {option.id: option.name for option in product.options}
    data["@type"] = "ProductGroup"
    data["productGroupID"] = product.code
    data["variesBy"] = [
        f"https://schema.org/{kind}" for kind in dict.fromkeys(kinds.values()) if kind
    ]
    del data["offers"], data["sku"]
    today = product.current_price
    base = data["url"]  # the product's canonical URL: no query string of its own
    variants = []
    for variant in picker.sellable:
        url = f"{base}?{VARIANT_PARAMETER}={variant.id}"
        item = {
            "@type": "Product",
            "sku": variant.code,
            "name": variant.display_name(),
            "url": url,
            # Without the seller: the same outlet for every size, and the page stays small.
            "offers": _offer(
                today + variant.price_delta, picker.quantities.get(variant.id, 0), url
            ),
        }
        others = []
        for value in variant.values:
            kind = kinds.get(value.option_id)
            if kind:
                item[kind] = value.value
            else:
                others.append(
                    {"@type": "PropertyValue", "name": names[value.option_id], "value": value.value}
                )
        if others:
            item["additionalProperty"] = others
        own = [share_image(p)["url"] for p in product.photos if p.variant_id == variant.id]
        if own:
            item["image"] = own
        variants.append(item)
    data["hasVariant"] = variants


def related_products(
    product: Product, limit: int = RELATED_LIMIT
) -> tuple[list[Product], dict, dict]:
    """Up to `limit` other visible products of the same category, newest first, and their
    stock: one query for the products (vendor, category, photos and permits joined in), one for
    stock, however many are shown."""
    ids = _related_ids(product, limit)
    items = list(
        db.session.scalars(
            select(Product)
            .where(Product.id.in_(ids))
            .options(
                joinedload(Product.vendor),
                joinedload(Product.category),
                joinedload(Product.photos),
                # The product card shows the halal badge.
                joinedload(Product.permits),
                # The card's "from" price for sizes that differ in price.
                selectinload(Product.variants),
            )
            .order_by(Product.created_at.desc(), Product.id.desc())
        ).unique()
    )
    return items, *markdowns.listing_stock(items)


def _related_ids(product: Product, limit: int):
    # LIMIT inside IN (...) is refused by some databases; a derived table is not.
    newest = (
        visible_products()
        .with_only_columns(Product.id)
        .where(Product.category_id == product.category_id, Product.id != product.id)
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(limit)
        .subquery()
    )
    return select(newest.c.id)


def sitemap_entries() -> list[tuple[str, datetime | None]]:
    """(absolute URL, last modified) for every page a shopper can land on: home, categories,
    visible products, approved vendors. Columns only: the sitemap must stay cheap at 100k
    products."""
    entries: list[tuple[str, datetime | None]] = [(external_url("shop.home"), None)]
    for slug, updated in db.session.execute(
        select(Category.slug, Category.updated_at).order_by(Category.position, Category.name)
    ):
        entries.append((category_url(slug), updated))
    products = (
        visible_products()
        .with_only_columns(Product.slug, Product.updated_at)
        .order_by(Product.id)
        .limit(SITEMAP_MAX_URLS)
    )
    for slug, updated in db.session.execute(products):
        entries.append((external_url("shop.product", slug=slug), updated))
    vendors = (
        select(Vendor.slug, Vendor.updated_at)
        .where(Vendor.status == VendorStatus.APPROVED.value)
        .order_by(Vendor.id)
    )
    for slug, updated in db.session.execute(vendors):
        entries.append((external_url("shop.vendor_page", slug=slug), updated))
    return entries[:SITEMAP_MAX_URLS]


def category_url(slug: str) -> str:
    """A category's page: its own route once the listing pages have one, else the filtered
    search."""
    if "shop.category" in current_app.view_functions:
        return external_url("shop.category", slug=slug)
    return external_url("shop.search", category=slug)


def city_name(key: str | None) -> str:
    """The city's name ("Kabupaten Tangerang" for "kabupaten-tangerang"), else the key."""
    return dict(CITIES).get(key or "", key or "")


def vendor_location(vendor) -> str:
    """Where the maker works, as far as we know it: "Kec. Cikupa, Kabupaten Tangerang"."""
    parts = [_("Kec. %(name)s", name=vendor.kecamatan) if vendor.kecamatan else ""]
    parts.append(city_name(vendor.city))
    return ", ".join(part for part in parts if part)


def register_seo_helpers(app) -> None:
    app.jinja_env.globals.update(
        canonical_url=canonical_url,
        absolute_url=external_url,
        share_image=share_image,
        outlet_image=outlet_image,
        product_json_ld=product_json_ld,
        related_products=related_products,
        vendor_location=vendor_location,
    )
