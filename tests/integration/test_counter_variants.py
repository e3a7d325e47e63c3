"""The counter sells sizes: a size's label sells that size, the product's own code asks which
size, and a sold-out size says so and adds nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from storefront.auth.models import Role
from storefront.catalog import variants
from storefront.clock import shop_zone, today_wib
from storefront.extensions import db
from storefront.pos import selling, services
from storefront.pos.models import CounterSale, CounterSaleLine
from storefront.pos.selling import PaymentInput, RunningSale
from storefront.pos.services import PosError
from storefront.stock import ledger, markdowns
from storefront.stock.markdowns import MarkdownTerms
from storefront.stock.models import StockLevel
from tests.conftest import act
from tests.factories import PASSWORD, ProductFactory, UserFactory, VendorFactory
from tests.stock_helpers import receive, with_sizes


@pytest.fixture
def sandals(ctx):
    """A sandal in sizes 40, 41 and 42 (42 costs more, so it waits for review); 42 has no
    stock."""
    vendor = VendorFactory(name="Sandal Kulit Cikupa", commission_bp=2000)
    sandal = ProductFactory(vendor=vendor, name="Sandal Kulit", code="SDL001", price=150_000)
    by_size = with_sizes(sandal, "40, 41, 42")
    variants.update_variant(by_size["42"], sku=by_size["42"].sku, price_delta=10_000)
    db.session.commit()
    manager = UserFactory(email="manajer@example.com", role=Role.MANAGER.value)
    UserFactory(email="kasir@example.com", name="Kasir Satu", role=Role.CASHIER.value)
    receive(sandal, 3, variant=by_size["40"], actor=manager)
    receive(sandal, 2, variant=by_size["41"], actor=manager)
    return sandal, by_size


def on_hand(variant) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(
                StockLevel.variant_id == variant.id
            )
        )
    )


@pytest.fixture
def till(client, sandals):
    assert client.login("kasir@example.com", PASSWORD).status_code == 302
    client.set_cookie("lang", "en")
    assert client.post_form("/counter/shift/open", {"opening_float": "0"}).status_code == 302
    return client


def test_scanning_a_sizes_label_sells_that_size(till, sandals):
    _sandal, size = sandals
    till.post_form("/counter/scan", {"code": size["41"].code.lower()})
    page = till.get("/counter/").get_data(as_text=True)
    assert "Variant: 41" in page and size["41"].code in page
    paid = till.post_form("/counter/pay", {"exact": "1"})
    assert paid.status_code == 302
    assert on_hand(size["41"]) == 1
    assert on_hand(size["40"]) == 3
    line = db.session.scalar(select(CounterSaleLine))
    assert (line.variant_id, line.variant_label, line.product_code) == (
        size["41"].id,
        "41",
        size["41"].code,
    )
    receipt = till.get(paid.headers["Location"]).get_data(as_text=True)
    assert "Sandal Kulit — 41" in receipt
    assert ledger.verify_ledger()[1] == []


def test_the_products_own_code_asks_for_the_size_and_adds_nothing(till, sandals):
    sandal, size = sandals
    asked = till.post_form("/counter/scan", {"code": "SDL001"})
    assert asked.status_code == 400
    page = asked.get_data(as_text=True)
    assert "Sandal Kulit comes in sizes or colours: scan the label of the size" in page
    # The choice list offers the sizes in stock, not the sold-out 42.
    assert f'name="variant_id" value="{size["40"].id}"' in page
    assert f'name="variant_id" value="{size["41"].id}"' in page
    assert f'name="variant_id" value="{size["42"].id}"' not in page
    assert "Nothing yet" in page
    chosen = till.post_form(f"/counter/lines/{sandal.id}/add", {"variant_id": str(size["40"].id)})
    assert chosen.status_code == 302
    assert "Variant: 40" in till.get("/counter/").get_data(as_text=True)


def test_a_sold_out_size_is_refused_with_a_clear_message(till, sandals):
    _sandal, size = sandals
    waiting = till.post_form("/counter/scan", {"code": size["42"].code})
    assert "Sandal Kulit — 42 is waiting for the manager&#39;s review" in waiting.get_data(
        as_text=True
    )
    variants.approve_variant(size["42"])
    db.session.commit()
    refused = till.post_form("/counter/scan", {"code": size["42"].code})
    assert refused.status_code == 400
    assert "Sandal Kulit — 42 is sold out." in refused.get_data(as_text=True)
    assert "Nothing yet" in refused.get_data(as_text=True)
    too_many = till.post_form("/counter/scan", {"code": f"3*{size['41'].code}"})
    assert "Only 2 left in stock, 3 asked for." in too_many.get_data(as_text=True)


def test_two_sizes_of_one_product_are_two_lines_priced_per_size(sandals):
    sandal, size = sandals
    variants.approve_variant(size["42"])
    receive(sandal, 1, variant=size["42"])
    cashier = UserFactory(role=Role.CASHIER.value)
    shift = act(services.open_shift, cashier, 0)
    sale = RunningSale()
    selling.scan(sale, size["40"].code)
    selling.scan(sale, size["42"].code)
    selling.scan(sale, size["40"].code)
    assert sale.lines == {size["40"].id: 2, size["42"].id: 1}
    record = act(selling.ring_up, shift, cashier, sale, PaymentInput(exact_cash=True))
    assert record.total == 2 * 150_000 + 160_000
    lines = {line.variant_label: (line.quantity, line.unit_price) for line in record.lines}
    assert lines == {"40": (2, 150_000), "42": (1, 160_000)}
    assert (on_hand(size["40"]), on_hand(size["41"]), on_hand(size["42"])) == (1, 2, 0)
    assert ledger.verify_ledger()[1] == []
    # A void puts each size back on its own shelf.
    manager = UserFactory(role=Role.MANAGER.value)
    act(services.void_sale, record, manager, "Salah ukuran", "", "")
    assert (on_hand(size["40"]), on_hand(size["42"])) == (3, 1)
    assert ledger.verify_ledger()[1] == []


def test_a_product_with_sizes_cannot_be_added_without_one(sandals):
    sandal, _size = sandals
    sale = RunningSale()
    with pytest.raises(selling.ChooseVariant):
        selling.add(sale, sandal.id)
    with pytest.raises(PosError):
        selling.scan(sale, "SDL001")
    assert sale.lines == {}
    assert db.session.scalar(select(func.count(CounterSale.id))) == 0


def test_a_markdown_on_one_sizes_batch_prices_only_that_size(sandals):
    sandal, size = sandals
    manager = UserFactory(role=Role.MANAGER.value)
    near = receive(sandal, 1, variant=size["41"], expires_on=today_wib() + timedelta(days=3))
    terms = MarkdownTerms(
        percent_bp=2000,
        bearer="vendor",
        agreed_by="Pak Udin",
        agreed_at=datetime.now(shop_zone()) - timedelta(hours=1),
        agreed_via="whatsapp",
    )
    act(markdowns.mark_down, near, manager, terms)
    cashier = UserFactory(role=Role.CASHIER.value)
    shift = act(services.open_shift, cashier, 0)
    sale = RunningSale()
    selling.add(sale, sandal.id, 2, variant_id=size["41"].id)
    selling.add(sale, sandal.id, 1, variant_id=size["40"].id)
    shown = {line.variant.label: line.amount for line in selling.lines_of(sale)}
    # FEFO takes the marked-down 41 first: 120.000 + 150.000; size 40 stays at its price.
    assert shown == {"41": 120_000 + 150_000, "40": 150_000}
    record = act(selling.ring_up, shift, cashier, sale, PaymentInput(exact_cash=True))
    assert record.total == 420_000
    lines = sorted((line.variant_label, line.quantity, line.unit_price) for line in record.lines)
    assert lines == [("40", 1, 150_000), ("41", 1, 120_000), ("41", 1, 150_000)]
    assert ledger.verify_ledger()[1] == []


def test_a_name_search_offers_each_size_in_stock(till, sandals):
    _sandal, size = sandals
    found = till.get("/counter/?q=sandal").get_data(as_text=True)
    assert f'name="variant_id" value="{size["40"].id}"' in found
    assert f'name="variant_id" value="{size["42"].id}"' not in found  # none on the shelf
