"""A product page with 20 variants against one without: render time and statements (issue 18:
within 20 %).

    .venv/bin/python bench/variant_page.py
    .venv/bin/python bench/variant_page.py --page-cache           # anonymous: both kept
    .venv/bin/python bench/variant_page.py --repeat 200 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_variants

It builds its own small catalogue in a fresh database (a temporary SQLite file by default; a
PostgreSQL database given must exist and is emptied): two sandals of one maker with the same
photo and permit, one sold as itself, one in 5 sizes × 4 colours (20 variants, each with
stock, one with its own photo and price). It renders each page `--repeat` times in one process
with the page cache off (every request renders, as for a page not kept yet, or with
`--page-cache` on), after warm-ups,
taking the two pages in turn, and prints the median and p90 per page, the statements per
request, and the ratio. Figures depend on the machine: compare the two pages, not machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = 1.20


def seed() -> tuple[str, str]:
    from storefront.auth.models import User
    from storefront.catalog import variants
    from storefront.catalog.models import Product, ProductPermit, ProductPhoto
    from storefront.catalog.variants import OptionSpec
    from storefront.categories import Category
    from storefront.extensions import db
    from storefront.vendors.models import Vendor, VendorStatus
    from tests.stock_helpers import receive  # the ledger's intake, as the tests put stock

    category = Category(slug="alas-kaki", name="Alas Kaki", name_en="Footwear")
    vendor = Vendor(slug="sandal-balaraja", name="Sandal Balaraja", kecamatan="Balaraja")
    vendor.status = VendorStatus.APPROVED.value
    actor = User(name="Bench", email="bench@example.com", role="manager", active=True)
    actor.set_password(uuid.uuid4().hex)
    db.session.add_all([category, vendor, actor])
    db.session.flush()

    def sandal(code: str, name: str) -> Product:
        product = Product(
            vendor_id=vendor.id,
            category_id=category.id,
            code=code,
            slug=name.lower().replace(" ", "-"),
            name=name,
            description="Sandal kulit sapi jahit tangan.",
            price=175000,
            unit="pasang",
            animal_derived=True,
            status="approved",
            permits_complete=True,
        )
        product.permits.append(ProductPermit(kind="halal", number="ID36110000000130925"))
        product.photos.append(
            ProductPhoto(
                image_key=f"public/products/{code}", widths="320,640,1200", width=1200, height=1200
            )
        )
        db.session.add(product)
        db.session.flush()
        return product

    plain = sandal("BENCH001", "Sandal Polos")
    receive(plain, 12, actor=actor)
    sized = sandal("BENCH002", "Sandal Ukuran")
    variants.set_options(
        sized,
        [
            OptionSpec.parse("Ukuran", "39, 40, 41, 42, 43"),
            OptionSpec.parse("Warna", "Coklat, Hitam, Tan, Abu"),
        ],
    )
    sized.size_guide = "Ukuran | Panjang (cm)\n39 | 24,7\n40 | 25,3\n41 | 26\n42 | 26,7\n43 | 27,3"
    for n, variant in enumerate(sized.active_variants):
        receive(sized, 1 + n % 7, actor=actor, variant=variant)
    first = sized.active_variants[0]
    first.price_delta = 10000
    sized.photos.append(
        ProductPhoto(
            image_key="public/products/BENCH002-own",
            widths="320,640,1200",
            width=1200,
            height=1200,
            variant_id=first.id,
            position=1,
        )
    )
    db.session.commit()
    assert len(sized.active_variants) == 20
    return f"/product/{plain.slug}", f"/product/{sized.slug}"


def statements_for(client, engine, path: str) -> int:
    from sqlalchemy import event

    for _ in range(3):
        assert client.get(path).status_code == 200
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def measure(client, paths: list[str], repeat: int) -> list[list[float]]:
    """Milliseconds per request of each path, the paths taken in turn (one of each, then
    again), so a busy moment of the machine falls on both alike."""
    times: list[list[float]] = [[] for _ in paths]
    for _ in range(repeat):
        for n, path in enumerate(paths):
            start = time.perf_counter()
            response = client.get(path)
            times[n].append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument(
        "--page-cache",
        action="store_true",
        help="keep pages 60 s as production does for anonymous shoppers (both pages are hits)",
    )
    args = parser.parse_args(argv)

    from storefront import create_app
    from storefront.extensions import db

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'variant-page.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "CATALOG_CACHE_SECONDS": 60 if args.page_cache else 0,
            "CATALOG_LIST_CACHE_SECONDS": 60,
            "RATELIMIT_ENABLED": False,
            "UPLOAD_DIR": tempfile.mkdtemp(),
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        plain, sized = seed()
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    # Requests outside any app context of ours: each gets its own, with its own session and
    # `g`, as in a server (an outer context would be shared by every request).
    counts = [statements_for(client, engine, path) for path in (plain, sized)]
    timings = measure(client, [plain, sized], args.repeat)
    names = ("without options", "20 variants")
    results = {name: (timings[n], counts[n]) for n, name in enumerate(names)}
    for name, (times, statements) in results.items():
        ordered = sorted(times)
        p90 = ordered[int(len(ordered) * 0.9) - 1]
        print(
            f"{name:16} median {statistics.median(times):6.2f} ms   p90 {p90:6.2f} ms   "
            f"{statements} statements"
        )
    ratio = statistics.median(results["20 variants"][0]) / statistics.median(
        results["without options"][0]
    )
    verdict = "within" if ratio <= TARGET else "OVER"
    print(f"ratio {ratio:.2f} ({verdict} the {TARGET:.2f} of issue 18)")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
