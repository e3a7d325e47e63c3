"""The counter: shifts, ringing up through the ledger, payments, voids and the cash count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.auth.models import Role
from storefront.clock import today_wib
from storefront.database import unit_of_work
from storefront.extensions import db
from storefront.pos import selling, services
from storefront.pos.models import CounterPayment, CounterSale, SaleStatus, Shift
from storefront.pos.selling import PaymentInput, RunningSale
from storefront.pos.services import PosError
from storefront.stock import ledger
from storefront.stock.models import MovementKind, StockLevel, StockMovement
from tests.conftest import act
from tests.factories import PASSWORD, CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.stock_helpers import receive


@pytest.fixture
def shop(ctx):
    """Two products of one vendor at 20 % commission, one with two batches (FEFO)."""
    vendor = VendorFactory(name="Dapur Nyai Cikupa", commission_bp=2000)
    category = CategoryFactory()
    keripik = ProductFactory(
        vendor=vendor, category=category, name="Keripik Singkong", code="GTG00012", price=12_500
    )
    sambal = ProductFactory(
        vendor=vendor, category=category, name="Sambal Roa", code="GTG00013", price=33_333
    )
    cashier = UserFactory(email="kasir@example.com", name="Kasir Satu", role=Role.CASHIER.value)
    manager = UserFactory(email="manajer@example.com", name="Manajer", role=Role.MANAGER.value)
    late = receive(keripik, 5, expires_on=today_wib() + timedelta(days=90), actor=manager)
    early = receive(
        keripik, 2, expires_on=today_wib() + timedelta(days=10), code="B-EARLY", actor=manager
    )
    receive(sambal, 3, actor=manager)
    return {
        "keripik": keripik,
        "sambal": sambal,
        "early": early,
        "late": late,
        "cashier": cashier,
        "manager": manager,
    }


def on_hand(product) -> int:
    return int(
        db.session.scalar(
            select(func.sum(StockLevel.on_hand)).where(StockLevel.product_id == product.id)
        )
    )


def ring(shop, quantities, paid, shift=None):
    """The cashier presses "Pay": one action, committed (or rolled back) as a whole."""
    with unit_of_work():
        shift = shift or services.open_shift(shop["cashier"], 100_000)
        sale = RunningSale()
        for product, quantity in quantities:
            selling.add(sale, product.id, quantity)
        return selling.ring_up(shift, shop["cashier"], sale, paid)


def test_counter_sale_takes_earliest_expiry_first_and_snapshots_commission(shop):
    keripik, sambal = shop["keripik"], shop["sambal"]
    sale = ring(shop, [(keripik, 3), (sambal, 1)], PaymentInput(cash_tendered=100_000))

    assert sale.number.startswith(f"KS-{today_wib():%y%m%d}-")
    assert sale.total == 3 * 12_500 + 33_333
    movements = db.session.scalars(
        select(StockMovement)
        .where(
            StockMovement.reference_type == "counter_sale", StockMovement.reference_id == sale.id
        )
        .order_by(StockMovement.id)
    ).all()
    assert {m.kind for m in movements} == {MovementKind.COUNTER_SALE.value}
    taken = {(m.batch_id, m.quantity) for m in movements if m.product_id == keripik.id}
    assert taken == {(shop["early"].id, -2), (shop["late"].id, -1)}
    line = next(line for line in sale.lines if line.product_id == sambal.id)
    # 20 % of 33.333 is 6.666,6: rounded half-up to 6.667, the vendor gets the rest.
    assert (line.gross, line.commission_bp, line.commission, line.vendor_share) == (
        33_333,
        2000,
        6_667,
        26_666,
    )
    # Settlements read the ring-up time from the line.
    assert all(line.sold_at == sale.created_at for line in sale.lines)
    assert on_hand(keripik) == 4
    [cash] = sale.payments
    assert (cash.method, cash.amount, cash.tendered, cash.change) == (
        "cash",
        70_833,
        100_000,
        29_167,
    )
    assert ledger.verify_ledger()[1] == []


def test_split_payment_takes_cards_first_and_cash_for_the_rest(shop):
    sale = ring(
        shop,
        [(shop["keripik"], 4)],
        PaymentInput(
            cash_tendered=20_000,
            qris=20_000,
            qris_reference="QR-7781",
            debit=10_000,
            debit_reference="DB-123",
        ),
    )
    paid = {p.method: (p.amount, p.tendered, p.change, p.reference) for p in sale.payments}
    assert paid == {
        "qris": (20_000, 20_000, 0, "QR-7781"),
        "debit": (10_000, 10_000, 0, "DB-123"),
        "cash": (20_000, 20_000, 0, ""),
    }


def test_card_payment_needs_its_slip_reference(shop):
    with pytest.raises(PosError) as error:
        ring(shop, [(shop["sambal"], 1)], PaymentInput(qris=33_333))
    assert error.value.field == "qris_reference"


def test_cash_below_the_total_is_refused_and_nothing_changes(shop):
    shift = act(services.open_shift, shop["cashier"], 0)
    with pytest.raises(PosError) as error:
        ring(shop, [(shop["sambal"], 2)], PaymentInput(cash_tendered=50_000), shift=shift)
    assert "Rp50.000" in str(error.value.message) and "Rp66.666" in str(error.value.message)
    assert db.session.scalar(select(func.count()).select_from(CounterSale)) == 0
    assert on_hand(shop["sambal"]) == 3


def test_more_than_on_hand_is_refused_by_the_ledger_and_nothing_changes(shop, monkeypatch):
    sambal = shop["sambal"]
    shift = act(services.open_shift, shop["cashier"], 0)
    sale = RunningSale(lines={sambal.default_variant.id: 2})
    # Someone else sells two of the three jars between scanning and paying.
    ring(shop, [(sambal, 2)], PaymentInput(cash_tendered=70_000), shift=shift)
    expected = str(ledger.OutOfStock(sambal.id, 2, 1).message)
    with pytest.raises(PosError) as early:
        act(selling.ring_up, shift, shop["cashier"], sale, PaymentInput(cash_tendered=70_000))
    assert str(early.value.message) == expected
    # Even when the check before the lock passes (a race), the ledger refuses under its lock.
    monkeypatch.setattr(selling, "_checked", lambda product_id, quantity: None)
    with pytest.raises(PosError) as late:
        act(selling.ring_up, shift, shop["cashier"], sale, PaymentInput(cash_tendered=70_000))
    assert str(late.value.message) == expected
    assert db.session.scalar(select(func.count()).select_from(CounterSale)) == 1
    assert on_hand(sambal) == 1
    assert ledger.verify_ledger()[1] == []


def test_paying_the_same_running_sale_twice_rings_it_up_once(shop):
    shift = act(services.open_shift, shop["cashier"], 0)
    sale = RunningSale(lines={shop["keripik"].default_variant.id: 1})
    first = act(selling.ring_up, shift, shop["cashier"], sale, PaymentInput(exact_cash=True))
    again = act(selling.ring_up, shift, shop["cashier"], sale, PaymentInput(exact_cash=True))
    assert first.id == again.id
    assert on_hand(shop["keripik"]) == 6


def test_scan_accepts_product_code_batch_code_and_a_multiplier(shop):
    sale = RunningSale()
    keripik, sambal = shop["keripik"].default_variant, shop["sambal"].default_variant
    assert selling.scan(sale, "gtg00012") == keripik
    assert selling.scan(sale, "b-early") == keripik
    assert selling.scan(sale, "3*GTG00013") == sambal
    assert selling.scan(sale, "kopi tubruk") is None
    assert sale.lines == {keripik.id: 2, sambal.id: 3}
    assert [p.name for p in selling.search("roa")] == ["Sambal Roa"]


def test_one_open_shift_per_cashier(shop):
    act(services.open_shift, shop["cashier"], 50_000)
    with pytest.raises(PosError, match="masih punya shift yang dibuka"):
        act(services.open_shift, shop["cashier"], 50_000)


def test_void_in_the_same_shift_needs_a_manager_and_puts_stock_back(shop):
    sale = ring(shop, [(shop["keripik"], 3)], PaymentInput(cash_tendered=50_000))
    with pytest.raises(PosError) as error:
        act(services.void_sale, sale, shop["cashier"], "Salah scan", "manajer@example.com", "nope")
    assert error.value.field == "approver_password"
    assert on_hand(shop["keripik"]) == 4

    act(services.void_sale, sale, shop["cashier"], "Salah scan", "Manajer@Example.com", PASSWORD)
    sale = db.session.get(CounterSale, sale.id)
    assert sale.status == SaleStatus.VOIDED
    assert sale.void_approved_by_id == shop["manager"].id
    assert on_hand(shop["keripik"]) == 7
    back = db.session.scalars(
        select(StockMovement).where(StockMovement.reference_type == "counter_sale_void")
    ).all()
    assert {(m.batch_id, m.quantity) for m in back} == {
        (shop["early"].id, 2),
        (shop["late"].id, 1),
    }
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "counter_sale.void"))
    assert entry.subject_id == sale.id and "manajer@example.com" in entry.after
    assert ledger.verify_ledger()[1] == []
    with pytest.raises(PosError, match="sudah dibatalkan"):
        act(services.void_sale, sale, shop["manager"], "again")


def test_void_of_an_earlier_shift_is_refused(shop):
    sale = ring(shop, [(shop["sambal"], 1)], PaymentInput(cash_tendered=40_000))
    act(services.close_shift, sale.shift, shop["cashier"], 133_333, "")
    act(services.open_shift, shop["cashier"], 0)
    with pytest.raises(PosError, match="Hanya penjualan shift yang sedang berjalan"):
        act(services.void_sale, sale, shop["manager"], "Pembeli batal")
    assert db.session.get(CounterSale, sale.id).status == SaleStatus.COMPLETED
    assert on_hand(shop["sambal"]) == 2


def test_closing_compares_expected_cash_with_the_count_leaving_voids_out(shop):
    shift = act(services.open_shift, shop["cashier"], 100_000)
    ring(shop, [(shop["keripik"], 2)], PaymentInput(cash_tendered=50_000), shift=shift)
    ring(shop, [(shop["sambal"], 1)], PaymentInput(qris=33_333, qris_reference="QR1"), shift=shift)
    voided = ring(shop, [(shop["keripik"], 1)], PaymentInput(cash_tendered=20_000), shift=shift)
    act(services.void_sale, voided, shop["manager"], "Batal")

    summary = services.summarise(shift)
    assert summary.expected_cash == 100_000 + 25_000
    assert summary.by_method["qris"] == 33_333
    with pytest.raises(PosError) as error:
        act(services.close_shift, shift, shop["cashier"], 120_000, "")
    assert error.value.field == "note"
    closed = act(services.close_shift, shift, shop["cashier"], 120_000, "Uang kembalian kurang")
    assert (closed.expected_cash, closed.counted_cash, closed.difference) == (
        125_000,
        120_000,
        -5_000,
    )
    assert db.session.get(Shift, shift.id).status == "closed"


# --- over HTTP ------------------------------------------------------------------------------


@pytest.fixture
def cashier_client(client, shop):
    assert client.login("kasir@example.com", PASSWORD).status_code == 302
    return client


def test_cashier_rings_up_a_sale_through_the_pages(cashier_client, shop):
    client = cashier_client
    assert client.get("/counter/").status_code == 200  # the open-shift form
    assert client.post_form("/counter/shift/open", {"opening_float": "200.000"}).status_code == 302
    client.post_form("/counter/scan", {"code": "GTG00012"})
    client.post_form("/counter/scan", {"code": "GTG00012"})
    page = client.get("/counter/").get_data(as_text=True)
    assert "Keripik Singkong" in page and "Rp25.000" in page

    refused = client.post_form("/counter/pay", {"cash": "20000"}, follow_redirects=False)
    assert refused.status_code == 400
    assert "Rp20.000" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CounterSale)) == 0

    paid = client.post_form("/counter/pay", {"cash": "50.000"})
    assert paid.status_code == 302
    receipt = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "Rp25.000" in receipt and "KS-" in receipt
    sale = db.session.scalar(select(CounterSale))
    assert db.session.scalar(select(CounterPayment.change)) == 25_000
    pdf = client.get(f"/counter/sales/{sale.id}/receipt.pdf?paper=58")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert 'class="pos-empty"' in client.get("/counter/").get_data(as_text=True)

    closed = client.post_form("/counter/shift/close", {"counted_cash": "225000"})
    assert closed.status_code == 302
    report = client.get(closed.headers["Location"]).get_data(as_text=True)
    assert "Rp225.000" in report


def test_the_counter_is_for_counter_staff_only(client, shop):
    client.login("kasir@example.com", PASSWORD)
    assert client.get("/manage/").status_code == 403
    assert client.get("/counter/").status_code == 200
    shopper = UserFactory(email="pembeli@example.com")
    other = type(client)(client.application.test_client())
    other.login(shopper.email, PASSWORD)
    assert other.get("/counter/").status_code == 403


def test_cashier_finds_by_name_and_voids_with_a_managers_password(cashier_client, shop):
    client = cashier_client
    client.post_form("/counter/shift/open", {"opening_float": "0"})
    found = client.post_form("/counter/scan", {"code": "sambal"})
    assert found.headers["Location"].endswith("/counter/?q=sambal")
    results = client.get(found.headers["Location"]).get_data(as_text=True)
    assert "Sambal Roa" in results
    client.post_form(f"/counter/lines/{shop['sambal'].id}/add", {})
    paid = client.post_form("/counter/pay", {"exact": "1"})
    sale = db.session.scalar(select(CounterSale))
    assert paid.headers["Location"].endswith(f"/counter/sales/{sale.id}")
    assert on_hand(shop["sambal"]) == 2

    void_url = f"/counter/sales/{sale.id}/void"
    wrong = client.post_form(
        void_url,
        {
            "reason": "Salah barang",
            "approver_email": "manajer@example.com",
            "approver_password": "x",
        },
    )
    assert wrong.status_code == 400
    assert db.session.get(CounterSale, sale.id).status == SaleStatus.COMPLETED
    ok = client.post_form(
        void_url,
        {
            "reason": "Salah barang",
            "approver_email": "manajer@example.com",
            "approver_password": PASSWORD,
        },
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(CounterSale, sale.id).status == SaleStatus.VOIDED
    assert on_hand(shop["sambal"]) == 3


def test_five_tills_racing_for_three_jars_sell_three_with_distinct_numbers(app, shop):
    import threading

    tills = []
    for n in range(5):
        cashier = UserFactory(email=f"kasir{n}@example.com", role=Role.CASHIER.value)
        tills.append((cashier.id, act(services.open_shift, cashier, 0).id))
    sambal_id = shop["sambal"].default_variant.id
    outcomes: list[str] = []
    start = threading.Barrier(len(tills))

    def till(cashier_id: int, shift_id: int) -> None:
        with app.app_context():
            cashier = db.session.get(type(shop["cashier"]), cashier_id)
            shift = db.session.get(Shift, shift_id)
            sale = RunningSale(lines={sambal_id: 1})
            start.wait()
            try:
                act(selling.ring_up, shift, cashier, sale, PaymentInput(exact_cash=True))
                outcomes.append("sold")
            except PosError:
                outcomes.append("refused")

    threads = [threading.Thread(target=till, args=pair) for pair in tills]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused"] * 2 + ["sold"] * 3
    db.session.rollback()
    numbers = db.session.scalars(select(CounterSale.number)).all()
    assert len(set(numbers)) == 3
    assert on_hand(shop["sambal"]) == 0
    assert ledger.verify_ledger()[1] == []


def test_an_operator_creates_a_cashier_account_from_the_command_line(app, ctx):
    result = app.test_cli_runner().invoke(
        args=["pos", "create-cashier", "--email", "Kasir2@Example.com", "--name", "Kasir Dua"],
        input="kasir-rahasia-2026\nkasir-rahasia-2026\n",
    )
    assert result.exit_code == 0, result.output
    assert "Cashier kasir2@example.com created." in result.output
    from storefront.auth.models import User

    user = db.session.scalar(select(User).where(User.email == "kasir2@example.com"))
    assert user.role == Role.CASHIER


def test_a_cashier_lands_on_the_counter_after_signing_in(client, ctx):
    from tests.factories import PASSWORD, UserFactory

    UserFactory(email="kasir2@example.com", role="cashier")
    db.session.commit()
    response = client.login("kasir2@example.com", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/counter/")
    assert 'href="/counter/"' in client.get("/account/").get_data(as_text=True)


# --- the counter's state machines (pos.services.transition) -------------------------------------


def test_closing_and_voiding_write_their_history(shop):
    shift = act(services.open_shift, shop["cashier"], 0)
    sale = ring(shop, [(shop["sambal"], 1)], PaymentInput(cash_tendered=40_000), shift=shift)
    act(services.void_sale, sale, shop["manager"], "Salah harga")
    act(services.close_shift, shift, shop["cashier"], 0, "")
    db.session.expire_all()
    voided = db.session.get(CounterSale, sale.id)
    assert [(h.from_status, h.to_status, h.actor_id, h.comment) for h in voided.history] == [
        ("completed", "voided", shop["manager"].id, "Salah harga")
    ]
    closed = db.session.get(Shift, shift.id)
    assert [(h.from_status, h.to_status, h.actor_id) for h in closed.history] == [
        ("open", "closed", shop["cashier"].id)
    ]


def test_a_closed_shift_cannot_be_closed_again_and_nothing_changes(shop):
    shift = act(services.open_shift, shop["cashier"], 10_000)
    act(services.close_shift, shift, shop["cashier"], 10_000, "")
    with pytest.raises(services.InvalidTransition, match="Shift ini sudah ditutup"):
        act(services.close_shift, db.session.get(Shift, shift.id), shop["manager"], 0, "lagi")
    again = db.session.get(Shift, shift.id)
    assert (again.status, again.counted_cash, again.closed_by_id) == (
        "closed",
        10_000,
        shop["cashier"].id,
    )
    assert len(again.history) == 1


def test_a_voided_sale_cannot_move_again_and_nothing_changes(shop):
    sale = ring(shop, [(shop["keripik"], 1)], PaymentInput(cash_tendered=20_000))
    act(services.void_sale, sale, shop["manager"], "Batal")
    stock = on_hand(shop["keripik"])
    sale = db.session.get(CounterSale, sale.id)
    for target in (SaleStatus.VOIDED, SaleStatus.COMPLETED):
        with pytest.raises(services.InvalidTransition, match="sudah dibatalkan"):
            act(services.transition, sale, target, actor=shop["manager"])
    sale = db.session.get(CounterSale, sale.id)
    assert sale.status == SaleStatus.VOIDED and len(sale.history) == 1
    assert on_hand(shop["keripik"]) == stock
