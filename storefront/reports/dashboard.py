"""The manager dashboard's figures: how the outlet is doing and what waits for a manager.

Each figure is one grouped query bounded by an index (sales by their paid or rung-up time,
work queues by status, permits by their end date), so the page costs the same with 80
products or 100,000 (bench/dashboard.py measures it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from storefront import cache
from storefront.catalog.models import Product, ProductStatus
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.orders import fulfilment
from storefront.reports import sales, stock
from storefront.reports.ranges import DateRange, last_days
from storefront.settlements.models import Settlement, SettlementStatus
from storefront.vendors import services as vendors

WINDOWS = {"today": 1, "week": 7, "month": 30}
PERMIT_NOTICE_DAYS = 30


@dataclass
class Dashboard:
    today: date
    windows: dict[str, DateRange]
    by_channel: dict = field(default_factory=dict)  # channel -> window -> Totals
    by_category: list = field(default_factory=list)  # (label, {window: Totals})
    per_day: dict = field(default_factory=dict)
    top_products: sales.Grouped | None = None
    top_vendors: sales.Grouped | None = None
    low_stock: list = field(default_factory=list)
    orders: dict = field(default_factory=dict)
    applications: int = 0
    products_to_review: int = 0
    permits_lapsing: int = 0
    permits_lapsed: int = 0
    batches_expired: int = 0
    batches_expiring: int = 0
    statements_to_close: int = 0
    statements_to_pay: int = 0

    def channel_total(self, window: str) -> sales.Totals:
        total = sales.Totals()
        for per_window in self.by_channel.values():
            t = per_window[window]
            total.add(t.quantity, t.gross, 0, 0)
        return total


def build(today: date | None = None) -> Dashboard:
    today = today or today_wib()
    windows = {name: last_days(days, today) for name, days in WINDOWS.items()}
    board = Dashboard(today=today, windows=windows)

    products, board.by_channel, board.per_day, categories = _sales(today, windows)
    names = list(windows)
    month_gross = 2 + 2 * names.index("month")  # in each product's list: vendor, q, g, q, g...
    per_category: dict[int | None, list[int]] = {}
    per_vendor: dict[int, list[int]] = {}
    for pid, entry in products.items():
        for bucket in (
            per_category.setdefault(categories.get(pid), [0] * (len(entry) - 1)),
            per_vendor.setdefault(entry[0], [0] * (len(entry) - 1)),
        ):
            for index, value in enumerate(entry[1:]):
                bucket[index] += value
    labels = sales.labels("category", [c for c in per_category if c is not None])
    board.by_category = sorted(
        ((labels.get(cid, "—"), _totals(sums, names)) for cid, sums in per_category.items()),
        key=lambda row: -row[1]["month"].gross,
    )
    best = sorted(products, key=lambda pid: -products[pid][month_gross])
    month_of = {pid: _totals(products[pid][1:], names)["month"] for pid in best[:5]}
    board.top_products = _top("product", month_of)
    best_vendors = sorted(per_vendor, key=lambda vid: -per_vendor[vid][month_gross - 1])[:5]
    board.top_vendors = _top(
        "vendor", {vid: _totals(per_vendor[vid], names)["month"] for vid in best_vendors}
    )
    board.low_stock = stock.low_stock_of(
        [(pid, products[pid][month_gross - 1]) for pid in best[:300]], limit=8
    )

    board.orders = fulfilment.queue_counts()
    board.applications = vendors.status_counts().get("submitted", 0)
    board.products_to_review = _products_waiting()
    board.permits_lapsed, board.permits_lapsing = _permits(today)
    board.batches_expired, board.batches_expiring = stock.batches_near_expiry(today)
    board.statements_to_close, board.statements_to_pay = _statements(today)
    return board


# --- sales: the days before today kept, today read live --------------------------------------
# The days before today do not change any more (a sale counts on the day it was paid or rung
# up), so their figures are kept in the shop's cache (storefront/cache.py: each worker's
# memory, or Redis shared by all when configured) for REPORT_CACHE_SECONDS and only today's
# sales are read on every request. A void of yesterday's sale in a shift still open at
# midnight shows once the kept figures are read again (at most REPORT_CACHE_SECONDS later).


def _history(today: date, windows: dict[str, DateRange]):
    """The figures of the windows' days before today: (products, channels, per day,
    categories), computed once and kept."""

    def compute():
        yesterday = today - timedelta(days=1)
        past = {
            name: DateRange(r.start, yesterday) for name, r in windows.items() if name != "today"
        }
        products, channels = sales.product_windows(past)
        per_day = sales.per_day_and_channel(DateRange(windows["month"].start, yesterday))
        return products, channels, per_day, sales.categories_of(products)

    seconds = int(current_app.config.get("REPORT_CACHE_SECONDS", 0) or 0)
    if not seconds:
        return compute()
    key = f"dashboard-history:{today.isoformat()}"
    kept = cache.get(key)
    if kept is None:
        kept = compute()
        cache.set(key, kept, timeout=seconds)
    return kept


def _sales(today: date, windows: dict[str, DateRange]):
    """Products ({id: [vendor, quantity, gross per window...]}), channels ({channel: {window:
    Totals}}), sales per day and channel, and each product's category: the kept days before
    today with today's sales added."""
    history, past_channels, past_days, categories = _history(today, windows)
    live, live_channels = sales.product_windows({"today": windows["today"]})
    names = [name for name in windows if name != "today"]
    products: dict[int, list[int]] = {}
    for pid in set(history) | set(live):
        vendor, q_today, g_today = live.get(pid) or [history[pid][0], 0, 0]
        entry = [vendor, q_today, g_today]
        past = history.get(pid)
        for index in range(len(names)):
            q_past, g_past = (past[1 + 2 * index], past[2 + 2 * index]) if past else (0, 0)
            entry += [q_past + q_today, g_past + g_today]
        products[pid] = entry
    channels = {}
    for channel, today_totals in live_channels.items():
        channels[channel] = {"today": today_totals["today"]}
        for name in names:
            totals = channels[channel][name] = sales.Totals()
            for part in (past_channels[channel][name], today_totals["today"]):
                totals.add(part.quantity, part.gross, 0, 0)
    per_day = {**past_days, **sales.per_day_and_channel(windows["today"])}
    missing = [pid for pid in live if pid not in categories]
    categories = {**categories, **sales.categories_of(missing)} if missing else categories
    return products, channels, per_day, categories


