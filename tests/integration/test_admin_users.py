"""Accounts kept by an administrator: staff made with a set-your-password email, roles,
deactivation that signs out everywhere, reset links, and the last admin kept."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.auth import staff
from storefront.auth.models import Role, User
from storefront.extensions import db
from tests.conftest import Client
from tests.factories import PASSWORD, UserFactory
from tests.security.account_helpers import fresh, make_vendor, signed_in

NEW_PASSWORD = "kasir-baru-2026"


@pytest.fixture
def admin(ctx):
    return UserFactory(email="admin@example.com", name="Ayu Admin", role=Role.ADMIN.value)


@pytest.fixture
def admin_browser(app, admin) -> Client:
    client = Client(app.test_client())
    assert client.login(admin.email, PASSWORD).status_code == 302
    return client


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def link_in(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://localhost(/\S+)", body).group(1)


def test_admin_creates_a_cashier_who_chooses_a_password_from_the_email(app, admin_browser, outbox):
    response = admin_browser.post_form(
        "/admin/users/new",
        {
            "name": "Dewi Kasir",
            "email": "Dewi.Kasir@Example.com",
            "phone": "0812-3456-7890",
            "role": "cashier",
            "locale": "id",
        },
    )
    assert response.status_code == 302
    cashier = db.session.scalar(select(User).where(User.email == "dewi.kasir@example.com"))
    assert cashier.role == "cashier"
    assert cashier.email_verified  # an admin vouches for the address of staff they appoint
    assert actions() == ["user.create"]
    (message,) = outbox()
    assert message["To"] == "dewi.kasir@example.com"
    assert "Kasir" in message.get_body(preferencelist=("plain",)).get_content()

    newcomer = Client(app.test_client())
    link = link_in(message)
    newcomer.get(link)
    response = newcomer.post_form(
        "/account/password/reset", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    response = newcomer.login("dewi.kasir@example.com", NEW_PASSWORD)
    assert response.headers["Location"] == "/counter/"


def test_an_email_that_already_has_an_account_is_refused(app, admin_browser, outbox):
    UserFactory(email="budi@example.com", name="Budi")
    response = admin_browser.post_form(
        "/admin/users/new",
        {"name": "Budi Kasir", "email": "budi@example.com", "role": "cashier", "locale": "id"},
    )
    assert response.status_code == 400
    assert "budi@example.com sudah punya akun" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    assert outbox() == []
    assert actions() == []


def test_admin_finds_accounts_by_part_of_a_name_or_email(admin_browser):
    UserFactory(email="siti.rahma@example.com", name="Siti Rahma")
    UserFactory(email="budi@example.com", name="Budi Santoso")
    page = admin_browser.get("/admin/users?q=rahma").get_data(as_text=True)
    assert "Siti Rahma" in page and "Budi Santoso" not in page
    page = admin_browser.get("/admin/users?q=BUDI@").get_data(as_text=True)
    assert "Budi Santoso" in page and "Siti Rahma" not in page
    page = admin_browser.get("/admin/users?role=admin").get_data(as_text=True)
    assert "Ayu Admin" in page and "Budi Santoso" not in page


def test_admin_makes_a_shopper_a_manager_and_it_applies_on_their_next_page(app, admin_browser):
    shopper = UserFactory(email="rina@example.com", name="Rina")
    rina = Client(app.test_client())
    rina.login("rina@example.com", PASSWORD)
    assert rina.get("/manage/").status_code == 403

    response = admin_browser.post_form(f"/admin/users/{shopper.id}/role", {"role": "manager"})
    assert response.status_code == 302
    assert fresh(shopper).role == "manager"
    assert rina.get("/manage/").status_code == 200
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.before, entry.after) == (
        "user.role",
        '{"role": "shopper"}',
        '{"role": "manager"}',
    )


def test_a_vendors_role_comes_from_their_business(admin_browser):
    _vendor, owner = make_vendor()
    response = admin_browser.post_form(f"/admin/users/{owner.id}/role", {"role": "manager"})
    assert response.status_code == 400
    assert fresh(owner).role == "vendor"
    assert actions() == []


def test_deactivating_signs_the_person_out_everywhere_and_keeps_them_out(
    app, admin_browser, outbox
):
    cashier = UserFactory(email="kasir@example.com", name="Kasir", role=Role.CASHIER.value)
    phone, laptop = Client(app.test_client()), Client(app.test_client())
    for device in (phone, laptop):
        signed_in(device, "kasir@example.com", remember="y")
        assert device.get("/counter/").status_code == 200

    response = admin_browser.post_form(f"/admin/users/{cashier.id}/deactivate", {})
    assert response.status_code == 302
    assert not fresh(cashier).active
    for device in (phone, laptop):
        response = device.get("/counter/")
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]
    response = Client(app.test_client()).login("kasir@example.com", PASSWORD)
    assert response.status_code == 200  # the sign-in form again, with the one error message
    assert "Email atau kata sandi salah" in response.get_data(as_text=True)
    assert admin_browser.post_form(f"/admin/users/{cashier.id}/reset-link", {}).status_code == 400
    assert outbox() == []

    response = admin_browser.post_form(f"/admin/users/{cashier.id}/reactivate", {})
    assert response.status_code == 302
    assert phone.login("kasir@example.com", PASSWORD).status_code == 302
    assert actions() == ["user.deactivate", "user.activate"]


def test_admin_sends_a_password_reset_link(app, admin_browser, outbox):
    manager = UserFactory(email="manajer@example.com", name="Manajer", role=Role.MANAGER.value)
    response = admin_browser.post_form(f"/admin/users/{manager.id}/reset-link", {})
    assert response.status_code == 302
    (message,) = outbox()
    assert message["To"] == "manajer@example.com"
    assert "/account/password/reset/" in link_in(message)
    assert actions() == ["user.reset_link"]


def test_the_last_admin_cannot_be_demoted(admin, admin_browser):
    response = admin_browser.post_form(f"/admin/users/{admin.id}/role", {"role": "manager"})
    assert response.status_code == 400
    assert "paling sedikit satu admin aktif" in response.get_data(as_text=True)
    assert fresh(admin).role == "admin"
    assert actions() == []


def test_with_a_second_admin_one_may_step_down(admin, admin_browser):
    UserFactory(email="admin2@example.com", role=Role.ADMIN.value)
    response = admin_browser.post_form(f"/admin/users/{admin.id}/role", {"role": "manager"})
    assert response.status_code == 302
    assert fresh(admin).role == "manager"


def test_the_last_active_admin_cannot_be_deactivated(admin):
    other = UserFactory(email="admin2@example.com", role=Role.ADMIN.value, active=False)
    with pytest.raises(staff.StaffError):
        staff.set_active(other, admin, False)
    db.session.rollback()
    assert fresh(admin).active


def test_nobody_deactivates_their_own_account(admin, admin_browser):
    UserFactory(email="admin2@example.com", role=Role.ADMIN.value)
    response = admin_browser.post_form(f"/admin/users/{admin.id}/deactivate", {})
    assert response.status_code == 400
    assert fresh(admin).active


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CASHIER, Role.SHOPPER])
def test_only_admins_manage_accounts(app, ctx, role, outbox):
    UserFactory(email="someone@example.com", role=role.value)
    target = UserFactory(email="target@example.com")
    client = Client(app.test_client())
    client.login("someone@example.com", PASSWORD)
    assert client.get("/admin/users").status_code == 403
    response = client.post_form(
        "/admin/users/new",
        {"name": "Penyusup", "email": "x@example.com", "role": "admin", "locale": "id"},
    )
    assert response.status_code == 403
    assert client.post_form(f"/admin/users/{target.id}/role", {"role": "admin"}).status_code == 403
    assert client.post_form(f"/admin/users/{target.id}/deactivate", {}).status_code == 403
    assert fresh(target).role == "shopper" and fresh(target).active
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    assert outbox() == []
