"""The price of a batch on the shelf: a vendor's price change takes effect from a date (the labels
are reprinted first, the till charges the label's price until then), and near-expiry markdowns
charge less for one batch, recorded per sale line with who bore the discount."""

from __future__ import annotations

import re
import zlib
from datetime import datetime, time, timedelta

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.auth.models import Role
from storefront.catalog import products as listings
from storefront.catalog.models import PriceChange, Product
from storefront.clock import shop_zone, start_of_day, today_wib
from storefront.database import unit_of_work
from storefront.extensions import db
from storefront.manager_inbox import ManagerNotification
from storefront.money import commission_split
from storefront.orders.models import OrderLine
from storefront.pos import selling, services
from storefront.pos.models import CounterSaleLine
from storefront.pos.selling import PaymentInput, RunningSale
from storefront.settings.services import save_settings
from storefront.settlements import figures
from storefront.settlements import services as settlements
from storefront.settlements.documents import statement_pdf
from storefront.settlements.models import Settlement
from storefront.stock import markdowns
from storefront.stock.markdowns import MarkdownError, MarkdownTerms
from storefront.stock.models import Markdown
from tests.conftest import Client, act
from tests.factories import PASSWORD, CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.integration.order_helpers import order_for
from tests.stock_helpers import receive


@pytest.fixture
def shop(ctx):
    """Keripik at Rp12.500 (20 % commission) with a batch near expiry and a later one."""
    vendor = VendorFactory(name="Dapur Nyai Cikupa", commission_bp=2000)
    keripik = ProductFactory(
        vendor=vendor, category=CategoryFactory(), name="Keripik Singkong", price=12_500
    )
    cashier = UserFactory(email="kasir@example.com", name="Kasir", role=Role.CASHIER.value)
    manager = UserFactory(email="manajer@example.com", name="Bu Rina", role=Role.MANAGER.value)
    owner = UserFactory(email="nyai@example.com", name="Nyai", role=Role.VENDOR.value)
    late = receive(keripik, 10, expires_on=today_wib() + timedelta(days=90), actor=manager)
    early = receive(
        keripik, 4, expires_on=today_wib() + timedelta(days=10), code="B-EARLY", actor=manager
    )
    db.session.commit()
    return {
        "vendor": vendor,
        "keripik": keripik,
        "early": early,
        "late": late,
        "cashier": cashier,
        "manager": manager,
        "owner": owner,
    }


def ring(shop, quantity: int, cash: int = 1_000_000):
    with unit_of_work():
        shift = services.open_shift_of(shop["cashier"].id) or services.open_shift(
            shop["cashier"], 0
        )
        sale = RunningSale()
        selling.add(sale, shop["keripik"].id, quantity)
        return selling.ring_up(shift, shop["cashier"], sale, PaymentInput(cash_tendered=cash))


def sold_lines(sale) -> list[tuple[int, int, int, int]]:
    """(quantity, unit price, discount, vendor's part) of a counter sale, by price."""
    lines = db.session.scalars(
        select(CounterSaleLine).where(CounterSaleLine.sale_id == sale.id)
    ).all()
    return sorted((ln.quantity, ln.unit_price, ln.discount, ln.vendor_discount) for ln in lines)


def english(message) -> str:
    """A refusal's message as the English catalogue words it (the shop speaks Indonesian)."""
    with force_locale("en"):
        return str(message)


def login(app, email: str) -> Client:
    client = Client(app.test_client())
    assert client.login(email, PASSWORD).status_code == 302
    return client


def tomorrow_morning():
    """06:00 WIB tomorrow: the day a next-day price change takes effect."""
    day = today_wib() + timedelta(days=1)
    return datetime.combine(day, time(6), tzinfo=shop_zone())


# --- a price change takes effect from its date ------------------------------------------------


