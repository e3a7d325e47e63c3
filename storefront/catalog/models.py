"""Products, their photos, permits, price history and review history. (Their categories are in
storefront/categories.py: vendors choose them too, and vendors/ sits below catalog/.)"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    event,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, Session, mapped_column, query_expression, relationship

from storefront.categories import Category
from storefront.clock import today_wib
from storefront.database import TimestampMixin, UTCDateTime, utcnow
from storefront.extensions import db
from storefront.money import MAX_AMOUNT
from storefront.states import LabelledEnum, StatusChange, check_in


class ProductStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Waiting for review")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")


class FoodType(LabelledEnum):
    """What kind of food a food-category product is; it decides which permits it needs."""

    # Processed, packaged food (pangan olahan): P-IRT or BPOM MD/ML.
    PACKAGED = "packaged", _l("Packaged processed food: needs a P-IRT or BPOM")
    # Ready to eat, or packed in front of the buyer (siap saji): no P-IRT/BPOM (PP 86/2019).
    READY_TO_EAT = "ready_to_eat", _l("Ready to eat, or packed in front of the buyer (siap saji)")
    # Fresh, unprocessed produce (pangan segar): no P-IRT/BPOM; plant produce is halal-exempt.
    FRESH = "fresh", _l("Fresh, unprocessed produce (fruit, vegetables…)")


class Product(TimestampMixin, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint(f"price <= {MAX_AMOUNT}", name="price_at_most_max"),
        CheckConstraint(
            f"next_price IS NULL OR (next_price > 0 AND next_price <= {MAX_AMOUNT})",
            name="next_price_valid",
        ),
        CheckConstraint(
            "(next_price IS NULL) = (next_price_from IS NULL)", name="next_price_has_date"
        ),
        check_in("status", ProductStatus, name="status_known"),
        CheckConstraint(
            "shelf_life_days IS NULL OR shelf_life_days > 0", name="shelf_life_positive"
        ),
        check_in("food_type", FoodType, name="food_type_known"),
        Index("ix_products_vendor_status", "vendor_id", "status"),
        Index("ix_products_category_status", "category_id", "status"),
        # Newest-first listings (home, categories) read these in order instead of sorting
        # every product (bench/catalog.py: 109 ms -> 0.1 ms at 100k products on PostgreSQL).
        Index("ix_products_status_created", "status", "created_at", "id"),
        Index("ix_products_category_created", "category_id", "created_at", "id"),
        # Whether a product is on sale, read by id from the index alone: a search joins
        # thousands of matches to it (migration 0023).
        Index(
            "ix_products_visibility",
            "id",
            "status",
            "hidden",
            "permits_complete",
            "permits_valid_until",
            "vendor_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), nullable=False)
    # The code printed as a barcode on shelf labels; unique across the outlet.
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    slug: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The price in effect until `next_price_from`; from that WIB date on, `next_price` is.
    # Nothing runs at midnight: `price_on(day)` (and `effective_price` in SQL) reads the date,
    # and the next scheduled change folds the earlier one into `price` (catalog.products).
    price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    next_price: Mapped[int | None] = mapped_column(BigInteger)
    next_price_from: Mapped[date | None] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(30), nullable=False, default="pcs")
    net_content: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    ingredients: Mapped[str] = mapped_column(Text, nullable=False, default="")
    allergens: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    storage: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    shelf_life_days: Mapped[int | None] = mapped_column()
    food_type: Mapped[str] = mapped_column(
        String(20), nullable=False, default=FoodType.PACKAGED.value, server_default="packaged"
    )
    # Made from non-halal ingredients, declared by the vendor and shown to shoppers wherever
    # the product is (cards, cart, product page), naming the ingredient.
    non_halal: Mapped[bool] = mapped_column(nullable=False, default=False)
    non_halal_ingredient: Mapped[str] = mapped_column(
        String(120), nullable=False, default="", server_default=""
    )
    # Made from or with animal-derived material (leather, bone, horn...): halal certificate or
    # non-halal declaration required whatever the category (mandatory from 17 October 2026).
    animal_derived: Mapped[bool] = mapped_column(
        nullable=False, default=False, server_default=sa_false()
    )
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=ProductStatus.DRAFT.value
    )
    hidden: Mapped[bool] = mapped_column(nullable=False, default=False)
    # Why it is hidden when the system hid it (e.g. "permit_expired"); None when hidden by hand.
    hidden_reason: Mapped[str | None] = mapped_column(String(30))
    # Derived from the product's permits on every change (see catalog.permits): whether the
    # required permits are present, and the first date one of them stops being valid.
    permits_complete: Mapped[bool] = mapped_column(nullable=False, default=True)
    permits_valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    review_comment: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A size guide for clothing and footwear: plain text, or a table written as lines of
    # "|"-separated cells (the first line is the heading). Empty: none.
    size_guide: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    # Read by the product cards' query instead of loading every permit and variant of every
    # card (shop/browse.py `card_options`); None when a product was loaded another way.
    card_halal: Mapped[bool | None] = query_expression()
    card_min_delta: Mapped[int | None] = query_expression()
    card_max_delta: Mapped[int | None] = query_expression()

    vendor = relationship("Vendor")
    category: Mapped[Category] = relationship()
    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductPhoto.position"
    )
    permits: Mapped[list[ProductPermit]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductPermit.id"
    )
    options: Mapped[list[ProductOption]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductOption.position"
    )
    # Every variant the product ever had, retired ones too (old sales and batches point at
    # them); `active_variants` is what is on offer.
    variants: Mapped[list[ProductVariant]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="[ProductVariant.position, ProductVariant.id]",
    )

    @property
    def active_variants(self) -> list[ProductVariant]:
        return [variant for variant in self.variants if variant.active]

    @property
    def has_options(self) -> bool:
        """Sold in sizes, colours...: the shopper and the till must pick a variant."""
        return bool(self.options)

    @property
    def default_variant(self) -> ProductVariant | None:
        """The one variant of a product without options (None when it has options)."""
        if self.options:
            return None
        return next((v for v in self.variants if v.active and not v.values), None)

    def price_on(self, day: date) -> int:
        """The shelf price on WIB date `day`: a scheduled change counts from its date on."""
        if self.next_price_from is not None and day >= self.next_price_from:
            return self.next_price
        return self.price

    @property
    def current_price(self) -> int:
        """Today's price (WIB): what the shop shows and the shop and the till charge."""
        return self.price_on(today_wib())

    @property
    def upcoming_price(self) -> tuple[int, date] | None:
        """(price, from) of a change not in effect yet, for the pages that announce it."""
        if self.next_price_from is not None and today_wib() < self.next_price_from:
            return self.next_price, self.next_price_from
        return None


