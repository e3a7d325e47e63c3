"""Stock and movement history: the vendor's own pages, the managers' view, CSV exports, and
what shoppers are told about availability."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import render_template_string
from sqlalchemy import event, select, update

from storefront.auth.models import Role
from storefront.extensions import db
from storefront.stock import history, ledger
from storefront.stock.availability import availability_for
from storefront.stock.ledger import Line
from storefront.stock.models import Batch, MovementKind, StockMovement
from storefront.vendors.models import MemberRole, VendorMember
from tests.conftest import Client
from tests.factories import PASSWORD, ProductFactory, UserFactory, VendorFactory
from tests.integration.onboarding_helpers import manager
from tests.stock_helpers import receive

TODAY = date.today()  # noqa: DTZ011 (calendar dates relative to the run)


@pytest.fixture
def client(client):
    client.set_cookie("lang", "en")
    return client


def vendor_client(app, vendor, email):
    user = UserFactory(email=email, role=Role.VENDOR.value)
    db.session.add(VendorMember(vendor_id=vendor.id, user_id=user.id, role=MemberRole.OWNER.value))
    db.session.commit()
    client = Client(app.test_client())
    client.set_cookie("lang", "en")
    assert client.login(email, PASSWORD).status_code == 302
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def read_csv(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def two_vendors(app, ctx):
    """Two vendors with stock; B's product names must never reach A."""
    a = VendorFactory(name="Dapur Nyai", slug="dapur-nyai")
    b = VendorFactory(name="Batik Cikupa", slug="batik-cikupa")
    keripik = ProductFactory(vendor=a, name="Keripik Singkong", code="KS001")
    sambal = ProductFactory(vendor=a, name="Sambal Roa", code="SR002")
    batik = ProductFactory(vendor=b, name="Batik Tulis Rahasia", code="BT003")
    staff = UserFactory(role=Role.MANAGER.value, name="Petugas Gudang")
    early = receive(keripik, 10, expires_on=TODAY + timedelta(days=20), actor=staff, code="KS-A")
    receive(keripik, 6, expires_on=TODAY + timedelta(days=90), actor=staff, code="KS-B")
    old = receive(sambal, 3, expires_on=TODAY - timedelta(days=2), actor=staff, code="SR-OLD")
    receive(batik, 4, actor=staff, code="BT-1")
    ledger.remove_from_batch(
        early,
        2,
        MovementKind.DAMAGE_LOSS,
        actor_id=staff.id,
        reference_type="write_off",
        reference_id=None,
        reason="=HYPERLINK(jar pecah)",
    )
    db.session.commit()
    ledger.reserve([Line(keripik.id, 3)], timedelta(minutes=30))
    db.session.commit()
    return {"a": a, "b": b, "keripik": keripik, "sambal": sambal, "batik": batik, "old": old}


def test_vendor_sees_stock_per_batch_with_reserved_and_available(app, two_vendors):
    client = vendor_client(app, two_vendors["a"], "nyai@example.com")
    page = text(client.get("/vendor/stock"))
    assert "Keripik Singkong" in page and "KS-A" in page and "KS-B" in page
    # KS-A: received 10, 2 damaged, 3 reserved by FEFO from the earliest batch.
    _results, groups = history.vendor_stock(two_vendors["a"].id)
    keripik = next(g for g in groups if g.product.name == "Keripik Singkong")
    first = keripik.batches[0]
    assert (first.batch.code, first.on_hand, first.reserved, first.available) == ("KS-A", 8, 3, 5)
    assert keripik.available == 11
    # The expired sambal batch is on hand but not available.
    sambal = next(g for g in groups if g.product.name == "Sambal Roa")
    assert sambal.batches[0].expired and sambal.available == 0
    assert "Expired" in page


