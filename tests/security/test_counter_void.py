"""The counter's void form takes a manager's password: it is limited like the sign-in page
(the same buckets) and takes as long whatever email was typed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.auth import models as auth_models
from storefront.auth import services as auth_services
from storefront.extensions import db
from storefront.pos import services
from storefront.pos.models import CounterSale, SaleStatus
from storefront.pos.selling import PaymentInput
from tests.conftest import Client, act
from tests.factories import PASSWORD, UserFactory
from tests.integration.test_pos import cashier_client, ring, shop  # noqa: F401 (fixtures)

WRONG = "tebakan-salah"


@pytest.fixture
def sale(shop):  # noqa: F811
    shift = act(services.open_shift, shop["cashier"], 0)
    return ring(shop, [(shop["sambal"], 1)], PaymentInput(cash_tendered=50_000), shift=shift)


def signing_in(app) -> Client:
    """Another browser at the same address as the till."""
    return Client(app.test_client())


def void(client, sale, email: str, password: str):
    return client.post_form(
        f"/counter/sales/{sale.id}/void",
        {"reason": "Salah barang", "approver_email": email, "approver_password": password},
    )


def test_guessing_a_managers_password_at_the_till_is_limited_like_signing_in(
    app,
    cashier_client,  # noqa: F811
    sale,
):
    statuses = [
        void(cashier_client, sale, "manajer@example.com", WRONG).status_code for _ in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    assert db.session.get(CounterSale, sale.id).status == SaleStatus.COMPLETED
    # Same bucket as the sign-in page: the till's address has used its guesses at this account.
    assert signing_in(app).login("manajer@example.com", PASSWORD).status_code == 429


def test_guesses_at_the_sign_in_page_count_at_the_till_too(
    app,
    cashier_client,  # noqa: F811
    sale,
):
    guesser = signing_in(app)  # at the till's address
    for _ in range(5):
        assert guesser.login("manajer@example.com", WRONG).status_code == 200
    assert void(cashier_client, sale, "manajer@example.com", PASSWORD).status_code == 429
    assert db.session.get(CounterSale, sale.id).status == SaleStatus.COMPLETED


def test_a_manager_voiding_their_own_sales_is_not_limited(app, client, shop):  # noqa: F811
    assert client.login("manajer@example.com", PASSWORD).status_code == 302
    shift = act(services.open_shift, shop["manager"], 0)
    sales = [
        ring(shop, [(shop["keripik"], 1)], PaymentInput(cash_tendered=50_000), shift=shift)
        for _ in range(6)
    ]
    statuses = [void(client, sale, "", "").status_code for sale in sales]
    assert statuses == [302] * 6


@pytest.mark.parametrize(
    "email",
    ["tidak-ada@example.com", "kasir@example.com", "manajer@example.com"],
    ids=["unknown-email", "not-a-manager", "manager"],
)
def test_the_check_costs_one_password_hash_whoever_the_email_names(
    app,
    cashier_client,  # noqa: F811
    sale,
    monkeypatch,
    email,
):
    """Timing must not tell which emails belong to managers: every case verifies one hash."""
    verified = []
    for module in (auth_models, auth_services):
        real = module.check_password_hash

        def spy(stored, password, real=real):
            verified.append(password)
            return real(stored, password)

        monkeypatch.setattr(module, "check_password_hash", spy)
    response = void(cashier_client, sale, email, WRONG)
    assert response.status_code == 400
    assert "Perlu email dan kata sandi pengelola gerai" in response.get_data(as_text=True)
    assert verified == [WRONG]


def test_a_deactivated_manager_cannot_approve(app, cashier_client, sale):  # noqa: F811
    UserFactory(email="mantan@example.com", role="manager", active=False)
    assert void(cashier_client, sale, "mantan@example.com", PASSWORD).status_code == 400
    assert db.session.scalar(select(CounterSale.status)) == SaleStatus.COMPLETED
