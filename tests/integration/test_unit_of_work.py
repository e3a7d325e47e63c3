"""One transaction per action (DESIGN invariant 11, storefront/database.py).

The first half checks the unit of work itself: one commit, rollback on any exception, side
effects only after a commit, SQLite's write lock taken at BEGIN. The second half injects a
failure into the second step of every action that writes stock or money and checks that the
database is exactly as it was before the action, and that the ledger still verifies.
"""

from __future__ import annotations

import importlib
import inspect
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import func, select, text

import storefront.models  # noqa: F401  (every mapper known before a service module is used)
from storefront import audit, database
from storefront.auth.models import Role
from storefront.clock import start_of_day, today_wib
from storefront.database import after_commit, ensure_write_lock, unit_of_work, utcnow
from storefront.extensions import db
from storefront.orders import fulfilment
from storefront.orders.models import Order, PaidWith, PaymentMethod, Refund
from storefront.orders.services import CheckoutDetails, place_order
from storefront.payments.providers import provider
from storefront.pos import selling
from storefront.pos import services as pos
from storefront.pos.selling import RunningSale
from storefront.settings.models import Setting
from storefront.settlements import services as settlements
from storefront.settlements.models import Settlement
from storefront.stock import counts as opname
from storefront.stock.ledger import verify_ledger
from storefront.stock.models import StockCount
from tests.conftest import Client, act
from tests.factories import PASSWORD, ProductFactory, UserFactory, VendorFactory
from tests.fake_stripe import signed, stripe_config
from tests.integration.test_checkout import CHECKOUT
from tests.stock_helpers import receive

# --- the unit of work ----------------------------------------------------------------------


def _setting(key: str) -> str | None:
    return db.session.scalar(select(Setting.value).where(Setting.key == key))


def test_an_action_commits_once_and_then_runs_its_after_commit_callbacks(ctx):
    ran = []
    with unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        after_commit(lambda: ran.append(_setting("outlet_name")))
        assert ran == []
    # The callback saw the committed row.
    assert ran == ["Gerai Uji"]


def test_a_failing_action_rolls_back_and_runs_no_callbacks(ctx):
    ran = []
    with pytest.raises(ZeroDivisionError), unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        db.session.flush()
        after_commit(lambda: ran.append("mail"))
        1 / 0  # noqa: B018
    assert ran == []
    assert _setting("outlet_name") is None


def test_a_refused_action_shown_on_its_form_commits_nothing_it_did(ctx):
    ran = []
    with unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        after_commit(lambda: ran.append("mail"))
        database.rollback()  # what form_error does after a DomainError
    assert ran == []
    assert _setting("outlet_name") is None


def test_a_failing_callback_is_logged_and_the_action_stays_committed(app, ctx, caplog, monkeypatch):
    # Alembic's logging set-up (the migration tests) disables existing loggers for the run.
    monkeypatch.setattr(app.logger, "disabled", False)

    def broken_mail_server():
        raise ConnectionRefusedError("smtp down")

    with unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        after_commit(broken_mail_server)
    assert _setting("outlet_name") == "Gerai Uji"
    assert "after-commit callback" in caplog.text


def test_services_may_not_commit_inside_an_action(ctx):
    with pytest.raises(RuntimeError, match="commits once"), unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        db.session.commit()
    assert _setting("outlet_name") is None


def test_after_commit_needs_an_action(ctx):
    with pytest.raises(RuntimeError, match="outside a unit of work"):
        after_commit(lambda: None)


def test_a_nested_unit_joins_the_action_around_it(ctx):
    with pytest.raises(ZeroDivisionError), unit_of_work():
        with unit_of_work():
            db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        # The inner unit did not commit: the outer one decides.
        1 / 0  # noqa: B018
    assert _setting("outlet_name") is None


def test_a_savepoint_rolls_back_alone_inside_an_action(ctx):
    with unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        with pytest.raises(ZeroDivisionError), db.session.begin_nested():
            db.session.add(Setting(key="whatsapp", value="+6281200000000"))
            db.session.flush()
            1 / 0  # noqa: B018
    assert _setting("outlet_name") == "Gerai Uji"
    assert _setting("whatsapp") is None