def test_vendor_never_sees_another_vendors_stock_or_movements(app, two_vendors):
    client = vendor_client(app, two_vendors["a"], "nyai@example.com")
    b = two_vendors["b"]
    batik = two_vendors["batik"]
    for url in (
        "/vendor/stock?show=all",
        "/vendor/stock/movements",
        f"/vendor/stock/movements?vendor={b.id}",
        f"/vendor/stock/movements?product={batik.id}",
        f"/vendor/stock/movements.csv?vendor={b.id}",
        f"/vendor/stock/movements.csv?product={batik.id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Batik Tulis" not in text(response), url
        assert "BT003" not in text(response), url
    rows = read_csv(client.get(f"/vendor/stock/movements.csv?vendor={b.id}"))
    assert len(rows) == 1 + 4  # header + three intakes and one damage of vendor A


def test_vendor_movement_history_filters_by_product_kind_and_date(app, two_vendors):
    client = vendor_client(app, two_vendors["a"], "nyai@example.com")
    keripik = two_vendors["keripik"]
    page = text(client.get(f"/vendor/stock/movements?product={keripik.id}"))
    # The product cell of each row (labelled for the stacked layout on a phone).
    assert "3 movements" in page and '<td data-label="Product">Sambal Roa<br>' not in page
    assert '<td data-label="Product">Keripik Singkong<br>' in page
    page = text(client.get("/vendor/stock/movements?kind=damage_loss"))
    assert "1 movement" in page and "Damage or loss" in page and "-2" in page
    tomorrow = (TODAY + timedelta(days=2)).isoformat()
    page = text(client.get(f"/vendor/stock/movements?from={tomorrow}"))
    assert "No stock movements match these filters." in page


def test_bad_filters_get_a_clear_message(app, two_vendors):
    client = vendor_client(app, two_vendors["a"], "nyai@example.com")
    response = client.get("/vendor/stock/movements?from=kemarin&kind=stolen&to=2026-01-01")
    assert response.status_code == 400
    page = text(response)
    assert "Enter a date as YYYY-MM-DD." in page
    assert "Choose a kind of movement from the list." in page
    response = client.get("/vendor/stock/movements.csv?from=2026-02-01&to=2026-01-01")
    assert response.status_code == 400
    assert "The end date must not be before the start date." in text(response)
    assert ledger.verify_ledger()[1] == []


def test_vendor_csv_has_a_header_wib_times_and_defused_formulas(app, two_vendors):
    client = vendor_client(app, two_vendors["a"], "nyai@example.com")
    response = client.get("/vendor/stock/movements.csv")
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="stock-movements-dapur-nyai-')
    rows = read_csv(response)
    assert rows[0][:3] == ["Time (WIB)", "Product code", "Product"]
    assert "Vendor" not in rows[0]
    damage = next(r for r in rows[1:] if r[5] == "Damage or loss")
    assert damage[1:4] == ["KS001", "Keripik Singkong", "KS-A"]
    assert damage[6] == "-2"
    assert damage[7] == "Write-off"
    assert damage[9] == "'=HYPERLINK(jar pecah)"
    assert damage[10] == "Petugas Gudang"
    stored = db.session.scalar(select(StockMovement).where(StockMovement.quantity == -2))
    assert datetime.fromisoformat(damage[0]).utcoffset() == timedelta(hours=7)
    assert datetime.fromisoformat(damage[0]) == stored.created_at.replace(microsecond=0)


def test_date_filters_are_calendar_days_in_wib(app, two_vendors):
    # 18:30 UTC on the 1st is 01:30 WIB on the 2nd.
    movement = db.session.scalar(select(StockMovement).where(StockMovement.quantity == -2))
    db.session.execute(
        update(StockMovement)
        .where(StockMovement.id == movement.id)
        .values(created_at=datetime(2026, 3, 1, 18, 30, tzinfo=UTC))
    )
    db.session.commit()
    vendor_id = two_vendors["a"].id
    on_second = history.MovementFilters(
        vendor_id=vendor_id, date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)
    )
    on_first = history.MovementFilters(
        vendor_id=vendor_id, date_from=date(2026, 3, 1), date_to=date(2026, 3, 1)
    )
    assert [m.id for m in history.movement_page(on_second).items] == [movement.id]
    assert history.movement_page(on_first).items == []


def test_manager_filters_by_vendor_product_code_and_kind_and_exports(app, two_vendors):
    client = manager(app)
    client.set_cookie("lang", "en")
    b = two_vendors["b"]
    page = text(client.get(f"/manage/stock/movements?vendor={b.id}"))
    assert "Batik Tulis Rahasia" in page and "Keripik Singkong" not in page
    page = text(client.get("/manage/stock/movements?product=ks001&kind=intake"))
    assert "2 movements" in page and "Batik Tulis" not in page
    assert "Intake" in page
    response = client.get("/manage/stock/movements?product=NOPE")
    assert response.status_code == 400
    assert "No product has the code NOPE." in text(response)
    rows = read_csv(client.get("/manage/stock/movements.csv?kind=intake"))
    assert rows[0][1] == "Vendor"
    assert sorted(r[1] for r in rows[1:]) == ["Batik Cikupa"] + ["Dapur Nyai"] * 3
    assert len(rows) == 5