def _totals(sums: list[int], names: list[str]) -> dict[str, sales.Totals]:
    """[quantity, gross, quantity, gross, ...] per window as Totals by window name."""
    result = {}
    for index, name in enumerate(names):
        result[name] = totals = sales.Totals()
        totals.add(sums[2 * index], sums[2 * index + 1], 0, 0)
    return result


def _top(by: str, totals: dict) -> sales.Grouped:
    return sales.Grouped(keys=list(totals), totals=totals, labels=sales.labels(by, list(totals)))


def _products_waiting() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Product)
            .where(Product.status == ProductStatus.SUBMITTED.value)
        )
        or 0
    )


def _permits(today: date) -> tuple[int, int]:
    """Listed products whose permits have lapsed, and those lapsing within 30 days."""
    listed = (
        select(func.count())
        .select_from(Product)
        .where(
            Product.status == ProductStatus.APPROVED.value, Product.permits_valid_until.is_not(None)
        )
    )
    lapsed = db.session.scalar(listed.where(Product.permits_valid_until < today)) or 0
    lapsing = (
        db.session.scalar(
            listed.where(
                Product.permits_valid_until >= today,
                Product.permits_valid_until <= today + timedelta(days=PERMIT_NOTICE_DAYS),
            )
        )
        or 0
    )
    return lapsed, lapsing


def _statements(today: date) -> tuple[int, int]:
    """Drafts whose period has ended (to close) and closed statements not paid (to pay)."""
    to_close = (
        db.session.scalar(
            select(func.count())
            .select_from(Settlement)
            .where(Settlement.status == SettlementStatus.DRAFT.value, Settlement.period_end < today)
        )
        or 0
    )
    to_pay = (
        db.session.scalar(
            select(func.count())
            .select_from(Settlement)
            .where(Settlement.status == SettlementStatus.CLOSED.value, Settlement.net_payable > 0)
        )
        or 0
    )
    return to_close, to_pay
