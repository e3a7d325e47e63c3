"""Seed a separate database with a realistic catalogue for `bench/catalog.py`.

    .venv/bin/python bench/seed_catalog.py --products 100000 --database-url sqlite:////tmp/x.db

N products from N/40 approved vendors (plus a few applicants), 4 categories, the permits food
needs (so products are visible), and a stock ledger: one to three batches per product, their
stock levels, an intake movement per batch and a few sales. Everything is written with Core
executemany in one transaction; 100,000 products take well under a minute on SQLite.

Only ever writes to a database it created or one it seeded before (marked by the bench user):
it refuses to drop tables of any other database.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bulk_load import own_variant
from sqlalchemy import create_engine, func, insert, inspect, select, text
from sqlalchemy.engine import make_url

from storefront import create_app
from storefront.extensions import db

MARKER_EMAIL = "bench-catalog@example.invalid"
CHUNK = 20_000
CATEGORIES = [
    # id, slug, name, name_en, is_food
    (1, "makanan-ringan", "Makanan Ringan", "Snacks", True),
    (2, "minuman", "Minuman", "Drinks", True),
    (3, "kerajinan", "Kerajinan", "Crafts", False),
    (4, "batik-fashion", "Batik & Fashion", "Batik & fashion", False),
]
WORDS = {
    1: (
        ["Keripik", "Kerupuk", "Rengginang", "Dodol", "Sambal", "Abon", "Kue Kering", "Emping"],
        ["Singkong", "Pisang", "Tempe", "Udang", "Ikan", "Bawang", "Sapi", "Melinjo", "Talas"],
        ["Pedas", "Original", "Balado", "Manis", "Level 5", "Gurih", "Jeruk", "Keju"],
    ),
    2: (
        ["Kopi", "Teh", "Sirup", "Wedang", "Jamu", "Minuman"],
        ["Robusta", "Arabika", "Jahe", "Serai", "Kunyit Asam", "Pala", "Gula Aren", "Rosella"],
        ["Bubuk", "Celup", "Instan", "Botol", "Sachet", "Premium"],
    ),
    3: (
        ["Tas", "Keranjang", "Tikar", "Vas", "Dompet", "Gantungan Kunci", "Topi"],
        ["Anyaman", "Bambu", "Pandan", "Eceng Gondok", "Rotan", "Kulit", "Kayu"],
        ["Kecil", "Besar", "Motif Tangerang", "Natural", "Warna", "Souvenir"],
    ),
    4: (
        ["Kain Batik", "Kemeja Batik", "Syal", "Selendang", "Masker Kain", "Blus Batik"],
        ["Tangerang", "Cikupa", "Motif Kembang Gula", "Motif Pintu Air", "Tulis", "Cap"],
        ["Katun", "Sutra", "Lengan Panjang", "Lengan Pendek", "Primis", "Biru", "Cokelat"],
    ),
}
KECAMATAN = ["Cikupa", "Balaraja", "Tigaraksa", "Curug", "Pasar Kemis", "Legok", "Kelapa Dua"]
UNITS = {1: ("pcs", "250 g"), 2: ("pcs", "200 g"), 3: ("pcs", ""), 4: ("pcs", "")}


def database_for(base_url: str, size: int) -> str:
    """The per-size database: `<file>-<size>.db` for SQLite, `<name>_<size>` otherwise."""
    url = make_url(base_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        suffix = path.suffix or ".db"
        return f"sqlite:///{path.with_name(f'{path.stem}-{size}{suffix}')}"
    name = f"{url.database}_{size}"
    if url.database in {"test", "postgres", "template0", "template1"}:
        raise SystemExit(f"refusing to use the {url.database!r} database as a bench base name")
    return url.set(database=name).render_as_string(hide_password=False)


def ensure_database(url_text: str) -> None:
    """Create a PostgreSQL database if missing (through the `postgres` database)."""
    url = make_url(url_text)
    if url.get_backend_name() != "postgresql":
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()


def seeded_size(url_text: str) -> int | None:
    """Products in an earlier bench database at this URL; None when it is not one."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url_text})
    with app.app_context():
        try:
            if "users" not in inspect(db.engine).get_table_names():
                return None
            users = db.metadata.tables["users"]
            if not db.session.scalar(select(users.c.id).where(users.c.email == MARKER_EMAIL)):
                return None
            return db.session.scalar(
                select(func.count()).select_from(db.metadata.tables["products"])
            )
        finally:
            db.session.remove()
            db.engine.dispose()


