"""Vendors list products; managers review them; only permitted goods are ever shown."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from storefront.catalog.models import PriceChange, Product, ProductPhoto, ProductStatus
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.vendors.models import VendorMember
from tests.conftest import Client
from tests.factories import PASSWORD, CategoryFactory, UserFactory, VendorFactory
from tests.integration.onboarding_helpers import manager, png_bytes

HALAL = "ID36110000123450925"
# Tests must keep passing as the calendar moves: permits expire relative to this year.
NEXT_YEAR = date.today().year + 1  # noqa: DTZ011 (a calendar year is enough here)


def pirt(expiry_year: int) -> str:
    return f"P-IRT No. 2093603010123-{expiry_year % 100:02d}"


PIRT_NEXT_YEAR = pirt(NEXT_YEAR)


@pytest.fixture
def food(ctx):
    return CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman", is_food=True)


@pytest.fixture
def crafts(ctx):
    return CategoryFactory(slug="kerajinan", name="Kerajinan", is_food=False)


def vendor_client(app, slug="dapur-nyai", email="nyai@example.com"):
    vendor = VendorFactory(slug=slug, name=slug.replace("-", " ").title())
    user = UserFactory(email=email, role="vendor")
    db.session.add(VendorMember(vendor_id=vendor.id, user_id=user.id, role="owner"))
    db.session.commit()
    client = Client(app.test_client())
    assert client.login(email, PASSWORD).status_code == 302
    return client, vendor


def new_product(client, category, **overrides):
    data = {
        "name": "Keripik Singkong Balado",
        "category_id": str(category.id),
        "description": "Renyah dan pedas manis.",
        "price": "Rp18.000",
        "unit": "bungkus",
        "net_content": "250 g",
        "ingredients": "Singkong, cabai, gula, garam",
        "allergens": "",
        "storage": "Simpan di tempat kering",
        "shelf_life_days": "90",
    }
    data.update(overrides)
    response = client.post_form("/vendor/products/new", data)
    db.session.rollback()
    return response, db.session.scalar(select(Product).order_by(Product.id.desc()))


def add_permit(client, product, kind, number, **extra):
    if kind == "pirt" and "expires_on" not in extra and number[-2:].isdigit():
        # The "berlaku sampai" printed on the SPP-IRT; its year is the number's last two digits.
        extra["expires_on"] = f"20{number[-2:]}-12-31"
    data = {"kind": kind, "number": number, **extra}
    response = client.post_form(f"/vendor/products/{product.id}/permits", data)
    db.session.rollback()
    return response


def listed(client, product) -> bool:
    """Whether shoppers see it: asked as a visitor, since its own vendor may preview it."""
    visitor = client.raw.application.test_client()
    return visitor.get(f"/product/{product.slug}").status_code == 200


def test_food_product_needs_permits_before_review(app, ctx, food):
    client, _vendor = vendor_client(app)
    response, product = new_product(client, food)
    assert response.status_code == 302
    assert product.price == 18000
    assert product.status == ProductStatus.DRAFT

    page = client.post_form(f"/vendor/products/{product.id}/submit", follow_redirects=True)
    assert "P-IRT atau BPOM" in page.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Product, product.id).status == ProductStatus.DRAFT

    assert add_permit(client, product, "pirt", PIRT_NEXT_YEAR).status_code == 302
    # Still no halal certificate and no non-halal declaration: refused.
    client.post_form(f"/vendor/products/{product.id}/submit")
    db.session.rollback()
    assert db.session.get(Product, product.id).status == ProductStatus.DRAFT

    assert add_permit(client, product, "halal", HALAL).status_code == 302
    assert client.post_form(f"/vendor/products/{product.id}/submit").status_code == 302
    db.session.rollback()
    product = db.session.get(Product, product.id)
    assert product.status == ProductStatus.SUBMITTED
    assert product.permits_valid_until == date(NEXT_YEAR, 12, 31)


def test_non_halal_declaration_is_an_alternative_and_is_shown(app, ctx, food):
    client, _vendor = vendor_client(app)
    _response, product = new_product(
        client, food, name="Sate Babi Manis", non_halal="y", non_halal_ingredient="daging babi"
    )
    add_permit(client, product, "pirt", PIRT_NEXT_YEAR)
    assert client.post_form(f"/vendor/products/{product.id}/submit").status_code == 302
    manager(app).post_form(f"/manage/products/{product.id}/approve")
    page = client.get(f"/product/{db.session.get(Product, product.id).slug}").get_data(as_text=True)
    assert "Tidak halal: daging babi" in page


def test_kh_number_is_refused_as_halal_certificate(app, ctx, food):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, food)
    response = add_permit(client, product, "halal", "KH.36.2026.000123")
    assert response.status_code == 400
    assert "ketetapan halal" in response.get_data(as_text=True)
    assert db.session.get(Product, product.id).permits == []


def test_pirt_whose_year_has_passed_is_refused(app, ctx, food):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, food)
    last_year = NEXT_YEAR - 2
    response = add_permit(client, product, "pirt", pirt(last_year))
    assert response.status_code == 400
    assert f"31-12-{last_year}" in response.get_data(as_text=True)
    assert db.session.get(Product, product.id).permits == []


def test_expired_bpom_is_refused(app, ctx, food):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, food)
    response = add_permit(client, product, "bpom", "MD 240935001200027", issued_on="2019-01-10")
    assert response.status_code == 400
    assert db.session.get(Product, product.id).permits == []


@pytest.mark.parametrize("price", ["0", "-5000", "dua ribu", ""])
def test_zero_negative_or_nonsense_price_is_refused(app, ctx, crafts, price):
    client, _vendor = vendor_client(app)
    response, product = new_product(client, crafts, price=price)
    assert response.status_code == 200
    assert "rupiah" in response.get_data(as_text=True).lower() or "Rp0" in response.get_data(
        as_text=True
    )
    assert product is None


def test_vendor_cannot_open_another_vendors_product(app, ctx, crafts):
    owner, _vendor = vendor_client(app)
    _response, product = new_product(owner, crafts, name="Tas Anyaman")
    intruder, _other = vendor_client(app, slug="umkm-lain", email="lain@example.com")
    assert intruder.get(f"/vendor/products/{product.id}").status_code == 404
    response = intruder.post_form(
        f"/vendor/products/{product.id}", {"name": "Dibajak", "price": "1"}
    )
    assert response.status_code == 404
    assert intruder.post_form(f"/vendor/products/{product.id}/submit").status_code == 404
    db.session.rollback()
    assert db.session.get(Product, product.id).name == "Tas Anyaman"


def test_vendor_cannot_approve_their_own_product(app, ctx, crafts):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, crafts, name="Tas Anyaman")
    client.post_form(f"/vendor/products/{product.id}/submit")
    assert client.post_form(f"/manage/products/{product.id}/approve").status_code == 403
    db.session.rollback()
    assert db.session.get(Product, product.id).status == ProductStatus.SUBMITTED


def test_manager_approves_and_the_product_is_listed_on_the_vendor_page(app, ctx, crafts):
    client, vendor = vendor_client(app)
    _response, product = new_product(client, crafts, name="Tas Anyaman Pandan", price="120000")
    client.post_form(f"/vendor/products/{product.id}/submit")
    assert not listed(client, product)
    boss = manager(app)
    assert boss.post_form(f"/manage/products/{product.id}/approve").status_code == 302
    assert listed(client, product)
    page = client.get(f"/vendors/{vendor.slug}").get_data(as_text=True)
    assert "Tas Anyaman Pandan" in page
    assert "Rp120.000" in page


def test_manager_rejects_with_a_reason_the_vendor_sees(app, ctx, crafts):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, crafts, name="Tas Anyaman")
    client.post_form(f"/vendor/products/{product.id}/submit")
    boss = manager(app)
    assert (
        boss.post_form(f"/manage/products/{product.id}/reject", {"comment": ""}).status_code == 400
    )
    boss.post_form(f"/manage/products/{product.id}/reject", {"comment": "Foto terlalu gelap."})
    page = client.get(f"/vendor/products/{product.id}").get_data(as_text=True)
    assert "Foto terlalu gelap." in page


def test_price_changes_are_kept_and_do_not_need_review(app, ctx, crafts):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, crafts, name="Tas Anyaman", price="100000")
    client.post_form(f"/vendor/products/{product.id}/submit")
    manager(app).post_form(f"/manage/products/{product.id}/approve")
    form = {
        "name": "Tas Anyaman",
        "category_id": str(crafts.id),
        "description": "Renyah dan pedas manis.",
        "price": "110.000",
        "unit": "bungkus",
        "net_content": "250 g",
        "ingredients": "Singkong, cabai, gula, garam",
        "storage": "Simpan di tempat kering",
        "shelf_life_days": "90",
    }
    # On the shelf, a new price takes effect from a date (tests/integration/test_shelf_prices.py).
    form["price_from"] = (today_wib() + timedelta(days=1)).isoformat()
    client.post_form(f"/vendor/products/{product.id}", form)
    db.session.rollback()
    product = db.session.get(Product, product.id)
    assert (product.price, product.next_price) == (100000, 110000)
    assert product.price_on(today_wib() + timedelta(days=1)) == 110000
    assert product.status == ProductStatus.APPROVED
    prices = db.session.scalars(
        select(PriceChange.new_price).where(PriceChange.product_id == product.id)
    ).all()
    assert sorted(prices) == [100000, 110000]

    form["description"] = "Tas anyaman pandan, kini dengan ritsleting."
    client.post_form(f"/vendor/products/{product.id}", form)
    db.session.rollback()
    assert db.session.get(Product, product.id).status == ProductStatus.SUBMITTED
    assert not listed(client, product)


def test_a_price_change_dated_in_the_past_is_refused_on_the_form(app, ctx, crafts):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, crafts, name="Tas Anyaman", price="100000")
    client.post_form(f"/vendor/products/{product.id}/submit")
    manager(app).post_form(f"/manage/products/{product.id}/approve")
    form = {
        "name": "Tas Anyaman",
        "category_id": str(crafts.id),
        "description": "Renyah dan pedas manis.",
        "price": "110.000",
        "unit": "bungkus",
        "net_content": "250 g",
        "ingredients": "Singkong, cabai, gula, garam",
        "storage": "Simpan di tempat kering",
        "shelf_life_days": "90",
        "price_from": (today_wib() - timedelta(days=1)).isoformat(),
    }
    response = client.post_form(f"/vendor/products/{product.id}", form)
    assert response.status_code == 400
    assert "Perubahan harga tidak bisa bertanggal lampau" in response.get_data(as_text=True)
    db.session.rollback()
    product = db.session.get(Product, product.id)
    assert (product.price, product.next_price) == (100000, None)
    assert db.session.scalars(
        select(PriceChange.new_price).where(PriceChange.product_id == product.id)
    ).all() == [100000]


def test_photos_are_added_reordered_and_deleted(app, ctx, crafts):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, crafts, name="Tas Anyaman")
    for color in ((200, 0, 0), (0, 200, 0)):
        response = client.post(
            f"/vendor/products/{product.id}/photos",
            data={
                "photo": (io.BytesIO(png_bytes(color)), "foto.png"),
                "csrf_token": client.csrf_token(f"/vendor/products/{product.id}"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    db.session.rollback()
    first, second = db.session.get(Product, product.id).photos
    client.post_form(f"/vendor/products/{product.id}/photos/{second.id}/up")
    db.session.rollback()
    assert [p.id for p in db.session.get(Product, product.id).photos] == [second.id, first.id]
    client.post_form(f"/vendor/products/{product.id}/photos/{first.id}/delete")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ProductPhoto)) == 1


def test_an_executable_is_not_accepted_as_a_photo(app, ctx, crafts):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, crafts, name="Tas Anyaman")
    response = client.post(
        f"/vendor/products/{product.id}/photos",
        data={
            "photo": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100), "foto.png"),
            "csrf_token": client.csrf_token(f"/vendor/products/{product.id}"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ProductPhoto)) == 0


def _listed_food(app, client, food, pirt):
    _response, product = new_product(client, food)
    add_permit(client, product, "pirt", pirt)
    add_permit(client, product, "halal", HALAL)
    client.post_form(f"/vendor/products/{product.id}/submit")
    manager(app, email=f"m{product.id}@example.com").post_form(
        f"/manage/products/{product.id}/approve"
    )
    db.session.rollback()
    return db.session.get(Product, product.id)


# Time travel goes forward only: a session signed "in the future" is refused, and shoppers'
# pages are read anonymously anyway.


def test_a_product_with_an_expired_permit_is_not_listed(app, ctx, food):
    client, _vendor = vendor_client(app)
    product = _listed_food(app, client, food, PIRT_NEXT_YEAR)
    assert listed(client, product)
    with time_machine.travel(f"{NEXT_YEAR + 1}-01-01 08:00 +0700", tick=False):
        # Checked when read: hidden at once, before any nightly job runs.
        assert not listed(client, product)
        assert "Keripik Singkong Balado" not in client.get("/search?q=keripik").get_data(
            as_text=True
        )


def test_check_permits_hides_expired_and_warns_once_about_expiring(app, ctx, food, outbox):
    client, _vendor = vendor_client(app)
    product = _listed_food(app, client, food, PIRT_NEXT_YEAR)
    runner = app.test_cli_runner()
    with time_machine.travel(f"{NEXT_YEAR}-12-10 10:00 +0700", tick=False):
        before = len(outbox())
        result = runner.invoke(args=["check-permits"])
        assert result.exit_code == 0, result.output
        assert "Reminders due: 1 permit(s)" in result.output
        assert len(outbox()) == before + 1
        assert "Keripik Singkong Balado" in outbox()[-1].get_content()
        runner.invoke(args=["check-permits"])
        assert len(outbox()) == before + 1  # reminded once per threshold
    with time_machine.travel(f"{NEXT_YEAR + 1}-01-02 10:00 +0700", tick=False):
        result = runner.invoke(args=["check-permits"])
        assert "Hidden 1 product" in result.output
        assert product.code in result.output
    db.session.rollback()
    product = db.session.get(Product, product.id)
    assert product.hidden and product.hidden_reason == "permit_expired"
