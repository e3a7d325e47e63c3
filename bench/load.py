"""A mixed workload against the store under gunicorn, on PostgreSQL and Redis, for a bounded time.

    .venv/bin/python bench/load.py                       # 60 s, 1,000 products, 6 client processes
    .venv/bin/python bench/load.py --duration 20 --keep  # reuse the database of an earlier run
    .venv/bin/python bench/load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_load

It seeds a catalogue (`bench/seed_catalog.py`, the database `<name>_<size>`, created if missing;
never `test`), adds shopper accounts, starts the store (`gunicorn -c gunicorn.conf.py wsgi:app`,
production settings, 2 workers, the shared cache on Redis under a key prefix of its own) and
drives it from local client processes (`requests`, one session each), each action chosen at random:

- 70 % anonymous browsing and search: home, a category, a search, a product page;
- 20 % signed-in browsing with cart changes: a page, then add, change or remove a cart line;
- 10 % checkouts as a guest, pay at the outlet, of one or two units of a few hot products with
  little stock, so that they sell out during the run and checkouts race for the last units.

It prints throughput, p50 and p99 per kind (one action is one to three requests; the latency is
the action's) and the errors: a 5xx, a refused or timed-out connection, or an answer other than
the one expected (a sold-out checkout sent back to the cart is expected, and counted apart).
Afterwards it runs `flask verify-ledger` and `flask verify-books` on the database and checks that
nothing was oversold: no stock level below zero or reserved beyond what is on hand, and every
order waiting for payment at the outlet holding exactly its lines in an active reservation.
It exits with status 1 when there were errors, oversell or a failed verification.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog  # noqa: E402  (bench/ is not a package)
import seed_catalog  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
PASSWORD = "bench-load-password"  # noqa: S105  (bench accounts on a bench database)
SEARCHES = ("keripik", "kopi", "sambal", "batik", "kue", "madu", "teh", "dodol")
KINDS = ("anonymous", "signed_in", "checkout")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DB, help="PostgreSQL base URL")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="the shared cache's Redis")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--size", type=int, default=1000, help="products in the catalogue")
    parser.add_argument("--clients", type=int, default=6, help="client processes")
    parser.add_argument("--hot", type=int, default=5, help="hot products the checkouts buy")
    parser.add_argument("--mix", default="70,20,10", help="anonymous,signed-in,checkout percent")
    parser.add_argument("--keep", action="store_true", help="reuse a database seeded earlier")
    parser.add_argument("--seed", type=int, default=19)
    return parser.parse_args(argv)


# --- setting up -----------------------------------------------------------------------------


def prepare(args) -> dict:
    """Seed (or reuse) the catalogue, add shoppers, and give the hot products a small stock.
    Returns the paths and ids the clients use."""
    from sqlalchemy import text

    from storefront import create_app
    from storefront.auth.services import create_user
    from storefront.extensions import db

    url = seed_catalog.database_for(args.database_url, args.size)
    if args.keep and seed_catalog.seeded_size(url) == args.size:
        print(f"reusing {url}", file=sys.stderr, flush=True)
        seed_catalog.ensure_search_index(url)
    else:
        print(f"seeding {url} …", file=sys.stderr, flush=True)
        seed_catalog.seed(url, args.size)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        try:
            seed_catalog.reset_sequences()  # also for a database seeded by an older version
            emails = [f"load-{n}@bench.example" for n in range(args.clients)]
            for n, email in enumerate(emails):
                if not db.session.execute(
                    text("SELECT 1 FROM users WHERE email = :e"), {"e": email}
                ).first():
                    create_user(name=f"Pembeli {n}", email=email, password=PASSWORD, verified=True)
            db.session.commit()
            visible = (
                "SELECT p.id, p.slug FROM products p JOIN vendors v ON v.id = p.vendor_id "
                "WHERE p.status = 'approved' AND p.hidden = :f AND v.status = 'approved' "
                "AND p.permits_valid_until IS NULL AND EXISTS (SELECT 1 FROM stock_levels s "
                "WHERE s.product_id = p.id AND s.on_hand - s.reserved > 0) ORDER BY p.id"
            )
            rows = db.session.execute(text(visible), {"f": False}).all()
            rng = random.Random(args.seed)
            hot = rng.sample(rows, args.hot)
            hot_ids = {row.id for row in hot}
            products = [row for row in rows if row.id not in hot_ids]
            # The seeded stock of a product is small (5 to 60 units received, some sold), so
            # the checkouts use the hot products up within the run.
            stock = dict(
                db.session.execute(
                    text(
                        "SELECT product_id, sum(on_hand - reserved) FROM stock_levels "
                        "WHERE product_id IN :ids GROUP BY product_id"
                    ).bindparams(_expanding("ids")),
                    {"ids": list(hot_ids)},
                ).all()
            )
        finally:
            db.session.remove()
            db.engine.dispose()
    return {
        "url": url,
        "emails": emails,
        "products": [(row.id, row.slug) for row in products[:400]],
        "hot": [(row.id, row.slug) for row in hot],
        "hot_stock": stock,
    }


def _expanding(name):
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


# --- the clients ----------------------------------------------------------------------------


class Client:
    """One client process: a guest session for browsing and checkouts, and a signed-in one."""

    def __init__(self, base: str, plan: dict, number: int, mix: tuple, seed: int):
        import requests

        self.base = base
        self.plan = plan
        self.rng = random.Random(seed * 1000 + number)
        self.mix = mix
        self.number = number
        self.guest = requests.Session()
        self.member = requests.Session()
        self.member_token = ""
        self.cart: list[int] = []  # variant ids
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.requests = Counter()
        self.errors: Counter = Counter()
        self.outcomes: Counter = Counter()

    # requests and their checks
    def call(self, session, kind: str, method: str, path: str, expect: tuple, **kwargs):
        self.requests[kind] += 1
        try:
            response = session.request(
                method, self.base + path, allow_redirects=False, timeout=10, **kwargs
            )
        except Exception as exc:  # refused, reset or timed out: an error of the run
            self.errors[f"{kind}: {method} {_shape(path)} {type(exc).__name__}"] += 1
            return None
        if response.status_code not in expect:
            self.errors[f"{kind}: {method} {_shape(path)} {response.status_code}"] += 1
            return None
        return response

    def sign_in(self) -> None:
        page = self.call(self.member, "setup", "GET", "/account/login", (200,))
        token = _token(page.text if page is not None else "")
        self.call(
            self.member,
            "setup",
            "POST",
            "/account/login",
            (302, 303),
            data={
                "email": self.plan["emails"][self.number],
                "password": PASSWORD,
                "csrf_token": token,
            },
        )
        cart_page = self.call(self.member, "setup", "GET", "/cart", (200,))
        self.member_token = _token(cart_page.text if cart_page is not None else "")
        if not self.member_token:
            self.errors["setup: no CSRF token for the signed-in session"] += 1

    def browse_path(self) -> str:
        choice = self.rng.random()
        if choice < 0.15:
            return "/"
        if choice < 0.35:
            return f"/category/{catalog.CATEGORY}"
        if choice < 0.6:
            return f"/search?q={self.rng.choice(SEARCHES)}"
        return f"/product/{self.rng.choice(self.plan['products'])[1]}"

    def anonymous(self) -> None:
        self.call(self.guest, "anonymous", "GET", self.browse_path(), (200,))

    def signed_in(self) -> None:
        kind = "signed_in"
        self.call(self.member, kind, "GET", self.browse_path(), (200,))
        if self.cart and (len(self.cart) >= 4 or self.rng.random() < 0.3):
            variant_id = self.cart.pop(self.rng.randrange(len(self.cart)))
            self.call(
                self.member,
                kind,
                "POST",
                "/cart/remove",
                (302, 303),
                data={"variant_id": variant_id, "csrf_token": self.member_token},
            )
        elif self.cart and self.rng.random() < 0.4:
            self.call(
                self.member,
                kind,
                "POST",
                "/cart/update",
                (302, 303),
                data={
                    "variant_id": self.rng.choice(self.cart),
                    "quantity": self.rng.randint(1, 2),
                    "csrf_token": self.member_token,
                },
            )
        else:
            product_id = self.rng.choice(self.plan["products"])[0]
            # seed_catalog gives each product one variant (no options) with the product's id.
            variant_id = product_id
            if (
                self.call(
                    self.member,
                    kind,
                    "POST",
                    "/cart/add",
                    (302, 303),
                    data={"product_id": product_id, "variant_id": variant_id, "quantity": 1},
                )
                and variant_id not in self.cart
            ):
                self.cart.append(variant_id)
        self.call(self.member, kind, "GET", "/cart", (200,))

    def checkout(self) -> None:
        import requests

        kind = "checkout"
        session = requests.Session()  # a new guest: their own cart
        product_id, slug = self.rng.choice(self.plan["hot"])
        self.call(session, kind, "GET", f"/product/{slug}", (200,))
        added = self.call(
            session,
            kind,
            "POST",
            "/cart/add",
            (302, 303),
            data={
                "product_id": product_id,
                "variant_id": product_id,  # the product's one variant (seed_catalog)
                "quantity": self.rng.randint(1, 2),
            },
        )
        if added is None:
            return
        form = self.call(session, kind, "GET", "/checkout", (200, 302, 303))
        if form is None:
            return
        if form.status_code != 200:  # the cart is empty: it sold out before it got there
            self.outcomes["sold out before checkout"] += 1
            return
        placed = self.call(
            session,
            kind,
            "POST",
            "/checkout",
            (302, 303),
            data={
                "csrf_token": _token(form.text),
                "name": f"Tamu {self.number}",
                "email": f"tamu-{self.number}@bench.example",
                "phone": "081234567890",
                "fulfilment": "pickup",
                "payment_method": "outlet",
                "note": "",
            },
        )
        if placed is None:
            return
        location = placed.headers.get("Location", "")
        if "/orders/" in location:
            self.outcomes["order placed"] += 1
        elif location.endswith("/cart"):
            self.outcomes["sold out at checkout"] += 1
        else:
            self.errors[f"checkout: POST /checkout went to {_shape(location)}"] += 1

    def run(self, until: float) -> dict:
        self.sign_in()
        actions = (self.anonymous, self.signed_in, self.checkout)
        while time.monotonic() < until:
            index = self.rng.choices(range(3), weights=self.mix)[0]
            started = time.perf_counter()
            actions[index]()
            self.samples[KINDS[index]].append((time.perf_counter() - started) * 1000)
        return {
            "samples": dict(self.samples),
            "requests": dict(self.requests),
            "errors": dict(self.errors),
            "outcomes": dict(self.outcomes),
        }


def _token(html: str) -> str:
    found = CSRF_META.search(html) or CSRF.search(html)
    if not found:
        return ""
    return next(group for group in found.groups() if group)


def _shape(path: str) -> str:
    """A path without its variable parts, to group errors."""
    path = re.sub(r"^https?://[^/]+", "", path).split("?")[0]
    return re.sub(r"/(product|orders)/[^/]+", r"/\1/…", path)


def _client(arguments) -> dict:
    base, plan, number, mix, seed, until = arguments
    return Client(base, plan, number, mix, seed).run(until)


# --- checks afterwards ----------------------------------------------------------------------


def flask_command(name: str, env: dict) -> tuple[bool, str]:
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), name],
        cwd=ROOT,
        env={**env, "FLASK_APP": "wsgi"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = (done.stdout + done.stderr).strip()
    return done.returncode == 0, output


def oversell(url: str) -> list[str]:
    """What would show stock sold twice: levels below zero or over-reserved, a product with
    less than nothing available, an unpaid outlet order not holding exactly its lines."""
    from sqlalchemy import create_engine, text

    problems = []
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            bad_levels = c.scalar(
                text(
                    "SELECT count(*) FROM stock_levels "
                    "WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand"
                )
            )
            if bad_levels:
                problems.append(f"{bad_levels} stock levels below zero or over-reserved")
            negative = c.scalar(
                text(
                    "SELECT count(*) FROM (SELECT product_id FROM stock_levels GROUP BY "
                    "product_id HAVING sum(on_hand - reserved) < 0) AS t"
                )
            )
            if negative:
                problems.append(f"{negative} products with less than nothing available")
            unheld = c.execute(
                text(
                    "SELECT o.number FROM orders o JOIN order_lines l ON l.order_id = o.id "
                    "LEFT JOIN reservations r ON r.id = o.reservation_id "
                    "WHERE o.status = 'pending_payment' AND (r.id IS NULL "
                    "OR r.status <> 'active' OR l.quantity <> (SELECT coalesce(sum(rl.quantity), "
                    "0) FROM reservation_lines rl WHERE rl.reservation_id = r.id "
                    "AND rl.variant_id = l.variant_id)) GROUP BY o.number"
                )
            ).all()
            if unheld:
                problems.append(
                    f"{len(unheld)} unpaid orders not holding their lines: "
                    + ", ".join(row.number for row in unheld[:5])
                )
    finally:
        engine.dispose()
    return problems


def counts(url: str) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return {
                "orders": c.scalar(text("SELECT count(*) FROM orders")),
                "movements": c.scalar(text("SELECT count(*) FROM stock_movements")),
            }
    finally:
        engine.dispose()


# --- the report -----------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(results: list[dict], seconds: float) -> tuple[int, int]:
    samples, requests, errors, outcomes = defaultdict(list), Counter(), Counter(), Counter()
    for result in results:
        for kind, values in result["samples"].items():
            samples[kind].extend(values)
        requests.update(result["requests"])
        errors.update(result["errors"])
        outcomes.update(result["outcomes"])
    total_requests = sum(count for kind, count in requests.items() if kind != "setup")
    total_actions = sum(len(values) for values in samples.values())
    print(
        f"\n{total_actions:,} actions, {total_requests:,} requests in {seconds:.1f} s: "
        f"{total_actions / seconds:.1f} actions/s, {total_requests / seconds:.1f} req/s"
    )
    print(f"{'kind':<11} {'actions':>8} {'share':>6} {'req':>7} {'p50 ms':>8} {'p99 ms':>8} errors")
    for kind in KINDS:
        values = samples.get(kind, [])
        kind_errors = sum(n for key, n in errors.items() if key.startswith(kind + ":"))
        share = len(values) / total_actions * 100 if total_actions else 0
        print(
            f"{kind:<11} {len(values):>8,} {share:>5.0f}% {requests.get(kind, 0):>7,} "
            f"{percentile(values, 0.5):>8.1f} {percentile(values, 0.99):>8.1f} {kind_errors:>6}"
        )
    for outcome, n in sorted(outcomes.items()):
        print(f"  checkouts: {outcome}: {n}")
    for key, n in errors.most_common(10):
        print(f"  error: {key} × {n}")
    return sum(errors.values()), outcomes.get("order placed", 0)


def mark(ok: bool) -> str:
    return "met" if ok else "MISS"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv=None) -> int:
    args = parse_args(argv)
    mix = tuple(int(part) for part in args.mix.split(","))
    logs = Path(tempfile.mkdtemp(prefix="storefront-bench-load-"))
    plan = prepare(args)
    url = plan["url"]
    print(
        f"hot products {[product_id for product_id, _ in plan['hot']]}, available "
        f"{sorted(plan['hot_stock'].values())}; logs in {logs}",
        file=sys.stderr,
        flush=True,
    )
    from cryptography.fernet import Fernet

    shared = {
        "SECRET_KEY": os.urandom(32).hex(),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "CACHE_REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": f"bench-load-{os.getpid()}:",
        "RATELIMIT_STORAGE_URI": "memory://",
        "HUEY_SQLITE_PATH": str(logs / "huey.db"),  # the queued emails, never sent
    }
    env = catalog.server_env(url, 0, shared)
    for name in ("verify-ledger", "verify-books"):
        ok, output = flask_command(name, env)
        print(f"before the run: flask {name}: {'ok' if ok else 'FAILED'}", file=sys.stderr)
        if not ok:
            print(output[-2000:], file=sys.stderr)
    before = counts(url)
    store, port, handle = catalog.start("wsgi:app", url, logs / "store.log", env=shared)
    try:
        catalog.wait_ready(store, port, "/healthz", logs / "store.log")
        base = f"http://127.0.0.1:{port}"
        for path in ("/", f"/category/{catalog.CATEGORY}", f"/search?q={SEARCHES[0]}"):
            catalog.status_of(port, path)  # warm the workers
        print(
            f"load: {args.clients} clients for {args.duration} s, mix {args.mix}; "
            f"load average before {load_average()}",
            file=sys.stderr,
            flush=True,
        )
        started = time.monotonic()
        until = started + args.duration
        jobs = [(base, plan, n, mix, args.seed, until) for n in range(args.clients)]
        with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
            results = pool.map(_client, jobs)
        seconds = time.monotonic() - started
        during = load_average()
    finally:
        catalog.stop(store)
        handle.close()
    errors, placed = report(results, seconds)
    after = counts(url)
    print(f"load average at the end (1, 5, 15 min): {during}")
    print(
        f"orders placed during the run: {after['orders'] - before['orders']} "
        f"(clients saw {placed}); stock movements +{after['movements'] - before['movements']}"
    )
    failed = errors > 0
    for name in ("verify-ledger", "verify-books"):
        ok, output = flask_command(name, env)
        print(f"flask {name}: {'ok' if ok else 'FAILED'}")
        if not ok:
            print(output[-3000:])
            failed = True
    problems = oversell(url)
    print("oversell: none" if not problems else "oversell: " + "; ".join(problems))
    failed = failed or bool(problems)
    print("targets (no errors, no oversell, ledger and books verify):", mark(not failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