def reset_schema(url_text: str) -> None:
    url = make_url(url_text)
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
    else:
        ensure_database(url_text)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url_text})
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        if tables:
            users = db.metadata.tables["users"]
            marked = "users" in tables and db.session.scalar(
                select(users.c.id).where(users.c.email == MARKER_EMAIL)
            )
            db.session.remove()
            if not marked:
                raise SystemExit(f"{url_text} has tables but is not a bench database; not touched")
            db.drop_all()
        db.create_all()
        db.session.remove()
        db.engine.dispose()


def product_rows(n: int, vendors: int, rng: random.Random, now: datetime, today: date):
    """Products, and the permits of the food ones."""
    products, permits = [], []
    for p in range(1, n + 1):
        category = 1 + p % 4
        first, second, third = WORDS[category]
        name = f"{rng.choice(first)} {rng.choice(second)} {rng.choice(third)}"
        # A long tail of vendor sizes: the first vendors have more products.
        vendor = 1 + int(vendors * rng.random() ** 1.6)
        roll = rng.random()
        status = "approved" if roll < 0.92 else ("submitted" if roll < 0.96 else "draft")
        food = CATEGORIES[category - 1][4]
        non_halal = food and rng.random() < 0.02
        valid_until = None
        if food:
            safety = "bpom" if rng.random() < 0.2 else "pirt"
            # ~2% have a lapsed permit: still approved, hidden by the visibility filter.
            lapsed = rng.random() < 0.02
            days = -rng.randint(1, 60) if lapsed else rng.randint(30, 1800)
            expires = today + timedelta(days=days)
            valid_until = expires
            permits.append(
                {
                    "product_id": p,
                    "kind": safety,
                    "number": f"{'P-IRT' if safety == 'pirt' else 'MD'} {p:012d}",
                    "issued_on": expires - timedelta(days=5 * 365),
                    "expires_on": expires,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if not non_halal:
                permits.append(
                    {
                        "product_id": p,
                        "kind": "halal",
                        "number": f"ID{p:014d}",
                        "issued_on": today - timedelta(days=400),
                        "expires_on": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        created = now - timedelta(minutes=(n - p) * 7 + rng.randint(0, 5))
        unit, net = UNITS[category]
        products.append(
            {
                "id": p,
                "vendor_id": vendor,
                "category_id": category,
                "code": f"GTG{p:07d}",
                "slug": f"{name.lower().replace(' ', '-').replace('&', 'dan')}-{p}",
                "name": name,
                "description": (
                    f"{name} buatan UMKM Kabupaten Tangerang. Dibuat dari bahan pilihan, "
                    "tanpa pengawet, dikemas rapi dan cocok untuk oleh-oleh keluarga."
                ),
                "price": 5_000 + rng.randint(0, 60) * 2_500,
                "unit": unit,
                "net_content": net,
                "ingredients": "Bahan lokal pilihan, garam, minyak nabati" if food else "",
                "allergens": "Dapat mengandung kacang" if food and p % 7 == 0 else "",
                "shelf_life_days": 180 if food else None,
                "non_halal": non_halal,
                "status": status,
                "hidden": rng.random() < 0.01,
                "permits_complete": True,
                "permits_valid_until": valid_until,
                "submitted_at": created,
                "created_at": created,
                "updated_at": created,
            }
        )
    return products, permits


def seed(url_text: str, n: int, seed_value: int = 20261123) -> dict:
    """Create the schema and fill it; returns counts and a few handy slugs."""
    started = time.perf_counter()
    reset_schema(url_text)
    rng = random.Random(seed_value + n)
    now = datetime.now(UTC)
    today = now.date()
    vendors = max(1, n // 40)
    applicants = max(1, vendors // 10)
    products, permits = product_rows(n, vendors, rng, now, today)

    batches, levels, movements, receipts = [], [], [], []
    for product in products:
        if product["status"] != "approved":
            continue
        food = CATEGORIES[product["category_id"] - 1][4]
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            b = len(batches) + 1
            received_at = now - timedelta(days=rng.uniform(1, 200))
            expires = (received_at.date() + timedelta(days=180)) if food else None
            received = rng.randint(5, 60)
            sold = rng.randint(0, received) if rng.random() < 0.3 else rng.randint(0, 4)
            receipts.append(
                {
                    "id": b,
                    "number": f"NT-{b:07d}",
                    "vendor_id": product["vendor_id"],
                    "received_by_id": 1,
                    "submission_key": f"bench-{b}",
                    "created_at": received_at,
                }
            )
            batches.append(
                {
                    "id": b,
                    "product_id": product["id"],
                    "variant_id": product["id"],  # each product's one variant has its id
                    "vendor_id": product["vendor_id"],
                    "receipt_id": b,
                    "code": f"LOT{b:06d}",
                    "expires_on": expires,
                    "received_quantity": received,
                    "unit_price": product["price"] * 8 // 10,
                    "created_at": received_at,
                }
            )
            levels.append(
                {
                    "batch_id": b,
                    "product_id": product["id"],
                    "variant_id": product["id"],
                    "on_hand": received - sold,
                    "reserved": 0,
                }
            )
            base = {
                "batch_id": b,
                "product_id": product["id"],
                "variant_id": product["id"],
                "vendor_id": product["vendor_id"],
                "actor_id": 1,
                "reason": "",
            }
            movements.append(
                base
                | {
                    "kind": "intake",
                    "quantity": received,
                    "reference_type": "intake_receipt",
                    "reference_id": b,
                    "created_at": received_at,
                }
            )
            # Sales as one movement per sale of a few units, like checkout writes them.
            left = sold
            while left > 0:
                units = min(left, rng.randint(2, 12))
                left -= units
                movements.append(
                    base
                    | {
                        "kind": rng.choice(("online_sale", "counter_sale")),
                        "quantity": -units,
                        "reference_type": "order_line",
                        "reference_id": len(movements),
                        "created_at": received_at + timedelta(hours=rng.randint(1, 500)),
                    }
                )

    app = create_app({"SQLALCHEMY_DATABASE_URI": url_text})
    with app.app_context(), db.engine.begin() as connection:
        tables = db.metadata.tables

        def bulk(name, rows):
            for start in range(0, len(rows), CHUNK):
                connection.execute(insert(tables[name]), rows[start : start + CHUNK])

        stamp = {"created_at": now, "updated_at": now}
        bulk(
            "users",
            [
                {
                    "id": 1,
                    "email": MARKER_EMAIL,
                    "name": "Bench Manager",
                    "password_hash": "x",
                    "role": "manager",
                    "active": True,
                }
                | stamp
            ],
        )
        bulk(
            "categories",
            [
                {
                    "id": i,
                    "slug": slug,
                    "name": name,
                    "name_en": name_en,
                    "description": "",
                    "position": i,
                    "is_food": food,
                }
                | stamp
                for i, slug, name, name_en, food in CATEGORIES
            ],
        )
        bulk(
            "vendors",
            [
                {
                    "id": v,
                    "slug": f"umkm-{v}",
                    "name": f"UMKM {rng.choice(KECAMATAN)} {v:05d}",
                    "status": "approved" if v <= vendors else "submitted",
                    "story": "Usaha keluarga yang dirintis sejak 2015 di Kabupaten Tangerang.",
                    "kecamatan": rng.choice(KECAMATAN),
                    "city": "Kabupaten Tangerang",
                    "whatsapp": f"62812{v:07d}",
                    "settlement_period": "monthly",
                }
                | stamp
                for v in range(1, vendors + applicants + 1)
            ],
        )
        bulk("products", products)
        # Sold as themselves (no sizes): one variant each.
        bulk("product_variants", [own_variant(p["id"]) for p in products])
        bulk("product_permits", permits)
        bulk("intake_receipts", receipts)
        bulk("batches", batches)
        bulk("stock_levels", levels)
        bulk("stock_movements", movements)
    with app.app_context():
        _after_seed(app)
        if db.engine.dialect.name == "postgresql":
            reset_sequences()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as c:
                c.execute(text("ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    return {
        "products": n,
        "vendors": vendors,
        "batches": len(batches),
        "movements": len(movements),
        "permits": len(permits),
        "seconds": time.perf_counter() - started,
    }


def reset_sequences() -> None:
    """PostgreSQL: the rows above were inserted with their ids, so move every id sequence past
    them, or the store's own first insert (an order, a user) would collide (bench/load.py)."""
    with db.engine.begin() as c:
        for table in db.metadata.sorted_tables:
            if "id" not in table.c or not table.c.id.autoincrement:
                continue
            sequence = c.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
            if sequence:
                top = c.scalar(select(func.coalesce(func.max(table.c.id), 0)))
                c.execute(text("SELECT setval(:s, :v, false)"), {"s": sequence, "v": top + 1})


def _after_seed(app) -> None:
    """Index the bulk-inserted products for search (Core inserts skip the session hooks)."""
    try:
        from storefront.catalog import search_index
    except ImportError:  # a version without a search index
        return
    with db.engine.begin() as connection:
        search_index.rebuild_search_index(connection)


def ensure_search_index(url_text: str) -> None:
    """For a reused database seeded by an older version: build the search index if missing."""
    try:
        from storefront.catalog import search_index
    except ImportError:
        return
    app = create_app({"SQLALCHEMY_DATABASE_URI": url_text})
    with app.app_context():
        try:
            if search_index.TABLE not in inspect(db.engine).get_table_names():
                _after_seed(app)
        finally:
            db.engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args(argv)
    result = seed(args.database_url, args.products)
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
