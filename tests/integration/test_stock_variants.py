"""Stock per size: intake splits a sandal into a line per size, labels print the size's own
code, and returns, write-offs, counts and the vendor's stock page name the size."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from sqlalchemy import func, select

from storefront.auth.models import Role
from storefront.extensions import db
from storefront.stock import documents, intake
from storefront.stock.ledger import verify_ledger
from storefront.stock.models import Batch, IntakeReceipt, StockLevel, StockMovement
from tests.factories import ProductFactory, UserFactory, VendorFactory
from tests.integration.onboarding_helpers import manager as signed_in_manager
from tests.integration.test_stock_history import vendor_client
from tests.stock_helpers import receive, with_sizes

KEY = re.compile(r'name="submission_key" type="hidden" value="([0-9a-f]{32})"')
PRODUCT_SELECT = re.compile(r'name="lines-(\d+)-product">.*?<option selected value="([^"]+)"', re.S)


@pytest.fixture
def sandal(ctx):
    vendor = VendorFactory(name="Sandal Kulit Cikupa")
    product = ProductFactory(vendor=vendor, name="Sandal Kulit", code="SDL001", price=150_000)
    return product, with_sizes(product, "39, 40, 41")


@pytest.fixture
def boss(app, ctx):
    client = signed_in_manager(app)
    client.set_cookie("lang", "en")
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def chosen_rows(page: str) -> dict[int, str]:
    """{line number: selected value} of the intake form's product selects."""
    return {int(n): value for n, value in PRODUCT_SELECT.findall(page)}


def on_hand(variant) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(
                StockLevel.variant_id == variant.id
            )
        )
    )


def test_choosing_a_product_with_sizes_gives_a_line_per_size_and_receives_each(boss, sandal):
    product, size = sandal
    vendor_id = product.vendor_id
    page = text(boss.get(f"/manage/stock/intake?vendor_id={vendor_id}"))
    key = KEY.search(page).group(1)
    base = {"vendor_id": str(vendor_id), "submission_key": key}
    # Confirming with the product itself (no size) receives nothing: it splits the line.
    split = boss.post_form(
        "/manage/stock/intake", {**base, "action": "confirm", "lines-0-product": str(product.id)}
    )
    assert split.status_code == 400
    page = text(split)
    assert "Enter the quantity of each size or colour of Sandal Kulit." in page
    assert chosen_rows(page) == {
        0: f"{product.id}:{size['39'].id}",
        1: f"{product.id}:{size['40'].id}",
        2: f"{product.id}:{size['41'].id}",
    }
    assert db.session.scalar(select(func.count(Batch.id))) == 0

    rows = {}
    for index, (label, quantity) in enumerate([("39", 2), ("40", 4), ("41", 6)]):
        rows[f"lines-{index}-product"] = f"{product.id}:{size[label].id}"
        rows[f"lines-{index}-quantity"] = str(quantity)
    done = boss.post_form("/manage/stock/intake", {**base, "action": "confirm", **rows})
    assert done.status_code == 302, text(done)
    db.session.rollback()
    batches = db.session.scalars(select(Batch).order_by(Batch.id)).all()
    assert [(b.variant_id, b.received_quantity) for b in batches] == [
        (size["39"].id, 2),
        (size["40"].id, 4),
        (size["41"].id, 6),
    ]
    assert (on_hand(size["39"]), on_hand(size["40"]), on_hand(size["41"])) == (2, 4, 6)
    nota = text(boss.get(done.headers["Location"]))
    for label in ("39", "40", "41"):
        assert f"Variant: {label}" in nota
        assert size[label].code in nota
    assert verify_ledger()[1] == []


def test_the_scanner_takes_a_sizes_code_and_splits_the_products_own(boss, sandal):
    product, size = sandal
    page = text(boss.get(f"/manage/stock/intake?vendor_id={product.vendor_id}"))
    base = {"vendor_id": str(product.vendor_id), "submission_key": KEY.search(page).group(1)}
    first = text(boss.post_form("/manage/stock/intake", {**base, "scan": size["40"].code}))
    assert "Sandal Kulit — 40: 1" in first
    assert chosen_rows(first) == {0: f"{product.id}:{size['40'].id}"}
    again = text(
        boss.post_form(
            "/manage/stock/intake",
            {
                **base,
                "scan": size["40"].code.lower(),
                "lines-0-product": f"{product.id}:{size['40'].id}",
                "lines-0-quantity": "1",
            },
        )
    )
    assert re.search(r'name="lines-0-quantity" type="number" value="2"', again)
    assert "Sandal Kulit — 40: 2" in again
    whole = text(boss.post_form("/manage/stock/intake", {**base, "scan": "sdl001"}))
    assert "Enter the quantity of each size or colour of Sandal Kulit." in whole
    assert len(chosen_rows(whole)) == 3
    assert db.session.scalar(select(func.count(IntakeReceipt.id))) == 0


