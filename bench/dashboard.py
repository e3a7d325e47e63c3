"""How long the manager dashboard takes on a big shop: 100,000 products (bench/seed_catalog.py)
plus two months of trade at a few hundred online orders and counter sales a day.

    .venv/bin/python bench/dashboard.py --database-url sqlite:////tmp/bench-dashboard.db
    .venv/bin/python bench/dashboard.py --products 100000 --orders-per-day 300 --runs 15

The catalogue database is reused when it was seeded before at that size; the trade is added
once (marked by its first order number). The dashboard is then requested as a signed-in
manager through the test client, after two warm-up requests, and the median, 90th percentile
and slowest time are printed, with the first request's (it reads the days before today into
the cache, reports/dashboard.py). The goal: under 200 ms (docs/performance.md).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bulk_load import bulk
from seed_catalog import database_for, seed, seeded_size
from sqlalchemy import func, select

from storefront import create_app
from storefront.auth.models import User
from storefront.extensions import db
from storefront.money import commission_split
from storefront.orders.models import Order

MANAGER_EMAIL = "bench-manager@example.com"
PASSWORD = "bench-password-2026"  # noqa: S105  (a throwaway bench account)
TRADE_MARKER = "GTG-D-0000001"
GOAL_MS = 200


def add_trade(days: int, per_day: int, seed_value: int = 20261205) -> dict:
    """Orders (paid online lines) and counter sales over the last `days` days, by Core."""
    if db.session.scalar(select(Order.id).where(Order.number == TRADE_MARKER)):
        return {"trade": "already there"}
    rng = random.Random(seed_value)
    products = db.session.execute(
        select(
            db.metadata.tables["products"].c.id,
            db.metadata.tables["products"].c.price,
            db.metadata.tables["products"].c.vendor_id,
        ).where(db.metadata.tables["products"].c.status == "approved")
    ).all()
    # Sales follow a long tail: a few thousand products sell most days, most rarely.
    sellers = rng.sample(products, min(len(products), 5000))
    now = datetime.now(UTC)
    first_order = (db.session.scalar(select(func.max(Order.id))) or 0) + 1
    orders, order_lines, shifts, sales, sale_lines, payments = [], [], [], [], [], []
    sale_id = 0

    def line(product, quantity):
        pid, price, vendor = product
        gross = price * quantity
        commission, share = commission_split(gross, 2000)
        return {
            "product_id": pid,
            # seed_catalog gives each product one variant (no options) with the product's id.
            "variant_id": pid,
            "variant_label": "",
            "vendor_id": vendor,
            "product_name": f"Produk {pid}",
            "product_code": f"B{pid:06d}",
            "unit_price": price,
            "quantity": quantity,
            "gross": gross,
            "commission_bp": 2000,
            "commission": commission,
            "vendor_share": share,
        }

    for day in range(days):
        start = (now - timedelta(days=day)).replace(hour=2, minute=0, second=0, microsecond=0)
        shift_id = day + 1
        shifts.append(
            {
                "id": shift_id,
                "opened_by_id": 1,
                "opened_at": start,
                "opening_float": 200_000,
                "status": "closed" if day else "open",
                "closed_at": start + timedelta(hours=9) if day else None,
            }
        )
        for n in range(per_day):
            at = start + timedelta(seconds=rng.randint(0, 9 * 3600))
            items = [line(rng.choice(sellers), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
            subtotal = sum(i["gross"] for i in items)
            order_id = first_order + len(orders)
            number = TRADE_MARKER if not orders else f"GTG-D-{len(orders) + 1:07d}"
            orders.append(
                {"id": order_id, "number": number, "status": "completed",
                 "contact_name": "Pembeli", "email": "b@example.com", "phone": "+6281200000000",
                 "fulfilment": "pickup", "payment_method": "outlet", "subtotal": subtotal,
                 "total": subtotal, "pickup_code": "000000", "access_key": f"d{order_id}",
                 "paid_at": at, "paid_with": "cash", "paid_amount": subtotal,
                 "created_at": at, "updated_at": at}
            )  # fmt: skip
            order_lines.extend({"order_id": order_id, "sold_at": at, **i} for i in items)
            sale_id += 1
            sold = [line(rng.choice(sellers), 1) for _ in range(rng.randint(1, 3))]
            total = sum(i["gross"] for i in sold)
            sales.append(
                {"id": sale_id, "number": f"KS-D-{sale_id:07d}", "shift_id": shift_id,
                 "cashier_id": 1, "subtotal": total, "total": total,
                 "submission_key": f"d{sale_id}", "created_at": at + timedelta(minutes=n % 7),
                 "status": "completed"}
            )  # fmt: skip
            sale_lines.extend({"sale_id": sale_id, "sold_at": at, **i} for i in sold)
            payments.append(
                {"sale_id": sale_id, "method": "cash" if n % 3 else "qris", "amount": total,
                 "tendered": total, "change": 0, "reference": ""}
            )  # fmt: skip
    return {
        "orders": bulk("orders", orders),
        "order_lines": bulk("order_lines", order_lines),
        "shifts": bulk("shifts", shifts),
        "counter_sales": bulk("counter_sales", sales),
        "counter_sale_lines": bulk("counter_sale_lines", sale_lines),
        "counter_payments": bulk("counter_payments", payments),
    }


def ensure_manager() -> None:
    if db.session.scalar(select(User.id).where(User.email == MANAGER_EMAIL)) is None:
        manager = User(email=MANAGER_EMAIL, name="Bench Manager", role="manager", active=True)
        manager.set_password(PASSWORD)
        manager.email_verified_at = datetime.now(UTC)
        db.session.add(manager)
        db.session.commit()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--database-url", default="sqlite:////tmp/bench-dashboard.db")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--orders-per-day", type=int, default=300)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)

    url = database_for(args.database_url, args.products)
    if seeded_size(url) != args.products:
        print("seeding", seed(url, args.products))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    with app.app_context():
        print("trade", add_trade(args.days, args.orders_per_day))
        ensure_manager()
        db.session.remove()

    client = app.test_client()
    response = client.post("/account/login", data={"email": MANAGER_EMAIL, "password": PASSWORD})
    assert response.status_code == 302, "could not sign in as the bench manager"
    times, first = [], None
    for run in range(args.runs + 2):
        started = time.perf_counter()
        response = client.get("/manage/")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if run == 0:
            first = elapsed
        if run >= 2:
            times.append(elapsed)
    times.sort()
    median = statistics.median(times)
    p90 = times[max(0, int(len(times) * 0.9) - 1)]
    print(
        f"dashboard, {args.products:,} products, {args.days} days of trade "
        f"({args.orders_per_day}/day each channel), {db_name(url)}: "
        f"median {median:.0f} ms, p90 {p90:.0f} ms, slowest {times[-1]:.0f} ms "
        f"(goal < {GOAL_MS} ms) over {len(times)} runs; the first request, which also reads "
        f"the days before today into the cache: {first:.0f} ms"
    )
    return 0 if median < GOAL_MS else 1


def db_name(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


if __name__ == "__main__":
    sys.exit(main())
