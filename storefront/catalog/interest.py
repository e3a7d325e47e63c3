"""How often each product is looked at and added to a cart, per day, for the vendor insights;
and how many visits, add-to-carts and orders each shared link brought (catalog/share_links.py).

Counted without personal data (UU PDP): one row per product and WIB day holding two numbers,
raised in one `INSERT … ON CONFLICT DO UPDATE` statement. No account, address, cookie or
session is read or stored, so nothing here can tell one shopper from another.

Views are counted by a small request the product page sends once it is shown
(`static/js/product-seen.js`, `POST /product/<id>/seen`), not while the page is rendered: the
catalogue's pages are kept in the page cache for anonymous shoppers and served from there
without running the view, and a beacon counts those views the same as fresh ones. Browsers
without JavaScript and most crawlers send no beacon, which suits "how many people looked".

A shared link's figures are kept the same way, per product (or, for a link to the vendor's
page, per vendor), day, source and campaign. The visit is counted by the same beacon, which
passes on the page's campaign parameters; the add-to-cart and the order by the views that
already count them, from the "came from" the visitor's session holds (never a table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from storefront.catalog.models import Product
from storefront.catalog.share_links import Campaign
from storefront.clock import today_wib
from storefront.extensions import db


class ProductDailyCount(db.Model):
    __tablename__ = "product_daily_counts"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    add_to_carts: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )


class LinkDailyCount(db.Model):
    """What the links shared for one product brought on one day, per source and campaign."""

    __tablename__ = "link_daily_counts"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(40), primary_key=True)
    visits: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    add_to_carts: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    orders: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")


class VendorLinkDailyCount(db.Model):
    """Visits to a vendor's own page by a shared link (the poster's QR code, for one). What
    those visitors then put in their cart and order is counted per product above."""

    __tablename__ = "vendor_link_daily_counts"

    vendor_id: Mapped[int] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(40), primary_key=True)
    visits: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")


def _raise(model, keys: dict, amounts: dict) -> None:
    """Raise today's numbers of one row in one statement, adding it if new (the caller
    commits). Two shoppers at once both count: the database adds, not Python."""
    table = model.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(day=today_wib(), **keys, **amounts)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in ("day", *keys)],
        set_={name: table.c[name] + statement.excluded[name] for name in amounts},
    )
    db.session.execute(statement)


def _count(product_id: int, *, views: int = 0, add_to_carts: int = 0) -> None:
    _raise(
        ProductDailyCount,
        {"product_id": product_id},
        {"views": views, "add_to_carts": add_to_carts},
    )


def _link(product_id: int, campaign: Campaign, **amounts: int) -> None:
    keys = {"product_id": product_id, "source": campaign.source, "campaign": campaign.campaign}
    _raise(
        LinkDailyCount,
        keys,
        {"visits": 0, "add_to_carts": 0, "orders": 0, **amounts},
    )


def count_link_visit(product_id: int, campaign: Campaign) -> None:
    _link(product_id, campaign, visits=1)


def count_link_add_to_cart(product_id: int, campaign: Campaign) -> None:
    _link(product_id, campaign, add_to_carts=1)


def count_link_order(product_id: int, campaign: Campaign) -> None:
    _link(product_id, campaign, orders=1)


def count_vendor_link_visit(vendor_id: int, campaign: Campaign) -> None:
    keys = {"vendor_id": vendor_id, "source": campaign.source, "campaign": campaign.campaign}
    _raise(VendorLinkDailyCount, keys, {"visits": 1})


def count_view(product_id: int) -> None:
    _count(product_id, views=1)


def count_add_to_cart(product_id: int) -> None:
    _count(product_id, add_to_carts=1)


def totals(product_ids, start: date, end: date) -> dict[int, tuple[int, int]]:
    """(views, add-to-carts) per product over the days `start`…`end` (both included)."""
    ids = list(product_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            ProductDailyCount.product_id,
            db.func.sum(ProductDailyCount.views),
            db.func.sum(ProductDailyCount.add_to_carts),
        )
        .where(
            ProductDailyCount.product_id.in_(ids),
            ProductDailyCount.day >= start,
            ProductDailyCount.day <= end,
        )
        .group_by(ProductDailyCount.product_id)
    )
    return {pid: (int(v or 0), int(a or 0)) for pid, v, a in rows}


@dataclass
class LinkFigures:
    """What one shared link (a source and campaign) brought, for one product or a vendor."""

    campaign: Campaign
    product_id: int | None = None  # None: the vendor's page, or all their products together
    visits: int = 0
    add_to_carts: int = 0
    orders: int = 0


def link_figures(
    vendor_id: int, start: date, end: date, *, product_id: int | None = None
) -> tuple[list[LinkFigures], list[LinkFigures]]:
    """(per link over all the vendor's products and page, per link and product) for the days
    `start`…`end`, most visits first. With `product_id`, that product's links only."""
    from_products = (
        select(
            LinkDailyCount.product_id,
            LinkDailyCount.source,
            LinkDailyCount.campaign,
            db.func.sum(LinkDailyCount.visits),
            db.func.sum(LinkDailyCount.add_to_carts),
            db.func.sum(LinkDailyCount.orders),
        )
        .join(Product, Product.id == LinkDailyCount.product_id)
        .where(Product.vendor_id == vendor_id, LinkDailyCount.day.between(start, end))
        .group_by(LinkDailyCount.product_id, LinkDailyCount.source, LinkDailyCount.campaign)
    )
    if product_id is not None:
        from_products = from_products.where(LinkDailyCount.product_id == product_id)
    per_product = [
        LinkFigures(Campaign(source, campaign), pid, int(v or 0), int(a or 0), int(o or 0))
        for pid, source, campaign, v, a, o in db.session.execute(from_products)
    ]
    per_link: dict[Campaign, LinkFigures] = {}
    for row in per_product:
        total = per_link.setdefault(row.campaign, LinkFigures(row.campaign))
        total.visits += row.visits
        total.add_to_carts += row.add_to_carts
        total.orders += row.orders
    if product_id is None:
        page_visits = db.session.execute(
            select(
                VendorLinkDailyCount.source,
                VendorLinkDailyCount.campaign,
                db.func.sum(VendorLinkDailyCount.visits),
            )
            .where(
                VendorLinkDailyCount.vendor_id == vendor_id,
                VendorLinkDailyCount.day.between(start, end),
            )
            .group_by(VendorLinkDailyCount.source, VendorLinkDailyCount.campaign)
        )
        for source, campaign, visits in page_visits:
            key = Campaign(source, campaign)
            per_link.setdefault(key, LinkFigures(key)).visits += int(visits or 0)

    def order(row: LinkFigures):
        return (-row.orders, -row.visits, row.campaign.source, row.campaign.campaign)

    return sorted(per_link.values(), key=order), sorted(per_product, key=order)
