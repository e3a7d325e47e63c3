"""Vendor settlements: a month of activity for three vendors, every figure checked by hand.

Messages are checked in Indonesian, the language the shop speaks until someone picks English.

October 2026 in WIB. Vendor A (outlet default 20 %, one product in a 15 % category), vendor B
(its own 22,5 %, which beats its category), vendor C (weekly periods). The expected figures
are worked out in the comments next to each event, so a reader can check the arithmetic.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from storefront.audit import AuditEntry
from storefront.catalog.commission import refund_commission, sale_snapshot
from storefront.database import utcnow
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine, Refund, RefundLine
from storefront.pos.models import CounterSale, CounterSaleLine, Shift
from storefront.settlements import services as service
from storefront.settlements.documents import CSV_FIELDS, statement_pdf
from storefront.settlements.models import Settlement, SettlementStatusChange
from storefront.stock import ledger
from storefront.stock.models import MovementKind
from storefront.stock.operations import record_write_off
from storefront.templating import outlet
from storefront.vendors.models import VendorMember
from tests.conftest import Client
from tests.factories import PASSWORD, CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.stock_helpers import receive

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def wib(text_: str) -> datetime:
    """'2026-10-05 10:00' in WIB as an aware UTC datetime."""
    return datetime.fromisoformat(text_ + "+07:00").astimezone(UTC)


# --- building the books through the real ledger ------------------------------------------------


def intake(product, quantity, at, variant=None):
    with time_machine.travel(at, tick=False):
        return receive(product, quantity, variant=variant)


def _items(items):
    """(product, quantity) or (product, quantity, variant) for a product with sizes/colours."""
    return [(item[0], item[1], item[2] if len(item) > 2 else None) for item in items]


def _ledger_lines(items):
    return [ledger.Line(p.id, q, variant_id=v.id if v else None) for p, q, v in _items(items)]


def paid_order(items, at):
    """An online order paid at `at`: rows as checkout writes them, stock through the ledger."""
    with time_machine.travel(at, tick=False):
        lines, subtotal = [], 0
        for product, quantity, variant in _items(items):
            snapshot = sale_snapshot(product, quantity, variant=variant)
            subtotal += snapshot["gross"]
            lines.append(OrderLine(sold_at=at, **snapshot))
        order = Order(
            number=f"GTG-{uuid.uuid4().hex[:8]}",
            status="paid",
            contact_name="Siti",
            email="siti@example.com",
            phone="+6281234567890",
            fulfilment="pickup",
            payment_method="outlet",
            subtotal=subtotal,
            total=subtotal,
            pickup_code="123456",
            access_key=uuid.uuid4().hex,
            paid_at=at,
            paid_amount=subtotal,
            lines=lines,
        )
        db.session.add(order)
        db.session.flush()
        reservation = ledger.reserve(_ledger_lines(items), timedelta(minutes=30))
        ledger.commit_sale(reservation, "online", reference_type="order", reference_id=order.id)
        db.session.commit()
        return order


def refund(order, product, quantity, at, *, restock, variant=None):
    line = next(
        ln
        for ln in order.lines
        if ln.product_id == product.id and (variant is None or ln.variant_id == variant.id)
    )
    amount = line.unit_price * quantity
    with time_machine.travel(at, tick=False):
        record = Refund(
            order_id=order.id,
            amount=amount,
            method="cash",
            restocked=restock,
            idempotency_key=uuid.uuid4().hex,
            confirmed_at=utcnow(),
            lines=[
                RefundLine(
                    order_line_id=line.id,
                    quantity=quantity,
                    amount=amount,
                    commission=refund_commission(line, line.refunded_quantity, quantity),
                )
            ],
        )
        line.refunded_quantity += quantity
        line.refunded_amount += amount
        order.refunded_amount += amount
        db.session.add(record)
        db.session.flush()
        if restock:
            batch = _sold_batch(product, "order", order.id, line.variant_id)
            ledger.return_to_shelf(
                batch, quantity, actor_id=None, reference_type="refund", reference_id=record.id
            )
        db.session.commit()
        return record


def _sold_batch(product, reference_type, reference_id, variant_id=None):
    from storefront.stock.models import Batch, StockMovement

    batch_id = db.session.scalar(
        select(StockMovement.batch_id).where(
            StockMovement.product_id == product.id,
            StockMovement.reference_type == reference_type,
            StockMovement.reference_id == reference_id,
            True if variant_id is None else StockMovement.variant_id == variant_id,
        )
    )
    return db.session.get(Batch, batch_id)


def counter_sale(cashier, items, at, *, voided=False):
    with time_machine.travel(at, tick=False):
        shift = db.session.scalar(select(Shift).where(Shift.opened_by_id == cashier.id))
        if shift is None:
            shift = Shift(opened_by_id=cashier.id, opening_float=100_000)
            db.session.add(shift)
            db.session.flush()
        lines, subtotal = [], 0
        for product, quantity, variant in _items(items):
            snapshot = sale_snapshot(product, quantity, variant=variant)
            subtotal += snapshot["gross"]
            lines.append(CounterSaleLine(sold_at=at, **snapshot))
        sale = CounterSale(
            number=f"KS-{uuid.uuid4().hex[:8]}",
            shift_id=shift.id,
            cashier_id=cashier.id,
            subtotal=subtotal,
            total=subtotal,
            submission_key=uuid.uuid4().hex,
            lines=lines,
        )
        db.session.add(sale)
        db.session.flush()
        ledger.record_counter_sale(
            _ledger_lines(items),
            reference_type="counter_sale",
            reference_id=sale.id,
            actor_id=cashier.id,
        )
        db.session.commit()
        if voided:
            sale.status, sale.voided_at = "voided", at
            for product, quantity, _variant in _items(items):
                batch = _sold_batch(product, "counter_sale", sale.id, _variant and _variant.id)
                ledger.return_to_shelf(
                    batch,
                    quantity,
                    actor_id=cashier.id,
                    reference_type="counter_sale_void",
                    reference_id=sale.id,
                )
            db.session.commit()
        return sale


def take_out(product, quantity, kind, at, actor):
    batch = _any_batch(product)
    with time_machine.travel(at, tick=False):
        ledger.remove_from_batch(
            batch, quantity, kind, actor_id=actor.id, reference_type="return_note", reference_id=1
        )
        db.session.commit()


def count_correction(product, difference, at, actor):
    batch = _any_batch(product)
    with time_machine.travel(at, tick=False):
        level = ledger._lock_levels([batch.id])[batch.id]
        ledger.correct_count(
            batch, level.on_hand + difference, actor_id=actor.id, count_id=1, reason="opname"
        )
        db.session.commit()


def _any_batch(product):
    from storefront.stock.models import Batch, StockLevel

    return db.session.scalar(
        select(Batch)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .where(Batch.product_id == product.id, StockLevel.on_hand > 0)
        .order_by(Batch.id)
    )


# --- the month -------------------------------------------------------------------------------


@pytest.fixture
def month(ctx):
    """October 2026 for three vendors. Returns the cast as a dict."""
    manager = UserFactory(role="manager", name="Manajer Gerai")
    cashier = UserFactory(role="manager", name="Kasir")
    food = CategoryFactory(commission_bp=None)
    sambal_category = CategoryFactory(commission_bp=1500)
    vendor_a = VendorFactory(name="Kopi Cikupa", bank_code="BCA", bank_holder="Budi")
    vendor_a.bank_account = "1234567890"
    vendor_b = VendorFactory(name="Batik Talaga", commission_bp=2250)
    vendor_c = VendorFactory(name="Keripik Pasar Kemis", settlement_period="weekly")
    db.session.commit()
    kopi = ProductFactory(vendor=vendor_a, category=food, name="Kopi Robusta", price=33_333)
    sambal = ProductFactory(
        vendor=vendor_a, category=sambal_category, name="Sambal Roa", price=18_500
    )
    batik = ProductFactory(vendor=vendor_b, category=sambal_category, name="Batik", price=12_340)
    keripik = ProductFactory(vendor=vendor_c, category=food, name="Keripik", price=10_000)

    # Before the period: 10 kopi in, 2 sold online in September -> opening 8.
    intake(kopi, 10, wib("2026-09-20 09:00"))
    paid_order([(kopi, 2)], wib("2026-09-25 14:00"))
    # 1 October 00:00 WIB is 30 September 17:00 UTC: this intake is in October.
    intake(kopi, 12, wib("2026-10-01 00:05"))
    intake(sambal, 20, wib("2026-10-02 10:00"))
    intake(batik, 10, wib("2026-10-03 10:00"))
    intake(keripik, 5, wib("2026-10-06 10:00"))

    # Kopi 3 x 33.333 = 99.999 at 20 %: 19.999,8 -> 20.000 (half-up), share 79.999.
    # Sambal 4 x 18.500 = 74.000 at 15 % (category): 11.100.
    o1 = paid_order([(kopi, 3), (sambal, 4)], wib("2026-10-05 10:00"))
    # Batik 2 x 12.340 = 24.680 at 22,5 % (vendor beats category): 5.553 exactly.
    o4 = paid_order([(batik, 2)], wib("2026-10-07 11:00"))
    # Counter: kopi 1 = 33.333 -> 6.666,6 -> 6.667; sambal 2 = 37.000 -> 5.550.
    counter_sale(cashier, [(kopi, 1), (sambal, 2)], wib("2026-10-08 13:00"))
    # Batik 1 = 12.340 at 22,5 % = 2.776,5 -> 2.777 (exactly half, rounded up).
    counter_sale(cashier, [(batik, 1)], wib("2026-10-06 15:00"))
    # A voided sale counts when rung up and is booked back, like a refund, when voided (here
    # the same day); its units come back on the shelf.
    counter_sale(cashier, [(sambal, 1)], wib("2026-10-09 09:00"), voided=True)
    # Refund 1 kopi of o1 (33.333), back on the shelf: commission given back 6.667.
    refund(o1, kopi, 1, wib("2026-10-12 16:00"), restock=True)
    # Refund 1 batik of o4 (12.340), not restocked: commission given back 2.777.
    refund(o4, batik, 1, wib("2026-10-10 10:00"), restock=False)
    take_out(sambal, 3, MovementKind.RETURN_TO_VENDOR, wib("2026-10-15 10:00"), manager)
    take_out(sambal, 1, MovementKind.DAMAGE_LOSS, wib("2026-10-20 10:00"), manager)
    count_correction(kopi, -1, wib("2026-10-20 11:00"), manager)
    # 31 Oct 23:30 WIB is still October (16:30 UTC): sambal 1 = 18.500 at 15 % = 2.775.
    paid_order([(sambal, 1)], wib("2026-10-31 23:30"))
    # 1 Nov 00:30 WIB (31 Oct 17:30 UTC) belongs to November.
    o3 = paid_order([(kopi, 1)], wib("2026-11-01 00:30"))
    return dict(
        manager=manager,
        a=vendor_a,
        b=vendor_b,
        c=vendor_c,
        kopi=kopi,
        sambal=sambal,
        batik=batik,
        keripik=keripik,
        o1=o1,
        o3=o3,
        cashier=cashier,
    )


def statement(vendor, start=OCTOBER[0]) -> Settlement:
    return db.session.scalar(
        select(Settlement).where(
            Settlement.vendor_id == vendor.id, Settlement.period_start == start
        )
    )


def line_of(settlement, product):
    return next(ln for ln in settlement.lines if ln.product_id == product.id)


def figures(line) -> dict:
    return {
        name: getattr(line, name)
        for name in CSV_FIELDS
        if name not in ("product_code", "product_name", "variant_label")
    }


def test_a_month_of_sales_refunds_and_corrections_adds_up_to_the_hand_computed_statement(month):
    service.generate_month(2026, 10, actor=month["manager"])
    db.session.commit()
    a = statement(month["a"])

    assert figures(line_of(a, month["kopi"])) == dict(
        opening=8,  # 10 in, 2 sold in September
        received=12,
        sold_online=3,
        gross_online=99_999,
        sold_counter=1,
        gross_counter=33_333,
        refunded=1,
        refunds=33_333,
        restocked=1,
        returned=0,
        adjusted=-1,
        closing=16,  # 8 + 12 - 3 - 1 + 1 - 1; the 1 November sale is not in it
        commission=20_000,  # 20.000 + 6.667 - 6.667
        vendor_share=79_999,
        compensated=0,
        compensation=0,
    )
    assert figures(line_of(a, month["sambal"])) == dict(
        opening=0,
        received=20,
        sold_online=5,  # 4 on 5 Oct + 1 at 23:30 WIB on 31 Oct
        gross_online=92_500,
        sold_counter=3,  # 2, and 1 sold then voided
        gross_counter=55_500,
        refunded=1,  # the voided unit, booked back like a refund
        refunds=18_500,
        restocked=1,  # and back on the shelf
        returned=3,
        adjusted=-1,
        closing=9,
        commission=19_425,  # 11.100 + 2.775 + 5.550 + 2.775 - 2.775 (the void)
        vendor_share=110_075,
        compensated=0,  # the jar lost on 20 October was written off before responsibility
        compensation=0,
    )
    assert all(line.balances for line in a.lines)
    assert (a.gross_online, a.gross_counter, a.refunds, a.commission) == (
        192_499,
        88_833,
        51_833,
        39_425,
    )
    assert (a.vendor_share, a.carried_in, a.net_payable, a.carried_out) == (190_074, 0, 190_074, 0)

    b = statement(month["b"])
    assert figures(line_of(b, month["batik"])) == dict(
        opening=0,
        received=10,
        sold_online=2,
        gross_online=24_680,
        sold_counter=1,
        gross_counter=12_340,
        refunded=1,
        refunds=12_340,
        restocked=0,
        returned=0,
        adjusted=0,
        closing=7,
        commission=5_553,  # 5.553 + 2.777 - 2.777
        vendor_share=19_127,
        compensated=0,
        compensation=0,
    )
    # 19.127 is below the Rp50.000 minimum payout: nothing paid, all carried forward.
    assert (b.vendor_share, b.net_payable, b.carried_out) == (19_127, 0, 19_127)

    # Vendor C settles weekly: the four weeks ending in October, each with its own figures.
    weeks = db.session.scalars(
        select(Settlement)
        .where(Settlement.vendor_id == month["c"].id)
        .order_by(Settlement.period_start)
    ).all()
    assert [(w.period_start.day, w.period_end.day) for w in weeks] == [
        (28, 4),
        (5, 11),
        (12, 18),
        (19, 25),
    ]
    second = weeks[1].lines[0]
    assert (second.opening, second.received, second.closing) == (0, 5, 5)
    assert (weeks[3].lines[0].opening, weeks[3].lines[0].closing) == (5, 5)

    # 28 October: staff break 2 sambal (the outlet pays: 2 x 18.500 = 37.000 at 15 % = 5.550,
    # share 31.450); 1 kopi has a broken seal from the roaster (the vendor's: nothing owed).
    with time_machine.travel(wib("2026-10-28 10:00"), tick=False):
        for product, quantity, responsible in (
            (month["sambal"], 2, "outlet"),
            (month["kopi"], 1, "vendor"),
        ):
            record_write_off(
                _any_batch(product),
                month["manager"],
                quantity=quantity,
                kind="damage_loss",
                reason="Rusak",
                responsible=responsible,
            )
        db.session.commit()
    service.generate_month(2026, 10, actor=month["manager"])
    db.session.commit()
    db.session.expire_all()
    a = statement(month["a"])
    sambal, kopi = line_of(a, month["sambal"]), line_of(a, month["kopi"])
    assert (sambal.adjusted, sambal.closing, sambal.compensated, sambal.compensation) == (
        -3,
        7,
        2,
        31_450,
    )
    assert (kopi.adjusted, kopi.closing, kopi.compensated, kopi.compensation) == (-2, 15, 0, 0)
    assert all(line.balances for line in a.lines)
    # The money: 190.074 share + 31.450 compensation, no advance yet, all paid out.
    assert (a.vendor_share, a.compensation, a.advances, a.difference_in) == (190_074, 31_450, 0, 0)
    assert (a.net_payable, a.carried_out) == (221_524, 0)


def test_closing_freezes_the_statement_and_later_corrections_land_in_the_next_period(month):
    manager, b = month["manager"], month["b"]
    service.generate_month(2026, 10, actor=manager)
    db.session.commit()
    october = service.close_settlement(statement(b), actor=manager)
    db.session.commit()
    frozen = figures(october.lines[0])

    # After the close: a count correction of batik and 4 batik at the counter in November.
    count_correction(month["batik"], -2, wib("2026-11-05 10:00"), manager)
    # 4 x 12.340 = 49.360 at 22,5 % = 11.106; share 38.254.
    counter_sale(month["cashier"], [(month["batik"], 4)], wib("2026-11-06 10:00"))
    service.generate_month(2026, 10, actor=manager)
    service.generate_month(2026, 11, actor=manager)
    db.session.commit()

    db.session.expire_all()
    assert figures(statement(b).lines[0]) == frozen
    november = statement(b, NOVEMBER[0])
    line = november.lines[0]
    assert (line.opening, line.sold_counter, line.adjusted, line.closing) == (7, 4, -2, 1)
    # 38.254 + 19.127 carried in = 57.381: above the minimum, paid in full.
    assert (november.carried_in, november.vendor_share, november.net_payable) == (
        19_127,
        38_254,
        57_381,
    )


def test_closing_twice_editing_or_deleting_a_closed_statement_changes_nothing(month):
    manager, b = month["manager"], month["b"]
    service.generate_month(2026, 10, actor=manager)
    service.close_settlement(statement(b), actor=manager)
    db.session.commit()
    settlement_id = statement(b).id

    with pytest.raises(service.InvalidTransition, match="sudah ditutup"):
        service.close_settlement(statement(b), actor=manager)
    db.session.rollback()
    with pytest.raises(service.SettlementError, match="tidak dapat dihapus"):
        service.delete_settlement(statement(b), actor=manager)
    db.session.rollback()

    # The database refuses too, whatever code tries it.
    for statement_sql in (
        "UPDATE settlements SET commission = 0, vendor_share = vendor_share + commission "
        "WHERE id = :id",
        "UPDATE settlement_lines SET closing = 99 WHERE settlement_id = :id",
    ):
        with pytest.raises(DBAPIError, match="closed settlement cannot change"):
            db.session.execute(text(statement_sql), {"id": settlement_id})
        db.session.rollback()

    db.session.expire_all()
    kept = db.session.get(Settlement, settlement_id)
    assert (kept.status, kept.commission, kept.lines[0].closing) == ("closed", 5_553, 7)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(SettlementStatusChange)
            .where(SettlementStatusChange.settlement_id == settlement_id)
        )
        == 1
    )


def test_a_later_statement_waits_for_the_earlier_one_to_close(month):
    manager, b = month["manager"], month["b"]
    service.generate_month(2026, 10, actor=manager)
    service.generate_month(2026, 11, actor=manager)
    db.session.commit()
    with pytest.raises(service.SettlementError, match="Tutup dulu"):
        service.close_settlement(statement(b, NOVEMBER[0]), actor=manager)
    db.session.rollback()
    assert statement(b, NOVEMBER[0]).status == "draft"


def test_payment_rules_draft_refused_other_amount_needs_a_confirmed_note(month):
    manager, a = month["manager"], month["a"]
    service.generate_month(2026, 10, actor=manager)
    db.session.commit()
    payment = service.Payment(paid_on=date(2026, 11, 3), reference="TRF-001", amount=190_074)

    with pytest.raises(
        service.InvalidTransition, match="Tutup rekap ini sebelum mencatat pencairan"
    ):
        service.mark_paid(statement(a), payment, actor=manager)
    db.session.rollback()
    service.close_settlement(statement(a), actor=manager)
    db.session.commit()

    short = service.Payment(paid_on=date(2026, 11, 3), reference="TRF-001", amount=187_574)
    with pytest.raises(service.SettlementError, match="jelaskan alasannya"):
        service.mark_paid(statement(a), short, actor=manager)
    db.session.rollback()
    noted = service.Payment(
        paid_on=date(2026, 11, 3), reference="TRF-001", amount=187_574, note="Biaya transfer"
    )
    with pytest.raises(service.SettlementError, match="centang kotak"):
        service.mark_paid(statement(a), noted, actor=manager)
    db.session.rollback()
    assert statement(a).status == "closed" and statement(a).paid_amount is None

    confirmed = service.Payment(
        paid_on=date(2026, 11, 3),
        reference="TRF-001",
        amount=187_574,
        note="Biaya transfer Rp2.500",
        confirmed=True,
        holder_confirmed="DAPUR NYAI",
    )
    service.mark_paid(statement(a), confirmed, actor=manager)
    db.session.commit()
    paid = statement(a)
    assert (paid.status, paid.paid_amount, paid.net_payable) == ("paid", 187_574, 190_074)
    with pytest.raises(service.InvalidTransition, match="sudah dicairkan"):
        service.mark_paid(paid, payment, actor=manager)


# --- through the pages -----------------------------------------------------------------------


def sign_in(app, user) -> Client:
    client = Client(app.test_client())
    assert client.login(user.email, PASSWORD).status_code == 302
    return client


def vendor_user(vendor):
    user = UserFactory(role="vendor")
    db.session.add(VendorMember(vendor_id=vendor.id, user_id=user.id, role="owner"))
    db.session.commit()
    return user


def test_manager_generates_closes_pays_and_exports_payouts_through_the_pages(app, month):
    client = sign_in(app, month["manager"])
    response = client.post_form("/manage/settlements", {"month": "2026-10"})
    assert response.status_code == 405  # generating is its own action
    response = client.post_form(
        "/manage/settlements/generate", {"month": "2026-10"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Kopi Cikupa" in page and "Rp190.074" in page

    a = statement(month["a"])
    detail = client.get(f"/manage/settlements/{a.id}").get_data(as_text=True)
    assert "check-passes" in detail and "Rp39.425" in detail

    drill = client.get(f"/manage/settlements/{a.id}/lines/{month['kopi'].id}")
    text_ = drill.get_data(as_text=True)
    assert month["o1"].number in text_ and month["o3"].number not in text_

    client.post_form(f"/manage/settlements/{a.id}/close", {})
    again = client.post_form(f"/manage/settlements/{a.id}/close", {}, follow_redirects=True)
    assert "Rekap ini sudah ditutup." in again.get_data(as_text=True)
    deleted = client.post_form(f"/manage/settlements/{a.id}/delete", {}, follow_redirects=True)
    assert "tidak dapat dihapus" in deleted.get_data(as_text=True)

    periods = client.get("/manage/settlements?month=2026-10").get_data(as_text=True)
    assert "payouts.csv" not in periods  # the payout file is an administrator's
    assert client.post_form("/manage/settlements/payouts.csv", {}).status_code == 403
    admin = sign_in(app, UserFactory(role="admin"))
    assert "payouts.csv" in admin.get("/manage/settlements?month=2026-10").get_data(as_text=True)
    exported = admin.post_form("/manage/settlements/payouts.csv", {})
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [(r["vendor"], r["account"], r["amount"]) for r in rows] == [
        ("Kopi Cikupa", "1234567890", "190074")
    ]
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "settlement.payout_export")
    )

    proof = (io.BytesIO(b"%PDF-1.4\n%bukti transfer\n"), "bukti.pdf")
    paid = client.post_form(
        f"/manage/settlements/{a.id}/pay",
        {
            "paid_on": "2026-11-03",
            "reference": "TRF-77",
            "amount": "190.074",
            "proof": proof,
            "holder_confirmed": "DAPUR NYAI",
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Dicairkan Rp190.074" in paid.get_data(as_text=True)
    with client.get(f"/manage/settlements/{a.id}/proof") as shown:
        assert (shown.status_code, shown.data) == (200, b"%PDF-1.4\n%bukti transfer\n")

    pdf = client.get(f"/manage/settlements/{a.id}/statement.pdf")
    assert pdf.data.startswith(b"%PDF")


def test_a_line_that_does_not_balance_is_shown_in_red(app, month):
    # An online sale recorded without its stock leaving the shelf: the books disagree.
    keripik = month["keripik"]
    order = paid_order([(keripik, 1)], wib("2026-10-07 10:00"))
    db.session.execute(
        text("DELETE FROM stock_movements WHERE reference_type = 'order' AND reference_id = :id"),
        {"id": order.id},
    )
    db.session.commit()
    service.generate_month(2026, 10)
    db.session.commit()
    week = statement(month["c"], date(2026, 10, 5))
    assert not week.lines[0].balances
    page = sign_in(app, month["manager"]).get(f"/manage/settlements/{week.id}")
    assert "does-not-balance" in page.get_data(as_text=True)
    assert "1 produk tidak seimbang" in page.get_data(as_text=True)


def test_a_vendor_sees_downloads_and_comments_on_its_own_statements_only(app, month):
    service.generate_month(2026, 10)
    db.session.commit()
    own, other = statement(month["a"]), statement(month["b"])
    client = sign_in(app, vendor_user(month["a"]))

    listing = client.get("/vendor/statements").get_data(as_text=True)
    assert "Rp190.074" in listing and "Rp19.127" not in listing
    assert client.get(f"/vendor/statements/{own.id}/statement.pdf").data.startswith(b"%PDF")
    rows = client.get(f"/vendor/statements/{own.id}/statement.csv").get_data(as_text=True)
    assert "Kopi Robusta" in rows

    for path in ("", "/statement.pdf", "/statement.csv"):
        assert client.get(f"/vendor/statements/{other.id}{path}").status_code == 404
    refused = client.post_form(
        f"/vendor/statements/{other.id}/comments", {"kind": "dispute", "body": "Salah"}
    )
    assert refused.status_code == 404

    client.post_form(
        f"/vendor/statements/{own.id}/comments",
        {"kind": "dispute", "body": "Kenapa kopi dikembalikan satu?"},
    )
    manager = sign_in(app, month["manager"])
    detail = manager.get(f"/manage/settlements/{own.id}").get_data(as_text=True)
    assert "Kenapa kopi dikembalikan satu?" in detail
    db.session.expire_all()
    comment_id = statement(month["a"]).comments[0].id
    manager.post_form(
        f"/manage/settlements/comments/{comment_id}/answer",
        {"answer": "Pembeli mengembalikan 1 bungkus pada 12 Oktober."},
    )
    answered = client.get(f"/vendor/statements/{own.id}").get_data(as_text=True)
    assert "Pembeli mengembalikan 1 bungkus" in answered


def test_managers_set_commission_per_category_and_per_vendor(app, month):
    client = sign_in(app, month["manager"])
    category = month["keripik"].category
    rates = "/manage/settlements/commission"
    client.post_form(f"{rates}/categories/{category.id}", {"percent": "12.5"})
    client.post_form(f"{rates}/vendors/{month['b'].id}", {"percent": ""})
    db.session.expire_all()
    assert month["keripik"].category.commission_bp == 1250
    assert month["b"].commission_bp is None
    page = client.get("/manage/settlements/commission").get_data(as_text=True)
    assert 'value="12,5"' in page  # as typed in Indonesian; "12.5" is read too


def test_the_statement_pdf_looks_like_a_document_to_sign(month, tmp_path):
    service.generate_month(2026, 10)
    db.session.commit()
    data = statement_pdf(statement(month["a"]), outlet())
    assert data.startswith(b"%PDF") and b"/Type /Page" in data
    if shutil.which("pdftoppm"):
        pdf_path = tmp_path / "statement.pdf"
        pdf_path.write_bytes(data)
        out = Path("test-artifacts")
        out.mkdir(exist_ok=True)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf_path), str(out / "statement")],
            check=True,
        )
        assert (out / "statement.png").stat().st_size > 10_000
