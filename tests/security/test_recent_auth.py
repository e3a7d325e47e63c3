"""Re-authentication: changing a payout account, revealing personal data and exporting the
payout file ask for the password again when it was last given more than five minutes ago."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.auth.models import Role
from storefront.extensions import db
from storefront.vendors.models import Vendor
from tests.factories import PASSWORD, UserFactory, VendorFactory
from tests.integration.onboarding_helpers import applicant, fill_bank, fill_owner
from tests.security.account_helpers import browser, fresh, make_vendor, page, signed_in

CONFIRM = "/account/confirm-password"
T0 = datetime(2030, 3, 2, 9, 0).astimezone()
LATER = T0 + timedelta(minutes=6)
NIK = "3603015505900001"


def confirm_url(next_path: str) -> str:
    """The confirm page's address as Flask builds it (which leaves / ? : @ unescaped)."""
    query = urlencode({"next": next_path}, safe="!$'()*,/:;?@")
    return f"{CONFIRM}?{query}"


def new_bank(client):
    return client.post_form(
        "/vendor/bank", {"bank_code": "014", "account": "123-456-7890", "holder": "Siti"}
    )


def audit_count(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def test_changing_the_payout_account_asks_for_the_password_after_five_minutes(
    app, client, ctx, outbox
):
    vendor, _owner = make_vendor(bank_code="009", bank_account="1112223334", bank_holder="Siti")
    with time_machine.travel(T0, tick=False):
        signed_in(client, "owner@example.com")
        # Just signed in with the password: no second question.
        assert client.get("/vendor/bank").status_code == 200

    with time_machine.travel(LATER, tick=False):
        response = client.get("/vendor/bank")
        assert response.status_code == 302
        assert response.headers["Location"] == confirm_url("/vendor/bank")
        # A change posted without confirming is not saved either.
        response = new_bank(client)
        assert response.status_code == 302
        assert response.headers["Location"].startswith(CONFIRM)
        assert fresh(vendor).bank_account == "1112223334"
        assert outbox() == []

        html = page(client.get(confirm_url("/vendor/bank")))
        assert "Konfirmasi kata sandi" in html
        response = client.post_form(confirm_url("/vendor/bank"), {"password": "bukan-ini-ya"})
        assert response.status_code == 200
        assert "Kata sandi salah." in page(response)

        response = client.post_form(confirm_url("/vendor/bank"), {"password": PASSWORD})
        assert response.status_code == 302
        assert response.headers["Location"] == "/vendor/bank"
        assert new_bank(client).status_code == 302
        assert fresh(vendor).bank_account == "1234567890"

    with time_machine.travel(LATER + timedelta(minutes=6), tick=False):
        assert client.get("/vendor/bank").headers["Location"] == confirm_url("/vendor/bank")


def test_the_confirm_page_never_sends_people_off_the_site(client, ctx):
    UserFactory(email="siti@example.com")
    signed_in(client, "siti@example.com")
    response = client.post_form(f"{CONFIRM}?next=https://evil.example.com/", {"password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"


def test_confirming_the_password_is_rate_limited_like_signing_in(client, ctx):
    UserFactory(email="siti@example.com")
    signed_in(client, "siti@example.com")
    token = client.csrf_token(CONFIRM)
    for _ in range(5):
        response = client.post(CONFIRM, data={"password": "salah-lagi", "csrf_token": token})
        assert response.status_code == 200
    response = client.post(CONFIRM, data={"password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429


def test_the_confirm_page_needs_an_account(client, ctx):
    response = client.get(CONFIRM)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.fixture
def admin(app, ctx):
    UserFactory(email="admin@example.com", name="Admin Gerai", role=Role.ADMIN.value)
    with time_machine.travel(T0, tick=False):
        client = signed_in(browser(app), "admin@example.com")
    return client


def test_revealing_a_nik_asks_for_the_password_and_returns_to_the_vendor(admin, ctx):
    vendor = VendorFactory(owner_nik=NIK)
    detail = f"/manage/vendors/{vendor.id}"
    reveal = f"{detail}/reveal/owner_nik"
    with time_machine.travel(LATER, tick=False):
        token = admin.csrf_token("/account/")
        response = admin.post(
            reveal, data={"csrf_token": token}, headers={"Referer": f"http://localhost{detail}"}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == confirm_url(detail)
        assert audit_count("vendor.reveal") == 0

        response = admin.post_form(confirm_url(detail), {"password": PASSWORD})
        assert response.headers["Location"] == detail
        response = admin.post_form(reveal, {})
        assert response.status_code == 200
        assert NIK in page(response)
        assert audit_count("vendor.reveal") == 1


def test_exporting_the_payout_file_asks_for_the_password(admin, ctx):
    export = "/manage/settlements/payouts.csv"
    with time_machine.travel(LATER, tick=False):
        token = admin.csrf_token("/manage/settlements")
        response = admin.post(
            export,
            data={"csrf_token": token},
            headers={"Referer": "http://localhost/manage/settlements?month=2030-02"},
        )
        assert response.status_code == 302
        assert response.headers["Location"] == confirm_url("/manage/settlements?month=2030-02")
        assert audit_count("settlement.payout_export") == 0

        admin.post_form(confirm_url("/manage/settlements"), {"password": PASSWORD})
        response = admin.post(export, data={"csrf_token": token})
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert audit_count("settlement.payout_export") == 1


def test_a_post_from_another_site_returns_to_the_account_page_not_there(admin, ctx):
    with time_machine.travel(LATER, tick=False):
        token = admin.csrf_token("/manage/settlements")
        response = admin.post(
            "/manage/settlements/payouts.csv",
            data={"csrf_token": token},
            headers={"Referer": "https://evil.example.com/manage/settlements"},
        )
    assert response.headers["Location"] == confirm_url("/account/")


def test_changing_the_bank_account_of_an_application_asks_for_the_password(app, client, ctx):
    with time_machine.travel(T0, tick=False):
        applicant(client)
        fill_owner(client)
        # The first account is typed right after signing in.
        assert fill_bank(client).status_code == 302
    with time_machine.travel(LATER, tick=False):
        response = client.get("/partner/apply/bank")
        assert response.status_code == 302
        assert response.headers["Location"] == confirm_url("/partner/apply/bank")
        response = fill_bank(client, account="9876543210")
        assert response.headers["Location"].startswith(CONFIRM)
        db.session.expire_all()
        assert db.session.scalar(select(Vendor)).bank_account == "1234567890"


def test_an_application_without_a_bank_account_yet_does_not_ask(app, client, ctx):
    with time_machine.travel(T0, tick=False):
        applicant(client)
        fill_owner(client)
    with time_machine.travel(LATER, tick=False):
        assert client.get("/partner/apply/bank").status_code == 200
        assert fill_bank(client).status_code == 302
        db.session.expire_all()
        assert db.session.scalar(select(Vendor)).bank_account == "1234567890"


def test_a_remembered_session_is_asked_for_the_password(app, ctx):
    """A remember-me cookie proves a device, not the person: it never counts as recent."""
    make_vendor(bank_code="009", bank_account="1112223334", bank_holder="Siti")
    first = signed_in(browser(app), "owner@example.com", remember="y")
    remembered = browser(app)
    remembered.set_cookie("remember_token", first.get_cookie("remember_token").value)
    response = remembered.get("/vendor/bank")
    assert response.status_code == 302
    assert re.match(re.escape(CONFIRM), response.headers["Location"])
