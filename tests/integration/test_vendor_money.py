"""Vendor money that adds up (issue 13): a refund never gives back more commission than its line
was charged, a card refund counts only once confirmed, a bank-transfer refund keeps its
account, a void after its sale's statement closed is reversed, and a payment after
cancellation whose goods had gone is held to refund, never credited to a vendor."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select, text

from storefront.audit import AuditEntry
from storefront.database import unit_of_work
from storefront.extensions import db
from storefront.money import format_rupiah
from storefront.orders import fulfilment, refunds, services
from storefront.orders.models import Order, OrderStatus, PaidWith, Refund, RefundLine
from storefront.orders.services import OrderError
from storefront.pos import selling
from storefront.pos import services as pos
from storefront.pos.models import CounterSale, SaleStatus
from storefront.pos.selling import PaymentInput, RunningSale
from storefront.pos.services import PosError
from storefront.settlements import services as settlements
from storefront.settlements.models import Settlement
from storefront.stock import ledger
from tests.conftest import Client, act
from tests.factories import PASSWORD, ProductFactory, UserFactory, VendorFactory
from tests.integration.order_helpers import manager, order_for, stocked_product
from tests.security.account_helpers import make_vendor
from tests.stock_helpers import receive


@pytest.fixture
def ctx(app):
    """Refund services email the shopper a link to the order, as inside a request."""
    with app.test_request_context():
        yield


def pdf_text(data: bytes) -> str:
    """The strings a PDF of the core fonts draws, from its (compressed) page streams."""
    parts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            content = stream
        parts += [m.decode("latin-1") for m in re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", content)]
    return " ".join(parts)


def wib(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC) - timedelta(hours=7)


def reload(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def statement_of(vendor, start: date, end: date) -> Settlement:
    [statement] = act(settlements.generate, [vendor], start, end)
    db.session.expire_all()
    return db.session.get(Settlement, statement.id)


def line_of(statement, product):
    return next(line for line in statement.lines if line.product_id == product.id)


def paid_in_cash(order, boss):
    act(fulfilment.take_payment, order, fulfilment.Payment(PaidWith.CASH), actor=boss)
    return reload(order)


def refund_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Refund))


# --- defect 9: never more commission back than was taken --------------------------------------


def test_three_one_unit_refunds_of_a_three_unit_line_give_back_exactly_its_commission(ctx):
    vendor = VendorFactory(commission_bp=2000)
    product = ProductFactory(vendor=vendor, price=33_333)
    receive(product, 5)
    boss = manager()
    order = paid_in_cash(order_for({product: 3}), boss)
    line = order.lines[0]
    # 3 x 33.333 = 99.999 at 20 %: 19.999,8 -> 20.000. One unit: 6.666,6 -> 6.667, three
    # times 20.001: one rupiah more than was ever taken.
    assert line.commission == 20_000
    for n in range(3):
        act(
            refunds.refund,
            reload(order),
            lines={line.id: 1},
            method="cash",
            reason="Kemasan bocor",
            actor=boss,
            idempotency_key=f"unit-{n}",
        )
    given_back = db.session.scalars(select(RefundLine.commission).order_by(RefundLine.id)).all()
    assert given_back == [6_667, 6_666, 6_667]
    assert sum(given_back) == line.commission

    today = datetime.now(UTC).date()
    statement = statement_of(vendor, today.replace(day=1), today + timedelta(days=40))
    figures = line_of(statement, product)
    assert (figures.gross, figures.refunds, figures.commission) == (99_999, 99_999, 0)
    assert figures.vendor_share == 0 and statement.vendor_share == 0


# --- defect 10: a card refund counts once the provider confirms it ----------------------------


class CrashingProvider:
    """The process dies while Stripe is asked (the refund row is already committed)."""

    def __init__(self):
        self.crash = True

    def refund(self, order, amount, *, idempotency_key):
        if self.crash:
            raise KeyboardInterrupt  # not a PaymentError: nothing cleans up, like a crash
        return "re_confirmed"


def card_order(product, quantity: int):
    order = act(
        services.place_order,
        {product.id: quantity},
        services.CheckoutDetails(
            name="Budi",
            email="budi@example.com",
            phone="+6281299990000",
            fulfilment="pickup",
            payment_method="stripe",
        ),
        card_enabled=True,
    )
    act(services.mark_paid, order, paid_with=PaidWith.CARD, amount=order.total, reference="pi_1")
    return reload(order)


def test_a_card_refund_is_counted_only_once_confirmed_and_listed_apart_until_then(
    app, ctx, monkeypatch
):
    fake = CrashingProvider()
    monkeypatch.setattr(refunds, "provider", lambda name="stripe": fake)
    vendor, _owner = make_vendor()
    product, _batch = stocked_product(5, price=20_000, vendor=vendor)
    order = card_order(product, 2)
    boss = manager()
    request = dict(
        lines={order.lines[0].id: 1},
        method="stripe",
        reason="Kemasan penyok",
        actor=boss,
        idempotency_key="crash-1",
    )
    with pytest.raises(KeyboardInterrupt):
        act(refunds.refund, order, **request)
    db.session.rollback()
    pending = db.session.scalar(select(Refund))
    assert pending is not None and pending.confirmed_at is None

    today = datetime.now(UTC).date()
    start, end = today.replace(day=1), today + timedelta(days=40)
    statement = statement_of(product.vendor, start, end)
    assert statement.refunds == 0 and statement.gross_online == 40_000
    listed = settlements.pending_refunds(statement)
    assert [(rl.quantity, rl.amount) for rl, _r, _ol, _o in listed] == [(1, 20_000)]
    client = Client(app.test_client())
    client.login(boss.email, PASSWORD)
    page = client.get(f"/manage/settlements/{statement.id}").get_data(as_text=True)
    assert 'data-testid="pending-refunds"' in page and order.number in page

    # The vendor reads them apart on the statement page and in the PDF: not counted yet.
    owner = Client(app.test_client())
    owner.raw.set_cookie("lang", "en")
    assert owner.login("owner@example.com", PASSWORD).status_code == 302
    mine = owner.get(f"/vendor/statements/{statement.id}").get_data(as_text=True)
    listed_part = mine.split('data-testid="pending-refunds"')[1].split("</table>")[0]
    assert order.number in listed_part and format_rupiah(20_000) in listed_part
    assert "Not counted until confirmed" in mine
    pdf = pdf_text(owner.get(f"/vendor/statements/{statement.id}/statement.pdf").data)
    assert "Card refunds waiting for confirmation" in pdf and "not counted" in pdf
    assert order.number in pdf and format_rupiah(20_000) in pdf

    fake.crash = False
    record = act(refunds.refund, reload(order), **request)  # the manager presses again
    assert record.confirmed_at is not None
    statement = statement_of(product.vendor, start, end)
    assert statement.refunds == 20_000
    assert settlements.pending_refunds(statement) == []


# --- defect 13: refund by bank transfer ------------------------------------------------------


def test_a_refund_by_bank_transfer_keeps_the_account_encrypted_and_is_audited(ctx):
    product, _batch = stocked_product(5, price=25_000)
    boss = manager()
    order = order_for({product: 2}, fulfilment="delivery")
    act(fulfilment.take_payment, order, fulfilment.Payment(PaidWith.QRIS, "QR-77"), actor=boss)
    order = reload(order)
    assert "transfer" in refunds.methods_for(order)
    record = act(
        refunds.refund,
        order,
        full=True,
        method="transfer",
        reason="Barang tidak sampai",
        actor=boss,
        idempotency_key="tf-1",
        transfer=refunds.TransferAccount(
            bank_code="014", account="123-456-7890", holder=" Sari  Wulandari ", reference="BCA9"
        ),
    )
    db.session.expire_all()
    record = db.session.get(Refund, record.id)
    assert (record.method, record.amount, record.confirmed_at is not None) == (
        "transfer",
        order.total,
        True,
    )
    assert (record.transfer_bank_code, record.transfer_account, record.transfer_holder) == (
        "014",
        "1234567890",
        "Sari Wulandari",
    )
    raw = db.session.execute(
        text("SELECT transfer_account FROM refunds WHERE id = :id"), {"id": record.id}
    ).scalar()
    assert "1234567890" not in raw  # encrypted at rest (UU PDP)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "order.refund"))
    assert '"reference": "BCA9"' in entry.after and "1234567890" not in entry.after
    assert reload(order).status == OrderStatus.REFUNDED


@pytest.mark.parametrize(
    ("transfer", "field", "says"),
    [
        (
            refunds.TransferAccount(bank_code="014", holder="Sari", reference="R1"),
            "account",
            "rekening",
        ),
        (
            refunds.TransferAccount(account="1234567890", holder="Sari", reference="R1"),
            "bank_code",
            "bank",
        ),
        (
            refunds.TransferAccount(bank_code="014", account="12ab", holder="Sari", reference="R"),
            "account",
            "angka",
        ),
        (
            refunds.TransferAccount(bank_code="014", account="1234567890", reference="R1"),
            "holder",
            "pemilik rekening",
        ),
        (
            refunds.TransferAccount(bank_code="014", account="1234567890", holder="Sari"),
            "reference",
            "referensi",
        ),
    ],
)
def test_a_transfer_refund_without_a_full_account_is_refused_and_nothing_changes(
    ctx, transfer, field, says
):
    product, _batch = stocked_product(5, price=25_000)
    boss = manager()
    order = paid_in_cash(order_for({product: 1}), boss)
    with pytest.raises(OrderError) as error:
        act(
            refunds.refund,
            order,
            full=True,
            method="transfer",
            reason="Batal",
            actor=boss,
            idempotency_key="tf-bad",
            transfer=transfer,
        )
    assert error.value.field == field
    assert says in str(error.value.message).lower()
    assert refund_count() == 0 and reload(order).refunded_amount == 0


def test_a_manager_refunds_by_transfer_through_the_form(app, ctx):
    product, _batch = stocked_product(5, price=18_000)
    boss = manager()
    order = paid_in_cash(order_for({product: 1}), boss)
    client = Client(app.test_client())
    client.login(boss.email, PASSWORD)
    page = client.get(f"/manage/orders/{order.id}/refund").get_data(as_text=True)
    assert 'value="transfer"' in page and 'name="account"' in page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    form = {
        "scope": "full",
        "method": "transfer",
        "reason": "Pembeli di luar kota",
        "token": token,
        "bank_code": "009",
        "holder": "Sari",
        "transfer_reference": "BNI-1",
    }
    refused = client.post_form(f"/manage/orders/{order.id}/refund", form)
    assert refused.status_code == 400
    assert "nomor rekening pembeli" in refused.get_data(as_text=True)
    assert refund_count() == 0
    done = client.post_form(f"/manage/orders/{order.id}/refund", {**form, "account": "0123456789"})
    assert done.status_code == 302
    assert reload(order).refunded_amount == 18_000
    shown = client.get(f"/manage/orders/{order.id}").get_data(as_text=True)
    assert "******6789" in shown and "0123456789" not in shown


# --- defect 4: a void after its sale's statement closed ---------------------------------------


@pytest.fixture
def counter(ctx):
    vendor = VendorFactory(commission_bp=2000)
    product = ProductFactory(vendor=vendor, price=33_333)
    cashier = UserFactory(email="kasir@example.com", role="cashier")
    boss = UserFactory(email="manajer@example.com", role="manager")
    with time_machine.travel(wib("2026-10-20 09:00"), tick=False):
        receive(product, 5, actor=boss)
    return vendor, product, cashier, boss


def ring(cashier, shift, product, quantity):
    with unit_of_work():
        sale = RunningSale()
        selling.add(sale, product.id, quantity)
        return selling.ring_up(shift, cashier, sale, PaymentInput(cash_tendered=100_000))


def test_a_void_after_the_sales_statement_closed_is_reversed_in_the_next_one(counter):
    vendor, product, cashier, boss = counter
    october, november = (
        (date(2026, 10, 1), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2026, 11, 30)),
    )
    with time_machine.travel(wib("2026-10-31 23:50"), tick=False):
        shift = act(pos.open_shift, cashier, 0)
        sale = ring(cashier, shift, product, 2)  # 66.666 at 20 %: 13.333
    with time_machine.travel(wib("2026-11-01 00:05"), tick=False):
        closed = statement_of(vendor, *october)
        act(settlements.close_settlement, closed, actor=boss)
    with time_machine.travel(wib("2026-11-01 00:10"), tick=False):
        act(pos.void_sale, db.session.get(CounterSale, sale.id), boss, "Salah harga")
    db.session.expire_all()
    assert db.session.get(CounterSale, sale.id).status == SaleStatus.VOIDED

    closed = db.session.get(Settlement, closed.id)
    assert (closed.gross_counter, closed.commission, closed.vendor_share) == (
        66_666,
        13_333,
        53_333,
    )
    with time_machine.travel(wib("2026-11-30 12:00"), tick=False):
        nov = statement_of(vendor, *november)
    line = line_of(nov, product)
    assert (line.opening, line.refunded, line.restocked, line.closing) == (3, 2, 2, 5)
    assert line.balances
    assert (nov.gross_counter, nov.refunds, nov.commission, nov.vendor_share) == (
        0,
        66_666,
        -13_333,
        -53_333,
    )
    # Over the two statements the vendor is credited nothing for a sale that never happened.
    assert closed.vendor_share + nov.vendor_share == 0


def test_a_void_of_another_shifts_sale_is_refused_with_a_clear_message(counter):
    _vendor, product, cashier, boss = counter
    other = UserFactory(email="kasir2@example.com", role="cashier")
    shift = act(pos.open_shift, cashier, 0)
    sale = ring(cashier, shift, product, 1)
    act(pos.open_shift, other, 0)
    with pytest.raises(PosError) as error:
        act(pos.void_sale, sale, other, "Bukan punya saya", "manajer@example.com", PASSWORD)
    assert "kasir lain" in str(error.value.message)
    act(pos.close_shift, shift, cashier, 33_333, "")
    with pytest.raises(PosError) as error:
        act(pos.void_sale, sale, boss, "Terlambat")
    assert "shift yang sedang berjalan" in str(error.value.message)
    db.session.expire_all()
    assert db.session.get(CounterSale, sale.id).status == SaleStatus.COMPLETED
    assert ledger.verify_ledger()[1] == []


# --- defect 5: paid after cancellation, goods gone --------------------------------------------


def test_a_payment_after_cancellation_whose_goods_are_gone_is_held_to_refund(app, ctx):
    product, _batch = stocked_product(2, price=15_000)
    boss = manager()
    order = act(
        services.place_order,
        {product.id: 2},
        services.CheckoutDetails(
            name="Budi",
            email="budi@example.com",
            phone="+6281299990000",
            fulfilment="pickup",
            payment_method="stripe",
        ),
        card_enabled=True,
    )
    act(services.cancel, reload(order), reason="expired")
    other = paid_in_cash(order_for({product: 2}, email="lain@example.com"), boss)
    act(
        services.mark_paid,
        reload(order),
        paid_with=PaidWith.CARD,
        amount=order.total,
        reference="pi_late",
    )
    order = reload(order)
    assert order.is_paid and order.attention
    assert all(line.sold_at is None for line in order.lines)  # never sold: never stamped

    today = datetime.now(UTC).date()
    statement = statement_of(product.vendor, today.replace(day=1), today + timedelta(days=40))
    assert (statement.gross_online, line_of(statement, product).sold_online) == (30_000, 2)
    assert statement.gross_online == other.total  # the two units, sold once

    client = Client(app.test_client())
    client.login(boss.email, PASSWORD)
    queue = client.get("/manage/orders?tab=to_refund").get_data(as_text=True)
    assert order.number in queue and other.number not in queue
    act(
        refunds.refund,
        order,
        full=True,
        method="cash",
        reason="Barang habis",
        actor=boss,
        idempotency_key="held-1",
    )
    assert reload(order).refundable_amount == 0
    statement = statement_of(product.vendor, today.replace(day=1), today + timedelta(days=40))
    assert statement.refunds == 0  # the shopper's money, never the vendor's
    queue = client.get("/manage/orders?tab=to_refund").get_data(as_text=True)
    assert order.number not in queue