def test_a_product_with_sizes_is_not_received_without_a_size(sandal):
    product, _size = sandal
    actor = UserFactory(role=Role.MANAGER.value)
    with pytest.raises(intake.IntakeError) as refused:
        intake.create_intake(
            product.vendor_id,
            [intake.IntakeLine(product.id, 12)],
            actor=actor,
            submission_key=uuid.uuid4().hex,
        )
    assert (refused.value.field, refused.value.line) == ("product", 0)
    assert str(refused.value.message) == "Pilih ukuran atau warna dulu."  # the shop's language
    db.session.rollback()
    assert db.session.scalar(select(func.count(Batch.id))) == 0
    other = ProductFactory(vendor=product.vendor)
    with pytest.raises(intake.IntakeError):
        intake.create_intake(
            product.vendor_id,
            [intake.IntakeLine(product.id, 1, variant_id=other.default_variant.id)],
            actor=actor,
            submission_key=uuid.uuid4().hex,
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count(StockMovement.id))) == 0


def test_a_label_shows_the_size_and_prints_its_own_code(sandal, monkeypatch):
    product, size = sandal
    batch = receive(product, 2, variant=size["41"])
    names, codes = [], []
    monkeypatch.setattr(documents, "_name", lambda pdf, name, *args: names.append(name))
    monkeypatch.setattr(documents, "_barcode", lambda pdf, code, *args: codes.append(code))
    documents.labels_pdf([batch])
    assert names == ["Sandal Kulit — 41", "Sandal Kulit — 41"]
    assert codes == [size["41"].code, size["41"].code]
    assert size["41"].code != product.code


def test_return_and_write_off_of_one_size_leave_the_others(boss, sandal):
    product, size = sandal
    forty = receive(product, 5, variant=size["40"], code="SK-40")
    receive(product, 5, variant=size["41"], code="SK-41")
    path = f"/manage/stock/returns/vendor/{product.vendor_id}"
    form = text(boss.get(path))
    assert re.search(r"Sandal Kulit.*?variant-tag.*?40</span> <small>" + size["40"].code, form)
    returned = boss.post_form(path, {f"qty-{forty.id}": "2", "reason": "unsold"})
    assert returned.status_code == 302
    note = text(boss.get(returned.headers["Location"]))
    assert size["40"].code in note
    written = boss.post_form(
        f"/manage/stock/write-offs/batch/{forty.id}",
        {
            "quantity": "1",
            "kind": "damage_loss",
            "reason": "Tali putus",
            "responsible": "outlet",
        },
    )
    assert written.status_code == 302, text(written)
    db.session.rollback()
    assert (on_hand(size["40"]), on_hand(size["41"])) == (2, 5)
    moved = db.session.scalars(
        select(StockMovement.variant_id).where(StockMovement.quantity < 0)
    ).all()
    assert set(moved) == {size["40"].id}
    # Too many of one size: a clear message, nothing taken.
    refused = boss.post_form(path, {f"qty-{forty.id}": "3", "reason": "unsold"})
    assert refused.status_code == 400
    assert "Sandal Kulit — 40 (SK-40): only 2 can be taken out" in text(refused)
    db.session.rollback()
    assert on_hand(size["40"]) == 2
    assert verify_ledger()[1] == []


def test_the_count_sheet_and_the_vendors_stock_name_each_size(app, boss, sandal):
    product, size = sandal
    receive(product, 3, variant=size["41"])
    receive(product, 2, variant=size["39"])
    started = boss.post_form(
        "/manage/stock/counts/start", {"scope": "all", "vendor_id": "0", "category_id": "0"}
    )
    assert started.status_code == 302
    sheet = text(boss.get(started.headers["Location"]))
    # The sizes in the product's order, each with its own code.
    assert sheet.index(size["39"].code) < sheet.index(size["41"].code)
    assert 'data-testid="variant-tag"' in sheet

    owner = vendor_client(app, product.vendor, "sandal@example.com")
    page = re.sub(r"\s+", " ", text(owner.get("/vendor/stock")))
    assert "39: <strong>2</strong>" in page and "41: <strong>3</strong>" in page
    assert verify_ledger()[1] == []
