"""Statements for a product with sizes: figures per variant, rolled up under the product.

A sandal maker (outlet default commission 20 %) sells Sandal Kulit in sizes 40, 41 and 42 at
Rp150.000 and a keychain without options at Rp25.000, in September and October 2026 (WIB).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from storefront.catalog import variants
from storefront.catalog.variants import OptionSpec
from storefront.extensions import db
from storefront.settlements import services as service
from storefront.stock.models import Batch
from storefront.stock.operations import record_write_off
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.integration.test_books import books_hold, pdf_text
from tests.integration.test_settlements import (
    counter_sale,
    figures,
    intake,
    paid_order,
    refund,
    sign_in,
    statement,
    vendor_user,
    wib,
)

SEPTEMBER, OCTOBER = date(2026, 9, 1), date(2026, 10, 1)


@pytest.fixture
def sandals(ctx):
    manager = UserFactory(role="manager", name="Manajer Gerai")
    cashier = UserFactory(role="manager", name="Kasir")
    footwear = CategoryFactory(commission_bp=None)
    vendor = VendorFactory(name="Sandal Pasar Baru")
    db.session.commit()
    sandal = ProductFactory(vendor=vendor, category=footwear, name="Sandal Kulit", price=150_000)
    keychain = ProductFactory(vendor=vendor, category=footwear, name="Gantungan", price=25_000)
    variants.set_options(sandal, [OptionSpec.parse("Ukuran", "40, 41, 42")])
    db.session.commit()
    size = {v.label: v for v in sandal.active_variants}

    # September: 3 of size 40 and 2 of size 41 in; statement closed, so October's opening
    # stock per size comes from its frozen lines.
    intake(sandal, 3, wib("2026-09-10 10:00"), variant=size["40"])
    intake(sandal, 2, wib("2026-09-10 10:05"), variant=size["41"])
    intake(keychain, 10, wib("2026-09-10 10:10"))
    service.generate_month(2026, 9, actor=manager)
    db.session.commit()
    service.close_settlement(statement(vendor, SEPTEMBER), actor=manager)
    db.session.commit()

    # October: 2 more of size 40. Online 2 x size 40 (300.000, commission 60.000) and a
    # keychain (25.000, 5.000); at the counter 1 x size 41 (150.000, 30.000); 1 size 40
    # refunded and put back on the shelf (150.000, commission 30.000 given back).
    intake(sandal, 2, wib("2026-10-02 09:00"), variant=size["40"])
    order = paid_order(
        [(sandal, 2, size["40"]), (keychain, 1)],
        wib("2026-10-05 10:00"),
    )
    counter_sale(cashier, [(sandal, 1, size["41"])], wib("2026-10-08 13:00"))
    refund(order, sandal, 1, wib("2026-10-12 16:00"), restock=True, variant=size["40"])
    service.generate_month(2026, 10, actor=manager)
    db.session.commit()
    return dict(manager=manager, vendor=vendor, sandal=sandal, keychain=keychain, size=size)


def test_sizes_sold_online_and_at_the_counter_are_two_lines_under_one_product(sandals):
    october = statement(sandals["vendor"], OCTOBER)
    products = {p.product_name: p for p in october.products}
    sandal = products["Sandal Kulit"]
    assert sandal.has_variants and [ln.variant_label for ln in sandal.lines] == ["40", "41"]
    size_40, size_41 = sandal.lines
    assert size_40.product_code == sandals["size"]["40"].code != sandals["sandal"].code
    assert figures(size_40) == dict(
        opening=3,  # September's frozen closing of size 40
        received=2,
        sold_online=2,
        gross_online=300_000,
        sold_counter=0,
        gross_counter=0,
        refunded=1,
        refunds=150_000,
        restocked=1,
        returned=0,
        adjusted=0,
        closing=4,  # 3 + 2 - 2 + 1
        commission=30_000,  # 60.000 - 30.000 given back
        vendor_share=120_000,
        compensated=0,
        compensation=0,
    )
    assert figures(size_41) == dict(
        opening=2,
        received=0,
        sold_online=0,
        gross_online=0,
        sold_counter=1,
        gross_counter=150_000,
        refunded=0,
        refunds=0,
        restocked=0,
        returned=0,
        adjusted=0,
        closing=1,
        commission=30_000,
        vendor_share=120_000,
        compensated=0,
        compensation=0,
    )
    assert figures(sandal) == dict(
        opening=5,
        received=2,
        sold_online=2,
        gross_online=300_000,
        sold_counter=1,
        gross_counter=150_000,
        refunded=1,
        refunds=150_000,
        restocked=1,
        returned=0,
        adjusted=0,
        closing=5,
        commission=60_000,
        vendor_share=240_000,
        compensated=0,
        compensation=0,
    )
    assert sandal.balances and all(line.balances for line in sandal.lines)
    # Size 42 never moved: no line. The keychain has no options: one line, no label.
    keychain = products["Gantungan"]
    assert not keychain.has_variants and [ln.variant_label for ln in keychain.lines] == [""]
    assert october.vendor_share == 240_000 + 20_000


def test_closing_and_paying_a_statement_with_sizes_keeps_the_books(sandals):
    manager = sandals["manager"]
    october = service.close_settlement(statement(sandals["vendor"], OCTOBER), actor=manager)
    db.session.commit()
    assert october.net_payable == 260_000
    service.mark_paid(
        october,
        service.Payment(
            paid_on=date(2026, 11, 3),
            reference="TRF-SANDAL",
            amount=260_000,
            holder_confirmed="SANDAL PASAR BARU",
        ),
        actor=manager,
    )
    db.session.commit()
    books_hold()


def test_the_statement_page_pdf_and_csv_show_the_sizes_under_the_product(app, sandals):
    october = statement(sandals["vendor"], OCTOBER)
    page = sign_in(app, sandals["manager"]).get(f"/manage/settlements/{october.id}")
    html = page.get_data(as_text=True)
    assert html.count('data-testid="product-subtotal"') == 1
    assert html.count('data-testid="variant-line"') == 2
    subtotal = html[html.index('data-testid="product-subtotal"') :]
    assert subtotal.index("Sandal Kulit") < subtotal.index(sandals["size"]["40"].code)
    assert subtotal.index(sandals["size"]["40"].code) < subtotal.index(sandals["size"]["41"].code)
    assert "Subtotal 2 varian" in html
    # The keychain is one plain row, as before variants.
    keychain_row = re.search(r"<tr>\s*<td[^>]*>[^<]*<a [^>]*>Gantungan</a>", html)
    assert keychain_row is not None

    # The manager's drill-down of the sandal: the product's subtotal and each line's size.
    drill = sign_in(app, sandals["manager"]).get(
        f"/manage/settlements/{october.id}/lines/{sandals['sandal'].id}"
    )
    drilled = drill.get_data(as_text=True)
    assert drill.status_code == 200
    assert "Stok awal 5 + diterima 2 − terjual 3" in drilled and "<small>41</small>" in drilled

    client = sign_in(app, vendor_user(sandals["vendor"]))
    mine = client.get(f"/vendor/statements/{october.id}").get_data(as_text=True)
    assert mine.count('data-testid="variant-line"') == 2

    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/vendor/statements/{october.id}/statement.csv")
                .get_data(as_text=True)
                .split("\r\n\r\n")[0]
            )
        )
    )
    sandal_rows = [r for r in rows if r["product_name"] == "Sandal Kulit"]
    assert [(r["variant_label"], r["sold_online"], r["sold_counter"]) for r in sandal_rows] == [
        ("40", "2", "0"),
        ("41", "0", "1"),
        ("subtotal", "2", "1"),
    ]
    assert sandal_rows[2]["vendor_share"] == "240000"
    keychain = [r for r in rows if r["product_name"] == "Gantungan"]
    assert [(r["product_code"], r["variant_label"]) for r in keychain] == [
        (sandals["keychain"].code, "")
    ]

    pdf = client.get(f"/vendor/statements/{october.id}/statement.pdf").data
    text = pdf_text(pdf)
    assert sandals["size"]["41"].code in text and "Subtotal" in text


def _csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_reports_list_sales_and_stock_per_size_and_roll_up_per_product(app, sandals):
    manager = sign_in(app, sandals["manager"])
    october = "start=2026-10-01&end=2026-10-31"
    per_variant = _csv_rows(manager.get(f"/manage/reports/sales.csv?by=variant&{october}"))
    sandal = {
        r["Varian"]: r["Barang terjual"] for r in per_variant if r["Produk"] == "Sandal Kulit"
    }
    # Sales count when sold (a refund is not a negative sale, as in the sales report).
    assert sandal == {"40": "2", "41": "1"}
    assert {r["Kode"] for r in per_variant if r["Produk"] == "Sandal Kulit"} == {
        sandals["size"]["40"].code,
        sandals["size"]["41"].code,
    }
    per_product = _csv_rows(manager.get(f"/manage/reports/sales.csv?by=product&{october}"))
    assert [r["Barang terjual"] for r in per_product if r["Produk"] == "Sandal Kulit"] == ["3"]

    stock = _csv_rows(manager.get("/manage/reports/stock-value.csv"))
    on_hand = {r["Varian"]: r["Stok"] for r in stock if r["Produk"] == "Sandal Kulit"}
    assert on_hand == {"40": "4", "41": "1"}
    assert [r["Varian"] for r in stock if r["Produk"] == "Gantungan"] == [""]

    owner = sign_in(app, vendor_user(sandals["vendor"]))
    insights = owner.get("/vendor/insights?days=365").get_data(as_text=True)
    # Sizes 40, 41 and 42 (on offer, none on the shelf) under the sandal.
    assert insights.count('data-testid="insight-variant"') == 3
    assert sandals["size"]["42"].code in insights


def test_a_size_lost_in_the_outlets_care_is_compensated_on_that_sizes_line(sandals):
    manager, size = sandals["manager"], sandals["size"]
    # Size 41 costs Rp10.000 more: the compensation is at that size's price.
    variants.update_variant(size["41"], sku=size["41"].sku, price_delta=10_000)
    variants.approve_all(sandals["sandal"])
    db.session.commit()
    size_41_batch = db.session.scalar(
        select(Batch).where(Batch.variant_id == size["41"].id).order_by(Batch.id)
    )
    with time_machine.travel(wib("2026-10-20 10:00"), tick=False):
        record_write_off(
            size_41_batch,
            manager,
            quantity=1,
            kind="damage_loss",
            reason="Sol lepas di rak",
            responsible="outlet",
        )
        db.session.commit()
    service.generate_month(2026, 10, actor=manager)
    db.session.commit()

    lines = {ln.variant_label: ln for ln in statement(sandals["vendor"], OCTOBER).lines}
    # 160.000 at 20 %: the vendor's share is 128.000.
    assert (lines["41"].compensated, lines["41"].compensation) == (1, 128_000)
    assert (lines["41"].adjusted, lines["41"].closing) == (-1, 0)
    assert (lines["40"].compensated, lines["40"].compensation) == (0, 0)
    books_hold()
