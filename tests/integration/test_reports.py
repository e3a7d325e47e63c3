"""The manager dashboard and the reports on the demo after a day of trade: figures that agree
with the sale lines, charts without script, CSV and XLSX files with numbers as numbers, and
ranges that are refused with a reason."""

from __future__ import annotations

import base64
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import func, select

from storefront.clock import today_wib, utc_bounds
from storefront.demo import DEMO_PASSWORD
from storefront.extensions import db
from storefront.money import format_rupiah
from storefront.orders import fulfilment
from storefront.orders.models import OrderLine, PaidWith, Refund
from storefront.pos.models import CounterPayment, CounterSale, CounterSaleLine
from storefront.reports.tables import KINDS
from storefront.vendors.models import Vendor
from tests.conftest import Client, act
from tests.factories import PASSWORD
from tests.integration.order_helpers import manager as manager_account
from tests.integration.order_helpers import order_for, stocked_product

ALL_KINDS = sorted(KINDS)


@pytest.fixture(scope="module")
def shop(busy_shop):
    return busy_shop


def signed_in(app, email: str) -> Client:
    client = Client(app.test_client())
    assert client.login(email, DEMO_PASSWORD).status_code == 302
    return client


@pytest.fixture(scope="module")
def manager(shop):
    return signed_in(shop[0], "manajer@example.com")


def today(app):
    with app.app_context():
        return today_wib()


def todays_sales(app) -> tuple[int, int]:
    """(online, counter) gross of today, straight from the sale lines."""
    with app.app_context():
        start, end = utc_bounds(today_wib(), today_wib())
        online = db.session.scalar(
            select(func.coalesce(func.sum(OrderLine.gross), 0)).where(
                OrderLine.sold_at >= start, OrderLine.sold_at < end
            )
        )
        counter = db.session.scalar(
            select(func.coalesce(func.sum(CounterSaleLine.gross), 0))
            .join(CounterSale)
            .where(
                CounterSaleLine.sold_at >= start,
                CounterSaleLine.sold_at < end,
                CounterSale.status == "completed",
            )
        )
        return int(online), int(counter)


def test_the_dashboard_shows_todays_sales_per_channel_as_the_sale_lines_say(shop, manager):
    app, _demo = shop
    online, counter = todays_sales(app)
    assert online > 0 and counter > 0  # the busy demo sold on both channels today
    page = manager.get("/manage/").get_data(as_text=True)
    table = page.split('data-testid="sales-by-channel"')[1].split("</table>")[0]
    assert format_rupiah(online) in table
    assert format_rupiah(counter) in table
    assert format_rupiah(online + counter) in table
    # Work waiting for a manager.
    assert "pesanan perlu disiapkan" in page
    assert "lamaran menunggu ditinjau" in page


def test_dashboard_charts_are_svg_images_without_script_with_the_numbers_beside(shop, manager):
    page = manager.get("/manage/").get_data(as_text=True)
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', page)
    assert len(images) == 2
    for encoded, alt in images:
        svg = base64.b64decode(encoded).decode("utf-8")
        assert svg.startswith("<svg") and "<script" not in svg
        assert alt.strip()
    assert page.count('<details class="chart-numbers">') == 2
    # Nothing inline the page's Content-Security-Policy would refuse.
    assert "<style" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_report_renders_and_downloads(shop, manager, kind):
    response = manager.get(f"/manage/reports/{kind}")
    assert response.status_code == 200
    assert "Unduh Excel (XLSX)" in response.get_data(as_text=True)
    csv_file = manager.get(f"/manage/reports/{kind}.csv")
    assert csv_file.status_code == 200
    assert csv_file.mimetype == "text/csv"
    header = next(csv.reader(io.StringIO(csv_file.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(header) >= 2
    xlsx = manager.get(f"/manage/reports/{kind}.xlsx")
    assert xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(xlsx.get_data()))
    assert workbook.sheetnames[-1] == "Info"


def test_xlsx_keeps_rupiah_as_numbers_with_a_rupiah_format(shop, manager):
    online, counter = todays_sales(shop[0])
    day = today(shop[0]).isoformat()
    response = manager.get(f"/manage/reports/sales.xlsx?by=channel&start={day}&end={day}")
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=False))
    headers = [c.value for c in rows[0]]
    gross = headers.index("Penjualan bruto")
    body = {r[0].value: r[gross] for r in rows[1:]}
    assert body["Online"].value == online and isinstance(body["Online"].value, int)
    assert body["Kasir"].value == counter
    assert "Rp" in body["Online"].number_format
    assert body["Total"].value == online + counter


