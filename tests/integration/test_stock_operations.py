"""Returns to vendors, write-offs, stock counts and expiry lists, through the manager's pages.

Stock is put on the shelf by calling the ledger directly (the intake pages are tested on their
own). Every test ends with the ledger verifying: levels equal their movements, none negative.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.auth.models import Role, User
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.stock import counts as opname
from storefront.stock import ledger
from storefront.stock import operations as ops
from storefront.stock.models import (
    Batch,
    CountStatus,
    IntakeReceipt,
    MovementKind,
    ReturnNote,
    StockCount,
    StockCountLine,
    StockCountStatusChange,
    StockLevel,
    StockMovement,
    StockWriteOff,
)
from storefront.vendors.models import VendorMember
from tests.conftest import Client
from tests.factories import PASSWORD, CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.integration.onboarding_helpers import manager

NOT_ENOUGH = re.compile(r"only (\d+) can be taken out")


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def boss(app, ctx) -> Client:
    client = manager(app)
    client.set_cookie("lang", "en")
    return client


def manager_user() -> User:
    return db.session.scalar(select(User).where(User.email == "manajer@example.com"))


def shelve(product, quantity=10, *, code="", expires_in: int | None = None) -> Batch:
    """Put a batch of `product` on the shelf through the ledger, as an intake would."""
    actor = manager_user() or UserFactory(role=Role.MANAGER.value)
    receipt = IntakeReceipt(
        number=f"NT-{uuid.uuid4().hex[:10]}",
        vendor_id=product.vendor_id,
        received_by_id=actor.id,
        submission_key=uuid.uuid4().hex,
    )
    db.session.add(receipt)
    db.session.flush()
    batch = Batch(
        product_id=product.id,
        vendor_id=product.vendor_id,
        receipt_id=receipt.id,
        code=code,
        expires_on=today_wib() + timedelta(days=expires_in) if expires_in is not None else None,
        received_quantity=quantity,
        unit_price=product.price,
    )
    ledger.receive_batch(batch, actor_id=actor.id)
    db.session.commit()
    return batch


def on_hand(batch: Batch) -> int:
    db.session.rollback()
    return db.session.get(StockLevel, batch.id).on_hand


def movements(reference_type: str) -> list[StockMovement]:
    db.session.rollback()
    return db.session.scalars(
        select(StockMovement)
        .where(StockMovement.reference_type == reference_type)
        .order_by(StockMovement.id)
    ).all()


def rows(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(model.id)))


def audit_actions() -> list[str]:
    db.session.rollback()
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def assert_ledger_verifies() -> None:
    db.session.rollback()
    assert ledger.verify_ledger()[1] == []


def text(response) -> str:
    return response.get_data(as_text=True)


def vendor_client(app, vendor, email) -> Client:
    user = UserFactory(email=email, role=Role.VENDOR.value)
    db.session.add(VendorMember(vendor_id=vendor.id, user_id=user.id, role="owner"))
    db.session.commit()
    client = Client(app.test_client())
    client.set_cookie("lang", "en")
    assert client.login(email, PASSWORD).status_code == 302
    return client


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (180, 40, 40)).save(out, "PNG")
    return out.getvalue()


# --- returns to vendor ------------------------------------------------------------------------


def test_return_takes_units_back_with_a_numbered_printable_note(boss):
    product = ProductFactory(name="Keripik Singkong Balado")
    first = shelve(product, 10, code="KS-01", expires_in=20)
    second = shelve(product, 6, code="KS-02", expires_in=60)
    path = f"/manage/stock/returns/vendor/{product.vendor_id}"

    page = boss.get(path)
    assert page.status_code == 200
    assert "KS-01" in text(page) and "KS-02" in text(page)

    response = boss.post_form(
        path, {f"qty-{first.id}": "3", f"qty-{second.id}": "2", "reason": "near_expiry"}
    )
    assert response.status_code == 302
    db.session.rollback()
    note = db.session.scalar(select(ReturnNote))
    assert note.number == f"RT-{today_wib():%y%m%d}-0001"
    assert note.reason == "near_expiry"
    lines = movements("return_note")
    assert [(m.batch_id, m.quantity, m.kind) for m in lines] == [
        (first.id, -3, MovementKind.RETURN_TO_VENDOR.value),
        (second.id, -2, MovementKind.RETURN_TO_VENDOR.value),
    ]
    assert {m.reference_id for m in lines} == {note.id}
    assert (on_hand(first), on_hand(second)) == (7, 4)
    assert "stock.return" in audit_actions()

    printed = text(boss.get(response.headers["Location"]))
    assert note.number in printed
    assert "Received by (vendor)" in printed and "Handed over by (outlet)" in printed
    assert "Near expiry" in printed and "Keripik Singkong Balado" in printed

    boss.post_form(path, {f"qty-{first.id}": "1", "reason": "unsold"})
    db.session.rollback()
    numbers = db.session.scalars(select(ReturnNote.number).order_by(ReturnNote.id)).all()
    assert numbers[1] == f"RT-{today_wib():%y%m%d}-0002"
    assert_ledger_verifies()


def test_a_return_number_taken_meanwhile_is_skipped(boss, monkeypatch):
    batch = shelve(ProductFactory(), 5)
    actor = manager_user()
    ops.create_return(batch.product.vendor, actor, {batch.id: 1}, "unsold")
    db.session.commit()
    taken = db.session.scalar(select(ReturnNote.number))
    # As if a second manager saved a return between reading the number and inserting it.
    real = ops.next_return_number
    answers = iter([taken])
    monkeypatch.setattr(ops, "next_return_number", lambda today: next(answers, None) or real(today))
    note = ops.create_return(batch.product.vendor, actor, {batch.id: 2}, "unsold")
    db.session.commit()
    assert note.number == f"RT-{today_wib():%y%m%d}-0002"
    assert on_hand(batch) == 2
    assert_ledger_verifies()


def test_returning_more_than_on_hand_changes_nothing(boss):
    batch = shelve(ProductFactory(), 10, code="B-10")
    response = boss.post_form(
        f"/manage/stock/returns/vendor/{batch.vendor_id}",
        {f"qty-{batch.id}": "11", "reason": "unsold"},
    )
    assert response.status_code == 400
    match = NOT_ENOUGH.search(text(response))
    assert match and match.group(1) == "10"
    assert rows(ReturnNote) == 0
    assert movements("return_note") == []
    assert on_hand(batch) == 10
    assert_ledger_verifies()


def test_units_held_for_buyers_cannot_be_returned(boss):
    batch = shelve(ProductFactory(), 10)
    ledger.reserve([ledger.Line(batch.product_id, 8)], timedelta(minutes=30), reference="order")
    db.session.commit()
    path = f"/manage/stock/returns/vendor/{batch.vendor_id}"
    assert "8 held for orders" in text(boss.get(path))

    refused = boss.post_form(path, {f"qty-{batch.id}": "5", "reason": "recalled"})
    assert refused.status_code == 400
    assert NOT_ENOUGH.search(text(refused)).group(1) == "2"
    assert on_hand(batch) == 10

    accepted = boss.post_form(path, {f"qty-{batch.id}": "2", "reason": "recalled"})
    assert accepted.status_code == 302
    assert on_hand(batch) == 8
    assert db.session.get(StockLevel, batch.id).reserved == 8
    assert_ledger_verifies()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-2", "Enter a quantity of at least 1."),
        ("0", "Enter a quantity for at least one batch."),
        ("", "Enter a quantity for at least one batch."),
        ("dua", "Enter a whole number."),
    ],
)
def test_return_quantities_must_be_whole_and_positive(boss, typed, message):
    batch = shelve(ProductFactory(), 5)
    response = boss.post_form(
        f"/manage/stock/returns/vendor/{batch.vendor_id}",
        {f"qty-{batch.id}": typed, "reason": "unsold"},
    )
    assert response.status_code == 400
    assert message in text(response)
    assert rows(ReturnNote) == 0
    assert on_hand(batch) == 5
    assert_ledger_verifies()


def test_a_return_needs_a_reason(boss):
    batch = shelve(ProductFactory(), 5)
    response = boss.post_form(
        f"/manage/stock/returns/vendor/{batch.vendor_id}", {f"qty-{batch.id}": "1", "reason": ""}
    )
    assert response.status_code == 400
    assert "Choose a reason for the return." in text(response)
    assert on_hand(batch) == 5
    assert_ledger_verifies()


def test_a_return_never_takes_another_vendors_batch(boss):
    ours = shelve(ProductFactory(), 5)
    theirs = shelve(ProductFactory(), 5)
    with pytest.raises(ledger.StockError):
        ops.create_return(ours.product.vendor, manager_user(), {theirs.id: 1}, "unsold")
    db.session.rollback()
    assert on_hand(theirs) == 5
    # Through the page the other vendor's batch is not even read.
    response = boss.post_form(
        f"/manage/stock/returns/vendor/{ours.vendor_id}",
        {f"qty-{theirs.id}": "1", "reason": "unsold"},
    )
    assert response.status_code == 400
    assert on_hand(theirs) == 5
    assert_ledger_verifies()


# --- write-offs -------------------------------------------------------------------------------


def test_damage_with_a_photo_is_written_off_and_shown(app, boss):
    product = ProductFactory(code="SMB-001", name="Sambal Bawang")
    batch = shelve(product, 12, code="SB-7")
    found = text(boss.get("/manage/stock/write-offs?q=smb-001"))
    assert f"/manage/stock/write-offs/batch/{batch.id}" in found

    path = f"/manage/stock/write-offs/batch/{batch.id}"
    data = {
        "quantity": "2",
        "kind": "damage_loss",
        "reason": "Two jars broke on the shelf",
        "responsible": "outlet",
        "photo": (io.BytesIO(png()), "pecah.png"),
        "csrf_token": boss.csrf_token(path),
    }
    response = boss.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.rollback()
    record = db.session.scalar(select(StockWriteOff))
    assert (record.kind, record.quantity) == ("damage_loss", 2)
    assert record.photo_key.startswith(f"public/writeoffs/{batch.vendor_id}/")
    assert (Path(app.config["UPLOAD_DIR"]) / record.photo_key).is_file()
    [movement] = movements("stock_write_off")
    assert (movement.kind, movement.quantity, movement.reference_id) == (
        MovementKind.DAMAGE_LOSS.value,
        -2,
        record.id,
    )
    assert on_hand(batch) == 10

    shown = text(boss.get(response.headers["Location"]))
    assert "Two jars broke on the shelf" in shown
    photo_url = f"/media/{record.photo_key}"
    assert photo_url in shown
    served = boss.get(photo_url)
    assert served.status_code == 200
    served.close()
    assert "Sambal Bawang" in text(boss.get("/manage/stock/write-offs"))
    assert "stock.write_off" in audit_actions()
    assert_ledger_verifies()


def test_expiry_write_off_records_its_own_kind(boss):
    batch = shelve(ProductFactory(), 4, expires_in=-3)
    response = boss.post_form(
        f"/manage/stock/write-offs/batch/{batch.id}",
        {
            "quantity": "4",
            "kind": "expiry_write_off",
            "reason": "Expired three days ago",
            "responsible": "vendor",
        },
    )
    assert response.status_code == 302
    [movement] = movements("stock_write_off")
    assert movement.kind == MovementKind.EXPIRY_WRITE_OFF.value
    assert on_hand(batch) == 0
    assert_ledger_verifies()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"quantity": "0", "reason": "x", "responsible": "outlet"},
            "Enter a quantity of at least 1.",
        ),
        (
            {"quantity": "-1", "reason": "x", "responsible": "outlet"},
            "Enter a quantity of at least 1.",
        ),
        ({"quantity": "6", "reason": "x", "responsible": "outlet"}, "only 5 can be taken out"),
        ({"quantity": "1", "reason": "  ", "responsible": "outlet"}, "Say what happened."),
        ({"quantity": "1", "reason": "Broken"}, "Say who is responsible"),
    ],
)
def test_bad_write_offs_change_nothing(boss, data, message):
    batch = shelve(ProductFactory(), 5)
    response = boss.post_form(
        f"/manage/stock/write-offs/batch/{batch.id}", {"kind": "damage_loss", **data}
    )
    assert response.status_code == 400
    assert message in text(response)
    assert rows(StockWriteOff) == 0
    assert on_hand(batch) == 5
    assert_ledger_verifies()


def test_a_write_off_refused_by_the_ledger_keeps_no_photo(app, boss):
    batch = shelve(ProductFactory(), 3)
    path = f"/manage/stock/write-offs/batch/{batch.id}"
    data = {
        "quantity": "4",
        "kind": "damage_loss",
        "reason": "Lost",
        "responsible": "outlet",
        "photo": (io.BytesIO(png()), "hilang.png"),
        "csrf_token": boss.csrf_token(path),
    }
    response = boss.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    folder = Path(app.config["UPLOAD_DIR"]) / "public" / "writeoffs"
    assert not folder.exists() or not any(folder.rglob("*.webp"))
    not_an_image = {
        "quantity": "1",
        "kind": "damage_loss",
        "reason": "Lost",
        "responsible": "outlet",
        "photo": (io.BytesIO(b"not an image at all"), "x.png"),
        "csrf_token": boss.csrf_token(path),
    }
    response = boss.post(path, data=not_an_image, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Upload a JPEG, PNG or WebP image." in text(response)
    assert on_hand(batch) == 3
    assert_ledger_verifies()


# --- stock counts -----------------------------------------------------------------------------


def start(boss, scope="all", **ids) -> StockCount:
    data = {"scope": scope, "vendor_id": "0", "category_id": "0"}
    data.update({k: str(v) for k, v in ids.items()})
    response = boss.post_form("/manage/stock/counts/start", data)
    assert response.status_code == 302, text(response)
    db.session.rollback()
    return db.session.scalar(select(StockCount).order_by(StockCount.id.desc()))


def count_line(boss, count, batch, counted):
    line = db.session.scalar(
        select(StockCountLine).where(
            StockCountLine.count_id == count.id, StockCountLine.batch_id == batch.id
        )
    )
    return boss.post_form(
        f"/manage/stock/counts/{count.id}/lines/{line.id}",
        {"counted": str(counted)},
    )


def post(boss, count, reason="Monthly stock opname", responsible="outlet"):
    return boss.post_form(
        f"/manage/stock/counts/{count.id}/post", {"reason": reason, "responsible": responsible}
    )


def test_a_count_corrects_what_was_found_and_keeps_its_report(boss):
    product = ProductFactory(code="KPI-01", name="Kopi Robusta Cikupa")
    counted_short = shelve(product, 10, code="K1")
    left_alone = shelve(product, 4, code="K2")
    sold_out = shelve(ProductFactory(vendor=product.vendor), 2)
    ledger.record_counter_sale(
        [ledger.Line(sold_out.product_id, 2)],
        reference_type="test",
        reference_id=None,
        actor_id=manager_user().id,
    )
    db.session.commit()
    elsewhere = shelve(ProductFactory(), 3)

    count = start(boss, "vendor", vendor_id=product.vendor_id)
    assert {line.batch_id for line in count.lines} == {counted_short.id, left_alone.id}
    assert {line.expected for line in count.lines} == {10, 4}

    page = text(boss.get(f"/manage/stock/counts/{count.id}?code=KPI-01"))
    assert "Kopi Robusta Cikupa" in page
    assert count_line(boss, count, counted_short, 8).status_code == 302
    differences = text(boss.get(f"/manage/stock/counts/{count.id}/differences"))
    assert "-2" in differences and "Not counted" in differences

    assert post(boss, count).status_code == 302
    assert (on_hand(counted_short), on_hand(left_alone), on_hand(elsewhere)) == (8, 4, 3)
    [correction] = movements("stock_count")
    assert (correction.kind, correction.quantity, correction.reference_id) == (
        MovementKind.COUNT_CORRECTION.value,
        -2,
        count.id,
    )
    db.session.rollback()
    assert db.session.get(StockCount, count.id).status == "posted"
    report = text(boss.get(f"/manage/stock/counts/{count.id}/report"))
    assert "Monthly stock opname" in report and "-2" in report and "Not counted" in report
    # The counting page of a posted count leads to its report.
    assert boss.get(f"/manage/stock/counts/{count.id}").status_code == 302
    actions = audit_actions()
    assert {"stock.count_start", "stock.count_line", "stock.count_post"} <= set(actions)
    assert_ledger_verifies()


def test_a_batch_that_moved_after_counting_keeps_the_movement(boss):
    batch = shelve(ProductFactory(), 10)
    count = start(boss)
    assert count_line(boss, count, batch, 9).status_code == 302  # one jar is missing
    ledger.record_counter_sale(
        [ledger.Line(batch.product_id, 3)],
        reference_type="test",
        reference_id=None,
        actor_id=manager_user().id,
    )
    db.session.commit()
    assert on_hand(batch) == 7

    differences = text(boss.get(f"/manage/stock/counts/{count.id}/differences"))
    assert "moved since counted: -3" in differences

    assert post(boss, count).status_code == 302
    # Counted 9, then 3 sold: 6 are on the shelf. Writing 9 would undo the sale.
    assert on_hand(batch) == 6
    assert [m.quantity for m in movements("stock_count")] == [-1]
    assert_ledger_verifies()


def test_a_count_overtaken_by_sales_must_be_counted_again(boss):
    batch = shelve(ProductFactory(), 10)
    count = start(boss)
    count_line(boss, count, batch, 2)
    ledger.record_counter_sale(
        [ledger.Line(batch.product_id, 5)],
        reference_type="test",
        reference_id=None,
        actor_id=manager_user().id,
    )
    db.session.commit()

    assert "Count again" in text(boss.get(f"/manage/stock/counts/{count.id}/differences"))
    refused = post(boss, count)
    assert refused.status_code == 400
    assert "Count these batches again" in text(refused)
    assert on_hand(batch) == 5
    assert movements("stock_count") == []
    db.session.rollback()
    assert db.session.get(StockCount, count.id).status == "open"

    count_line(boss, count, batch, 5)
    assert post(boss, count).status_code == 302
    assert on_hand(batch) == 5
    assert movements("stock_count") == []  # nothing to correct
    assert_ledger_verifies()


def test_posting_a_count_twice_corrects_once(boss):
    batch = shelve(ProductFactory(), 10)
    count = start(boss)
    count_line(boss, count, batch, 7)
    assert post(boss, count).status_code == 302
    again = post(boss, count)
    assert again.status_code == 302
    assert "already been posted" in text(boss.get(again.headers["Location"]))
    assert on_hand(batch) == 7
    assert [m.quantity for m in movements("stock_count")] == [-3]
    with pytest.raises(ledger.StockError):
        opname.post_count(db.session.get(StockCount, count.id), manager_user(), "again", "outlet")
    db.session.rollback()
    assert_ledger_verifies()


def test_two_counts_of_one_batch_correct_the_difference_once(boss):
    batch = shelve(ProductFactory(), 10)
    first = start(boss)
    second = start(boss)
    count_line(boss, first, batch, 8)
    count_line(boss, second, batch, 8)
    assert post(boss, first).status_code == 302
    assert on_hand(batch) == 8
    # The first count's correction fixed the books; nothing left the shelf.
    assert post(boss, second).status_code == 302
    assert on_hand(batch) == 8
    assert [m.quantity for m in movements("stock_count")] == [-2]
    assert_ledger_verifies()


def test_counted_quantities_must_be_whole_and_not_negative(boss):
    batch = shelve(ProductFactory(), 10)
    count = start(boss)
    response = count_line(boss, count, batch, -1)
    assert response.status_code == 302
    assert "A counted quantity cannot be negative." in text(boss.get(response.headers["Location"]))
    db.session.rollback()
    assert db.session.scalar(select(StockCountLine.counted)) is None
    refused = post(boss, count, reason="")
    assert refused.status_code == 400
    assert "Give a reason for the corrections." in text(refused)
    nothing = post(boss, count)
    assert "Nothing has been counted yet." in text(nothing)
    assert on_hand(batch) == 10
    assert_ledger_verifies()


def test_a_cancelled_count_changes_no_stock(boss):
    batch = shelve(ProductFactory(), 10)
    count = start(boss)
    count_line(boss, count, batch, 1)
    assert boss.post_form(f"/manage/stock/counts/{count.id}/cancel", {}).status_code == 302
    db.session.rollback()
    assert db.session.get(StockCount, count.id).status == "cancelled"
    post(boss, count)
    assert count_line(boss, count, batch, 3).status_code == 302
    assert on_hand(batch) == 10
    assert movements("stock_count") == []
    assert "stock.count_cancel" in audit_actions()
    assert_ledger_verifies()


def test_a_count_can_cover_one_category(boss):
    drinks = CategoryFactory(name="Minuman")
    tea = shelve(ProductFactory(category=drinks), 5)
    shelve(ProductFactory(), 5)
    count = start(boss, "category", category_id=drinks.id)
    assert [line.batch_id for line in count.lines] == [tea.id]
    response = boss.post_form(
        "/manage/stock/counts/start", {"scope": "vendor", "vendor_id": "0", "category_id": "0"}
    )
    assert response.status_code == 400
    assert "Choose a vendor." in text(response)
    assert_ledger_verifies()


# --- expiry -----------------------------------------------------------------------------------


def test_managers_see_expired_and_soon_expiring_stock_of_every_vendor(boss):
    expired = shelve(ProductFactory(name="Dodol Kedaluwarsa"), 3, expires_in=-1)
    soon = shelve(ProductFactory(name="Roti Segera"), 3, expires_in=30)
    shelve(ProductFactory(name="Madu Nanti"), 3, expires_in=31)
    shelve(ProductFactory(name="Batik Tulis"), 3)
    gone = shelve(ProductFactory(name="Kue Habis"), 1, expires_in=-5)
    ops.record_write_off(
        gone,
        manager_user(),
        quantity=1,
        kind="expiry_write_off",
        reason="Expired",
        responsible="vendor",
    )
    db.session.commit()

    page = text(boss.get("/manage/stock/expiry"))
    assert "Dodol Kedaluwarsa" in page and "Roti Segera" in page
    assert "Madu Nanti" not in page and "Batik Tulis" not in page and "Kue Habis" not in page
    assert "Expiring within 30 days" in page
    assert f"/manage/stock/write-offs/batch/{expired.id}?kind=expiry_write_off" in page
    assert f"/manage/stock/returns/vendor/{soon.vendor_id}" in page
    assert ops.expiry_warning_days() == 30
    assert_ledger_verifies()


def test_a_vendor_sees_only_its_own_expiry_list(app, boss):
    ours = shelve(ProductFactory(name="Keripik Kami"), 3, expires_in=-2)
    theirs = shelve(ProductFactory(name="Keripik Mereka"), 3, expires_in=-2)
    shelve(ProductFactory(vendor=theirs.product.vendor, name="Sale Pisang Mereka"), 2, expires_in=5)
    client = vendor_client(app, ours.product.vendor, "vendor-a@example.com")

    page = text(client.get("/vendor/stock/expiry"))
    assert "Keripik Kami" in page
    assert "Keripik Mereka" not in page and "Sale Pisang Mereka" not in page
    # A vendor cannot ask for another vendor's list: the page has no vendor parameter.
    other = text(client.get(f"/vendor/stock/expiry?vendor_id={theirs.vendor_id}"))
    assert "Keripik Mereka" not in other and "Keripik Kami" in other
    assert "/manage/stock/write-offs" not in page
    assert client.get("/manage/stock/expiry").status_code == 403
    assert_ledger_verifies()


# --- who may use the pages ----------------------------------------------------------------------


def test_shoppers_and_vendors_are_kept_out_of_stock_operations(app, ctx):
    batch = shelve(ProductFactory(), 5)
    shopper = Client(app.test_client())
    UserFactory(email="pembeli@example.com", role=Role.SHOPPER.value)
    assert shopper.login("pembeli@example.com", PASSWORD).status_code == 302
    vendor = vendor_client(app, VendorFactory(), "vendor-b@example.com")
    pages = [
        "/manage/stock/returns",
        f"/manage/stock/returns/vendor/{batch.vendor_id}",
        "/manage/stock/write-offs",
        f"/manage/stock/write-offs/batch/{batch.id}",
        "/manage/stock/counts",
        "/manage/stock/expiry",
    ]
    for client in (shopper, vendor):
        for path in pages:
            assert client.get(path).status_code == 403, path
        refused = client.post_form(
            f"/manage/stock/returns/vendor/{batch.vendor_id}",
            {f"qty-{batch.id}": "1", "reason": "unsold"},
        )
        assert refused.status_code == 403
        assert client.post_form("/manage/stock/counts/start", {"scope": "all"}).status_code == 403
    assert shopper.get("/vendor/stock/expiry").status_code == 403
    assert on_hand(batch) == 5
    assert rows(StockCount) == 0
    assert_ledger_verifies()


# --- the count's state machine (stock.counts.transition) ----------------------------------------


def test_posting_and_cancelling_write_the_counts_history(boss):
    batch = shelve(ProductFactory(), 10)
    posted, cancelled = start(boss), start(boss)
    count_line(boss, posted, batch, 9)
    post(boss, posted, reason="Opname akhir bulan")
    boss.post_form(f"/manage/stock/counts/{cancelled.id}/cancel", {})
    db.session.rollback()
    history = db.session.scalars(
        select(StockCountStatusChange).order_by(StockCountStatusChange.id)
    ).all()
    assert [(h.count_id, h.from_status, h.to_status, h.comment) for h in history] == [
        (posted.id, "open", "posted", "Opname akhir bulan"),
        (cancelled.id, "open", "cancelled", ""),
    ]
    assert {h.actor_id for h in history} == {manager_user().id}


@pytest.mark.parametrize("first", [CountStatus.POSTED, CountStatus.CANCELLED])
def test_a_finished_count_cannot_move_again_and_nothing_changes(boss, first):
    batch = shelve(ProductFactory(), 10)
    count = start(boss)
    count_line(boss, count, batch, 9)
    if first == CountStatus.POSTED:
        post(boss, count)
    else:
        boss.post_form(f"/manage/stock/counts/{count.id}/cancel", {})
    db.session.rollback()
    finished = db.session.get(StockCount, count.id)
    posted = first == CountStatus.POSTED
    for target in CountStatus:  # the service speaks Indonesian outside a request
        with pytest.raises(opname.InvalidTransition, match="diposting" if posted else "dibatalkan"):
            opname.transition(finished, target, actor=manager_user())
    refused = boss.post_form(f"/manage/stock/counts/{count.id}/cancel", {})
    said = "already been posted" if posted else "was cancelled"
    assert said in text(boss.get(refused.headers["Location"]))
    db.session.rollback()
    assert db.session.get(StockCount, count.id).status == first
    assert len(db.session.get(StockCount, count.id).history) == 1
    assert on_hand(batch) == (9 if first == CountStatus.POSTED else 10)