def test_a_price_change_waits_for_its_date_and_the_till_charges_the_label_until_then(shop):
    keripik = shop["keripik"]
    tomorrow = today_wib() + timedelta(days=1)
    act(listings.change_price, keripik, shop["owner"], 15_000, tomorrow)
    db.session.expire_all()
    keripik = db.session.get(Product, keripik.id)
    assert (keripik.price, keripik.next_price, keripik.next_price_from) == (
        12_500,
        15_000,
        tomorrow,
    )
    assert keripik.current_price == 12_500
    # Today the shelf's labels (Rp12.500) are what the till charges, for old and new stock.
    assert sold_lines(ring(shop, 1)) == [(1, 12_500, 0, 0)]

    with time_machine.travel(tomorrow_morning(), tick=False):
        db.session.expire_all()
        assert db.session.get(Product, keripik.id).current_price == 15_000
        assert sold_lines(ring(shop, 1)) == [(1, 15_000, 0, 0)]
        order = order_for({keripik: 1})
        assert [line.unit_price for line in order.lines] == [15_000]


def test_a_price_change_dated_in_the_past_or_too_soon_is_refused_and_changes_nothing(shop):
    keripik = shop["keripik"]
    today = today_wib()
    for when, words in (
        (today - timedelta(days=1), "cannot be dated in the past"),
        (today, "at the earliest"),
        (None, "Choose the date"),
    ):
        with pytest.raises(listings.ListingError) as refused:
            act(listings.change_price, keripik, shop["owner"], 15_000, when)
        assert words in english(refused.value.message)
        assert refused.value.field == "price_from"
        db.session.expire_all()
        keripik = db.session.get(Product, keripik.id)
        assert (keripik.price, keripik.next_price) == (12_500, None)
    count = db.session.scalar(
        select(func.count()).select_from(PriceChange).where(PriceChange.product_id == keripik.id)
    )
    assert count == 0


def test_the_notice_is_a_setting(shop, app):
    act(save_settings, shop["manager"], {"price_change_notice_days": "3"})
    with pytest.raises(listings.ListingError):
        act(
            listings.change_price,
            shop["keripik"],
            shop["owner"],
            15_000,
            today_wib() + timedelta(days=2),
        )
    act(listings.change_price, shop["keripik"], shop["owner"], 15_000, today_wib() + timedelta(3))


def test_managers_see_the_change_with_the_batches_to_relabel_and_print_the_labels(shop, app):
    tomorrow = today_wib() + timedelta(days=1)
    change = act(listings.change_price, shop["keripik"], shop["owner"], 15_000, tomorrow)
    (notice,) = db.session.scalars(
        select(ManagerNotification).where(ManagerNotification.kind == "price_change")
    ).all()
    assert "Rp12.500 → Rp15.000" in notice.label
    client = login(app, "manajer@example.com")
    assert "label harus dicetak ulang" in client.get("/manage/notifications").get_data(as_text=True)
    page = client.get("/manage/stock/price-changes").get_data(as_text=True)
    assert "Keripik Singkong" in page and "Rp15.000" in page
    assert "B-EARLY" in page  # on the shelf, received before the change: label to reprint
    labels = client.get(f"/manage/stock/price-changes/{change.id}/labels.pdf")
    assert labels.status_code == 200 and labels.mimetype == "application/pdf"
    assert "no-store" in labels.headers["Cache-Control"]
    # A change replaced by a later one is not listed, and its labels are not printed.
    later = act(listings.change_price, shop["keripik"], shop["owner"], 16_000, tomorrow)
    assert client.get(f"/manage/stock/price-changes/{change.id}/labels.pdf").status_code == 404
    assert client.get(f"/manage/stock/price-changes/{later.id}/labels.pdf").status_code == 200


def test_the_shop_lists_sorts_and_filters_by_the_price_in_effect(shop, app, client):
    act(listings.change_price, shop["keripik"], shop["owner"], 30_000, today_wib() + timedelta(1))
    page = client.get("/search?min=20000").get_data(as_text=True)
    assert "Keripik Singkong" not in page
    with time_machine.travel(tomorrow_morning(), tick=False):
        page = client.get("/search?min=20000").get_data(as_text=True)
        assert "Keripik Singkong" in page and "Rp30.000" in page


# --- near-expiry markdowns ---------------------------------------------------------------------


