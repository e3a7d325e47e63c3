"""A catalogue page rendered afresh (not from the page cache) at 100,000 products: the median
time of each page in one process, against issue 19's target (under 15 ms).

    .venv/bin/python bench/cold_pages.py                       # SQLite, seeded by bench/catalog.py
    .venv/bin/python bench/cold_pages.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_100000

It uses a database seeded by `bench/catalog.py` (or `bench/seed_catalog.py`; it seeds one
if the database is empty), the production settings' list caches (the vendor filter and the
spotlight, kept 60 s), no page cache, an anonymous visitor, and requests each page `--repeat`
times after two warm-ups. It exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog  # noqa: E402  (bench/ is not a package)
import seed_catalog  # noqa: E402

SIZE = 100_000
DEFAULT_DB = f"sqlite:///{Path(tempfile.gettempdir()) / 'storefront-bench-catalog-100000.db'}"
TARGET_MS = 15.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args(argv)

    if seed_catalog.seeded_size(args.database_url) != SIZE:
        print(f"seeding {args.database_url} with {SIZE:,} products …", file=sys.stderr)
        seed_catalog.seed(args.database_url, SIZE)
    seed_catalog.ensure_search_index(args.database_url)

    from storefront import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "CATALOG_CACHE_SECONDS": 0,
            "CATALOG_LIST_CACHE_SECONDS": 60,
            "RATELIMIT_ENABLED": False,
        }
    )
    client = app.test_client()
    pages = catalog.pages_for(args.database_url)
    print(f"Pages rendered afresh, {SIZE:,} products, {args.database_url}")
    print(f"{'page':<10} {'path':<40} {'median':>8} {'slowest':>8}  {'load':>9}  target")
    met = True
    for name, path in pages.items():
        for _ in range(2):
            assert client.get(path).status_code == 200, path
        load = os.getloadavg()[0]
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times)
        ok = median < TARGET_MS
        met &= ok
        print(
            f"{name:<10} {path[:40]:<40} {median:6.1f}ms {max(times):6.1f}ms  "
            f"{load:4.1f}-{os.getloadavg()[0]:<4.1f}  < {TARGET_MS:.0f} ms {'ok' if ok else 'MISS'}"
        )
    print("All targets met." if met else "Some targets missed (MISS above).")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
