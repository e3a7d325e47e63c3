"""Categories and products."""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.database import TimestampMixin
from storefront.extensions import db
from storefront.i18n import localized


class Category(TimestampMixin, db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    # Food and drink need permits (P-IRT or BPOM, and halal or a non-halal declaration).
    is_food: Mapped[bool] = mapped_column(nullable=False, default=False)

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class Product(TimestampMixin, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint(
            "status IN ('draft', 'submitted', 'changes_requested', 'approved', 'rejected')",
            name="status_known",
        ),
        Index("ix_products_vendor_status", "vendor_id", "status"),
        Index("ix_products_category_status", "category_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), nullable=False)
    # The code printed as a barcode on shelf labels; unique across the outlet.
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    slug: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    unit: Mapped[str] = mapped_column(String(30), nullable=False, default="pcs")
    net_content: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=ProductStatus.DRAFT.value
    )
    hidden: Mapped[bool] = mapped_column(nullable=False, default=False)

    vendor = relationship("Vendor")
    category: Mapped[Category] = relationship()
