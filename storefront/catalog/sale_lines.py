"""The snapshot every sale line keeps, declared once for both channels.

An online `OrderLine` and a counter `CounterSaleLine` freeze the same facts at the moment of
sale (DESIGN invariant 1): what was sold, at which price, with which commission rate and the
split it gave (`catalog.commission.sale_snapshot` fills them). Both packages may import
catalog/, and settlements read both tables through these shared column names.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from storefront.database import UTCDateTime


def variant_name(product_name: str, variant_label: str) -> str:
    """ "Sandal Kulit — 40 / Coklat" from a snapshot, or the product's name alone (a product
    without options): how receipts, statements and reports name what was sold."""
    return f"{product_name} — {variant_label}" if variant_label else product_name


class SaleLine:
    """The snapshot columns, and `sold_at`: the moment the sale counts for settlements (an
    order's payment, a counter sale's ringing up). A mapped class adds its key to the sale,
    its indexes and `*SaleLine.snapshot_checks()` in its `__table_args__`."""

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    # The size/colour sold, and its label then ("40 / Coklat"; "" for a product without
    # options). `product_code` is the variant's own code when it has one.
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id"), nullable=False)
    variant_label: Mapped[str] = mapped_column(
        String(120), nullable=False, default="", server_default=""
    )
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False)
    product_name: Mapped[str] = mapped_column(String(120), nullable=False)
    product_code: Mapped[str] = mapped_column(String(32), nullable=False)
    unit_price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    gross: Mapped[int] = mapped_column(BigInteger, nullable=False)
    commission_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    commission: Mapped[int] = mapped_column(BigInteger, nullable=False)
    vendor_share: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sold_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A near-expiry markdown (stock.markdowns): rupiah taken off this line's list price in all
    # (`gross + discount` is what it would have cost), and the part of it the vendor bears.
    # The outlet bears the rest through its commission, so `commission + vendor_share = gross`
    # still holds; 0 and 0 for every line sold at its list price.
    discount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    vendor_discount: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default="0"
    )

    @declared_attr
    def product(cls):
        return relationship("Product")

    @declared_attr
    def variant(cls):
        return relationship("ProductVariant")

    @declared_attr
    def vendor(cls):
        return relationship("Vendor")

    @staticmethod
    def snapshot_checks() -> tuple[CheckConstraint, ...]:
        """The database's guard on the snapshot (new objects for each table)."""
        return (
            CheckConstraint("quantity > 0", name="quantity_positive"),
            CheckConstraint("unit_price > 0", name="price_positive"),
            CheckConstraint("gross = unit_price * quantity", name="gross_adds_up"),
            CheckConstraint("commission + vendor_share = gross", name="split_adds_up"),
            CheckConstraint(
                "discount >= 0 AND vendor_discount >= 0 AND vendor_discount <= discount",
                name="discount_valid",
            ),
        )

    @property
    def display_name(self) -> str:
        return variant_name(self.product_name, self.variant_label)

    @property
    def list_price(self) -> int:
        """The unit price before a markdown (what a receipt shows struck through)."""
        return self.unit_price + self.discount // self.quantity
