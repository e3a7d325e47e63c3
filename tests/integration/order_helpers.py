"""Orders for the fulfilment and refund tests, placed through the real checkout service."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storefront.audit import AuditEntry
from storefront.catalog.models import ProductVariant
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.orders.services import CheckoutDetails, place_order
from storefront.stock.models import MovementKind, StockLevel, StockMovement
from tests.conftest import act
from tests.factories import ProductFactory, UserFactory
from tests.stock_helpers import receive


def stocked_product(quantity: int = 10, price: int = 25000, **kwargs):
    product = ProductFactory(price=price, **kwargs)
    batch = receive(product, quantity, expires_on=today_wib() + timedelta(days=120))
    return product, batch


def order_for(
    quantities: dict,
    *,
    fulfilment: str = "pickup",
    payment_method: str = "outlet",
    email: str = "sari@example.com",
):
    details = CheckoutDetails(
        name="Sari Wulandari",
        email=email,
        phone="+6281234567890",
        fulfilment=fulfilment,
        payment_method=payment_method,
        kecamatan="Cikupa" if fulfilment == "delivery" else None,
        address="Jl. Melati No. 5, Talaga" if fulfilment == "delivery" else None,
    )
    # Keys: products without options (their one variant) or variants (a size, a colour).
    quantities = {
        (key if isinstance(key, ProductVariant) else key.default_variant).id: q
        for key, q in quantities.items()
    }
    return act(place_order, quantities, details, card_enabled=False)


def manager(**kwargs):
    return UserFactory(role="manager", name="Bu Rina", **kwargs)


def level(batch) -> StockLevel:
    db.session.expire_all()
    return db.session.get(StockLevel, batch.id)


def movements(kind: MovementKind, **filters) -> list[StockMovement]:
    statement = select(StockMovement).where(StockMovement.kind == kind.value)
    for name, value in filters.items():
        statement = statement.where(getattr(StockMovement, name) == value)
    return list(db.session.scalars(statement.order_by(StockMovement.id)))


def audit_actions(order) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_type == "Order", AuditEntry.subject_id == order.id)
            .order_by(AuditEntry.id)
        )
    )