def test_a_reading_action_that_must_write_takes_the_lock_first(ctx):
    ProductFactory(name="Kopi Cikupa")
    with unit_of_work(write=False):
        # (The new product gave the catalogue a new version, a setting of its own.)
        outlet_name = select(func.count()).select_from(Setting).where(Setting.key == "outlet_name")
        assert db.session.scalar(outlet_name) == 0
        ensure_write_lock()
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
    assert _setting("outlet_name") == "Gerai Uji"


def test_a_reading_action_that_writes_without_the_lock_is_flagged(ctx):
    with pytest.raises(database.UnitOfWorkWarning), unit_of_work(write=False):
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        db.session.flush()
    assert _setting("outlet_name") is None


def _is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def test_sqlite_takes_the_write_lock_when_a_writing_action_begins(app, ctx):
    """Two writers at once: the second waits at BEGIN for the first to commit, instead of
    reading the same rows and failing half-way with "database is locked"."""
    if not _is_sqlite():
        pytest.skip("PostgreSQL locks rows (SELECT … FOR UPDATE), tested by the race tests")
    db.session.add(Setting(key="outlet_name", value="0"))
    db.session.commit()
    first_holds_the_lock = threading.Event()
    events: list[str] = []

    def writer(name: str, wait_before_writing: float) -> None:
        with app.app_context():
            with unit_of_work():
                events.append(f"{name} began")
                if name == "first":
                    first_holds_the_lock.set()
                value = db.session.scalar(
                    select(Setting).where(Setting.key == "outlet_name")
                )  # read, then write what was read: a lost update without the lock
                time.sleep(wait_before_writing)
                value.value = str(int(value.value) + 1)
            events.append(f"{name} committed")

    first = threading.Thread(target=writer, args=("first", 0.5))
    first.start()
    assert first_holds_the_lock.wait(5)
    second = threading.Thread(target=writer, args=("second", 0))
    second.start()
    first.join(10)
    second.join(10)
    assert events == ["first began", "first committed", "second began", "second committed"]
    db.session.expire_all()
    assert _setting("outlet_name") == "2"


def test_readers_do_not_wait_for_a_writer(app, ctx):
    if not _is_sqlite():
        pytest.skip("SQLite's write lock only")
    db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
    db.session.commit()
    with unit_of_work():
        db.session.execute(text("UPDATE settings SET value = 'Gerai Baru'"))
        seen = []

        def reader():
            with app.app_context(), unit_of_work(write=False):
                seen.append(_setting("outlet_name"))

        thread = threading.Thread(target=reader)
        started = time.monotonic()
        thread.start()
        thread.join(10)
        assert time.monotonic() - started < 2
    assert seen == ["Gerai Uji"]


# --- a failure in the second step of every action that writes stock or money ---------------
#
# Each case sets the shop up, then runs one real action (an HTTP request as the person who does
# it, the Stripe webhook, a command) while one of our own functions, called after the action's
# first write, raises. Everything the action wrote must be gone: every row of every table is
# as it was, and the ledger balances. The same action without the fault then does change the
# books, so the case really is an action that writes.


class Injected(Exception):
    """The fault: not a DomainError, so no view catches it."""


def _boom(*args, **kwargs):
    db.session.flush()  # what the action did so far reaches the database, inside its transaction
    raise Injected


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    db.session.rollback()
    db.session.expire_all()
    return {
        table.name: sorted((tuple(row) for row in db.session.execute(select(table))), key=repr)
        for table in db.metadata.sorted_tables
    }


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _signed_in(app, email: str) -> Client:
    client = Client(app.test_client())
    assert client.login(email, PASSWORD).status_code == 302
    return client


