"""Demo products with sizes and colours (issue 18): a leather sandal in Ukuran 38–43 and a
batik shirt in Ukuran S–XL × Warna Biru/Merah. Made the way a vendor makes them — options
and grid through `catalog.variants`, stock per variant through the ledger — so the demo shop
shows a size picker, "Ukuran 43 habis" and a size guide. `storefront.demo` lists the products
themselves (with their permits and photos); this adds what only variants have."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from storefront.catalog import variants
from storefront.catalog.models import Product
from storefront.catalog.variants import OptionSpec
from storefront.extensions import db


@dataclass(frozen=True)
class VariantDemo:
    options: tuple[tuple[str, str], ...]
    size_guide: str = ""
    # Variant label -> extra rupiah on the product's price.
    price_deltas: dict[str, int] = field(default_factory=dict)
    # Variant label -> units on the shelf; labels left out stay sold out ("habis").
    stock: dict[str, int] = field(default_factory=dict)


VARIANT_PRODUCTS = {
    "GTG0015": VariantDemo(
        options=(("Ukuran", "38, 39, 40, 41, 42, 43"),),
        size_guide="Ukuran|Panjang telapak kaki (cm)\n38|24\n39|24,5\n40|25,5\n41|26\n42|27\n"
        "43|27,5",
        # Size 43 sold out: the shop shows it, not selectable.
        stock={"38": 2, "39": 3, "40": 4, "41": 3, "42": 1},
    ),
    "GTG0016": VariantDemo(
        options=(("Ukuran", "S, M, L, XL"), ("Warna", "Biru, Merah")),
        size_guide="Ukuran|Lebar dada (cm)|Panjang baju (cm)\nS|96|68\nM|102|70\nL|108|72\n"
        "XL|114|74",
        price_deltas={"XL / Biru": 10_000, "XL / Merah": 10_000},
        stock={"S / Biru": 2, "M / Biru": 4, "L / Biru": 3, "XL / Biru": 2, "M / Merah": 3},
    ),
}


def add_options(product: Product) -> None:
    """Options, the grid, price differences and the size guide of a newly made demo product.
    The product is approved, so the XL's price difference comes back for review; the demo
    approves it as a manager would."""
    demo = VARIANT_PRODUCTS[product.code]
    product.size_guide = demo.size_guide
    variants.set_options(product, [OptionSpec.parse(name, values) for name, values in demo.options])
    for variant in product.active_variants:
        delta = demo.price_deltas.get(variant.label, 0)
        if delta:
            variants.update_variant(variant, sku=variant.sku, price_delta=delta)
    variants.approve_all(product)


def stock_variants(*, staff_id: int, today: date) -> int:
    """One demo delivery per variant product that has no stock yet, a batch per size/colour,
    through the real ledger. Returns the batches received."""
    from storefront.stock import ledger
    from storefront.stock.models import Batch, IntakeReceipt

    products = db.session.scalars(
        select(Product)
        .where(
            Product.code.in_(list(VARIANT_PRODUCTS)),
            ~Product.id.in_(select(Batch.product_id)),
        )
        .order_by(Product.code)
    ).all()
    added = 0
    for product in products:
        receipt = IntakeReceipt(
            number=f"NT-DEMO-{product.code}",
            vendor_id=product.vendor_id,
            received_by_id=staff_id,
            submission_key=f"demo-{product.code}",
            delivered_by=product.vendor.owner_name or product.vendor.name,
            note="Demo",
        )
        db.session.add(receipt)
        db.session.flush()
        stock = VARIANT_PRODUCTS[product.code].stock
        for variant in product.active_variants:
            quantity = stock.get(variant.label, 0)
            if not quantity:
                continue
            ledger.receive_batch(
                Batch(
                    product_id=product.id,
                    variant_id=variant.id,
                    vendor_id=product.vendor_id,
                    receipt_id=receipt.id,
                    code=f"{today:%y%m}-{variant.code[-8:]}",
                    received_quantity=quantity,
                    unit_price=variant.price_on(today),
                ),
                actor_id=staff_id,
            )
            added += 1
    return added
