"""No sequence of events loses or invents a rupiah (issue 13, DESIGN invariant 12).

Hypothesis plays a shop for a few weeks across period boundaries: intake, online orders paid
or cancelled, counter sales, refunds, returns to the vendor, write-offs with either
responsibility, statement generation, early closes (refused), closes, exact, partial and
over-payments, advances (some above what is due: refused), settlement period changes and a
vendor's suspension. One product comes in two sizes (41 costs more), so statements hold per
variant too. After every step `verify-books` and `verify-ledger` hold.

Adding an event: one `@rule` below that does it through the real services, inside `self.at()`
(the shop's clock), then lets the invariant check it. Voids, price changes, markdowns and
bank-transfer refunds belong here as they are built.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from storefront.catalog import variants
from storefront.catalog.variants import OptionSpec
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.settlements import services as service
from storefront.settlements.books import verify_books
from storefront.settlements.models import Settlement, SettlementAdvance
from storefront.stock import ledger
from storefront.stock import operations as ops
from storefront.stock.models import Batch, MovementKind, StockLevel
from tests.conftest import act, empty_tables
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.integration.test_settlements import counter_sale, paid_order, refund
from tests.stock_helpers import receive

START = datetime(2027, 1, 2, 3, 0, tzinfo=UTC)  # 2 January 2027, 10:00 WIB
PERIODS = ("monthly", "biweekly", "weekly")
ITEMS = 5  # three products without options, and a sandal in sizes 40 and 41


def _on_shelf(item) -> list[tuple[int, int]]:
    """(batch id, units free to take) of the item's batches (one size of the sandal, or a
    product without options), oldest first."""
    product, variant = item
    which = Batch.product_id == product.id if variant is None else Batch.variant_id == variant.id
    return [
        (batch_id, on_hand - reserved)
        for batch_id, on_hand, reserved in db.session.execute(
            select(Batch.id, StockLevel.on_hand, StockLevel.reserved)
            .join(StockLevel, StockLevel.batch_id == Batch.id)
            .where(which, StockLevel.on_hand > StockLevel.reserved)
            .order_by(Batch.id)
        )
    ]


class Shop(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.now = START
        with self.at():
            empty_tables()
            self.manager = UserFactory(role="manager", name="Pengelola")
            self.cashier = UserFactory(role="manager", name="Kasir")
            food = CategoryFactory(commission_bp=None)
            self.vendors = [
                VendorFactory(name="Kopi Cikupa", bank_code="BCA", bank_holder="Budi"),
                VendorFactory(name="Batik Talaga", commission_bp=2250, settlement_period="weekly"),
            ]
            db.session.commit()
            self.products = [
                ProductFactory(vendor=self.vendors[0], category=food, price=33_333),
                ProductFactory(vendor=self.vendors[0], category=food, price=18_500),
                ProductFactory(vendor=self.vendors[1], category=food, price=12_340),
            ]
            sandal = ProductFactory(vendor=self.vendors[1], category=food, price=150_000)
            db.session.commit()
            variants.set_options(sandal, [OptionSpec.parse("Ukuran", "40, 41")])
            size_40, size_41 = sandal.active_variants
            variants.update_variant(size_41, sku=size_41.sku, price_delta=5_000)
            variants.approve_all(sandal)
            db.session.commit()
            # What a rule picks: a product without options, or one size of the sandal.
            self.items = [(p, None) for p in self.products] + [(sandal, size_40), (sandal, size_41)]
        self.orders: list[tuple[object, object, int]] = []  # (order, product, units refundable)
        self.generated = (START.year, START.month)  # the last month generated (from there on)

    def at(self):
        return time_machine.travel(self.now, tick=False)

    # --- time and stock ------------------------------------------------------------------

    @rule(hours=st.integers(1, 24 * 16))
    def time_passes(self, hours):
        self.now += timedelta(hours=hours)

    @rule(index=st.integers(0, ITEMS - 1), quantity=st.integers(1, 12))
    def intake(self, index, quantity):
        product, variant = self.items[index]
        with self.at():
            receive(product, quantity, actor=self.manager, variant=variant)

    def _free(self, item) -> int:
        return sum(free for _batch, free in _on_shelf(item))

    @rule(index=st.integers(0, ITEMS - 1), quantity=st.integers(1, 4), pay=st.booleans())
    def online_order(self, index, quantity, pay):
        item = product, variant = self.items[index]
        with self.at():
            if self._free(item) < quantity:
                return
            if pay:
                order = paid_order([(product, quantity, variant)], self.now)
                self.orders.append((order, item, quantity))
            else:  # cancelled before payment: the hold comes back, no money moves
                held = ledger.reserve(
                    [ledger.Line(product.id, quantity, variant_id=variant and variant.id)],
                    timedelta(minutes=30),
                )
                ledger.release(held)
                db.session.commit()

    @rule(index=st.integers(0, ITEMS - 1), quantity=st.integers(1, 3))
    def counter(self, index, quantity):
        item = product, variant = self.items[index]
        with self.at():
            if self._free(item) >= quantity:
                counter_sale(self.cashier, [(product, quantity, variant)], self.now)

    @rule(pick=st.integers(0, 50), quantity=st.integers(1, 3), restock=st.booleans())
    def refund_online(self, pick, quantity, restock):
        if not self.orders:
            return
        order, (product, variant), left = self.orders[pick % len(self.orders)]
        quantity = min(quantity, left)
        if quantity == 0:
            return
        with self.at():
            refund(order, product, quantity, self.now, restock=restock, variant=variant)
        self.orders[pick % len(self.orders)] = (order, (product, variant), left - quantity)

    @rule(index=st.integers(0, ITEMS - 1), quantity=st.integers(1, 3))
    def return_to_vendor(self, index, quantity):
        with self.at():
            shelf = _on_shelf(self.items[index])
            if not shelf:
                return
            batch_id, free = shelf[0]
            ledger.remove_from_batch(
                db.session.get(Batch, batch_id),
                min(quantity, free),
                MovementKind.RETURN_TO_VENDOR,
                actor_id=self.manager.id,
                reference_type="return_note",
                reference_id=None,
            )
            db.session.commit()

    @rule(
        index=st.integers(0, ITEMS - 1),
        quantity=st.integers(1, 3),
        responsible=st.sampled_from(("outlet", "vendor")),
    )
    def write_off(self, index, quantity, responsible):
        with self.at():
            shelf = _on_shelf(self.items[index])
            if not shelf:
                return
            batch_id, free = shelf[0]
            act(
                ops.record_write_off,
                db.session.get(Batch, batch_id),
                self.manager,
                quantity=min(quantity, free),
                kind="damage_loss",
                reason="Rusak",
                responsible=responsible,
            )

    # --- vendors ---------------------------------------------------------------------------

    @rule(vendor=st.integers(0, 1), period=st.sampled_from(PERIODS))
    def change_period(self, vendor, period):
        with self.at():
            self.vendors[vendor].settlement_period = period
            db.session.commit()

    @rule(vendor=st.integers(0, 1), suspended=st.booleans())
    def suspend(self, vendor, suspended):
        with self.at():
            self.vendors[vendor].status = "suspended" if suspended else "approved"
            db.session.commit()

    # --- statements ------------------------------------------------------------------------

    @rule()
    def generate(self):
        """The month's batch, and any month since the last one that was missed."""
        with self.at():
            today = today_wib()
            year, month = self.generated
            while (year, month) <= (today.year, today.month):
                act(service.generate_month, year, month, actor=self.manager)
                self.generated = (year, month)
                year, month = (year, month + 1) if month < 12 else (year + 1, 1)

    def _drafts(self):
        return db.session.scalars(
            select(Settlement)
            .where(Settlement.status == "draft")
            .order_by(Settlement.period_start, Settlement.id)
        ).all()

    @rule()
    def close_oldest(self):
        with self.at():
            self._close_ended(limit=1)

    def _close_ended(self, limit: int | None = None) -> None:
        closed = 0
        for draft in self._drafts():
            if limit is not None and closed >= limit:
                return
            if service.period_has_ended(draft):
                previous = service.previous_statement(draft)
                if previous is None or not previous.is_draft:
                    act(service.close_settlement, draft, actor=self.manager)
                    closed += 1

    @rule(days=st.integers(1, 20), delta=st.sampled_from((0, 0, -2_500, -40_000, 15_000)))
    def month_end(self, days, delta):
        """Days pass, then the manager's routine: the month's drafts, every period that is over
        closed, every closed statement paid (exactly, short or over by `delta`)."""
        self.now += timedelta(days=days)
        self.generate()
        with self.at():
            self._close_ended()
            for statement in db.session.scalars(
                select(Settlement).where(Settlement.status == "closed").order_by(Settlement.id)
            ).all():
                self._pay(statement, delta)

    @rule()
    def close_early_is_refused(self):
        with self.at():
            running = [d for d in self._drafts() if not service.period_has_ended(d)]
            if not running:
                return
            before = running[0].status
            with pytest.raises(service.SettlementError):
                act(service.close_settlement, running[0], actor=self.manager)
            db.session.expire_all()
            assert db.session.get(Settlement, running[0].id).status == before

    @rule(pick=st.integers(0, 50), delta=st.integers(-60_000, 60_000))
    def pay(self, pick, delta):
        with self.at():
            closed = db.session.scalars(
                select(Settlement).where(Settlement.status == "closed").order_by(Settlement.id)
            ).all()
            if not closed:
                return
            self._pay(closed[pick % len(closed)], delta)

    def _pay(self, statement, delta: int) -> None:
        if statement.net_payable == 0 and delta <= 0:
            return  # nothing to transfer: the balance is carried
        amount = max(statement.net_payable + delta, 0)
        payment = service.Payment(
            paid_on=today_wib(),
            reference=f"TRF-{statement.id}",
            amount=amount,
            note="Biaya transfer" if amount != statement.net_payable else "",
            confirmed=True,
            holder_confirmed="BUDI",
        )
        act(service.mark_paid, statement, payment, actor=self.manager)

    @rule()
    def paying_a_draft_is_refused(self):
        with self.at():
            drafts = self._drafts()
            if drafts:
                payment = service.Payment(today_wib(), "TRF-X", 1_000)
                with pytest.raises(service.InvalidTransition):
                    act(service.mark_paid, drafts[0], payment, actor=self.manager)

    @rule(vendor=st.integers(0, 1), share=st.integers(1, 150))
    def advance(self, vendor, share):
        """An advance of `share` % of what is due so far: above 100 % it must be refused."""
        with self.at():
            try:
                due = act(service.open_statement, self.vendors[vendor]).due
            except service.SettlementError:
                return
            amount = due * share // 100
            if amount <= 0:
                return
            count = db.session.scalar(select(func.count()).select_from(SettlementAdvance))
            advance = service.Advance(amount, today_wib(), f"ADV-{count + 1}")
            if amount > due:
                with pytest.raises(service.SettlementError, match="Paling banyak"):
                    act(service.record_advance, self.vendors[vendor], advance, actor=self.manager)
                after = db.session.scalar(select(func.count()).select_from(SettlementAdvance))
                assert after == count
            else:
                act(service.record_advance, self.vendors[vendor], advance, actor=self.manager)

    # --- what must always hold ----------------------------------------------------------------

    @invariant()
    def books_and_ledger_hold(self):
        with self.at():
            db.session.expire_all()
            problems = {books.name: books.problems for books in verify_books() if books.problems}
            assert problems == {}
            _checked, mismatches = ledger.verify_ledger()
            assert mismatches == []


def test_no_sequence_of_events_loses_or_invents_a_rupiah(ctx):
    Shop.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )

    run_state_machine_as_test(Shop, settings=Shop.TestCase.settings)