def _poster(client: Client, path: str, data: dict, **kwargs) -> Callable[[], object]:
    """The form POST, with its CSRF token fetched now, before any fault is in place."""
    token = client.csrf_token(path)
    return lambda: client.post(path, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def app_config(fake_stripe):
    return stripe_config(fake_stripe)


@pytest.fixture
def shop(app, ctx):
    vendor = VendorFactory(name="Dapur Nyai Cikupa", commission_bp=2000)
    keripik = ProductFactory(vendor=vendor, name="Keripik Singkong", price=25_000)
    batch = receive(keripik, 20, expires_on=today_wib() + timedelta(days=120))
    manager = UserFactory(role=Role.MANAGER.value, email="manajer@example.com")
    cashier = UserFactory(role=Role.CASHIER.value, email="kasir@example.com")
    db.session.commit()
    return SimpleNamespace(
        app=app, vendor=vendor, keripik=keripik, batch=batch, manager=manager, cashier=cashier
    )


def _order(shop, quantity: int = 2, payment_method: str = "outlet"):
    details = CheckoutDetails(
        name="Sari Wulandari",
        email="sari@example.com",
        phone="+6281234567890",
        fulfilment="pickup",
        payment_method=payment_method,
    )
    return act(place_order, {shop.keripik.id: quantity}, details, card_enabled=True)


def _paid_order(shop, quantity: int = 2):
    order = _order(shop, quantity)
    payment = fulfilment.Payment(PaidWith.CASH)
    act(fulfilment.take_payment, order, payment, actor=shop.manager)
    return order


def _card_order(shop):
    """A card order with its Stripe payment page; returns (order, the page's session id)."""
    order = _order(shop, payment_method=PaymentMethod.STRIPE.value)
    with unit_of_work():
        order = db.session.get(Order, order.id)
        checkout = provider().start_checkout(order, success_url="http://x/ok", cancel_url="x")
    return order, checkout.session_id


def _webhook(shop, event: dict) -> Callable[[], object]:
    body, headers = signed(event)
    client = shop.app.test_client()
    return lambda: client.post("/payments/stripe/webhook", data=body, headers=headers)


def checkout(shop):
    client = Client(shop.app.test_client())
    client.post("/cart/add", data={"product_id": shop.keripik.id, "quantity": "2"})
    # The stock is held first; numbering the order is the second step.
    action = _poster(client, "/checkout", CHECKOUT)
    return action, ("storefront.orders.services", "next_daily_number")


def pay_at_the_outlet(shop):
    order = _order(shop)
    client = _signed_in(shop.app, shop.manager.email)
    action = _poster(client, f"/manage/orders/{order.id}/paid", {"paid_with": "cash"})
    return action, ("storefront.audit", "record")


def stripe_paid(shop, fake_stripe):
    _, session_id = _card_order(shop)
    action = _webhook(shop, fake_stripe.complete(session_id))
    # The event is stored and the held stock becomes a sale first; the order's lines are
    # stamped with the payment time in the second step.
    return action, ("storefront.orders.services", "_stamp_lines")


def stripe_expired(shop, fake_stripe):
    _, session_id = _card_order(shop)
    action = _webhook(shop, fake_stripe.expire(session_id))
    return action, ("storefront.orders.notify", "order_cancelled")


def stripe_refunded(shop, fake_stripe):
    order, session_id = _card_order(shop)
    assert _webhook(shop, fake_stripe.complete(session_id))().status_code == 200
    payment = db.session.get(Order, order.id).provider_payment_id
    action = _webhook(shop, fake_stripe.dashboard_refund(payment, 25_000 * 100))
    return action, ("storefront.orders.services", "flag")


def cancel_by_the_shopper(shop):
    order = _order(shop)
    client = Client(shop.app.test_client())
    path = f"/orders/{order.number}/cancel?key={order.access_key}"
    # The status changes first; releasing the stock is the second step.
    return _poster(client, path, {}), ("storefront.stock.ledger", "_lock_reservation")


def cancel_by_a_manager(shop):
    order = _order(shop)
    client = _signed_in(shop.app, shop.manager.email)
    path = f"/manage/orders/{order.id}/cancel"
    return _poster(client, path, {"reason": "Pembeli minta batal"}), ("storefront.audit", "record")


def refund_in_cash(shop):
    order = _paid_order(shop)
    client = _signed_in(shop.app, shop.manager.email)
    data = {"scope": "full", "method": "cash", "restock": "y", "reason": "Rusak", "token": "t-1"}
    action = _poster(client, f"/manage/orders/{order.id}/refund", data)
    return action, ("storefront.audit", "record")


def counter_sale(shop):
    act(pos.open_shift, shop.cashier, 100_000)
    client = _signed_in(shop.app, shop.cashier.email)
    assert client.post_form("/counter/scan", {"code": shop.keripik.code}).status_code == 302
    # The stock leaves the shelf first; numbering the sale is the second step.
    action = _poster(client, "/counter/pay", {"exact": "1"})
    return action, ("storefront.pos.selling", "next_daily_number")


def counter_void(shop):
    shift = act(pos.open_shift, shop.cashier, 100_000)
    sale = RunningSale(lines={shop.keripik.default_variant.id: 3})
    sale = act(selling.ring_up, shift, shop.cashier, sale, selling.PaymentInput(exact_cash=True))
    client = _signed_in(shop.app, shop.manager.email)
    action = _poster(client, f"/counter/sales/{sale.id}/void", {"reason": "Salah scan"})
    # The goods are back on the shelf first; locking the shift is the second step.
    return action, ("storefront.pos.services", "lock_shift")


def intake(shop):
    client = _signed_in(shop.app, shop.manager.email)
    data = {
        "vendor_id": str(shop.vendor.id),
        "submission_key": uuid.uuid4().hex,
        "action": "confirm",
        "lines-0-product": str(shop.keripik.id),
        "lines-0-quantity": "12",
        "lines-0-expires_on": (today_wib() + timedelta(days=90)).isoformat(),
    }
    return _poster(client, "/manage/stock/intake", data), ("storefront.audit", "record")


def return_to_vendor(shop):
    client = _signed_in(shop.app, shop.manager.email)
    path = f"/manage/stock/returns/vendor/{shop.vendor.id}"
    data = {f"qty-{shop.batch.id}": "3", "reason": "unsold"}
    return _poster(client, path, data), ("storefront.audit", "record")


def write_off(shop):
    client = _signed_in(shop.app, shop.manager.email)
    path = f"/manage/stock/write-offs/batch/{shop.batch.id}"
    data = {
        "quantity": "2",
        "kind": "damage_loss",
        "reason": "Dua bungkus sobek",
        "responsible": "outlet",
    }
    return _poster(client, path, data), ("storefront.audit", "record")


def stock_count_post(shop):
    count = act(opname.start_count, shop.manager, "all")
    line = db.session.get(StockCount, count.id).lines[0]
    act(opname.record_counted, line, shop.manager, line.expected - 1)
    client = _signed_in(shop.app, shop.manager.email)
    path = f"/manage/stock/counts/{count.id}/post"
    data = {"reason": "Satu hilang", "responsible": "outlet"}
    return _poster(client, path, data), ("storefront.audit", "record")


def settlement_generate(shop):
    _paid_order(shop, quantity=4)
    client = _signed_in(shop.app, shop.manager.email)
    action = _poster(client, "/manage/settlements/generate", {"month": f"{today_wib():%Y-%m}"})
    return action, ("storefront.audit", "record")


def _draft_statement(shop):
    _paid_order(shop, quantity=4)
    today = today_wib()
    with unit_of_work():
        statements = settlements.generate_month(today.year, today.month, actor=shop.manager)
        return statements[0].id


def _after_the_period(statement_id: int, action: Callable[[], object]) -> Callable[[], object]:
    """A statement closes once its period is over: the action runs the day after it."""
    end = db.session.get(Settlement, statement_id).period_end
    moment = start_of_day(end + timedelta(days=1))

    def run():
        with time_machine.travel(moment, tick=False):
            return action()

    return run


def settlement_close(shop):
    statement_id = _draft_statement(shop)
    client = _signed_in(shop.app, shop.manager.email)
    path = f"/manage/settlements/{statement_id}/close"
    # The form's CSRF token is fetched then too: a month-old one has expired.
    action = _after_the_period(statement_id, lambda: _poster(client, path, {})())
    return action, ("storefront.audit", "record")


def settlement_pay(shop):
    statement_id = _draft_statement(shop)
    with unit_of_work():
        statement = db.session.get(Settlement, statement_id)
        close = _after_the_period(
            statement_id, lambda: settlements.close_settlement(statement, actor=shop.manager)
        )
        net = close().net_payable
    assert net > 0
    client = _signed_in(shop.app, shop.manager.email)
    data = {"paid_on": today_wib().isoformat(), "reference": "TRF-1", "amount": str(net)}
    # The first payout to an account asks for the holder name the bank showed (issue 14).
    data["holder_confirmed"] = "Siti Nurhaliza"
    action = _poster(client, f"/manage/settlements/{statement_id}/pay", data)
    return action, ("storefront.audit", "record")


def expire_reservations(shop):
    order = _order(shop)
    with unit_of_work():
        order = db.session.get(Order, order.id)
        order.reserved_until = order.reservation.expires_at = utcnow() - timedelta(minutes=1)
    runner = shop.app.test_cli_runner()

    def run():
        result = runner.invoke(args=["expire-reservations"])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    # Unpaid orders are cancelled first; releasing other expired holds is the second step.
    return run, ("storefront.stock.ledger", "expire_reservations")


ACTIONS = [
    checkout,
    pay_at_the_outlet,
    stripe_paid,
    stripe_expired,
    stripe_refunded,
    cancel_by_the_shopper,
    cancel_by_a_manager,
    refund_in_cash,
    counter_sale,
    counter_void,
    intake,
    return_to_vendor,
    write_off,
    stock_count_post,
    settlement_generate,
    settlement_close,
    settlement_pay,
    expire_reservations,
]


@pytest.mark.parametrize("arrange", ACTIONS, ids=[a.__name__ for a in ACTIONS])
def test_a_failure_after_the_first_write_leaves_the_database_as_it_was(
    shop, fake_stripe, monkeypatch, outbox, arrange
):
    wants_stripe = "fake_stripe" in inspect.signature(arrange).parameters
    action, (module, name) = arrange(shop, fake_stripe) if wants_stripe else arrange(shop)
    mails = len(outbox())
    before = snapshot()

    with monkeypatch.context() as fault:
        fault.setattr(importlib.import_module(module), name, _boom)
        with pytest.raises(Injected):
            action()

    after = snapshot()
    assert changed_tables(before, after) == []
    assert verify_ledger()[1] == []
    assert len(outbox()) == mails  # a rolled-back action sends nothing
    # Without the fault the same action does write: the test above was not vacuous.
    action()
    assert changed_tables(before, snapshot()) != []
    assert verify_ledger()[1] == []


def test_a_card_refund_that_fails_after_stripe_keeps_only_its_key(shop, fake_stripe, monkeypatch):
    """The one action in two units (docs/decisions.md): the refund and its key are stored
    before Stripe is asked; a failure after Stripe answered rolls back the second unit only,
    and the same form sent again finishes the refund without refunding twice."""
    order, session_id = _card_order(shop)
    assert _webhook(shop, fake_stripe.complete(session_id))().status_code == 200
    client = _signed_in(shop.app, shop.manager.email)
    data = {"scope": "full", "method": "stripe", "reason": "Rusak", "token": "kartu-1"}
    refund = _poster(client, f"/manage/orders/{order.id}/refund", data)
    before = snapshot()

    with monkeypatch.context() as fault:
        fault.setattr(audit, "record", _boom)
        with pytest.raises(Injected):
            refund()

    after = snapshot()
    assert changed_tables(before, after) == ["refunds", "refund_lines"]
    [waiting] = db.session.scalars(select(Refund)).all()
    assert (waiting.idempotency_key, waiting.provider_reference) == ("kartu-1", None)
    assert db.session.get(Order, order.id).refunded_amount == 0
    assert len(fake_stripe.refunds) == 1

    assert refund().status_code == 302
    db.session.rollback()
    assert len(fake_stripe.refunds) == 1  # the same key: Stripe refunded once
    assert db.session.get(Order, order.id).refunded_amount == order.total
    assert db.session.get(Refund, waiting.id).provider_reference is not None


def test_a_card_refund_stripe_refuses_leaves_nothing_behind(shop, fake_stripe):
    """The refused refund's stored key is removed in its own committed step: the manager sees
    why, the order can be refunded again, and the books are as they were."""
    order, session_id = _card_order(shop)
    assert _webhook(shop, fake_stripe.complete(session_id))().status_code == 200
    client = _signed_in(shop.app, shop.manager.email)
    data = {"scope": "full", "method": "stripe", "reason": "Rusak", "token": "kartu-2"}
    refund = _poster(client, f"/manage/orders/{order.id}/refund", data)
    before = snapshot()
    fake_stripe.fail_next(400, "invalid_request_error", "This charge was disputed.")

    response = refund()

    assert response.status_code == 400
    assert "tidak ada dana yang dikembalikan" in response.get_data(as_text=True)
    assert changed_tables(before, snapshot()) == []
    assert refund().status_code == 302  # Stripe answers this time
    db.session.rollback()
    assert db.session.get(Order, order.id).refunded_amount == order.total
