"""How often each product is looked at and added to a cart, per day, for the vendor insights.

Counted without personal data (UU PDP): one row per product and WIB day holding two numbers,
raised in one `INSERT … ON CONFLICT DO UPDATE` statement. No account, address, cookie or
session is read or stored, so nothing here can tell one shopper from another.

Views are counted by a small request the product page sends once it is shown
(`static/js/product-seen.js`, `POST /product/<id>/seen`), not while the page is rendered: the
catalogue's pages are kept in the page cache for anonymous shoppers and served from there
without running the view, and a beacon counts those views the same as fresh ones. Browsers
without JavaScript and most crawlers send no beacon, which suits "how many people looked".
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

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


def _count(product_id: int, *, views: int = 0, add_to_carts: int = 0) -> None:
    """Raise today's numbers of one product in one statement (the caller commits)."""
    table = ProductDailyCount.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(
        product_id=product_id, day=today_wib(), views=views, add_to_carts=add_to_carts
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.product_id, table.c.day],
        set_={
            "views": table.c.views + statement.excluded.views,
            "add_to_carts": table.c.add_to_carts + statement.excluded.add_to_carts,
        },
    )
    db.session.execute(statement)


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
