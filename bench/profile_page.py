"""Where a catalogue page's milliseconds go, for a signed-in shopper: timings and a pyinstrument
profile of warm requests in one process (no server, no wrk).

    .venv/bin/python bench/profile_page.py                         # the 1k SQLite bench database
    .venv/bin/python bench/profile_page.py --path /search?q=keripik --no-page-cache
    .venv/bin/python bench/profile_page.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_1000

It uses a database seeded by bench/catalog.py (run that first, or bench/seed_catalog.py), signs
in the bench shopper (created if missing) with one product in the cart, and requests the page
`--repeat` times after two warm-ups. It prints the median and slowest time, then the profile of
those requests (`--html FILE` writes pyinstrument's HTML view instead).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog  # noqa: E402  (bench/ is not a package)

DEFAULT_DB = f"sqlite:///{Path(tempfile.gettempdir()) / 'storefront-bench-catalog-1000.db'}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--path", default=None, help="default: a visible product's page")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-page-cache", action="store_true", help="render every request")
    parser.add_argument("--anonymous", action="store_true", help="no session, no cart")
    parser.add_argument("--html", help="write the profile as HTML to this file")
    parser.add_argument(
        "--no-profile", action="store_true", help="time only (the profiler adds its own cost)"
    )
    args = parser.parse_args(argv)

    from pyinstrument import Profiler

    from storefront import create_app
    from storefront.auth.services import create_user, find_user_by_email
    from storefront.extensions import db

    seconds = 0 if args.no_page_cache else 60
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "CATALOG_CACHE_SECONDS": seconds,
            "CATALOG_LIST_CACHE_SECONDS": 60,
            "RATELIMIT_ENABLED": False,
        }
    )
    path = args.path or catalog.pages_for(args.database_url)["product"]
    client = app.test_client()
    if not args.anonymous:
        with app.app_context():
            if find_user_by_email(catalog.SHOPPER_EMAIL) is None:
                create_user(
                    name="Pembeli Bench",
                    email=catalog.SHOPPER_EMAIL,
                    password=catalog.SHOPPER_PASSWORD,
                    verified=True,
                )
                db.session.commit()
            db.session.remove()
        login = client.get("/account/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
        client.post(
            "/account/login",
            data={
                "email": catalog.SHOPPER_EMAIL,
                "password": catalog.SHOPPER_PASSWORD,
                "csrf_token": token,
            },
        )
        product = catalog.pages_for(args.database_url)["product"]
        page = client.get(product).get_data(as_text=True)
        product_id = re.search(r'name="product_id" value="(\d+)"', page).group(1)
        client.post("/cart/add", data={"product_id": product_id})
        client.get("/cart")
    for _ in range(2):
        assert client.get(path).status_code == 200, path
    times = []
    profiler = Profiler(interval=0.0005)
    if not args.no_profile:
        profiler.start()
    for _ in range(args.repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    if not args.no_profile:
        profiler.stop()
    who = "anonymous" if args.anonymous else "signed in, one line in the cart"
    cache = "off" if args.no_page_cache else "on"
    print(
        f"{path} ({who}, page cache {cache}, {response.headers.get('X-Page-Cache', 'rendered')}): "
        f"median {statistics.median(times):.1f} ms, slowest {max(times):.1f} ms "
        f"over {args.repeat} requests"
    )
    if args.no_profile:
        return 0
    if args.html:
        Path(args.html).write_text(profiler.output_html())
        print(f"profile: {args.html}")
    else:
        print(profiler.output_text(unicode=True, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
