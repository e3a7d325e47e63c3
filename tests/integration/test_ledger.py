"""The stock ledger: every unit accounted for, never negative, never sold twice."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from storefront.database import unit_of_work
from storefront.extensions import db
from storefront.stock import ledger
from storefront.stock.ledger import Line, OutOfStock
from storefront.stock.models import (
    MovementKind,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
)
from tests.conftest import empty_tables
from tests.factories import ProductFactory, UserFactory
from tests.stock_helpers import receive

TODAY = date.today()  # noqa: DTZ011 (calendar dates relative to the run)


def books_balance() -> bool:
    db.session.rollback()
    _checked, mismatches = ledger.verify_ledger()
    return mismatches == []


def test_intake_puts_stock_on_the_shelf(ctx):
    product = ProductFactory()
    receive(product, 12)
    assert ledger.available_quantity(product.id) == 12
    movement = db.session.scalar(select(StockMovement))
    assert movement.kind == MovementKind.INTAKE and movement.quantity == 12
    assert books_balance()


def test_reservations_draw_first_expiring_first(ctx):
    product = ProductFactory()
    later = receive(product, 5, expires_on=TODAY + timedelta(days=90))
    sooner = receive(product, 5, expires_on=TODAY + timedelta(days=10))
    reservation = ledger.reserve([Line(product.id, 7)], timedelta(minutes=30))
    db.session.commit()
    taken = {line.batch_id: line.quantity for line in reservation.lines}
    assert taken == {sooner.id: 5, later.id: 2}
    assert ledger.available_quantity(product.id) == 3
    assert books_balance()


def test_expired_batches_are_never_sold(ctx):
    product = ProductFactory()
    receive(product, 4, expires_on=TODAY - timedelta(days=1))
    fresh = receive(product, 2, expires_on=TODAY + timedelta(days=30))
    assert ledger.available_quantity(product.id) == 2
    with pytest.raises(OutOfStock) as error:
        ledger.reserve([Line(product.id, 3)], timedelta(minutes=30))
    db.session.rollback()
    assert error.value.available == 2
    reservation = ledger.reserve([Line(product.id, 2)], timedelta(minutes=30))
    assert [line.batch_id for line in reservation.lines] == [fresh.id]


def test_short_stock_fails_cleanly_and_changes_nothing(ctx):
    product = ProductFactory()
    other = ProductFactory()
    receive(product, 3)
    receive(other, 10)
    with pytest.raises(OutOfStock):
        ledger.reserve([Line(other.id, 2), Line(product.id, 4)], timedelta(minutes=30))
    db.session.rollback()
    assert ledger.available_quantity(product.id) == 3
    assert ledger.available_quantity(other.id) == 10
    assert db.session.scalar(select(Reservation)) is None
    assert books_balance()


@pytest.mark.parametrize("quantity", [0, -2])
def test_zero_or_negative_quantity_is_refused(ctx, quantity):
    product = ProductFactory()
    receive(product, 3)
    with pytest.raises(ledger.StockError):
        ledger.reserve([Line(product.id, quantity)], timedelta(minutes=30))
    db.session.rollback()
    assert ledger.available_quantity(product.id) == 3
    assert books_balance()


def test_release_and_sale(ctx):
    product = ProductFactory()
    receive(product, 10)
    first = ledger.reserve([Line(product.id, 4)], timedelta(minutes=30))
    second = ledger.reserve([Line(product.id, 3)], timedelta(minutes=30))
    db.session.commit()
    ledger.release(first)
    db.session.commit()
    assert ledger.available_quantity(product.id) == 7
    movements = ledger.commit_sale(second, "online", reference_type="order_line", reference_id=42)
    db.session.commit()
    assert [m.quantity for m in movements] == [-3]
    assert movements[0].kind == MovementKind.ONLINE_SALE
    level = db.session.scalar(select(StockLevel))
    assert (level.on_hand, level.reserved) == (7, 0)
    with pytest.raises(ledger.InvalidReservation):
        ledger.release(second)
    db.session.rollback()
    assert books_balance()


def test_counter_sale_and_removals(ctx):
    manager = UserFactory(role="manager")
    product = ProductFactory()
    batch = receive(product, 6)
    ledger.record_counter_sale(
        [Line(product.id, 2)], reference_type="counter_sale", reference_id=1, actor_id=manager.id
    )
    db.session.commit()
    ledger.reserve([Line(product.id, 3)], timedelta(minutes=30))
    db.session.commit()
    # 4 on hand, 3 held for a buyer: only 1 can go back to the vendor.
    with pytest.raises(OutOfStock):
        ledger.remove_from_batch(
            batch, 2, MovementKind.RETURN_TO_VENDOR, actor_id=manager.id,
            reference_type="return_note", reference_id=None,
        )  # fmt: skip
    db.session.rollback()
    ledger.remove_from_batch(
        batch, 1, MovementKind.DAMAGE_LOSS, actor_id=manager.id,
        reference_type="stock_write_off", reference_id=None, reason="jatuh",
    )  # fmt: skip
    db.session.commit()
    assert ledger.available_quantity(product.id) == 0
    assert books_balance()


def test_expired_reservations_are_released(ctx):
    product = ProductFactory()
    receive(product, 5)
    reservation = ledger.reserve([Line(product.id, 5)], timedelta(minutes=-1))
    db.session.commit()
    assert ledger.expire_reservations() == 1
    db.session.commit()
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.RELEASED
    assert ledger.available_quantity(product.id) == 5
    assert books_balance()


def test_the_database_refuses_negative_stock_even_bypassing_the_service(ctx):
    product = ProductFactory()
    batch = receive(product, 1)
    with pytest.raises(IntegrityError):
        db.session.execute(
            text("UPDATE stock_levels SET on_hand = -1 WHERE batch_id = :id"), {"id": batch.id}
        )
        db.session.flush()
    db.session.rollback()


def test_verify_ledger_finds_a_tampered_level(ctx):
    product = ProductFactory()
    batch = receive(product, 5)
    db.session.execute(
        text("UPDATE stock_levels SET on_hand = 4 WHERE batch_id = :id"), {"id": batch.id}
    )
    db.session.commit()
    _checked, mismatches = ledger.verify_ledger()
    assert [m.batch_id for m in mismatches] == [batch.id]
    assert "movements add up to 5" in mismatches[0].problem


# --- random sequences ----------------------------------------------------------------------

operations = st.lists(
    st.tuples(
        st.sampled_from(["intake", "reserve", "release", "sale", "return", "correct", "counter"]),
        st.integers(min_value=0, max_value=2),  # which product
        st.integers(min_value=-3, max_value=12),  # quantity (some invalid)
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_any_sequence_of_operations_keeps_the_books_balanced(app, steps):
    with app.app_context():
        empty_tables()
        manager = UserFactory(role="manager")
        products = [ProductFactory() for _ in range(3)]
        batches = {p.id: [] for p in products}
        open_reservations = []
        for step, which, quantity in steps:
            product = products[which]
            try:
                if step == "intake" and quantity > 0:
                    expires = TODAY + timedelta(days=quantity)
                    batches[product.id].append(receive(product, quantity, expires_on=expires))
                elif step == "reserve":
                    open_reservations.append(
                        ledger.reserve([Line(product.id, quantity)], timedelta(minutes=30))
                    )
                elif step == "release" and open_reservations:
                    ledger.release(open_reservations.pop(0))
                elif step == "sale" and open_reservations:
                    ledger.commit_sale(
                        open_reservations.pop(), "online", reference_type="order", reference_id=1
                    )
                elif step == "counter":
                    ledger.record_counter_sale(
                        [Line(product.id, quantity)],
                        reference_type="counter_sale",
                        reference_id=1,
                        actor_id=manager.id,
                    )
                elif step in ("return", "correct") and batches[product.id]:
                    batch = batches[product.id][0]
                    if step == "return":
                        ledger.remove_from_batch(
                            batch, quantity, MovementKind.RETURN_TO_VENDOR,
                            actor_id=manager.id, reference_type="return_note", reference_id=None,
                        )  # fmt: skip
                    else:
                        ledger.correct_count(
                            batch, quantity, actor_id=manager.id, count_id=1, reason="opname"
                        )
                db.session.commit()
            except ledger.StockError:
                db.session.rollback()
            levels = db.session.scalars(select(StockLevel)).all()
            assert all(0 <= level.reserved <= level.on_hand for level in levels)
            assert books_balance(), f"after {step} {quantity}"


# --- two buyers, one jar -------------------------------------------------------------------


def test_many_buyers_at_once_never_get_more_than_the_shelf_holds(app, ctx):
    product = ProductFactory()
    receive(product, 5)
    product_id = product.id
    results: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def buyer():
        # Each buyer is one action: its unit of work takes SQLite's write lock as it begins.
        with app.app_context():
            start.wait()
            try:
                with unit_of_work():
                    ledger.reserve([Line(product_id, 1)], timedelta(minutes=30))
                outcome = "got"
            except OutOfStock:
                outcome = "sold out"
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=buyer) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["got"] * 5 + ["sold out"] * 7
    db.session.rollback()
    level = db.session.scalar(select(StockLevel))
    assert (level.on_hand, level.reserved) == (5, 5)
    assert books_balance()