def terms(**overrides) -> MarkdownTerms:
    values = {
        "percent_bp": 3000,
        "bearer": "vendor",
        "agreed_by": "Bu Nyai",
        "agreed_at": datetime.now(shop_zone()) - timedelta(hours=1),
        "agreed_via": "whatsapp",
    }
    values.update(overrides)
    return MarkdownTerms(**values)


def mark(shop, batch=None, **overrides) -> Markdown:
    return act(markdowns.mark_down, batch or shop["early"], shop["manager"], terms(**overrides))


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"percent_bp": 10_000}, "below 100 percent"),
        ({"percent_bp": 15_000}, "below 100 percent"),
        ({"percent_bp": 0}, "as a percentage"),
        ({"percent_bp": None}, "as a percentage"),
        ({"agreed_by": "  "}, "Record the vendor's agreement"),
        ({"agreed_at": None}, "Record the vendor's agreement"),
        ({"agreed_via": ""}, "how the vendor agreed"),
        ({"agreed_at": "tomorrow"}, "in the future"),
        ({"bearer": "split", "vendor_part_bp": None}, "For a split"),
        ({"bearer": "split", "vendor_part_bp": 10_000}, "For a split"),
        ({"bearer": "nobody"}, "who bears"),
    ],
)
def test_a_bad_markdown_is_refused_with_a_message_and_changes_nothing(shop, overrides, words):
    if overrides.get("agreed_at") == "tomorrow":
        overrides = {"agreed_at": datetime.now(shop_zone()) + timedelta(days=1)}
    with pytest.raises(MarkdownError) as refused:
        mark(shop, **overrides)
    assert words in english(refused.value.message)
    assert db.session.scalar(select(func.count()).select_from(Markdown)) == 0
    assert not db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "markdown.create")
    ).all()


def test_a_batch_not_near_expiry_cannot_be_marked_down(shop):
    with pytest.raises(MarkdownError) as refused:
        mark(shop, batch=shop["late"])
    assert "expires within 30 days" in english(refused.value.message)
    assert db.session.scalar(select(func.count()).select_from(Markdown)) == 0


def test_the_counter_charges_the_markdown_for_that_batch_only_and_the_vendor_bears_it(shop):
    mark(shop)  # 30 % off the 4 units expiring in 10 days, borne by the vendor
    # FEFO takes the marked-down batch first; the fifth unit comes from the later batch.
    sale = ring(shop, 5)
    assert sold_lines(sale) == [(1, 12_500, 0, 0), (4, 8_750, 15_000, 15_000)]
    assert sale.total == 4 * 8_750 + 12_500
    line = next(ln for ln in sale.lines if ln.discount)
    # The vendor's share is computed on the reduced price.
    assert (line.commission, line.vendor_share) == commission_split(35_000, 2000)
    assert line.list_price == 12_500


def test_when_the_outlet_bears_it_the_vendor_is_paid_as_if_undiscounted(shop):
    mark(shop, bearer="outlet")
    line = next(ln for ln in ring(shop, 2).lines if ln.discount)
    assert (line.gross, line.discount, line.vendor_discount) == (17_500, 7_500, 0)
    assert line.vendor_share == commission_split(25_000, 2000)[1] == 20_000
    assert line.commission == 17_500 - 20_000  # the outlet's commission absorbs it, and more


def test_a_split_shares_the_discount(shop):
    mark(shop, bearer="split", vendor_part_bp=5000)
    line = next(ln for ln in ring(shop, 2).lines if ln.discount)
    assert (line.discount, line.vendor_discount) == (7_500, 3_750)
    assert line.vendor_share == commission_split(17_500 + 3_750, 2000)[1]
    assert line.commission + line.vendor_share == line.gross


def test_an_online_order_takes_the_marked_down_batch_first_at_its_price(shop):
    mark(shop)
    order = order_for({shop["keripik"]: 6})
    assert sorted((ln.quantity, ln.unit_price, ln.discount) for ln in order.lines) == [
        (2, 12_500, 0),
        (4, 8_750, 15_000),
    ]
    assert order.subtotal == 4 * 8_750 + 2 * 12_500


