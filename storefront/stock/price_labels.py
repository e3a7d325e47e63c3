"""Price changes as the shelf sees them: which batches carry a label with the old price.

A vendor's new price takes effect from a date (catalog.products.change_price). Until then the
shop and the till charge today's price, which is what the labels on the shelf say; from that
date the new one. Managers see each change that is waiting or took effect lately, with the
batches on the shelf received before it (their labels print the old price) and a link that
prints their new labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from storefront.catalog.models import PriceChange, Product, ProductVariant
from storefront.clock import start_of_day, today_wib
from storefront.extensions import db
from storefront.stock.models import Batch, StockLevel

# Changes that took effect this many days ago are still listed: labels missed on the day.
RECENT_DAYS = 7


@dataclass(frozen=True)
class ShelfBatch:
    batch: Batch
    on_hand: int

    def new_price(self, change: PriceChange) -> int:
        """The batch's label price from the change on: its size's price difference counts."""
        return change.new_price + self.batch.variant.price_delta


@dataclass(frozen=True)
class LabelChange:
    change: PriceChange
    batches: list[ShelfBatch]

    @property
    def waiting(self) -> bool:
        return self.change.effective_on > today_wib()


def _in_force(change: PriceChange) -> bool:
    """Not replaced by a later change: the product's price on its date is still this one."""
    return change.product.price_on(change.effective_on) == change.new_price


def affected_batches(change: PriceChange) -> list[ShelfBatch]:
    """The product's batches on the shelf that arrived before the change takes effect, size
    by size (a product sold in sizes has a label per size)."""
    rows = db.session.execute(
        select(Batch, StockLevel.on_hand)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .join(ProductVariant, ProductVariant.id == Batch.variant_id)
        .where(
            Batch.product_id == change.product_id,
            StockLevel.on_hand > 0,
            Batch.created_at < start_of_day(change.effective_on),
        )
        .options(joinedload(Batch.product), joinedload(Batch.variant))
        .order_by(ProductVariant.position, ProductVariant.id, Batch.expires_on, Batch.id)
    )
    return [ShelfBatch(batch, on_hand) for batch, on_hand in rows]


def label_changes(today: date | None = None) -> list[LabelChange]:
    """Price changes waiting or in effect for at most RECENT_DAYS, soonest first, each with
    its batches to relabel; changes already replaced by another are left out."""
    today = today or today_wib()
    changes = db.session.scalars(
        select(PriceChange)
        .join(Product, Product.id == PriceChange.product_id)
        .where(
            PriceChange.effective_on >= today - timedelta(days=RECENT_DAYS),
            PriceChange.old_price.is_not(None),
            PriceChange.old_price != PriceChange.new_price,
        )
        .options(joinedload(PriceChange.product).joinedload(Product.vendor))
        .order_by(PriceChange.effective_on, PriceChange.id)
    )
    return [
        LabelChange(change, affected_batches(change)) for change in changes if _in_force(change)
    ]


def change_or_none(change_id: int) -> PriceChange | None:
    change = db.session.get(PriceChange, change_id)
    if change is None or change.effective_on is None or not _in_force(change):
        return None
    return change
