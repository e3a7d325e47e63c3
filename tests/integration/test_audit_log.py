"""The audit log browser: filters by person, action, object and date; before and after; a
link from each entry to its object; for administrators only."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import time_machine

from storefront import audit
from storefront.auth.models import Role
from storefront.clock import today_wib
from storefront.database import utcnow
from storefront.extensions import db
from tests.conftest import Client
from tests.factories import PASSWORD, ProductFactory, UserFactory, VendorFactory


@pytest.fixture
def admin_browser(app, ctx) -> Client:
    UserFactory(email="admin@example.com", name="Ayu Admin", role=Role.ADMIN.value)
    client = Client(app.test_client())
    assert client.login("admin@example.com", PASSWORD).status_code == 302
    return client


@pytest.fixture
def entries(ctx):
    rina = UserFactory(email="rina@example.com", name="Rina Pengelola", role=Role.MANAGER.value)
    budi = UserFactory(email="budi@example.com", name="Budi Kasir", role=Role.CASHIER.value)
    vendor = VendorFactory(name="Dapur Nyai")
    product = ProductFactory(name="Sambal Roa")
    with time_machine.travel(utcnow() - timedelta(days=10)):
        audit.record(
            rina,
            "vendor.approve",
            vendor,
            before={"status": "submitted"},
            after={"status": "approved"},
        )
        db.session.flush()  # its time is taken when it is written
    audit.record(rina, "product.approve", product, after={"status": "approved"})
    audit.record(budi, "shift.open", budi, after={"opening_float": 200000})
    db.session.commit()
    return rina, budi, vendor, product


def entry_blocks(page: str) -> list[str]:
    return page.split('<li class="audit-entry">')[1:]


def test_every_entry_shows_who_what_and_links_to_its_object(admin_browser, entries):
    _rina, _budi, vendor, product = entries
    page = admin_browser.get("/admin/audit").get_data(as_text=True)
    blocks = entry_blocks(page)
    assert len(blocks) == 3
    newest_first = [b for b in blocks if "Produk disetujui" in b]
    assert newest_first and blocks.index(newest_first[0]) < len(blocks) - 1
    assert f'href="/manage/products/{product.id}"' in page
    assert f'href="/manage/vendors/{vendor.id}"' in page
    assert 'status: "submitted" → "approved"' in html.unescape(page)


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("person=rina", ["Mitra disetujui", "Produk disetujui"], ["Shift dibuka"]),
        ("person=BUDI@EXAMPLE", ["Shift dibuka"], ["Produk disetujui"]),
        ("action=vendor.approve", ["Mitra disetujui"], ["Produk disetujui", "Shift dibuka"]),
        ("subject=Product", ["Produk disetujui"], ["Mitra disetujui"]),
    ],
)
def test_filters(admin_browser, entries, query, shown, hidden):
    page = admin_browser.get(f"/admin/audit?{query}").get_data(as_text=True)
    blocks = "".join(entry_blocks(page))
    for text in shown:
        assert text in blocks
    for text in hidden:
        assert text not in blocks


def test_filter_by_date_and_by_one_object(admin_browser, entries):
    _rina, _budi, vendor, _product = entries
    today = today_wib()
    page = admin_browser.get(f"/admin/audit?start={today.isoformat()}&end={today.isoformat()}")
    blocks = "".join(entry_blocks(page.get_data(as_text=True)))
    assert "Produk disetujui" in blocks and "Mitra disetujui" not in blocks
    page = admin_browser.get(f"/admin/audit?subject=Vendor&subject_id={vendor.id}")
    assert len(entry_blocks(page.get_data(as_text=True))) == 1
    # Nonsense in the filters is ignored, not an error.
    assert admin_browser.get("/admin/audit?start=kemarin&subject_id=x").status_code == 200


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CASHIER, Role.VENDOR, Role.SHOPPER])
def test_only_admins_read_the_audit_log(app, ctx, role):
    UserFactory(email="someone@example.com", role=role.value)
    client = Client(app.test_client())
    client.login("someone@example.com", PASSWORD)
    assert client.get("/admin/audit").status_code == 403
