"""Commission rates are typed and read in percent ("22,5") and kept in basis points (2250):
the approval form, the counter registration, the rates page and what vendors are shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.audit import AuditEntry
from storefront.catalog.commission import commission_rate_bp
from storefront.extensions import db
from storefront.settings.services import set_setting
from storefront.vendors.models import Vendor, VendorStatus
from tests.factories import CategoryFactory, ProductFactory, VendorFactory
from tests.integration.onboarding_helpers import applicant, complete_application, manager


def vendor_row(vendor_id: int) -> Vendor:
    db.session.rollback()
    return db.session.get(Vendor, vendor_id)


@pytest.mark.parametrize("typed", ["22,5", "22.5", "22,50 %"])
def test_approving_at_the_advertised_22_5_percent_stores_22_5_percent(app, client, ctx, typed):
    applicant(client)
    vendor = complete_application(client)
    response = manager(app).post_form(
        f"/manage/vendors/{vendor.id}/approve",
        {"commission_rule": "own", "commission_percent": typed, "settlement_period": "monthly"},
    )
    assert response.status_code == 302
    approved = vendor_row(vendor.id)
    assert approved.status == VendorStatus.APPROVED
    assert approved.commission_bp == 2250  # was 2200: the form took whole percents only


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("22,555", "Paling banyak dua angka desimal"),
        ("101", "antara 0 dan 100"),
        ("dua puluh", "berupa angka"),
        ("", "Masukkan tarif khusus mitra ini"),
    ],
)
def test_a_commission_that_cannot_be_stored_is_refused_and_nothing_changes(
    app, client, ctx, typed, says
):
    applicant(client)
    vendor = complete_application(client)
    response = manager(app).post_form(
        f"/manage/vendors/{vendor.id}/approve",
        {"commission_rule": "own", "commission_percent": typed, "settlement_period": "monthly"},
    )
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)
    unchanged = vendor_row(vendor.id)
    assert unchanged.status == VendorStatus.SUBMITTED
    assert unchanged.commission_bp is None


def test_the_approval_form_follows_the_default_unless_a_manager_sets_a_vendor_rate(
    app, client, ctx
):
    set_setting("commission_default_bp", "2250")
    db.session.commit()
    applicant(client)
    vendor = complete_application(client)
    page = manager(app).get(f"/manage/vendors/{vendor.id}").get_data(as_text=True)
    assert 'name="commission_percent"' in page
    assert '<input checked id="commission_rule-0"' in page  # "follow" pre-selected
    assert "22,5\u00a0%" in page  # the default it follows, as advertised


def test_a_vendor_approved_to_follow_gets_its_category_rate_and_later_default_changes(
    app, client, ctx
):
    """Approval used to write the default into the vendor's own rate (a required field), so
    category rates and a later change of the default never reached anyone."""
    set_setting("commission_default_bp", "2000")
    db.session.commit()
    applicant(client)
    vendor = complete_application(client)
    boss = manager(app)
    response = boss.post_form(
        f"/manage/vendors/{vendor.id}/approve",
        {"commission_rule": "follow", "commission_percent": "", "settlement_period": "monthly"},
    )
    assert response.status_code == 302
    approved = vendor_row(vendor.id)
    assert approved.status == VendorStatus.APPROVED and approved.commission_bp is None
    snack = CategoryFactory(is_food=False, commission_bp=1500)
    plain = CategoryFactory(is_food=False, commission_bp=None)
    in_snack = ProductFactory(vendor=approved, category=snack, price=10_000)
    in_plain = ProductFactory(vendor=approved, category=plain, price=10_000)
    db.session.commit()
    assert commission_rate_bp(in_snack) == 1500
    assert commission_rate_bp(in_plain) == 2000
    set_setting("commission_default_bp", "2500")
    db.session.commit()
    assert commission_rate_bp(in_plain) == 2500
    page = boss.get("/manage/settlements/commission").get_data(as_text=True)
    assert f"category {snack.name}" in page or f"kategori {snack.name}" in page
    assert "25\u00a0%" in page


def test_a_rate_equal_to_the_default_can_be_released_to_follow_and_it_is_audited(app, ctx):
    set_setting("commission_default_bp", "2000")
    vendor = VendorFactory(commission_bp=2000)
    db.session.commit()
    boss = manager(app)
    page = boss.get("/manage/settlements/commission").get_data(as_text=True)
    assert "Follow category / default" in page or "Ikuti kategori / bawaan" in page
    boss.post_form(f"/manage/settlements/commission/vendors/{vendor.id}", {"percent": ""})
    assert vendor_row(vendor.id).commission_bp is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vendor.commission"))
    assert entry is not None


def test_a_vendor_at_0_percent_is_shown_0_percent_not_the_default(app, ctx):
    set_setting("commission_default_bp", "2000")
    # Agreed at 0 % before (a cooperative's own stall, say) and back for review.
    vendor = VendorFactory(status=VendorStatus.SUBMITTED.value, commission_bp=0)
    db.session.commit()
    page = manager(app).get(f"/manage/vendors/{vendor.id}").get_data(as_text=True)
    assert 'id="commission_percent"' in page
    assert 'value="0"' in page and 'value="20"' not in page


def test_a_producer_registered_at_the_counter_keeps_a_fractional_rate(app, ctx):
    category = CategoryFactory(is_food=False)
    response = manager(app).post_form(
        "/manage/vendors/new",
        {
            "name": "Anyaman Pandan Mauk",
            "owner_name": "Ibu Sarah",
            "owner_phone": "0813-1111-2222",
            "nib": "9120009876543",
            "location": "kabupaten-tangerang|Mauk",
            "categories": [str(category.id)],
            "commission_rule": "own",
            "commission_percent": "17,75",
            "settlement_period": "monthly",
        },
    )
    assert response.status_code == 302
    db.session.rollback()
    vendor = db.session.scalar(select(Vendor).where(Vendor.nib == "9120009876543"))
    assert vendor.commission_bp == 1775


def test_the_rates_page_takes_a_decimal_comma_and_refuses_three_decimals(app, ctx):
    vendor = VendorFactory(commission_bp=None)
    db.session.commit()
    boss = manager(app)
    path = f"/manage/settlements/commission/vendors/{vendor.id}"
    boss.post_form(path, {"percent": "17,5"})
    assert vendor_row(vendor.id).commission_bp == 1750
    refused = boss.post_form(path, {"percent": "17,555"}, follow_redirects=True)
    assert "Paling banyak dua angka desimal" in refused.get_data(as_text=True)
    assert vendor_row(vendor.id).commission_bp == 1750
    page = boss.get("/manage/settlements/commission").get_data(as_text=True)
    assert 'value="17,5"' in page


def test_terms_show_the_rate_in_each_language(client, ctx):
    set_setting("commission_default_bp", "2250")
    db.session.commit()
    assert "22,5\u00a0%" in client.get("/partner").get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert "22.5%" in client.get("/partner").get_data(as_text=True)
