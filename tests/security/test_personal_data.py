"""Personal data on screen (UU PDP): NIK and NPWP masked in the applicant's own forms, pages
with full personal data never cached, and the onboarding papers kept to the business owner."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.auth.models import Role
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.vendors.models import Vendor, VendorDocument, VendorMember
from tests.conftest import Client
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.integration.onboarding_helpers import (
    NIK,
    applicant,
    complete_application,
    fill_business,
    fill_owner,
    food_category,
    manager,
)
from tests.integration.test_checkout import CHECKOUT, add
from tests.stock_helpers import receive

NPWP = "0012345678901000"  # an entity's old 15-digit NPWP, stored with its leading 0
OTHER_NIK = "3603014101850002"

# Every view that shows someone's personal data in full is declared with @no_store; this is the
# list, so adding or dropping one is a visible decision.
NO_STORE = {
    "worker.messages",
    "manage.vendor_detail",
    "manage.reveal",
    "manage.approve_vendor",
    "manage.request_vendor_changes",
    "manage.reject_vendor",
    "manage.new_vendor",
    "vendors.apply_step",
    "vendors.bank",
    "orders.checkout",
    "orders.order_page",
    "orders.manage_queue",
    "orders.manage_order",
    "orders.manage_take_payment",
    "orders.manage_hand_over",
    "orders.manage_delivered",
    "orders.manage_cancel",
    "orders.manage_refund",
    # The till's pickup desk: shoppers' names on the list and on the hand-over form.
    "pos.pickups_ready",
    "pos.pickup_hand_over",
    "orders.payment_status",  # an order's payment state, for its own page
    "orders.manage_reconciliation",  # payments by order number
    "settlements.settlement_payouts_csv",
    # Staff accounts: names, emails, phones; the audit log: who did what, from which address.
    "admin.users",
    "admin.user_detail",
    "admin.new_user",
    "admin.audit_log",
    # A mentor's view of a vendor: the mentoring notes (what was said in a meeting) and figures.
    "incubator.vendor",
    "incubator.add_note",
}


def vendor_row() -> Vendor:
    db.session.rollback()
    return db.session.scalar(select(Vendor))


def no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


# --- masked NIK and NPWP -------------------------------------------------------------------


def test_the_saved_nik_is_shown_masked_never_in_full(client, ctx):
    applicant(client)
    assert fill_owner(client, nik=OTHER_NIK).status_code == 302
    page = client.get("/partner/apply/owner").get_data(as_text=True)
    assert OTHER_NIK not in page
    assert "************0002" in page
    assert "Ubah NIK" in page  # the change action


def test_an_empty_nik_keeps_the_saved_one_and_a_new_one_replaces_it(client, ctx):
    applicant(client)
    fill_owner(client)
    assert fill_owner(client, nik="", name="Siti N.").status_code == 302
    vendor = vendor_row()
    assert (vendor.owner_nik, vendor.owner_name) == (NIK, "Siti N.")
    assert fill_owner(client, nik=OTHER_NIK).status_code == 302
    assert vendor_row().owner_nik == OTHER_NIK


def test_a_wrong_new_nik_is_refused_and_the_saved_one_stays(client, ctx):
    applicant(client)
    fill_owner(client, nik=OTHER_NIK)
    response = fill_owner(client, nik="123")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "field-error" in page and OTHER_NIK not in page
    assert vendor_row().owner_nik == OTHER_NIK


def test_a_first_owner_step_still_needs_the_nik(client, ctx):
    applicant(client)
    response = fill_owner(client, nik="")
    assert response.status_code == 200
    assert "Masukkan NIK." in response.get_data(as_text=True)
    assert vendor_row().owner_nik is None


def test_the_saved_npwp_is_masked_kept_changed_or_removed(client, ctx):
    applicant(client)
    fill_owner(client)
    category = food_category()
    # A CV's NPWP (an individual's would be the NIK).
    assert fill_business(client, [category.id], legal_form="cv", npwp=NPWP).status_code == 302
    page = client.get("/partner/apply/business").get_data(as_text=True)
    assert NPWP not in page and "************1000" in page

    assert fill_business(client, [category.id], legal_form="cv", npwp="").status_code == 302
    assert vendor_row().npwp == NPWP
    assert fill_business(client, [category.id], npwp=NIK).status_code == 302
    assert vendor_row().npwp == NIK
    assert fill_business(client, [category.id], npwp="", remove_npwp="y").status_code == 302
    assert vendor_row().npwp is None


# --- Cache-Control: no-store ---------------------------------------------------------------


def test_pages_with_personal_data_are_declared_no_store(app):
    declared = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "no_store", False)
    }
    assert declared == NO_STORE


def test_personal_data_pages_are_sent_with_no_store(app, client, ctx):
    applicant(client)
    vendor = complete_application(client)
    assert no_store(client.get("/partner/apply/owner"))
    assert not no_store(client.get("/partner"))  # only pages that need it

    admin = manager(app, "admin@example.com", role=Role.ADMIN)
    assert no_store(admin.get(f"/manage/vendors/{vendor.id}"))
    assert no_store(admin.post_form(f"/manage/vendors/{vendor.id}/reveal/owner_nik"))
    assert no_store(admin.post_form("/manage/settlements/payouts.csv", {}))

    product = ProductFactory(price=20_000)
    receive(product, 2)
    shopper = Client(app.test_client())
    add(shopper, product, "1")
    placed = shopper.post_form("/checkout", CHECKOUT)
    assert no_store(placed)  # the redirect too
    order = db.session.scalar(select(Order))
    page = Client(app.test_client()).get(f"/orders/{order.number}?key={order.access_key}")
    assert page.status_code == 200 and no_store(page)
    assert no_store(admin.get(f"/manage/orders/{order.id}"))
    assert no_store(admin.get("/manage/orders?tab=all"))


def test_the_vendor_bank_page_is_no_store(app, ctx):
    user = UserFactory(email="pemilik@example.com", role=Role.VENDOR.value)
    vendor = ProductFactory().vendor
    db.session.add(VendorMember(vendor_id=vendor.id, user_id=user.id, role="owner"))
    db.session.commit()
    owner = Client(app.test_client())
    assert owner.login("pemilik@example.com", PASSWORD).status_code == 302
    response = owner.get("/vendor/bank")
    assert response.status_code == 200 and no_store(response)


# --- onboarding documents are the owner's -----------------------------------------------------


@pytest.fixture
def approved_with_staff(app, client, ctx):
    applicant(client)
    vendor = complete_application(client)
    boss = manager(app)
    approved = boss.post_form(
        f"/manage/vendors/{vendor.id}/approve",
        {"commission_rule": "own", "commission_percent": "20", "settlement_period": "monthly"},
    )
    assert approved.status_code == 302
    staff_user = UserFactory(email="staf@example.com", role=Role.VENDOR.value)
    db.session.add(VendorMember(vendor_id=vendor.id, user_id=staff_user.id, role="staff"))
    db.session.commit()
    staff = Client(app.test_client())
    assert staff.login("staf@example.com", PASSWORD).status_code == 302
    return {"owner": client, "staff": staff, "document": db.session.scalar(select(VendorDocument))}


def test_staff_cannot_download_the_business_documents(approved_with_staff):
    document = approved_with_staff["document"]
    refused = approved_with_staff["staff"].get(f"/partner/documents/{document.id}")
    assert refused.status_code == 403
    assert refused.mimetype == "text/html"
    with approved_with_staff["owner"].get(f"/partner/documents/{document.id}") as own:
        assert own.status_code == 200 and own.data.startswith(b"%PDF")


def test_staff_cannot_open_the_application_wizard(approved_with_staff):
    staff = approved_with_staff["staff"]
    assert staff.get("/partner/apply/owner").status_code == 403
    document = approved_with_staff["document"]
    deleted = staff.post_form(f"/partner/apply/documents/{document.id}/delete", {})
    assert deleted.status_code == 403
    assert db.session.get(VendorDocument, document.id) is not None
