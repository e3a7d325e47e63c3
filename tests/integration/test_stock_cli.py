"""`flask verify-ledger` and `flask expire-reservations`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storefront.database import utcnow
from storefront.extensions import db
from storefront.stock import ledger
from storefront.stock.ledger import Line
from storefront.stock.models import Reservation, ReservationStatus, StockLevel
from tests.factories import ProductFactory
from tests.stock_helpers import receive


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_a_balanced_ledger_passes(runner, ctx):
    product = ProductFactory()
    receive(product, 7)
    receive(product, 3)
    ledger.reserve([Line(product.id, 4)], timedelta(minutes=30))
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Checked 2 batches: the ledger balances."


def test_an_empty_ledger_passes(runner, ctx):
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 0
    assert "Checked 0 batches: the ledger balances." in result.output


def test_a_level_changed_behind_the_ledgers_back_is_reported(runner, ctx):
    good = ProductFactory(name="Kopi Robusta Tigaraksa", code="KR100")
    bad = ProductFactory(name="Dodol Betawi", code="DB200")
    receive(good, 5)
    tampered = receive(bad, 10, code="DB-0925")
    db.session.execute(
        update(StockLevel).where(StockLevel.batch_id == tampered.id).values(on_hand=12)
    )
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert "Checked 2 batches: 1 do not balance." in result.output
    assert f"batch {tampered.id} (DB200 Dodol Betawi, batch code DB-0925)" in result.output
    assert "on hand 12 but movements add up to 10" in result.output
    assert "KR100" not in result.output


def test_reserved_units_without_a_reservation_are_reported(runner, ctx):
    product = ProductFactory(code="RS300")
    batch = receive(product, 5)
    db.session.execute(update(StockLevel).where(StockLevel.batch_id == batch.id).values(reserved=2))
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert "reserved 2 but active reservations hold 0" in result.output


def test_expire_reservations_releases_only_expired_holds(runner, ctx):
    product = ProductFactory()
    batch = receive(product, 10)
    expired = ledger.reserve(
        [Line(product.id, 3)], timedelta(minutes=30), now=utcnow() - timedelta(hours=1)
    )
    db.session.commit()
    current = ledger.reserve([Line(product.id, 2)], timedelta(minutes=30))
    db.session.commit()
    expired_id, current_id = expired.id, current.id
    assert ledger.available_quantity(product.id) == 5

    result = runner.invoke(args=["expire-reservations"])
    assert result.exit_code == 0, result.output
    assert "Released 1 other expired reservation(s)." in result.output
    db.session.expire_all()
    statuses = dict(db.session.execute(select(Reservation.id, Reservation.status)).all())
    assert statuses == {
        expired_id: ReservationStatus.RELEASED.value,
        current_id: ReservationStatus.ACTIVE.value,
    }
    assert db.session.get(StockLevel, batch.id).reserved == 2
    assert ledger.available_quantity(product.id) == 8
    assert ledger.verify_ledger()[1] == []
    verify = runner.invoke(args=["verify-ledger"])
    assert verify.exit_code == 0, verify.output

    again = runner.invoke(args=["expire-reservations"])
    assert "Released 0 other expired reservation(s)." in again.output
