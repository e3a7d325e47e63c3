"""What shoppers see about stock: "in stock", "only N left" or "sold out".

One query for a whole page of products (`ledger.available_quantities`), so a list page never
asks once per product. Templates show the number with `macros/stock.html: availability(n)`.
"""

from __future__ import annotations

from collections.abc import Iterable

from storefront.stock import ledger

# At or below this many units the shop says "only N left".
LOW_STOCK = 5


def availability_for(products: Iterable) -> dict[int, int]:
    """Units a shopper can buy now, by product id (0 for products with no sellable stock).

    Accepts products or product ids.
    """
    ids = [getattr(p, "id", p) for p in products]
    return ledger.available_quantities(ids)


def can_buy(available: int, quantity: int = 1) -> bool:
    """For showing the buy button; the real guarantee is `ledger.reserve` at checkout."""
    return quantity > 0 and available >= quantity
