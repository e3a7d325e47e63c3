"""The shopping cart: in the session for guests, in `cart_items` for signed-in shoppers.

A guest's cart is merged into their stored cart when they sign in. The cart holds only product
ids and quantities; prices and stock are read fresh every time it is shown, and again (under
lock) when the order is placed — nothing the browser sends is trusted for money.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from storefront.catalog.commission import sale_snapshot
from storefront.catalog.models import Product
from storefront.catalog.services import visible_products
from storefront.database import ensure_write_lock
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.orders.models import CartItem
from storefront.stock import markdowns
from storefront.stock.ledger import available_quantities, only_variant_id

SESSION_KEY = "cart"
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
    product: Product
    quantity: int
    available: int
    parts: tuple[CartPart, ...] = ()

    @property
    def line_total(self) -> int:
        if not self.parts:
            return self.product.current_price * self.quantity
        return sum(part.unit_price * part.quantity for part in self.parts)

    @property
    def discount(self) -> int:
        return self.product.current_price * self.quantity - self.line_total


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


def stored_quantities() -> dict[int, int]:
    """Product id -> quantity, as stored (nothing checked)."""
    if _signed_in():
        rows = db.session.execute(
            select(CartItem.product_id, CartItem.quantity).where(
                CartItem.user_id == current_user.id
            )
        )
        return {product_id: quantity for product_id, quantity in rows}
    raw = session.get(SESSION_KEY) or {}
    result = {}
    for key, value in raw.items():
        try:
            result[int(key)] = int(value)
        except (TypeError, ValueError):
            continue
    return result


def _store(quantities: dict[int, int]) -> None:
    if _signed_in():
        ensure_write_lock()  # the cart page lowers a stored cart while it is only reading
        existing = {
            item.product_id: item
            for item in db.session.scalars(
                select(CartItem).where(CartItem.user_id == current_user.id)
            )
        }
        for product_id, item in existing.items():
            if product_id not in quantities:
                db.session.delete(item)
        for product_id, quantity in quantities.items():
            if product_id in existing:
                existing[product_id].quantity = quantity
            else:
                db.session.add(
                    CartItem(
                        user_id=current_user.id,
                        product_id=product_id,
                        variant_id=only_variant_id(product_id),
                        quantity=quantity,
                    )
                )
    elif quantities:
        session[SESSION_KEY] = {str(k): v for k, v in quantities.items()}
    else:
        session.pop(SESSION_KEY, None)


def item_count() -> int:
    """For the header badge; cheap enough to run on every page."""
    if not _signed_in() and not session.get(SESSION_KEY):
        return 0
    return sum(stored_quantities().values())


def _visible_product(product_id: int) -> Product | None:
    return db.session.scalar(visible_products().where(Product.id == product_id))


def add(product_id, quantity) -> tuple[Product, int]:
    """Add to the cart; returns the product and the quantity now in the cart. A request for
    more than is available is refused with the number left, so the shopper can decide."""
    quantity = parse_quantity(quantity)
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        raise CartError(_l("This product is not for sale."), field="product_id") from None
    product = _visible_product(product_id)
    if product is None:
        raise CartError(_l("This product is not for sale."), field="product_id")
    quantities = stored_quantities()
    wanted = quantities.get(product_id, 0) + quantity
    available = available_quantities([product_id]).get(product_id, 0)
    if available <= 0:
        raise CartError(_l("Sorry, %(product)s is sold out.", product=product.name))
    if wanted > min(available, MAX_QUANTITY):
        raise CartError(
            _l(
                "Only %(available)d of %(product)s available; you have %(in_cart)d in your cart.",
                available=min(available, MAX_QUANTITY),
                product=product.name,
                in_cart=quantities.get(product_id, 0),
            )
        )
    quantities[product_id] = wanted
    _store(quantities)
    return product, wanted


def set_quantity(product_id: int, quantity) -> None:
    quantity = parse_quantity(quantity)
    quantities = stored_quantities()
    if product_id not in quantities:
        raise CartError(_l("This product is not in your cart."), field="product_id")
    available = available_quantities([product_id]).get(product_id, 0)
    if quantity > available:
        raise CartError(
            _l("Only %(available)d available.", available=available)
            if available
            else _l("Sorry, this product is sold out.")
        )
    quantities[product_id] = quantity
    _store(quantities)


def remove(product_id: int) -> None:
    quantities = stored_quantities()
    quantities.pop(product_id, None)
    _store(quantities)


def clear() -> None:
    _store({})


def current() -> CartView:
    """The cart as it can be bought now. Lines whose product was hidden or sold out are
    dropped and quantities above what is left are lowered, each with a message."""
    quantities = stored_quantities()
    if not quantities:
        return CartView(lines=[], adjustments=[])
    products = sellable_products(quantities)
    available = available_quantities(products)
    lines, adjustments, kept = [], [], {}
    for product_id, quantity in quantities.items():
        product = products.get(product_id)
        if product is None:
            adjustments.append(str(_l("A product in your cart is no longer for sale.")))
            continue
        left = min(available.get(product_id, 0), MAX_QUANTITY)
        if left <= 0:
            adjustments.append(str(_l("%(product)s sold out.", product=product.name)))
            continue
        if quantity > left:
            adjustments.append(
                str(
                    _l(
                        "Only %(available)d of %(product)s left; your cart now has %(available)d.",
                        available=left,
                        product=product.name,
                    )
                )
            )
            quantity = left
        kept[product_id] = quantity
        lines.append(CartLine(product=product, quantity=quantity, available=left))
    if kept != quantities:
        _store(kept)
    priced = markdowns.preview_parts(kept, "online")
    for line in lines:
        line.parts = tuple(
            CartPart(
                part.quantity,
                sale_snapshot(line.product, part.quantity, **part.snapshot_terms())["unit_price"],
                part.markdown_bp,
            )
            for part in priced[line.product.id]
        )
    return CartView(lines=lines, adjustments=adjustments)


def sellable_products(product_ids) -> dict[int, Product]:
    """The products among `product_ids` a shopper may buy now, with vendor and category."""
    return {
        p.id: p
        for p in db.session.scalars(
            visible_products()
            .where(Product.id.in_(list(product_ids)))
            .options(joinedload(Product.vendor), joinedload(Product.category))
        ).unique()
    }


def merge_guest_cart(user) -> None:
    """At sign-in: the guest's session cart joins the stored one (quantities add up)."""
    guest = session.pop(SESSION_KEY, None) or {}
    if not guest:
        return
    stored = {
        item.product_id: item
        for item in db.session.scalars(select(CartItem).where(CartItem.user_id == user.id))
    }
    for key, quantity in guest.items():
        try:
            product_id, quantity = int(key), int(quantity)
        except (TypeError, ValueError):
            continue
        if product_id in stored:
            stored[product_id].quantity = min(stored[product_id].quantity + quantity, MAX_QUANTITY)
        elif db.session.get(Product, product_id) is not None:
            db.session.add(
                CartItem(
                    user_id=user.id,
                    product_id=product_id,
                    variant_id=only_variant_id(product_id),
                    quantity=min(quantity, MAX_QUANTITY),
                )
            )


def merge_at_sign_in(app, user, **extra) -> None:
    """Flask-Login's `user_logged_in` receiver, connected by `orders.init_app`."""
    merge_guest_cart(user)


def forget_stored_cart(user_id: int) -> None:
    db.session.execute(delete(CartItem).where(CartItem.user_id == user_id))