def test_manager_filters_by_a_sizes_own_code(app, two_vendors):
    from tests.stock_helpers import with_sizes

    sandal = ProductFactory(vendor=two_vendors["a"], name="Sandal Kulit", code="SDL9")
    size = with_sizes(sandal, "40, 41")
    receive(sandal, 2, variant=size["40"])
    receive(sandal, 5, variant=size["41"])
    client = manager(app)
    client.set_cookie("lang", "en")
    page = text(client.get(f"/manage/stock/movements?product={size['41'].code.lower()}"))
    assert "1 movement" in page
    page = text(client.get("/manage/stock/movements?product=SDL9"))
    assert "2 movements" in page


def test_only_the_right_roles_reach_the_pages(app, two_vendors):
    vendor = vendor_client(app, two_vendors["a"], "nyai@example.com")
    assert vendor.get("/manage/stock/movements").status_code == 403
    assert vendor.get("/manage/stock/movements.csv").status_code == 403
    shopper = Client(app.test_client())
    UserFactory(email="pembeli@example.com")
    shopper.login("pembeli@example.com", PASSWORD)
    assert shopper.get("/vendor/stock").status_code == 403
    assert shopper.get("/vendor/stock/movements.csv").status_code == 403


def test_history_pages_do_not_query_per_row(app, two_vendors):
    staff = UserFactory(role=Role.MANAGER.value)
    for _ in range(12):
        receive(two_vendors["keripik"], 1, actor=staff)
    statements = []

    def count(*args):
        if args[2].lstrip().upper().startswith("SELECT"):
            statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = history.movement_page(history.MovementFilters(), 1)
        for m in page.items:
            assert m.product.vendor.name and m.batch.code
        _results, groups = history.vendor_stock(two_vendors["a"].id)
        for g in groups:
            assert all(b.batch.code and b.available >= 0 for b in g.batches)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(page.items) == 17
    # Movement page: rows + count; stock page: rows + count.
    assert len(statements) <= 4, statements


def test_movement_queries_use_the_ledger_indexes_and_never_sort(app, ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plan")
    for filters, index in (
        (history.MovementFilters(vendor_id=1), "ix_stock_movements_vendor_time"),
        (history.MovementFilters(vendor_id=1, date_from=TODAY), "ix_stock_movements_vendor_time"),
        (history.MovementFilters(product_id=1, kind="intake"), "ix_stock_movements_product_time"),
        (history.MovementFilters(kind="intake"), "SCAN stock_movements"),
    ):
        statement = history.movements_statement(filters).limit(50)
        sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
        plan = " ".join(
            str(row) for row in db.session.execute(db.text("EXPLAIN QUERY PLAN " + sql))
        )
        assert index in plan, plan
        # A page of a million-row ledger must not sort the million rows first.
        assert "TEMP B-TREE" not in plan, plan


def test_availability_reads_in_stock_few_left_and_sold_out(app, ctx):
    plenty, few, none, expired = ProductFactory.create_batch(4)
    receive(plenty, 20)
    receive(few, 3)
    receive(expired, 9, expires_on=TODAY - timedelta(days=1))
    stock = availability_for([plenty, few, none, expired])
    assert stock == {plenty.id: 20, few.id: 3, none.id: 0, expired.id: 0}
    template = '{% from "macros/stock.html" import availability %}{{ availability(n) }}'
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert "In stock" in render_template_string(template, n=20)
        assert "Only 5 left" in render_template_string(template, n=5)
        assert "Only 1 left" in render_template_string(template, n=1)
        assert "Sold out" in render_template_string(template, n=0)
        assert "Sold out" in render_template_string(template, n=None)


def test_batches_sold_out_are_hidden_unless_asked_for(app, two_vendors):
    keripik = two_vendors["keripik"]
    staff = UserFactory(role=Role.MANAGER.value)
    gone = receive(keripik, 1, actor=staff, code="KS-GONE")
    ledger.remove_from_batch(
        db.session.get(Batch, gone.id),
        1,
        MovementKind.RETURN_TO_VENDOR,
        actor_id=staff.id,
        reference_type="return_note",
        reference_id=None,
    )
    db.session.commit()
    client = vendor_client(app, two_vendors["a"], "nyai@example.com")
    assert "KS-GONE" not in text(client.get("/vendor/stock"))
    assert "KS-GONE" in text(client.get("/vendor/stock?show=all"))
