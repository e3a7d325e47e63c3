"""The shopping cart: in the session for guests, in `cart_items` for signed-in shoppers.

A guest's cart is merged into their stored cart when they sign in. The cart holds only variant
ids (the size or colour chosen; a product without options has one variant) and quantities;
prices and stock are read fresh every time it is shown, and again (under lock) when the order
is placed — nothing the browser sends is trusted for money.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload, selectinload

from storefront.catalog.commission import sale_snapshot
from storefront.catalog.models import Product, ProductOptionValue, ProductVariant
from storefront.catalog.services import visible_products
from storefront.catalog.variants import VariantError, product_ids_of, variant_for
from storefront.database import ensure_write_lock
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.orders.models import CartItem
from storefront.stock import markdowns
from storefront.stock.ledger import available_quantity, variant_quantities
from storefront.templating import CART_COUNT_KEY

SESSION_KEY = "cart"
# A signed-in shopper's item count for the header: [user id, count] (`item_count`).
COUNT_KEY = CART_COUNT_KEY
# The session cart's keys are "v<variant id>"; a bare number is a product id, written before
# products had sizes and colours (a returning shopper's cookie): see `_read_session`.
VARIANT_PREFIX = "v"
# No household buys more than this of one product online; larger orders go through the outlet.
MAX_QUANTITY = 99


class CartError(DomainError):
    def __init__(self, message, field: str = "quantity"):
        super().__init__(message, field)


@dataclass(frozen=True)
class CartPart:
    """Units of a line at one price: the list price, or a near-expiry batch's markdown (FEFO
    sells that batch first)."""

    quantity: int
    unit_price: int
    markdown_bp: int = 0


@dataclass
class CartLine:
    variant: ProductVariant
    quantity: int
    available: int
    parts: tuple[CartPart, ...] = ()

    @property
    def product(self) -> Product:
        return self.variant.product

    @property
    def unit_price(self) -> int:
        """The variant's list price: the product's plus its price difference."""
        return self.variant.current_price

    @property
    def choice(self) -> str:
        """The size or colour as the shopper chose it: "Ukuran 40 / Warna Coklat" ("" for a
        product without options)."""
        return variant_choice(self.variant)

    @property
    def line_total(self) -> int:
        if not self.parts:
            return self.unit_price * self.quantity
        return sum(part.unit_price * part.quantity for part in self.parts)

    @property
    def discount(self) -> int:
        return self.unit_price * self.quantity - self.line_total


@dataclass
class CartView:
    lines: list[CartLine]
    # Messages about lines that changed since the shopper last looked (sold out, fewer left).
    adjustments: list[str]

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    def quantities(self) -> dict[int, int]:
        """{variant id: units}: what `services.place_order` takes."""
        return {line.variant.id: line.quantity for line in self.lines}


def variant_choice(variant: ProductVariant) -> str:
    """Each option with its value, "Ukuran 40 / Warna Coklat"; the stored label when the
    variant has no values any more."""
    values = sorted(variant.values, key=lambda v: (v.option.position, v.option_id))
    if not values:
        return variant.label
    return " / ".join(f"{value.option.name} {value.value}" for value in values)


def parse_quantity(text) -> int:
    """A quantity typed by a person: a whole number from 1 to MAX_QUANTITY."""
    try:
        quantity = int(str(text).strip())
    except (TypeError, ValueError):
        raise CartError(_l("Enter the quantity as a whole number.")) from None
    if quantity < 1:
        raise CartError(_l("Enter a quantity of at least 1."))
    if quantity > MAX_QUANTITY:
        raise CartError(_l("At most %(max)d per product.", max=MAX_QUANTITY))
    return quantity


def _signed_in() -> bool:
    return bool(getattr(current_user, "is_authenticated", False))


def _read_session(raw) -> tuple[dict[int, int], list[Product]]:
    """The guest cart as {variant id: quantity}, and the products of old product-keyed lines
    that now come in sizes or colours (which of them the shopper wanted is unknown: dropped).
    An old line of a product without options is its one variant."""
    quantities: dict[int, int] = {}
    legacy: dict[int, int] = {}
    for key, value in (raw or {}).items():
        key = str(key)
        try:
            if int(value) < 1:
                continue
            if key.startswith(VARIANT_PREFIX):
                quantities[int(key[len(VARIANT_PREFIX) :])] = int(value)
            else:
                legacy[int(key)] = int(value)
        except (TypeError, ValueError):
            continue
    dropped = []
    if legacy:
        products = db.session.scalars(
            select(Product)
            .where(Product.id.in_(list(legacy)))
            .options(selectinload(Product.variants), selectinload(Product.options))
        )
        for product in products:
            variant = product.default_variant
            if variant is None:
                dropped.append(product)
                continue
            total = quantities.get(variant.id, 0) + legacy[product.id]
            quantities[variant.id] = min(total, MAX_QUANTITY)
    return quantities, dropped


def _has_old_keys() -> bool:
    return any(not str(key).startswith(VARIANT_PREFIX) for key in session.get(SESSION_KEY) or {})


def stored_quantities() -> dict[int, int]:
    """Variant id -> quantity, as stored (nothing checked)."""
    if _signed_in():
        rows = db.session.execute(
            select(CartItem.variant_id, CartItem.quantity).where(
                CartItem.user_id == current_user.id
            )
        )
        return {variant_id: quantity for variant_id, quantity in rows}
    return _read_session(session.get(SESSION_KEY))[0]


def _store(quantities: dict[int, int]) -> None:
    if _signed_in():
        ensure_write_lock()  # the cart page lowers a stored cart while it is only reading
        existing = {
            item.variant_id: item
            for item in db.session.scalars(
                select(CartItem).where(CartItem.user_id == current_user.id)
            )
        }
        for variant_id, item in existing.items():
            if variant_id not in quantities:
                db.session.delete(item)
        new = [variant_id for variant_id in quantities if variant_id not in existing]
        product_of = product_ids_of(new)
        for variant_id, quantity in quantities.items():
            if variant_id in existing:
                existing[variant_id].quantity = quantity
            elif variant_id in product_of:
                db.session.add(
                    CartItem(
                        user_id=current_user.id,
                        product_id=product_of[variant_id],
                        variant_id=variant_id,
                        quantity=quantity,
                    )
                )
        _remember_count(quantities)
    elif quantities:
        session[SESSION_KEY] = {f"{VARIANT_PREFIX}{k}": v for k, v in quantities.items()}
    else:
        session.pop(SESSION_KEY, None)


def item_count() -> int:
    """For the header badge, on every page. A signed-in shopper's count is kept in their
    session beside their id, written whenever this browser changes the cart, so a page needs
    no query for it (bench/profile_page.py). A change made on another device shows here when
    this browser next changes or opens the cart."""
    if not _signed_in():
        if not session.get(SESSION_KEY):
            return 0
        return sum(stored_quantities().values())
    kept = session.get(COUNT_KEY)
    if isinstance(kept, list) and len(kept) == 2 and kept[0] == current_user.id:
        return int(kept[1])
    count = sum(stored_quantities().values())
    session[COUNT_KEY] = [current_user.id, count]
    return count


def _remember_count(quantities: dict[int, int]) -> None:
    if _signed_in():
        session[COUNT_KEY] = [current_user.id, sum(quantities.values())]


def _visible_product(product_id: int) -> Product | None:
    return db.session.scalar(visible_products().where(Product.id == product_id))


def _chosen_variant(product: Product, variant_id) -> ProductVariant:
    """The variant the form names. A product with options needs one of its own, on sale and
    approved; one without may name none."""
    if variant_id in (None, ""):
        variant_id = None
    else:
        try:
            variant_id = int(variant_id)
        except (TypeError, ValueError):
            variant_id = -1  # no variant has it: refused below like a foreign one
    try:
        variant = variant_for(product, variant_id)
    except VariantError as error:
        raise CartError(error.message, field="variant_id") from None
    if not variant.sellable:
        raise CartError(
            _l("That size or colour is not for sale; please choose another."),
            field="variant_id",
        )
    return variant


def add(product_id, quantity, variant_id=None) -> tuple[ProductVariant, int]:
    """Add a variant (size, colour) of a product to the cart; returns the variant and the
    quantity of it now in the cart. A product with options must be given one of its variants.
    A request for more than is available is refused with the number left, so the shopper can
    decide; nothing changes on any refusal."""
    quantity = parse_quantity(quantity)
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        raise CartError(_l("This product is not for sale."), field="product_id") from None
    product = _visible_product(product_id)
    if product is None:
        raise CartError(_l("This product is not for sale."), field="product_id")
    variant = _chosen_variant(product, variant_id)
    quantities = stored_quantities()
    in_cart = quantities.get(variant.id, 0)
    wanted = in_cart + quantity
    available = available_quantity(product.id, variant_id=variant.id)
    if available <= 0:
        raise CartError(_l("Sorry, %(product)s is sold out.", product=variant.display_name()))
    if wanted > min(available, MAX_QUANTITY):
        raise CartError(
            _l(
                "Only %(available)d of %(product)s available; you have %(in_cart)d in your cart.",
                available=min(available, MAX_QUANTITY),
                product=variant.display_name(),
                in_cart=in_cart,
            )
        )
    quantities[variant.id] = wanted
    _store(quantities)
    return variant, wanted


def set_quantity(variant_id: int, quantity) -> None:
    quantity = parse_quantity(quantity)
    quantities = stored_quantities()
    if variant_id not in quantities:
        raise CartError(_l("This product is not in your cart."), field="variant_id")
    product_id = product_ids_of([variant_id]).get(variant_id)
    available = available_quantity(product_id, variant_id=variant_id) if product_id else 0
    if quantity > available:
        raise CartError(
            _l("Only %(available)d available.", available=available)
            if available
            else _l("Sorry, this product is sold out.")
        )
    quantities[variant_id] = quantity
    _store(quantities)


def remove(variant_id: int) -> None:
    quantities = stored_quantities()
    quantities.pop(variant_id, None)
    _store(quantities)


def clear() -> None:
    _store({})


def _stored_with_old_lines() -> tuple[dict[int, int], list[Product]]:
    if _signed_in():
        return stored_quantities(), []
    return _read_session(session.get(SESSION_KEY))


def current() -> CartView:
    """The cart as it can be bought now. Lines whose product or variant was hidden or sold out
    are dropped and quantities above what is left are lowered, each with a message."""
    quantities, dropped = _stored_with_old_lines()
    adjustments = [
        str(
            _l(
                "%(product)s now comes in sizes or colours: choose one on its page.",
                product=product.name,
            )
        )
        for product in dropped
    ]
    if not quantities:
        if dropped:
            _store({})
        return CartView(lines=[], adjustments=adjustments)
    variants = sellable_variants(quantities)
    available = variant_quantities({v.product_id for v in variants.values()})
    lines, kept = [], {}
    for variant_id, quantity in quantities.items():
        variant = variants.get(variant_id)
        if variant is None:
            adjustments.append(str(_l("A product in your cart is no longer for sale.")))
            continue
        left = min(available.get(variant_id, 0), MAX_QUANTITY)
        if left <= 0:
            adjustments.append(str(_l("%(product)s sold out.", product=variant.display_name())))
            continue
        if quantity > left:
            adjustments.append(
                str(
                    _l(
                        "Only %(available)d of %(product)s left; your cart now has %(available)d.",
                        available=left,
                        product=variant.display_name(),
                    )
                )
            )
            quantity = left
        kept[variant_id] = quantity
        lines.append(CartLine(variant=variant, quantity=quantity, available=left))
    if kept != quantities or dropped or (not _signed_in() and _has_old_keys()):
        _store(kept)
    else:
        _remember_count(kept)  # the header agrees with the cart page, whatever changed it
    priced = markdowns.preview_parts(kept, "online", by_variant=True)
    for line in lines:
        line.parts = tuple(
            CartPart(
                part.quantity,
                sale_snapshot(
                    line.product, part.quantity, variant=line.variant, **part.snapshot_terms()
                )["unit_price"],
                part.markdown_bp,
            )
            for part in priced[line.variant.id]
        )
    return CartView(lines=lines, adjustments=adjustments)


def sellable_variants(variant_ids) -> dict[int, ProductVariant]:
    """The variants among `variant_ids` a shopper may buy now (on sale, approved, of a visible
    product), with their product, vendor, category and option values."""
    visible = visible_products().with_only_columns(Product.id)
    return {
        v.id: v
        for v in db.session.scalars(
            select(ProductVariant)
            .where(
                ProductVariant.id.in_(list(variant_ids)),
                ProductVariant.product_id.in_(visible),
            )
            .options(
                joinedload(ProductVariant.product).joinedload(Product.vendor),
                joinedload(ProductVariant.product).joinedload(Product.category),
                selectinload(ProductVariant.values).joinedload(ProductOptionValue.option),
            )
        ).unique()
        if v.sellable
    }


def merge_guest_cart(user) -> None:
    """At sign-in: the guest's session cart joins the stored one (quantities of the same
    variant add up)."""
    session.pop(COUNT_KEY, None)  # counted again on the next page
    guest, _dropped = _read_session(session.pop(SESSION_KEY, None))
    if not guest:
        return
    stored = {
        item.variant_id: item
        for item in db.session.scalars(select(CartItem).where(CartItem.user_id == user.id))
    }
    product_of = product_ids_of(guest)
    for variant_id, quantity in guest.items():
        if variant_id in stored:
            stored[variant_id].quantity = min(stored[variant_id].quantity + quantity, MAX_QUANTITY)
        elif variant_id in product_of and quantity > 0:
            db.session.add(
                CartItem(
                    user_id=user.id,
                    product_id=product_of[variant_id],
                    variant_id=variant_id,
                    quantity=min(quantity, MAX_QUANTITY),
                )
            )


def merge_at_sign_in(app, user, **extra) -> None:
    """Flask-Login's `user_logged_in` receiver, connected by `orders.init_app`."""
    merge_guest_cart(user)


def forget_stored_cart(user_id: int) -> None:
    db.session.execute(delete(CartItem).where(CartItem.user_id == user_id))
