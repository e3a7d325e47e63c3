"""NPWP, "Bank lain", the holder confirmed at the first transfer, and prices as vendors type
them (issue 14)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from storefront.catalog.models import PriceChange, Product
from storefront.extensions import db
from storefront.settlements import services as settlements
from storefront.settlements.models import Settlement
from storefront.vendors import services as vendors
from storefront.vendors.models import Vendor
from tests.factories import CategoryFactory, VendorFactory
from tests.integration.onboarding_helpers import (
    applicant,
    fill_bank,
    fill_business,
    fill_owner,
    food_category,
)
from tests.integration.test_product_listings import new_product, vendor_client

OLD_NPWP = "01.312.166.0-091.000"  # a badan's old number with a valid check digit


@pytest.fixture
def application(app, ctx, client):
    applicant(client)
    assert fill_owner(client).status_code == 302
    return client


def saved_vendor() -> Vendor:
    db.session.rollback()
    return db.session.scalar(select(Vendor))


# --- NPWP ------------------------------------------------------------------------------------


def test_a_sole_trader_typing_the_old_npwp_is_asked_for_the_nik(application):
    response = fill_business(application, [food_category().id], legal_form="ud", npwp=OLD_NPWP)
    assert response.status_code == 200
    assert "Isi NIK 16 digit Anda" in response.get_data(as_text=True)
    assert saved_vendor().npwp is None


def test_an_individual_npwp_is_the_nik_and_must_be_a_valid_one(application):
    bad = fill_business(application, [food_category().id], npwp="3603011513900001")
    assert bad.status_code == 200
    assert "NPWP 16 digit yang tidak diawali 0 adalah NIK" in bad.get_data(as_text=True)
    good = fill_business(application, [food_category().id], npwp="3603015505900001")
    assert good.status_code == 302
    assert saved_vendor().npwp == "3603015505900001"


def test_a_cv_keeps_its_old_number_as_16_digits_and_a_bad_check_digit_is_a_warning(application):
    category = food_category().id
    response = fill_business(application, [category], legal_form="cv", npwp=OLD_NPWP)
    assert response.status_code == 302
    assert saved_vendor().npwp == "0013121660091000"
    warned = fill_business(application, [category], legal_form="cv", npwp="01.312.166.1-091.000")
    assert warned.status_code == 302
    page = application.get(warned.headers["Location"]).get_data(as_text=True)
    assert "Digit kontrol NPWP 01.312.166.1-091.000 tidak cocok" in page
    assert saved_vendor().npwp == "0013121661091000"


# --- banks -------------------------------------------------------------------------------------


def test_a_vendor_banking_with_a_bpr_registers_with_bank_lain(application):
    missing = fill_bank(application, bank_code="other", account="1020304050")
    assert missing.status_code == 200
    assert "Isi nama bank Anda" in missing.get_data(as_text=True)
    response = fill_bank(
        application,
        bank_code="other",
        other_bank_name="BPR Kerta Raharja",
        other_bank_code="600123",
        account="1020304050",
    )
    assert response.status_code == 302
    vendor = saved_vendor()
    assert (vendor.bank_code, vendor.bank_name, vendor.bank_account) == (
        "600123",
        "BPR Kerta Raharja",
        "1020304050",
    )
    assert vendors.bank_display_name(vendor) == "BPR Kerta Raharja (600123)"
    page = application.get("/partner/apply/bank").get_data(as_text=True)
    assert 'value="BPR Kerta Raharja"' in page
    assert re.search(r'<option selected value="other">|<option value="other" selected', page)


def test_bca_syariah_and_sinarmas_are_on_the_list(application):
    assert fill_bank(application, bank_code="536", account="0123456789").status_code == 302
    assert saved_vendor().bank_code == "536"
    assert fill_bank(application, bank_code="153", account="0051234567").status_code == 302


def test_an_unusual_account_length_is_saved_with_a_warning(application):
    response = fill_bank(application, bank_code="014", account="123456789")
    assert response.status_code == 302
    page = application.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nomor rekening BCA biasanya 10 digit, yang ini 9 digit" in page
    assert saved_vendor().bank_account == "123456789"


# --- the holder confirmed at the first transfer -------------------------------------------------


def closed_statement(vendor: Vendor, manager) -> Settlement:
    statement = Settlement(
        vendor_id=vendor.id,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        status="closed",
        gross_counter=237_593,
        commission=47_519,
        vendor_share=190_074,
        net_payable=190_074,
    )
    db.session.add(statement)
    db.session.commit()
    return statement


def test_the_first_transfer_records_the_holder_the_bank_showed(ctx):
    from tests.factories import UserFactory

    manager = UserFactory(role="manager")
    vendor = VendorFactory(name="Dapur Nyai", bank_code="014", bank_holder="Siti Nurhayati")
    vendor.bank_account = "1234567890"
    db.session.commit()
    payment = settlements.Payment(paid_on=date(2026, 11, 3), reference="TRF-1", amount=190_074)
    statement = closed_statement(vendor, manager)
    with pytest.raises(settlements.SettlementError) as refused:
        settlements.mark_paid(statement, payment, actor=manager)
    assert refused.value.field == "holder_confirmed"
    db.session.rollback()
    assert db.session.get(Settlement, statement.id).status == "closed"

    confirmed = settlements.Payment(
        paid_on=date(2026, 11, 3),
        reference="TRF-1",
        amount=190_074,
        holder_confirmed="SITI NURHAYATI",
    )
    settlements.mark_paid(db.session.get(Settlement, statement.id), confirmed, actor=manager)
    db.session.commit()
    vendor = db.session.get(Vendor, vendor.id)
    assert (vendor.bank_holder_confirmed, vendor.bank_holder_confirmed_on) == (
        "SITI NURHAYATI",
        date(2026, 11, 3),
    )
    # The account changes: the next first transfer is confirmed again.
    vendors.save_bank(vendor, "008", "1230012345678", "Siti Nurhayati")
    assert vendor.bank_holder_confirmed is None
    # The same account saved again keeps its confirmation.
    vendor.bank_holder_confirmed = "SITI NURHAYATI"
    vendors.save_bank(vendor, "008", "123-0012345678", "Siti Nurhayati")
    assert vendor.bank_holder_confirmed == "SITI NURHAYATI"


# --- prices ----------------------------------------------------------------------------------


@pytest.fixture
def food(ctx):
    return CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman", is_food=True)


def test_25_comma_000_is_refused_with_what_was_meant(app, ctx, food):
    client, _vendor = vendor_client(app)
    response, product = new_product(client, food, price="25,000")
    assert response.status_code == 200 and product is None
    text = response.get_data(as_text=True)
    assert "koma menandai desimal: maksud Anda Rp25.000?" in text
    response, product = new_product(client, food, price="Rp25.000,-")
    assert response.status_code == 302
    assert product.price == 25_000


def test_a_price_changed_by_more_than_half_needs_confirming(app, ctx, food):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, food, price="25.000")
    form = {
        "name": product.name,
        "category_id": str(food.id),
        "description": product.description,
        "unit": product.unit,
        "food_type": "packaged",
        "shelf_life_days": "90",
    }
    typo = client.post_form(f"/vendor/products/{product.id}", {**form, "price": "250000"})
    assert typo.status_code == 400
    text = typo.get_data(as_text=True)
    assert "Harga berubah dari Rp25.000 menjadi Rp250.000" in text
    assert 'name="confirm_price"' in text
    db.session.rollback()
    assert db.session.get(Product, product.id).price == 25_000

    small = client.post_form(f"/vendor/products/{product.id}", {**form, "price": "30.000"})
    assert small.status_code == 302  # 20 % more: no question asked
    confirmed = client.post_form(
        f"/vendor/products/{product.id}", {**form, "price": "50000", "confirm_price": "y"}
    )
    assert confirmed.status_code == 302
    db.session.rollback()
    assert db.session.get(Product, product.id).price == 50_000
    history = db.session.scalars(
        select(PriceChange.new_price)
        .where(PriceChange.product_id == product.id)
        .order_by(PriceChange.id)
    ).all()
    assert history == [25_000, 30_000, 50_000]
