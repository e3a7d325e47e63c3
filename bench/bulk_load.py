"""Loading a benchmark database fast: start from empty tables, then Core bulk inserts.

Shared by bench/ledger.py, bench/settlement.py and bench/seed_catalog.py (bench/ is not a
package: each script puts its own folder on sys.path). Call these inside the app context of the
benchmark's database.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import insert, inspect

from storefront.extensions import db

CHUNK = 50_000


def reset_database(url: str, reset: bool) -> None:
    """Empty tables to seed into: a new SQLite file, or (with `reset`) a server database's
    tables dropped and created again. Refuses to drop a server database's tables unasked."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db.create_all()
        return
    if inspect(db.engine).get_table_names() and not reset:
        sys.exit(f"{url} already has tables; pass --reset to drop them (data is lost).")
    db.drop_all()
    db.create_all()


def bulk(table_name: str, rows) -> int:
    """Insert rows (an iterable of dicts) in chunks with executemany; returns how many."""
    table = db.metadata.tables[table_name]
    total, chunk = 0, []
    with db.engine.begin() as connection:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                connection.execute(insert(table), chunk)
                total += len(chunk)
                chunk = []
        if chunk:
            connection.execute(insert(table), chunk)
            total += len(chunk)
    return total


def own_variant(product_id: int, *, active: bool = True) -> dict:
    """The row of a product sold as itself: its one variant, without options or a code of its
    own, with the product's id (Core inserts skip the hook that gives a new product one)."""
    return {
        "id": product_id,
        "product_id": product_id,
        "sku": None,
        "label": "",
        "price_delta": 0,
        "position": 0,
        "active": active,
        "review": "approved",
    }
