"""Vendor money that always adds up (issue 13, defects 1, 2, 6, 7 and 8, and `verify-books`).

The books are October 2026 of tests/integration/test_settlements.py (its `month` fixture), with
September settled first so every vendor's statements start before its first sale. Every figure
below is computed by hand in the comment beside it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zlib
from datetime import date
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.extensions import db
from storefront.settlements import services as service
from storefront.settlements.books import verify_books
from storefront.settlements.documents import payment_rows, statement_pdf, summary_rows
from storefront.settlements.models import Settlement, SettlementAdvance
from storefront.stock import counts as opname
from storefront.stock import operations as ops
from storefront.stock.ledger import StockError
from storefront.stock.models import StockLoss
from storefront.templating import outlet
from tests.factories import VendorFactory
from tests.integration import test_settlements
from tests.integration.test_settlements import (
    NOVEMBER,
    OCTOBER,
    _any_batch,
    paid_order,
    sign_in,
    statement,
    wib,
)

# October 2026 for three vendors (the fixture itself, shared).
month = test_settlements.month


def settle_up_to(year: int, month_number: int, manager) -> None:
    """Generate every month from September 2026 to the given one and close each draft whose
    period is over, oldest first (the order closing requires)."""
    months = [(2026, m) for m in range(9, 13)] + [(2027, m) for m in range(1, 13)]
    for y, m in months[: months.index((year, month_number)) + 1]:
        service.generate_month(y, m, actor=manager)
        db.session.commit()
    for draft in db.session.scalars(
        select(Settlement).where(Settlement.status == "draft").order_by(Settlement.period_start)
    ).all():
        if service.period_has_ended(draft):
            service.close_settlement(draft, actor=manager)
    db.session.commit()


def books_hold() -> None:
    problems = {b.name: b.problems for b in verify_books() if b.problems}
    assert problems == {}


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


def pay(settlement, amount, manager, paid_on=date(2026, 11, 3), note="Biaya transfer"):
    return service.mark_paid(
        settlement,
        service.Payment(
            paid_on=paid_on,
            reference=f"TRF-{settlement.id}",
            amount=amount,
            note=note,
            confirmed=True,
            holder_confirmed="BUDI",
        ),
        actor=manager,
    )


# --- defect 1: no early close; an advance instead ----------------------------------------------


def test_an_open_period_cannot_close_and_an_advance_is_deducted_at_close(month):
    manager, a = month["manager"], month["a"]
    settle_up_to(2026, 9, manager)
    with time_machine.travel(wib("2026-10-15 12:00"), tick=False):
        service.generate_month(2026, 10, actor=manager)
        db.session.commit()
        october = statement(a)
        with pytest.raises(service.SettlementError, match="berlaku sampai"):
            service.close_settlement(october, actor=manager)
        db.session.rollback()
        assert statement(a).status == "draft"

        # The whole of October is on the books already (190.074 due); 100.000 is advanced.
        advance = service.Advance(amount=100_000, paid_on=date(2026, 10, 15), reference="ADV-1")
        service.record_advance(a, advance, actor=manager)
        db.session.commit()
        assert statement(a).advances == 100_000
        # 90.074 is left: 90.075 is one rupiah too many and changes nothing.
        too_much = service.Advance(amount=90_075, paid_on=date(2026, 10, 16), reference="ADV-2")
        with pytest.raises(service.SettlementError, match=r"Rp90\.074"):
            service.record_advance(a, too_much, actor=manager)
        db.session.rollback()
        for bad, message in (
            (service.Advance(0, date(2026, 10, 16), "ADV-3"), "di atas nol"),
            (service.Advance(1_000, date(2026, 10, 16), "  "), "referensi"),
        ):
            with pytest.raises(service.SettlementError, match=message):
                service.record_advance(a, bad, actor=manager)
            db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(SettlementAdvance)) == 1
        # A draft with an advance on it cannot be thrown away.
        with pytest.raises(service.SettlementError, match="panjar"):
            service.delete_settlement(statement(a), actor=manager)
        db.session.rollback()
        books_hold()

    # Once October is over it closes: 190.074 − 100.000 advanced = 90.074.
    closed = service.close_settlement(statement(a), actor=manager)
    db.session.commit()
    assert (closed.vendor_share, closed.advances, closed.net_payable) == (190_074, 100_000, 90_074)
    labels = dict(summary_rows(closed))
    assert labels["Panjar yang sudah dicairkan untuk periode ini"] == -100_000
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settlement.advance"))
    assert entry.actor_id == manager.id and json.loads(entry.after)["amount"] == 100_000
    books_hold()


def test_the_statement_page_hides_the_close_button_and_offers_an_advance(app, month):
    manager = month["manager"]
    settle_up_to(2026, 9, manager)
    with time_machine.travel(wib("2026-10-20 09:00"), tick=False):
        client = sign_in(app, manager)
        service.generate_month(2026, 10, actor=manager)
        db.session.commit()
        settlement_id = statement(month["a"]).id
        path = f"/manage/settlements/{settlement_id}"
        page = client.get(path).get_data(as_text=True)
        assert "Tutup rekap" not in page and "Cairkan panjar" in page
        refused = client.post_form(f"{path}/close", {})
        assert refused.status_code == 303
        response = client.post_form(
            f"{path}/advance",
            {"amount": "50.000", "paid_on": "2026-10-20", "reference": "ADV-9"},
            follow_redirects=True,
        )
        page = response.get_data(as_text=True)
        assert "Panjar Rp50.000 tercatat" in page
        assert "ADV-9" in page
        too_much = client.post_form(
            f"{path}/advance",
            {"amount": "500.000", "paid_on": "2026-10-20", "reference": "ADV-10"},
            follow_redirects=True,
        )
        assert "Paling banyak Rp140.074" in too_much.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Settlement, settlement_id).status == "draft"
    assert db.session.scalar(select(func.sum(SettlementAdvance.amount))) == 50_000


# --- defect 2: a payment that differs is carried -----------------------------------------------


def test_a_payment_that_differs_from_net_payable_is_carried_into_the_next_statement(month):
    manager, a = month["manager"], month["a"]
    settle_up_to(2026, 10, manager)
    october = pay(statement(a), 150_000, manager)  # 40.074 short
    db.session.commit()
    assert october.payment_difference == 40_074
    assert dict(payment_rows(october)) == {
        "Dicairkan": 150_000,
        "Dicairkan kurang: ditambahkan ke rekap berikutnya": 40_074,
    }
    books_hold()

    # November: the 1 November kopi (33.333 at 20 % = 6.667; share 26.666) + 40.074.
    service.generate_month(2026, 11, actor=manager)
    db.session.commit()
    november = statement(a, NOVEMBER[0])
    assert (november.vendor_share, november.difference_in, november.net_payable) == (
        26_666,
        40_074,
        66_740,
    )
    assert dict(summary_rows(november))["Kekurangan pencairan sebelumnya"] == 40_074
    service.close_settlement(november, actor=manager)
    db.session.commit()
    assert db.session.get(Settlement, october.id).difference_carried_to_id == november.id

    # Overpaid by 3.260 (a rounding the bank did): December deducts it.
    pay(november, 70_000, manager, paid_on=date(2026, 12, 2), note="Lebih bayar")
    db.session.commit()
    books_hold()
    service.generate_month(2026, 12, actor=manager)
    db.session.commit()
    december = statement(a, date(2026, 12, 1))
    assert (december.difference_in, december.carried_out) == (-3_260, -3_260)
    overpaid = dict(summary_rows(december))["Kelebihan pencairan sebelumnya, dipotong sekarang"]
    assert overpaid == -3_260
    books_hold()


def test_paying_a_draft_is_refused(month):
    manager = month["manager"]
    settle_up_to(2026, 9, manager)
    service.generate_month(2026, 10, actor=manager)
    db.session.commit()
    with pytest.raises(service.InvalidTransition, match="Tutup rekap ini"):
        pay(statement(month["a"]), 190_074, manager)
    db.session.rollback()
    assert statement(month["a"]).paid_amount is None


# --- defect 6: every vendor with activity or a balance -----------------------------------------


def test_a_suspended_vendor_gets_a_final_statement_that_ignores_the_minimum(month):
    manager, b = month["manager"], month["b"]
    settle_up_to(2026, 9, manager)
    b.status = "suspended"
    idle = VendorFactory(name="Sudah Berhenti", status="suspended")
    db.session.commit()
    service.generate_month(2026, 10, actor=manager)
    db.session.commit()
    october = statement(b)
    # 19.127 is below the Rp50.000 minimum, but b has left: all of it is paid.
    assert (october.final, october.net_payable, october.carried_out) == (True, 19_127, 0)
    assert statement(idle) is None
    books_hold()


# --- defect 7: a new settlement period starts after the last statement -------------------------


def test_changing_the_settlement_period_neither_double_counts_nor_leaves_a_gap(month):
    manager, a, c = month["manager"], month["a"], month["c"]
    settle_up_to(2026, 10, manager)
    a.settlement_period = "weekly"  # monthly -> weekly: 26-31 Oct are in October already
    c.settlement_period = "monthly"  # weekly -> monthly: 26-31 Oct are in no week yet
    db.session.commit()
    service.generate_month(2026, 11, actor=manager)
    db.session.commit()

    def periods(vendor):
        return [
            (s.period_start, s.period_end)
            for s in db.session.scalars(
                select(Settlement)
                .where(Settlement.vendor_id == vendor.id, Settlement.period_start >= OCTOBER[0])
                .order_by(Settlement.period_start)
            )
        ]

    assert periods(a)[:3] == [
        OCTOBER,
        (date(2026, 11, 1), date(2026, 11, 1)),  # the day after October, to the week's end
        (date(2026, 11, 2), date(2026, 11, 8)),
    ]
    # The 1 November kopi is counted once, in the one-day period.
    assert statement(a, date(2026, 11, 1)).gross_online == 33_333
    assert periods(c)[-1] == (date(2026, 10, 26), date(2026, 11, 30))
    books_hold()


# --- defect 8: losses in the outlet's care are compensated -------------------------------------


def test_a_loss_the_outlet_is_responsible_for_is_compensated_at_the_vendor_share(month):
    manager, a = month["manager"], month["a"]
    settle_up_to(2026, 9, manager)
    with time_machine.travel(wib("2026-10-28 10:00"), tick=False):
        # 2 sambal broken by staff: 2 x 18.500 = 37.000 at 15 % = 5.550, share 31.450.
        ops.record_write_off(
            _any_batch(month["sambal"]),
            manager,
            quantity=2,
            kind="damage_loss",
            reason="Jatuh saat menata rak",
            responsible="outlet",
        )
        # 1 kopi with a broken seal from the roaster: the vendor's, nothing owed.
        ops.record_write_off(
            _any_batch(month["kopi"]),
            manager,
            quantity=1,
            kind="damage_loss",
            reason="Segel rusak dari pabrik",
            responsible="vendor",
        )
        db.session.commit()
    service.generate_month(2026, 10, actor=manager)
    db.session.commit()
    october = statement(a)
    lines = {line.product_name: line for line in october.lines}
    sambal, kopi = lines["Sambal Roa"], lines["Kopi Robusta"]
    # Sambal: closing 9 before, minus 2 broken; adjusted −1 (20 Oct) − 2.
    assert (sambal.adjusted, sambal.closing, sambal.compensated, sambal.compensation) == (
        -3,
        7,
        2,
        31_450,
    )
    assert (kopi.adjusted, kopi.closing, kopi.compensated, kopi.compensation) == (-2, 15, 0, 0)
    assert all(line.balances for line in october.lines)
    # 190.074 + 31.450 = 221.524.
    assert (october.compensation, october.net_payable) == (31_450, 221_524)
    assert (
        dict(summary_rows(october))["Ganti rugi barang hilang atau rusak selama di gerai"] == 31_450
    )
    losses = db.session.scalars(select(StockLoss).order_by(StockLoss.id)).all()
    assert [(loss.responsible, loss.quantity, loss.compensation) for loss in losses] == [
        ("outlet", 2, 31_450),
        ("vendor", 1, 0),
    ]
    books_hold()


def test_a_count_that_finds_units_missing_needs_someone_responsible(month):
    manager, batik = month["manager"], month["batik"]
    count = opname.start_count(manager, "vendor", month["b"].id)
    db.session.commit()
    line = next(ln for ln in count.lines if ln.batch.product_id == batik.id)
    opname.record_counted(line, manager, line.expected - 2)
    db.session.commit()
    with pytest.raises(StockError, match="Sebutkan siapa yang bertanggung jawab"):
        opname.post_count(count, manager, "Opname akhir bulan")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockLoss)) == 0
    opname.post_count(count, manager, "Opname akhir bulan", "outlet")
    db.session.commit()
    loss = db.session.scalar(select(StockLoss))
    # 2 batik x 12.340 = 24.680 at 22,5 % = 5.553; the vendor's share is 19.127.
    assert (loss.responsible, loss.quantity, loss.compensation) == ("outlet", 2, 19_127)


# --- verify-books ------------------------------------------------------------------------------


def test_verify_books_passes_and_names_a_sale_hidden_in_a_closed_period(app, month):
    manager = month["manager"]
    settle_up_to(2026, 11, manager)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-books"])
    assert result.exit_code == 0, result.output
    assert "the books balance" in result.output

    # What closing early used to allow: a sale dated inside October after October closed.
    paid_order([(month["kopi"], 1)], wib("2026-10-20 10:00"))
    result = runner.invoke(args=["verify-books"])
    assert result.exit_code == 1
    assert "Kopi Cikupa" in result.output
    assert "gross_online frozen at Rp192.499, the books now say Rp225.832" in result.output
    assert "unaccounted for" in result.output


def test_the_statement_pdf_shows_advances_differences_and_compensation(month, tmp_path):
    manager, a = month["manager"], month["a"]
    settle_up_to(2026, 10, manager)
    pay(statement(a), 150_000, manager)
    db.session.commit()
    with time_machine.travel(wib("2026-11-20 10:00"), tick=False):
        ops.record_write_off(
            _any_batch(month["sambal"]),
            manager,
            quantity=1,
            kind="damage_loss",
            reason="Pecah",
            responsible="outlet",
        )
        service.generate_month(2026, 11, actor=manager)
        db.session.commit()
        service.record_advance(
            a,
            service.Advance(amount=20_000, paid_on=date(2026, 11, 20), reference="ADV-11"),
            actor=manager,
        )
        db.session.commit()
    november = statement(a, NOVEMBER[0])
    data = statement_pdf(november, outlet())
    assert data.startswith(b"%PDF")
    text_ = pdf_text(data)
    for words in ("Ganti rugi", "Panjar", "ADV-11", "Kekurangan pencairan", "Rp40.074"):
        assert words in text_, words
    if shutil.which("pdftoppm"):  # the look, for a person to check: test-artifacts/
        (tmp_path / "statement.pdf").write_bytes(data)
        out = Path("test-artifacts")
        out.mkdir(exist_ok=True)
        pdf_path, png_path = tmp_path / "statement.pdf", out / "statement-advance-compensation"
        command = ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf_path), str(png_path)]
        subprocess.run(command, check=True)
        assert (out / "statement-advance-compensation.png").stat().st_size > 10_000