def effective_price(today: date):
    """`Product.price_on(today)` as SQL, for filtering and sorting listings by price."""
    return case(
        (
            and_(Product.next_price_from.is_not(None), Product.next_price_from <= today),
            Product.next_price,
        ),
        else_=Product.price,
    )


class ProductOption(db.Model):
    """One way a product varies (Ukuran, Warna, Motif), with its values in order."""

    __tablename__ = "product_options"
    __table_args__ = (UniqueConstraint("product_id", "name", name="uq_product_options_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    product: Mapped[Product] = relationship(back_populates="options")
    values: Mapped[list[ProductOptionValue]] = relationship(
        back_populates="option",
        cascade="all, delete-orphan",
        order_by="ProductOptionValue.position",
    )


class ProductOptionValue(db.Model):
    __tablename__ = "product_option_values"
    __table_args__ = (
        UniqueConstraint("option_id", "value", name="uq_product_option_values_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(
        ForeignKey("product_options.id", ondelete="CASCADE"), nullable=False, index=True
    )
    value: Mapped[str] = mapped_column(String(40), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    option: Mapped[ProductOption] = relationship(back_populates="values")


variant_values = Table(
    "product_variant_values",
    db.metadata,
    Column(
        "variant_id",
        ForeignKey("product_variants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "value_id",
        ForeignKey("product_option_values.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class VariantReview(LabelledEnum):
    """A variant is reviewed with its product; one added to an approved product later waits
    for a manager only when its price or photos differ from what was approved."""

    APPROVED = "approved", _l("Approved")
    PENDING = "pending", _l("Waiting for review")
    REJECTED = "rejected", _l("Rejected")


class ProductVariant(db.Model):
    """What is actually stocked and sold: one combination of the product's option values
    (size 40, brown), or the product itself when it has no options (no values, no own code).

    Stock (batches, levels, movements, holds), cart items and sale lines point at a variant;
    the product's price plus `price_delta` is the variant's price.
    """

    __tablename__ = "product_variants"
    __table_args__ = (
        check_in("review", VariantReview, name="review_known"),
        CheckConstraint(f"price_delta > -{MAX_AMOUNT}", name="price_delta_in_range"),
        CheckConstraint(f"price_delta < {MAX_AMOUNT}", name="price_delta_below_max"),
        Index("ix_product_variants_product", "product_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    # The variant's own code (SKU) printed on its label; None: the product's code (a product
    # without options). Unique across variants and never another product's code.
    sku: Mapped[str | None] = mapped_column(String(32), unique=True)
    # "40 / Coklat": the values in option order, kept for lists, labels and sale lines.
    label: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    price_delta: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default="0"
    )
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    # Retired variants stay for the sales and batches that point at them.
    active: Mapped[bool] = mapped_column(nullable=False, default=True, server_default=sa_true())
    review: Mapped[str] = mapped_column(
        String(10),
        nullable=False,
        default=VariantReview.APPROVED.value,
        server_default=VariantReview.APPROVED.value,
    )
    # Why a manager rejected it, shown to the vendor beside the size; cleared when it is
    # approved or, changed by the vendor, waits for review again.
    review_comment: Mapped[str | None] = mapped_column(Text)

    product: Mapped[Product] = relationship(back_populates="variants")
    values: Mapped[list[ProductOptionValue]] = relationship(
        secondary=variant_values, order_by="ProductOptionValue.option_id"
    )
    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="variant", order_by="ProductPhoto.position"
    )

    @property
    def code(self) -> str:
        return self.sku or self.product.code

    def price_on(self, day: date) -> int:
        return self.product.price_on(day) + self.price_delta

    @property
    def current_price(self) -> int:
        return self.price_on(today_wib())

    @property
    def sellable(self) -> bool:
        return self.active and self.review == VariantReview.APPROVED.value

    def display_name(self) -> str:
        """ "Sandal Kulit — 40 / Coklat", or the product's name alone."""
        return f"{self.product.name} — {self.label}" if self.label else self.product.name


@event.listens_for(Session, "before_flush")
def _every_product_has_a_variant(session, _flush_context, _instances) -> None:
    """A new product is sold as itself until it gets options: give it its one variant here,
    so every way of creating a product (the vendor's form, demo data, tests) gets it."""
    for instance in session.new:
        if isinstance(instance, Product) and not instance.variants:
            instance.variants.append(
                ProductVariant(
                    position=0,
                    label="",
                    price_delta=0,
                    active=True,
                    review=VariantReview.APPROVED.value,
                )
            )


class ProductPhoto(TimestampMixin, db.Model):
    __tablename__ = "product_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # A photo of one variant (the brown pair); None: of the product as a whole.
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="SET NULL"), index=True
    )
    image_key: Mapped[str] = mapped_column(String(200), nullable=False)
    # Comma-separated widths that exist for this image, e.g. "320,640,1200".
    widths: Mapped[str] = mapped_column(String(60), nullable=False)
    width: Mapped[int] = mapped_column(nullable=False)
    height: Mapped[int] = mapped_column(nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    product: Mapped[Product] = relationship(back_populates="photos")
    variant: Mapped[ProductVariant | None] = relationship(back_populates="photos")


class PermitKind(LabelledEnum):
    PIRT = "pirt", _l("P-IRT (home-industry food permit)")
    BPOM = "bpom", _l("BPOM MD/ML registration")
    HALAL = "halal", _l("Halal certificate (BPJPH)")


class ProductPermit(TimestampMixin, db.Model):
    __tablename__ = "product_permits"
    __table_args__ = (
        check_in("kind", PermitKind, name="kind_known"),
        UniqueConstraint("product_id", "kind", name="uq_product_permits_product_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    issued_on: Mapped[date | None] = mapped_column(Date)
    # None: no expiry (a halal certificate since PP 42/2024). A P-IRT's is the "berlaku sampai"
    # printed on its SPP-IRT; a BPOM registration's the printed one, else issue + 5 years.
    expires_on: Mapped[date | None] = mapped_column(Date)
    file_path: Mapped[str | None] = mapped_column(String(255))
    mime: Mapped[str | None] = mapped_column(String(40))
    original_name: Mapped[str | None] = mapped_column(String(255))

    product: Mapped[Product] = relationship(back_populates="permits")


class PermitReminder(db.Model):
    """A reminder sent to the vendor before a permit lapses: one per permit, expiry date and
    threshold (90, 30 or 7 days), so the daily `flask check-permits` never sends it twice and a
    renewed permit (new expiry) is reminded about again."""

    __tablename__ = "permit_reminders"
    __table_args__ = (
        UniqueConstraint("permit_id", "expires_on", "days_before", name="uq_permit_reminders_once"),
        CheckConstraint("days_before > 0", name="days_before_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(
        ForeignKey("product_permits.id", ondelete="CASCADE"), nullable=False
    )
    expires_on: Mapped[date] = mapped_column(Date, nullable=False)
    days_before: Mapped[int] = mapped_column(nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class PriceChange(db.Model):
    __tablename__ = "price_changes"
    __table_args__ = (
        CheckConstraint("new_price > 0", name="new_price_positive"),
        CheckConstraint(f"new_price <= {MAX_AMOUNT}", name="new_price_at_most_max"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    old_price: Mapped[int | None] = mapped_column(BigInteger)
    new_price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The WIB date the new price takes effect (None: at once, as before scheduled changes).
    effective_on: Mapped[date | None] = mapped_column(Date, index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    product: Mapped[Product] = relationship()
    changed_by = relationship("User")


class ProductStatusChange(StatusChange, db.Model):
    __tablename__ = "product_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
