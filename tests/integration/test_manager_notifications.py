"""Manager notifications: written with the event, a badge per manager, read per person."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from storefront.auth.models import Role
from storefront.catalog import products as listings
from storefront.extensions import db
from storefront.manage.notifications import PAGES, TEXTS
from storefront.manager_inbox import ManagerNotification, NotificationKind
from storefront.settlements import services as settlements
from storefront.settlements.models import Settlement
from tests.conftest import Client
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.integration.order_helpers import order_for, stocked_product
from tests.security.account_helpers import make_vendor


def manager_browser(app, email: str) -> Client:
    UserFactory(email=email, role=Role.MANAGER.value, name=email.split("@")[0].title())
    client = Client(app.test_client())
    assert client.login(email, PASSWORD).status_code == 302
    return client


def badge(client: Client) -> str | None:
    page = client.get("/manage/").get_data(as_text=True)
    if 'data-testid="notification-count"' not in page:
        return None
    chunk = page.split('data-testid="notification-count"')[1]
    return "".join(ch for ch in chunk.split("</span>", 2)[1] if ch.isdigit())


def test_a_product_sent_for_review_notifies_every_manager_and_each_reads_it_alone(app, ctx):
    vendor, owner = make_vendor()
    product = ProductFactory(vendor=vendor, status="draft", name="Kopi Gula Aren")
    ayu, budi = manager_browser(app, "ayu@example.com"), manager_browser(app, "budi@example.com")
    assert badge(ayu) is None

    listings.submit(db.session.get(type(product), product.id), owner)
    db.session.commit()
    (notification,) = db.session.scalars(select(ManagerNotification)).all()
    assert (notification.kind, notification.subject_id) == ("product", product.id)
    assert badge(ayu) == "1" and badge(budi) == "1"
    page = ayu.get("/manage/notifications").get_data(as_text=True)
    assert "Produk perlu ditinjau: Kopi Gula Aren" in page

    opened = ayu.post_form(f"/manage/notifications/{notification.id}/open", {})
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/manage/products/{product.id}"
    assert badge(ayu) is None
    assert badge(budi) == "1"  # read marks are per person


def test_a_dispute_on_a_statement_notifies_and_mark_all_read_clears_the_badge(app, ctx):
    vendor, owner = make_vendor(name="Dapur Bu Sari")
    statement = Settlement(
        vendor_id=vendor.id, period_start=date(2026, 11, 1), period_end=date(2026, 11, 30)
    )
    db.session.add(statement)
    db.session.commit()
    ayu = manager_browser(app, "ayu@example.com")
    settlements.add_comment(statement, "Kenapa komisinya 25%?", "comment", author=owner)
    db.session.commit()
    assert badge(ayu) is None  # a question is not a dispute
    settlements.add_comment(statement, "Jumlahnya salah.", "dispute", author=owner)
    db.session.commit()
    assert badge(ayu) == "1"
    assert "Sanggahan atas rekap: Dapur Bu Sari" in ayu.get("/manage/notifications").get_data(
        as_text=True
    )
    assert ayu.post_form("/manage/notifications/read", {}).status_code == 302
    assert badge(ayu) is None


def test_notification_kinds_each_lead_to_their_page(app, ctx):
    assert set(PAGES) == set(TEXTS) == set(NotificationKind)


def test_cashiers_and_vendors_see_no_notifications(app, ctx):
    UserFactory(email="kasir@example.com", role=Role.CASHIER.value)
    client = Client(app.test_client())
    client.login("kasir@example.com", PASSWORD)
    assert client.get("/manage/notifications").status_code == 403
    assert client.post_form("/manage/notifications/read", {}).status_code == 403


def test_an_order_paid_at_the_outlet_is_to_prepare_at_once(app, ctx):
    ayu = manager_browser(app, "ayu@example.com")
    product, _batch = stocked_product()
    order = order_for({product: 1})
    assert badge(ayu) == "1"
    page = ayu.get("/manage/notifications").get_data(as_text=True)
    assert f"Pesanan perlu disiapkan: {order.number}" in page
