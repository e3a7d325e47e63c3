"""Intake (nota titip): a manager receives a vendor's goods, prints the receipt and the labels."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.auth.models import Role
from storefront.catalog.models import ProductStatus
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.stock import intake
from storefront.stock.documents import latin1
from storefront.stock.ledger import available_quantity, verify_ledger
from storefront.stock.models import Batch, IntakeReceipt, MovementKind, StockLevel, StockMovement
from storefront.vendors.models import VendorMember, VendorStatus
from tests.conftest import Client
from tests.factories import PASSWORD, CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.integration.onboarding_helpers import manager as signed_in_manager

# Messages are checked in English, the source language, so these tests do not depend on the
# state of the Indonesian catalogue; tests/integration/test_translations covers that.
KEY = re.compile(r'name="submission_key" type="hidden" value="([0-9a-f]{32})"')


@pytest.fixture
def goods(ctx):
    """An approved vendor with a food product and a craft product."""
    food = CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman", is_food=True)
    vendor = VendorFactory(name="Dapur Nyai Cikupa")
    sambal = ProductFactory(vendor=vendor, category=food, name="Sambal Roa", price=25000)
    basket = ProductFactory(vendor=vendor, name="Tas Anyaman Pandan", price=85000)
    return vendor, sambal, basket


def manager(app):
    client = signed_in_manager(app)
    client.set_cookie("lang", "en")
    return client


def nothing_created():
    db.session.rollback()  # see what the app committed, not this session's old snapshot
    assert db.session.scalar(select(func.count(IntakeReceipt.id))) == 0
    assert db.session.scalar(select(func.count(Batch.id))) == 0
    assert db.session.scalar(select(func.count(StockMovement.id))) == 0
    assert verify_ledger()[1] == []


def open_form(client, vendor) -> str:
    page = client.get(f"/manage/stock/intake?vendor_id={vendor.id}")
    assert page.status_code == 200
    return KEY.search(page.get_data(as_text=True)).group(1)


def form_data(vendor, key, rows, **extra) -> dict:
    data = {"vendor_id": str(vendor.id), "submission_key": key, "action": "confirm"}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"lines-{index}-{name}"] = str(value)
    data.update(extra)
    return data


def test_manager_receives_goods_and_gets_a_receipt_with_stock_on_the_shelf(app, goods):
    vendor, sambal, basket = goods
    client = manager(app)
    key = open_form(client, vendor)
    expiry = today_wib() + timedelta(days=90)
    response = client.post_form(
        "/manage/stock/intake",
        form_data(
            vendor,
            key,
            [
                {
                    "product": sambal.id,
                    "quantity": 24,
                    "batch_code": "SR-0925",
                    "expires_on": expiry.isoformat(),
                },
                {"code": basket.code.lower(), "quantity": 3},
            ],
            delivered_by="Bu Siti",
        ),
    )
    assert response.status_code == 302
    db.session.rollback()
    receipt = db.session.scalar(select(IntakeReceipt))
    assert response.headers["Location"].endswith(f"/manage/stock/intake/{receipt.id}")
    assert re.fullmatch(rf"NT-{today_wib():%y%m%d}-0001", receipt.number)
    assert receipt.delivered_by == "Bu Siti"
    batches = db.session.scalars(select(Batch).order_by(Batch.id)).all()
    assert [
        (b.product_id, b.received_quantity, b.code, b.expires_on, b.unit_price) for b in batches
    ] == [
        (sambal.id, 24, "SR-0925", expiry, 25000),
        (basket.id, 3, "", None, 85000),
    ]
    levels = {lvl.product_id: lvl.on_hand for lvl in db.session.scalars(select(StockLevel))}
    assert levels == {sambal.id: 24, basket.id: 3}
    movements = db.session.scalars(select(StockMovement)).all()
    assert {(m.kind, m.quantity, m.reference_type, m.reference_id) for m in movements} == {
        (MovementKind.INTAKE.value, 24, "intake_receipt", receipt.id),
        (MovementKind.INTAKE.value, 3, "intake_receipt", receipt.id),
    }
    assert available_quantity(sambal.id) == 24
    assert verify_ledger()[1] == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "stock.intake"))
    assert entry.subject_id == receipt.id and receipt.number in entry.after

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert receipt.number in page
    assert "Sambal Roa" in page and "Rp600.000" in page and "Rp855.000" in page


def test_the_next_receipt_of_the_day_gets_the_next_number(app, goods):
    vendor, _, basket = goods
    actor = UserFactory(role=Role.MANAGER.value)
    numbers = [
        intake.create_intake(
            vendor.id,
            [(basket.id, 1, "", None, None)],
            actor=actor,
            submission_key=uuid.uuid4().hex,
        ).number
        for _ in range(2)
    ]
    db.session.commit()
    assert [n[-4:] for n in numbers] == ["0001", "0002"]


def test_submitting_the_same_form_twice_creates_one_receipt(app, goods):
    vendor, _, basket = goods
    client = manager(app)
    key = open_form(client, vendor)
    data = form_data(vendor, key, [{"product": basket.id, "quantity": 5}])
    first = client.post_form("/manage/stock/intake", data)
    second = client.post_form("/manage/stock/intake", data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    db.session.rollback()
    assert db.session.scalar(select(func.count(IntakeReceipt.id))) == 1
    assert available_quantity(basket.id) == 5
    assert verify_ledger()[1] == []


def test_the_service_returns_the_first_receipt_for_a_repeated_key(app, goods):
    vendor, _, basket = goods
    actor = UserFactory(role=Role.MANAGER.value)
    key = uuid.uuid4().hex
    first = intake.create_intake(
        vendor.id, [(basket.id, 2, "", None, None)], actor=actor, submission_key=key
    )
    db.session.commit()
    again = intake.create_intake(
        vendor.id, [(basket.id, 2, "", None, None)], actor=actor, submission_key=key
    )
    db.session.commit()
    assert again.id == first.id
    assert available_quantity(basket.id) == 2


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"quantity": 0}, "at least 1"),
        ({"quantity": -4}, "at least 1"),
        ({"quantity": 5, "expires_on": "PAST"}, "expiry date has passed"),
        ({"quantity": 5, "expires_on": ""}, "need an expiry date"),
        ({"quantity": 5, "produced_on": "FUTURE"}, "cannot be in the future"),
    ],
)
def test_bad_lines_get_a_clear_message_and_change_nothing(app, goods, row, message):
    vendor, sambal, _ = goods
    client = manager(app)
    key = open_form(client, vendor)
    today = today_wib()
    row = {"product": sambal.id, "expires_on": (today + timedelta(days=30)).isoformat(), **row}
    if row.get("expires_on") == "PAST":
        row["expires_on"] = (today - timedelta(days=1)).isoformat()
    if row.get("produced_on") == "FUTURE":
        row["produced_on"] = (today + timedelta(days=1)).isoformat()
    response = client.post_form("/manage/stock/intake", form_data(vendor, key, [row]))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    nothing_created()


def test_a_product_of_another_vendor_is_refused_by_name(app, goods):
    vendor, _, basket = goods
    other = ProductFactory(vendor=VendorFactory(name="Kopi Cisoka"), name="Kopi Robusta")
    client = manager(app)
    key = open_form(client, vendor)
    response = client.post_form(
        "/manage/stock/intake",
        form_data(
            vendor,
            key,
            [{"product": basket.id, "quantity": 2}, {"code": other.code, "quantity": 1}],
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Kopi Robusta" in page and "Kopi Cisoka" in page and "Dapur Nyai Cikupa" in page
    nothing_created()


def test_a_product_not_approved_is_refused(app, goods):
    vendor, _, _ = goods
    draft = ProductFactory(vendor=vendor, name="Keripik Baru", status=ProductStatus.SUBMITTED.value)
    actor = UserFactory(role=Role.MANAGER.value)
    with pytest.raises(intake.IntakeError, match="Keripik Baru") as error:
        intake.create_intake(
            vendor.id, [(draft.id, 1, "", None, None)], actor=actor, submission_key=uuid.uuid4().hex
        )
    assert (error.value.field, error.value.line) == ("product", 0)
    db.session.rollback()
    client = manager(app)
    key = open_form(client, vendor)
    response = client.post_form(
        "/manage/stock/intake", form_data(vendor, key, [{"code": draft.code, "quantity": 1}])
    )
    assert response.status_code == 400
    assert "Keripik Baru" in response.get_data(as_text=True)
    assert "is not approved yet" in response.get_data(as_text=True)
    nothing_created()


def test_a_vendor_not_approved_cannot_deliver(app, goods):
    vendor, _, basket = goods
    actor = UserFactory(role=Role.MANAGER.value)
    client = manager(app)
    key = open_form(client, vendor)
    vendor.status = VendorStatus.SUSPENDED.value
    db.session.commit()
    with pytest.raises(intake.IntakeError, match="Dapur Nyai Cikupa") as error:
        intake.create_intake(
            vendor.id,
            [(basket.id, 1, "", None, None)],
            actor=actor,
            submission_key=uuid.uuid4().hex,
        )
    assert error.value.field == "vendor_id"
    db.session.rollback()
    response = client.post_form(
        "/manage/stock/intake", form_data(vendor, key, [{"product": basket.id, "quantity": 1}])
    )
    assert response.status_code == 302
    assert "approved vendor" in client.get(response.headers["Location"]).get_data(as_text=True)
    nothing_created()


def test_an_empty_receipt_is_refused(app, goods):
    vendor, _, _ = goods
    client = manager(app)
    key = open_form(client, vendor)
    response = client.post_form("/manage/stock/intake", form_data(vendor, key, []))
    assert response.status_code == 400
    assert "at least one product" in response.get_data(as_text=True)
    nothing_created()


def test_scanning_without_javascript_adds_units_line_by_line(app, goods):
    vendor, sambal, _ = goods
    client = manager(app)
    key = open_form(client, vendor)
    data = form_data(vendor, key, [], action="scan", scan=sambal.code)
    page = client.post_form("/manage/stock/intake", data).get_data(as_text=True)
    assert f'<option selected value="{sambal.id}">' in page
    assert re.search(r'id="lines-0-quantity"[^>]*value="1"', page)
    assert "Sambal Roa: 1" in page
    # The browser sends the page back with the next scan: the same code counts up.
    data = form_data(
        vendor,
        key,
        [{"product": sambal.id, "quantity": 1}],
        action="scan",
        scan=sambal.code.lower(),
    )
    page = client.post_form("/manage/stock/intake", data).get_data(as_text=True)
    assert re.search(r'id="lines-0-quantity"[^>]*value="2"', page)
    unknown = client.post_form(
        "/manage/stock/intake", form_data(vendor, key, [], action="scan", scan="NOPE123")
    ).get_data(as_text=True)
    assert "No approved product of Dapur Nyai Cikupa has the code NOPE123" in unknown
    more = client.post_form("/manage/stock/intake", form_data(vendor, key, [], action="more"))
    assert 'name="lines-15-product"' in more.get_data(as_text=True)
    nothing_created()


def test_the_form_embeds_the_vendors_codes_for_the_scanner(app, goods):
    vendor, sambal, basket = goods
    other = ProductFactory(vendor=VendorFactory(), name="Bukan Punya Nyai")
    client = manager(app)
    page = client.get(f"/manage/stock/intake?vendor_id={vendor.id}").get_data(as_text=True)
    assert "data-products=" in page and sambal.code in page and basket.code in page
    assert other.code not in page
    assert "<script>" not in page


def receive(app, goods, client):
    vendor, sambal, basket = goods
    key = open_form(client, vendor)
    response = client.post_form(
        "/manage/stock/intake",
        form_data(
            vendor,
            key,
            [
                {
                    "product": sambal.id,
                    "quantity": 4,
                    "batch_code": "B–1",
                    "expires_on": (today_wib() + timedelta(days=60)).isoformat(),
                },
                {"product": basket.id, "quantity": 2},
            ],
        ),
    )
    assert response.status_code == 302
    return response.headers["Location"]


def test_receipt_page_has_both_signature_lines_and_print_links(app, goods):
    client = manager(app)
    location = receive(app, goods, client)
    page = client.get(location).get_data(as_text=True)
    assert "Handed over by" in page and "Received by" in page
    assert page.count('class="signature-line"') == 2
    assert "data-print" in page and f"{location}.pdf" in page and f"{location}/labels.pdf" in page


def test_receipt_and_labels_are_served_as_pdf(app, goods):
    client = manager(app)
    location = receive(app, goods, client)
    for path in (f"{location}.pdf", f"{location}/labels.pdf", f"{location}/labels.pdf?per=batch"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
        assert "no-store" in response.headers["Cache-Control"]


def test_text_outside_latin1_is_folded_for_the_pdf_fonts():
    assert latin1("Kopi – “Robusta” café 🙂") == 'Kopi - "Robusta" café'


def test_unknown_receipt_is_404(app, goods):
    client = manager(app)
    assert client.get("/manage/stock/intake/424242").status_code == 404
    assert client.get("/manage/stock/intake/424242.pdf").status_code == 404


@pytest.mark.parametrize("role", [Role.SHOPPER, Role.VENDOR])
def test_vendors_and_shoppers_may_not_use_intake(app, goods, role):
    vendor, _, _ = goods
    manager_client = manager(app)
    location = receive(app, goods, manager_client)
    db.session.rollback()
    user = UserFactory(email=f"{role.value}-x@example.com", role=role.value)
    if role == Role.VENDOR:
        db.session.add(VendorMember(vendor_id=vendor.id, user_id=user.id, role="owner"))
        db.session.commit()
    client = Client(app.test_client())
    assert client.login(user.email, PASSWORD).status_code == 302
    for path in (
        "/manage/stock/intake",
        f"/manage/stock/intake?vendor_id={vendor.id}",
        location,
        f"{location}.pdf",
        f"{location}/labels.pdf",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post_form("/manage/stock/intake", {"vendor_id": vendor.id}).status_code == 403


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


def test_labels_come_one_per_unit_24_a_sheet_and_stop_at_the_cap(ctx):
    from types import SimpleNamespace

    from storefront.stock.documents import MAX_LABELS, labels_pdf

    def variant(name, code):
        return SimpleNamespace(code=code, display_name=lambda: name)

    product = variant("Keripik Singkong Balado", "GTG00001")
    odd = variant("Kode aneh", "gtg_01")  # no Code 39 for "_": text only
    batches = [
        SimpleNamespace(variant=product, received_quantity=25, unit_price=12000, expires_on=None),
        SimpleNamespace(variant=odd, received_quantity=1, unit_price=5000, expires_on=None),
    ]
    assert pdf_pages(labels_pdf(batches)) == 2
    assert pdf_pages(labels_pdf(batches, per_unit=False)) == 1
    many = [
        SimpleNamespace(
            variant=product, received_quantity=MAX_LABELS + 50, unit_price=1, expires_on=None
        )
    ]
    assert pdf_pages(labels_pdf(many)) == MAX_LABELS // 24