def test_a_new_markdown_replaces_the_last_and_an_ended_one_charges_the_list_price(shop):
    first = mark(shop)
    second = mark(shop, percent_bp=5000)
    db.session.expire_all()
    assert db.session.get(Markdown, first.id).ended_at is not None
    assert sold_lines(ring(shop, 1)) == [(1, 6_250, 6_250, 6_250)]
    act(markdowns.end_markdown, db.session.get(Markdown, second.id), shop["manager"])
    assert sold_lines(ring(shop, 1)) == [(1, 12_500, 0, 0)]
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("markdown.%"))
    ).all()
    assert sorted(actions) == ["markdown.create", "markdown.create", "markdown.end"]


def test_the_statement_figure_shows_the_discount_and_who_bore_it(shop):
    mark(shop, bearer="split", vendor_part_bp=2500)
    ring(shop, 2)
    order_for({shop["keripik"]: 1})  # placed, not paid: not yet sold
    today = today_wib()
    (figure,) = figures.markdowns(shop["vendor"].id, today, today)
    assert (figure.quantity, figure.discount, figure.vendor_part, figure.outlet_part) == (
        2,
        7_500,
        1_875,
        5_625,
    )
    online = db.session.scalars(select(OrderLine)).all()
    assert all(line.sold_at is None for line in online)


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


def test_the_statement_pdf_shows_the_markdowns_and_who_bore_them(shop):
    mark(shop, bearer="split", vendor_part_bp=2500)
    ring(shop, 2)
    today = today_wib()
    [statement] = act(settlements.generate, [shop["vendor"]], today.replace(day=1), today)
    with force_locale("en"):
        text = pdf_text(statement_pdf(db.session.get(Settlement, statement.id), {}))
    assert "Near-expiry markdowns" in text
    row = text.split("Borne by the outlet", 1)[1]
    # Keripik Singkong: 2 units sold for Rp7.500 less, Rp1.875 borne by the vendor, Rp5.625 by
    # the outlet.
    assert "Keripik Singkong" in row
    assert all(figure in row for figure in (" 2 ", "Rp7.500", "Rp1.875", "Rp5.625")), row


def test_the_manager_marks_down_from_the_expiry_list_and_bad_input_shows_on_the_form(shop, app):
    client = login(app, "manajer@example.com")
    batch = shop["early"]
    assert f"/manage/stock/batches/{batch.id}/markdown" in client.get(
        "/manage/stock/expiry"
    ).get_data(as_text=True)
    path = f"/manage/stock/batches/{batch.id}/markdown"
    form = {
        "percent": "120",
        "bearer": "vendor",
        "agreed_by": "Bu Nyai",
        "agreed_at": datetime.now(shop_zone()).strftime("%Y-%m-%dT%H:%M"),
        "agreed_via": "phone",
    }
    refused = client.post_form(path, form)
    assert refused.status_code == 400
    assert "antara 0 dan 100" in refused.get_data(as_text=True)
    refused = client.post_form(path, {**form, "percent": "30", "agreed_by": ""})
    assert refused.status_code == 400
    assert "Catat persetujuan mitra" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Markdown)) == 0
    assert client.post_form(path, {**form, "percent": "30"}).status_code == 302
    db.session.expire_all()
    (markdown,) = db.session.scalars(select(Markdown)).all()
    assert (markdown.percent_bp, markdown.agreed_via, markdown.agreed_by) == (
        3000,
        "phone",
        "Bu Nyai",
    )


def test_the_shop_cart_and_till_show_the_list_price_struck_through(shop, app, client):
    mark(shop)
    keripik = shop["keripik"]
    page = client.get(f"/product/{keripik.slug}").get_data(as_text=True)
    assert 'data-testid="markdown-offer"' in page and "Rp8.750" in page and "<s>" in page
    client.post_form("/cart/add", {"product_id": str(keripik.id), "quantity": "5"})
    cart = client.get("/cart").get_data(as_text=True)
    assert 'data-testid="cart-markdown"' in cart
    assert "Rp47.500" in cart  # 4 × Rp8.750 + Rp12.500
    till = login(app, "kasir@example.com")
    till.post_form("/counter/shift/open", {"opening_float": "0"})
    till.post_form("/counter/scan", {"code": f"2*{keripik.code}"})
    counter = till.get("/counter/").get_data(as_text=True)
    assert 'data-testid="pos-markdown"' in counter and "Rp17.500" in counter


