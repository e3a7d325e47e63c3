"""The outlet's categories: its producers' four communities (food and drink, crafts, batik,
footwear) and anything added later. Vendors say which they make when they apply, products belong
to one, a category may carry its own commission rate, and food categories need permits.

The model lives here rather than in catalog/ because vendors/ (below catalog/, which needs the
Vendor model) chooses categories too.
"""

from __future__ import annotations

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

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
    # None: the vendor's or the outlet's default commission applies (see catalog/commission.py).
    commission_bp: Mapped[int | None] = mapped_column()

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)


def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))
