"""Who answers for goods lost on the shelf, and what the outlet owes the vendor for them.

Consigned goods stay the vendor's until sold, but while they are on the outlet's shelf the
outlet looks after them: what is broken, lost or miscounted there is the outlet's to pay, at
the consignment price (the vendor's share of the selling price, as if it had been sold that
day). A faulty product or the vendor's own expiry date is the vendor's. Every write-off and
every negative count correction records which it was (`StockLoss`); the vendor's statement
adds the outlet's share as a compensation line (settlements/figures.py).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from storefront.catalog.commission import commission_rate_bp
from storefront.catalog.models import Product, ProductVariant
from storefront.extensions import db
from storefront.money import commission_split
from storefront.stock.ledger import StockError
from storefront.stock.models import Responsibility, StockLoss, StockMovement


def check_responsible(responsible: str | None) -> str:
    """The stored value for who is responsible, or a clear refusal."""
    if responsible not in {r.value for r in Responsibility}:
        raise StockError(
            _l("Say who is responsible: the outlet or the vendor."), field="responsible"
        )
    return str(responsible)


def record_loss(
    movement: StockMovement, responsible: str, reason: str, *, actor_id: int | None
) -> StockLoss:
    """Record who answers for the units `movement` took off the shelf (a negative quantity)."""
    responsible = check_responsible(responsible)
    if movement.id is None:
        db.session.flush()
    product = db.session.get(Product, movement.product_id)
    # The size/colour's own price (the product's plus its price difference).
    price = db.session.get(ProductVariant, movement.variant_id).current_price
    quantity = -movement.quantity
    rate = commission_rate_bp(product)
    _commission, share = commission_split(price * quantity, rate)
    loss = StockLoss(
        movement_id=movement.id,
        vendor_id=movement.vendor_id,
        product_id=movement.product_id,
        responsible=responsible,
        reason=reason,
        quantity=quantity,
        unit_price=price,
        commission_bp=rate,
        compensation=share if responsible == Responsibility.OUTLET else 0,
        actor_id=actor_id,
        created_at=movement.created_at,
    )
    db.session.add(loss)
    return loss