def card_of(page: str, name: str) -> str:
    """The product card of `name` on a listing page."""
    cards = page.split('<article class="product-card">')[1:]
    return next(card.split("</article>")[0] for card in cards if name in card)


def test_cards_show_the_marked_down_price_when_the_next_unit_sold_is_marked_down(shop, app, client):
    keripik, vendor = shop["keripik"], shop["vendor"]
    other = ProductFactory(vendor=vendor, category=keripik.category, name="Kerupuk Udang")
    receive(other, 5, expires_on=today_wib() + timedelta(days=90))
    db.session.commit()
    pages = ["/search?q=keripik", f"/vendors/{vendor.slug}", "/", f"/product/{other.slug}"]
    for url in pages:
        card = card_of(client.get(url).get_data(as_text=True), "Keripik Singkong")
        assert "<s>" not in card and "Rp12.500" in card

    mark(shop)  # 30 % off the batch FEFO sells first
    for url in pages:
        card = card_of(client.get(url).get_data(as_text=True), "Keripik Singkong")
        assert 'data-testid="card-markdown"' in card, url
        assert "<s>" in card and "Rp12.500" in card and "Rp8.750" in card
    maker_page = client.get(f"/vendors/{vendor.slug}").get_data(as_text=True)
    assert "<s>" not in card_of(maker_page, "Kerupuk Udang")  # only the marked-down product

    # A batch expiring sooner, not marked down, is sold first: the card shows the list price.
    receive(keripik, 2, expires_on=today_wib() + timedelta(days=5), code="B-SOONER")
    db.session.commit()
    card = card_of(client.get("/search?q=keripik").get_data(as_text=True), "Keripik Singkong")
    assert "<s>" not in card and "Rp8.750" not in card


def test_the_product_page_cache_shows_the_new_price_on_its_date(shop, app, client):
    app.config["CATALOG_CACHE_SECONDS"] = 60
    keripik = shop["keripik"]
    act(listings.change_price, keripik, shop["owner"], 15_000, today_wib() + timedelta(days=1))
    path = f"/product/{keripik.slug}"
    assert "Rp12.500" in client.get(path).get_data(as_text=True)
    assert client.get(path).headers.get("X-Page-Cache") == "hit"
    with time_machine.travel(tomorrow_morning(), tick=False):
        page = client.get(path)
        assert page.headers.get("X-Page-Cache") != "hit"
        assert "Rp15.000" in page.get_data(as_text=True)
    assert start_of_day(today_wib())  # the key is the WIB date (shop/page_cache.py)


def test_a_refund_of_an_outlet_borne_markdown_gives_back_the_lines_own_commission(shop):
    """The outlet absorbed more than its commission (the line's commission is negative): a
    refund gives back that negative commission in proportion, the vendor returns exactly what
    the line paid them, and the books still add up."""
    from storefront.orders import fulfilment, refunds
    from storefront.orders.models import PaidWith, RefundLine
    from storefront.settlements.books import verify_books

    mark(shop, bearer="outlet", percent_bp=7500)
    order = order_for({shop["keripik"]: 3})
    act(fulfilment.take_payment, order, fulfilment.Payment(PaidWith.CASH), actor=shop["manager"])
    [line] = [ln for ln in order.lines if ln.discount]
    assert line.commission < 0
    for key in ("r1", "r2", "r3"):
        act(
            refunds.refund,
            order,
            method="cash",
            reason="Rusak",
            actor=shop["manager"],
            idempotency_key=key,
            lines={line.id: 1},
        )
    given_back = db.session.scalars(
        select(RefundLine.commission).where(RefundLine.order_line_id == line.id)
    ).all()
    assert sum(given_back) == line.commission
    assert all(books.difference == 0 and not books.problems for books in verify_books())
