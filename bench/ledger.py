"""Stock ledger at scale: seed a separate database with many movements and time the queries
the shop and the portal run on it.

    .venv/bin/python bench/ledger.py                      # 1M movements over 10k batches
    .venv/bin/python bench/ledger.py --movements 100000   # a quick run

The data goes into its own SQLite file under /tmp (never the development database), written
with Core bulk inserts, with stock levels that equal the movements' sums, so `verify_ledger`
has real work and finds nothing wrong. Figures are medians of warm runs on one machine: use them
to compare versions, not as promises.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bulk_load import bulk, own_variant, reset_database
from sqlalchemy import func, select

from storefront import create_app
from storefront.extensions import db

DEFAULT_DB = Path(tempfile.gettempdir()) / "storefront-bench-ledger.db"
# Kinds after the intake, with weights: most units sell, a few go back or get lost.
LATER_KINDS = [
    ("online_sale", 45),
    ("counter_sale", 45),
    ("damage_loss", 4),
    ("count_correction", 3),
    ("return_to_vendor", 2),
    ("expiry_write_off", 1),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--vendors", type=int, default=200)
    parser.add_argument("--reservations", type=int, default=500, help="active holds")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per quick query")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{DEFAULT_DB}",
        help="where to seed (default: a SQLite file under the temp folder)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="time an already seeded database, do not seed"
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="drop and recreate the tables of a non-SQLite database (never your real one)",
    )
    args = parser.parse_args(argv)
    if args.batches > args.movements:
        parser.error("--movements must be at least --batches (each batch has its intake)")
    if args.products > args.batches or args.vendors > args.products:
        parser.error("need vendors <= products <= batches")
    return args


# --- seeding ---------------------------------------------------------------------------------


def seed(args) -> dict:
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    today = now.date()

    bulk(
        "users",
        [
            {
                "id": 1,
                "email": "bench-manager@example.com",
                "name": "Bench Manager",
                "password_hash": "x",
                "role": "manager",
            }
        ],
    )
    categories = [(1, "makanan-minuman", True), (2, "kerajinan", False), (3, "batik", False)]
    bulk(
        "categories",
        [{"id": i, "slug": s, "name": s.title(), "is_food": food} for i, s, food in categories],
    )
    bulk(
        "vendors",
        (
            {"id": v, "slug": f"umkm-{v}", "name": f"UMKM Bench {v:03d}", "status": "approved"}
            for v in range(1, args.vendors + 1)
        ),
    )
    # Vendor sizes follow a long tail (a few big producers, many small ones); every vendor has
    # at least one product.
    weights = [1 / rank for rank in range(1, args.vendors + 1)]
    product_vendor = {p: p for p in range(1, args.vendors + 1)}
    extra = rng.choices(range(1, args.vendors + 1), weights, k=args.products - args.vendors)
    for p, v in enumerate(extra, start=args.vendors + 1):
        product_vendor[p] = v
    product_food = {p: p % 5 < 3 for p in product_vendor}
    bulk(
        "products",
        (
            {
                "id": p,
                "vendor_id": v,
                "category_id": 1 if product_food[p] else 2 + p % 2,
                "code": f"B{p:06d}",
                "slug": f"bench-{p}",
                "name": f"Produk Bench {p}",
                "price": 10_000 + (p % 20) * 2_500,
                "status": "approved",
            }
            for p, v in product_vendor.items()
        ),
    )
    # Sold as themselves (no sizes): one variant each, with the product's id (Core inserts skip
    # the hook that gives a new product its variant).
    bulk("product_variants", (own_variant(p) for p in product_vendor))

    # Batches: every product gets batches in turn; one intake receipt per five batches.
    per_batch = args.movements // args.batches
    spare = args.movements - per_batch * args.batches
    batches, levels, receipts = [], [], []
    movements_of: list[tuple[int, datetime, datetime]] = []
    for b in range(1, args.batches + 1):
        product = (b - 1) % args.products + 1
        vendor = product_vendor[product]
        count = per_batch + (1 if b <= spare else 0)
        start = now - timedelta(days=rng.uniform(1, 365))
        receipt = b  # one receipt per batch keeps vendor ids consistent
        receipts.append(
            {
                "id": receipt,
                "number": f"NT-BENCH-{b:06d}",
                "vendor_id": vendor,
                "received_by_id": 1,
                "submission_key": f"bench-{b}",
                "created_at": start,
            }
        )
        received = count - 1 + rng.randint(1, 50)
        expires = (start.date() + timedelta(days=180)) if product_food[product] else None
        batches.append(
            {
                "id": b,
                "product_id": product,
                "variant_id": product,  # each product's one variant has its id
                "vendor_id": vendor,
                "receipt_id": receipt,
                "code": f"LOT{b:05d}",
                "expires_on": expires,
                "received_quantity": received,
                "unit_price": 10_000,
                "created_at": start,
            }
        )
        levels.append(
            {
                "batch_id": b,
                "product_id": product,
                "variant_id": product,
                "on_hand": received,
                "reserved": 0,
            }
        )
        movements_of.append((count, start, now))
    bulk("intake_receipts", receipts)
    bulk("batches", batches)

    kinds = [k for k, _ in LATER_KINDS]
    kind_weights = [w for _, w in LATER_KINDS]

    def movement_rows():
        movement_id = 0
        for batch, level, (count, start, end) in zip(batches, levels, movements_of, strict=True):
            step = (end - start) / count
            movement_id += 1
            yield {
                "id": movement_id,
                "batch_id": batch["id"],
                "product_id": batch["product_id"],
                "variant_id": batch["variant_id"],
                "vendor_id": batch["vendor_id"],
                "kind": "intake",
                "quantity": batch["received_quantity"],
                "actor_id": 1,
                "reference_type": "intake_receipt",
                "reference_id": batch["receipt_id"],
                "reason": "",
                "created_at": start,
            }
            later = rng.choices(kinds, kind_weights, k=count - 1)
            for j, kind in enumerate(later, start=1):
                # received >= count - 1 + 1, so at most one unit out per movement never goes
                # below zero, even with the +1 corrections.
                quantity = rng.choice((1, -1)) if kind == "count_correction" else -1
                level["on_hand"] += quantity
                movement_id += 1
                yield {
                    "id": movement_id,
                    "batch_id": batch["id"],
                    "product_id": batch["product_id"],
                    "variant_id": batch["variant_id"],
                    "vendor_id": batch["vendor_id"],
                    "kind": kind,
                    "quantity": quantity,
                    "actor_id": 1,
                    "reference_type": "order_line" if kind.endswith("sale") else "bench",
                    "reference_id": movement_id,
                    "reason": "",
                    "created_at": start + step * j,
                }

    moved = bulk("stock_movements", movement_rows())

    # Active holds on sellable batches, mirrored in the levels' reserved column.
    sellable = [
        b
        for b, level in zip(batches, levels, strict=True)
        if level["on_hand"] > 0 and (b["expires_on"] is None or b["expires_on"] >= today)
    ]
    holds = rng.sample(sellable, min(args.reservations, len(sellable)))
    reservations, lines = [], []
    for r, batch in enumerate(holds, start=1):
        reservations.append(
            {"id": r, "status": "active", "expires_at": now + timedelta(minutes=30)}
        )
        lines.append(
            {
                "id": r,
                "reservation_id": r,
                "batch_id": batch["id"],
                "product_id": batch["product_id"],
                "variant_id": batch["variant_id"],
                "quantity": 1,
            }
        )
        levels[batch["id"] - 1]["reserved"] += 1
    bulk("stock_levels", levels)
    bulk("reservations", reservations)
    bulk("reservation_lines", lines)
    return {"movements": moved, "product_vendor": product_vendor}


# --- timing ----------------------------------------------------------------------------------


def timed(function, runs: int) -> tuple[float, float, object]:
    """(median ms, slowest ms, last result) over `runs` warm runs, after one warm-up."""
    result = function()
    db.session.remove()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        samples.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return statistics.median(samples), max(samples), result


def pick_vendors() -> tuple[int, int, int]:
    """(largest vendor id, its movement count, a median vendor id)."""
    counts = db.session.execute(
        select(db.metadata.tables["batches"].c.vendor_id, func.count())
        .group_by(db.metadata.tables["batches"].c.vendor_id)
        .order_by(func.count().desc())
    ).all()
    largest = counts[0][0]
    median = counts[len(counts) // 2][0]
    movements = db.session.scalar(
        select(func.count())
        .select_from(db.metadata.tables["stock_movements"])
        .where(db.metadata.tables["stock_movements"].c.vendor_id == largest)
    )
    return largest, movements, median


def run_benchmarks(args) -> list[tuple[str, float, float, str]]:
    from storefront.stock import history, ledger
    from storefront.stock.availability import availability_for

    rows = []
    largest, largest_movements, median_vendor = pick_vendors()
    busiest_product = db.session.scalar(
        select(db.metadata.tables["stock_levels"].c.product_id)
        .group_by(db.metadata.tables["stock_levels"].c.product_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    one_product = max(1, args.products // 3)
    page_products = list(range(1, min(args.products, 24) + 1))
    today = date.today()  # noqa: DTZ011 (same day as the app's WIB date for timing purposes)

    def add(label, function, runs=args.runs, describe=lambda r: ""):
        median, slowest, result = timed(function, runs)
        rows.append((label, median, slowest, describe(result)))
        print(f"  {label:<52} {median:9.2f} ms", file=sys.stderr, flush=True)

    add(
        "available_quantity(product)",
        lambda: ledger.available_quantity(busiest_product, today),
        describe=lambda r: f"product {busiest_product}: {r} units",
    )
    add(
        "available_quantity(another product)",
        lambda: ledger.available_quantity(one_product, today),
        describe=lambda r: f"product {one_product}: {r} units",
    )
    add(
        "availability_for(24 products) (a list page)",
        lambda: availability_for(page_products),
        describe=lambda r: f"{sum(1 for v in r.values() if v > 0)} in stock",
    )

    def stock_page(vendor_id):
        results, groups = history.vendor_stock(vendor_id, 1)
        return results.total, sum(g.available for g in groups)

    add(
        "vendor stock page, largest vendor",
        lambda: stock_page(largest),
        describe=lambda r: f"vendor {largest}: {r[0]} batches in stock",
    )
    add(
        "vendor stock page, median vendor",
        lambda: stock_page(median_vendor),
        describe=lambda r: f"vendor {median_vendor}: {r[0]} batches in stock",
    )

    def history_page(filters):
        page = history.movement_page(filters, 1)
        shown = [
            (m.product.vendor.name, m.batch.code, m.actor and m.actor.name) for m in page.items
        ]
        assert len(shown) == len(page.items)
        return page.total

    add(
        "vendor movement history, page 1, largest vendor",
        lambda: history_page(history.MovementFilters(vendor_id=largest)),
        describe=lambda r: f"{r} movements in total",
    )
    add(
        "  … filtered by product and kind",
        lambda: history_page(
            history.MovementFilters(
                vendor_id=largest, product_id=busiest_product, kind="online_sale"
            )
        ),
        describe=lambda r: f"{r} movements",
    )
    last_month = today - timedelta(days=30)
    add(
        "  … filtered by the last 30 days",
        lambda: history_page(history.MovementFilters(vendor_id=largest, date_from=last_month)),
        describe=lambda r: f"{r} movements",
    )
    add(
        "manager movement history, page 1, no filter",
        lambda: history_page(history.MovementFilters()),
        runs=max(3, args.runs // 4),
        describe=lambda r: f"{r} movements in total",
    )

    def export(vendor_id):
        return (
            sum(
                chunk.count("\n")
                for chunk in history.csv_rows(
                    history.MovementFilters(vendor_id=vendor_id), with_vendor=False
                )
            )
            - 1
        )

    add(
        "vendor CSV export, largest vendor (all rows)",
        lambda: export(largest),
        runs=3,
        describe=lambda r: f"{r} rows",
    )
    add(
        "verify_ledger()",
        ledger.verify_ledger,
        runs=3,
        describe=lambda r: f"{r[0]} batches, {len(r[1])} mismatches",
    )
    rows.append(("(largest vendor's movements)", math.nan, math.nan, str(largest_movements)))
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SQLALCHEMY_ECHO": False})
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        dialect = db.engine.dialect.name
        print("Stock ledger benchmark")
        print(f"  database     {args.database_url} ({dialect})")
        print(
            f"  data         {args.movements:,} movements, {args.batches:,} batches, "
            f"{args.products:,} products, {args.vendors:,} vendors, "
            f"{args.reservations:,} active reservations"
        )
        print(f"  runs         median of {args.runs} warm runs (fewer for the slow ones)")
        print(f"  machine      {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        if args.reuse:
            seconds = 0.0
        else:
            started = time.perf_counter()
            reset_database(args.database_url, args.reset)
            seeded = seed(args)
            seconds = time.perf_counter() - started
            print(f"  seeded       {seeded['movements']:,} movements in {seconds:.1f} s")
        print("Timing…", file=sys.stderr, flush=True)
        rows = run_benchmarks(args)
        print()
        print(f"{'query':<52} {'median':>10} {'slowest':>10}  notes")
        print("-" * 100)
        for label, median, slowest, note in rows:
            if math.isnan(median):
                print(f"{label:<52} {'':>10} {'':>10}  {note}")
            else:
                print(f"{label:<52} {median:8.2f}ms {slowest:8.2f}ms  {note}")
        from storefront.stock.ledger import verify_ledger

        _checked, mismatches = verify_ledger()
        if mismatches:
            print(f"The seeded ledger does not balance: {len(mismatches)} batches.")
            return 1
        db.session.remove()
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