def test_sales_by_vendor_in_csv_adds_up_to_the_total_row(shop, manager):
    response = manager.get("/manage/reports/sales.csv?by=vendor")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body, total = rows[0], rows[1:-1], rows[-1]
    gross = header.index("Penjualan bruto")
    assert total[0] == "Total"
    assert sum(int(r[gross]) for r in body) == int(total[gross]) > 0


def test_a_name_that_looks_like_a_formula_stays_text_in_xlsx(shop, manager):
    app, demo = shop
    with app.app_context():
        vendor = db.session.get(Vendor, demo.vendor_id)
        real_name, vendor.name = vendor.name, '=HYPERLINK("https://evil.example","x")'
        db.session.commit()
    try:
        response = manager.get("/manage/reports/sales.xlsx?by=vendor")
        sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
        cells = [row[0] for row in sheet.iter_rows(min_row=2)]
        evil = [c for c in cells if str(c.value).startswith("=HYPERLINK")]
        assert evil and all(c.data_type == "s" for c in evil)
    finally:
        with app.app_context():
            db.session.get(Vendor, demo.vendor_id).name = real_name
            db.session.commit()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (1, -1, "Tanggal akhir sebelum tanggal mulai."),
        (-3 * 366 - 2, 0, "Laporan paling panjang 3 tahun."),
        ("kemarin", 0, "Isi tanggal"),
    ],
)
def test_a_bad_range_is_refused_with_the_reason(shop, manager, start, end, message):
    now = today(shop[0])

    def day(offset):
        return offset if isinstance(offset, str) else (now + timedelta(days=offset)).isoformat()

    query = f"start={day(start)}&end={day(end)}"
    page = manager.get(f"/manage/reports/sales?{query}")
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    for fmt in ("csv", "xlsx"):
        response = manager.get(f"/manage/reports/sales.{fmt}?{query}")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "email", ["kasir@example.com", "pembeli@example.com", "nyai.cikupa@example.com"]
)
def test_only_managers_read_the_reports(shop, email):
    client = signed_in(shop[0], email)
    assert client.get("/manage/reports/sales").status_code == 403
    assert client.get("/manage/reports/takings.xlsx").status_code == 403


def test_the_setoran_says_how_much_cash_goes_to_the_bank(shop, manager):
    app, _demo = shop
    iso = today(app).isoformat()
    response = manager.get(f"/manage/reports/takings.csv?start={iso}&end={iso}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, day = rows[0], rows[1]
    cash, refunded, deposit = (
        header.index("Tunai"),
        header.index("Tunai dikembalikan"),
        header.index("Tunai disetor"),
    )
    with app.app_context():
        counter_cash = db.session.scalar(
            select(func.sum(CounterPayment.amount))
            .join(CounterSale)
            .where(CounterSale.status == "completed", CounterPayment.method == "cash")
        )
        cash_refunds = db.session.scalar(
            select(func.sum(Refund.amount)).where(Refund.method == "cash")
        )
    assert int(day[refunded]) == cash_refunds
    assert int(day[cash]) >= counter_cash
    assert int(day[deposit]) == int(day[cash]) - cash_refunds


@pytest.fixture
def app_config():
    # The dashboard as production runs it: the days before today kept, today read live.
    return {"REPORT_CACHE_SECONDS": 600}


def test_the_kept_days_and_todays_sales_add_up_on_the_dashboard(app, ctx):
    product, _batch = stocked_product(price=25_000)
    staff = manager_account(email="bu.rina@example.com")
    with time_machine.travel(datetime.now(UTC) - timedelta(days=2)):
        act(
            fulfilment.take_payment,
            order_for({product: 1}),
            fulfilment.Payment(PaidWith.CASH),
            actor=staff,
        )
    browser = Client(app.test_client())
    assert browser.login("bu.rina@example.com", PASSWORD).status_code == 302

    def channel_table():
        page = browser.get("/manage/").get_data(as_text=True)
        return page.split('data-testid="sales-by-channel"')[1].split("</table>")[0]

    first = channel_table()
    assert first.count(format_rupiah(25_000)) >= 2  # 7 and 30 days
    act(
        fulfilment.take_payment,
        order_for({product: 2}),
        fulfilment.Payment(PaidWith.CASH),
        actor=staff,
    )
    second = channel_table()  # the kept days are not read again; today's sale shows at once
    assert format_rupiah(50_000) in second  # today
    assert format_rupiah(75_000) in second  # 7 and 30 days: kept + today
