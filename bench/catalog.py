"""Catalogue pages under load: the store under gunicorn against a minimal reference app.

    .venv/bin/python bench/catalog.py                            # SQLite, 1,000 and 100,000
    .venv/bin/python bench/catalog.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/catalog.py --sizes 1000 --duration 5 --keep
    .venv/bin/python bench/catalog.py --keep --no-page-cache     # every request renders its page
    .venv/bin/python bench/catalog.py --keep --signed-in         # as a signed-in shopper

For each size it seeds its own database (`bench/seed_catalog.py`: `<file>-<size>.db` under the
temp folder, or the PostgreSQL database `<name>_<size>`, created if missing), starts the store
(`gunicorn -c gunicorn.conf.py wsgi:app`, production settings, 2 workers) and the reference app
(`bench/reference_app.py`: one query, one precompiled template, same gunicorn settings) on free
ports of 127.0.0.1, and drives each page with `wrk` one after the other, in slices that
alternate with the reference. It prints requests per second, p50 and p99 latency per page, the
ratio store / reference (the reference measured beside that page), the load average, and the
slowdown from the smallest to the largest size, next to the targets of issues 5 and 19.
Figures depend on the machine: compare versions on one machine, not machines.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed_catalog  # noqa: E402  (bench/ is not a package)

DEFAULT_DB = f"sqlite:///{Path(tempfile.gettempdir()) / 'storefront-bench-catalog.db'}"
CATEGORY = "makanan-ringan"
SEARCH = "keripik"
# Targets of issue 5.
MIN_RATIO = 0.6
MIN_RATIO_ANONYMOUS = 1.0
MAX_SLOWDOWN = 1.5
MAX_P99_MS = 50.0


@dataclass
class Result:
    rps: float
    p50: float  # ms
    p99: float  # ms
    errors: int


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="product counts, comma-separated")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DB,
        help="base URL; each size gets its own database derived from it (default: SQLite "
        "files under the temp folder)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse databases seeded by an earlier run"
    )
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="run the store with CATALOG_CACHE_SECONDS=0: every request renders its page, as "
        "for a signed-in shopper (by default anonymous pages are kept 60 s); the vendor filter "
        "and spotlight lists stay cached, as in production",
    )
    parser.add_argument(
        "--signed-in",
        action="store_true",
        help="load the store's pages as a signed-in shopper with one line in the cart (wrk sends "
        "that session's cookie); the reference app ignores it",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="each page is measured in this many slices, each right after a slice of the "
        "reference (the machine's speed drifts: a ratio is only fair between neighbours in time)",
    )
    args = parser.parse_args(argv)
    args.cookie = ""
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be 1 to 10")
    try:
        args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes whole numbers, e.g. 1000,100000")
    if not args.sizes or min(args.sizes) < 40:
        parser.error("each size must be at least 40 products")
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be 1 to 120 seconds")
    return args


# --- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, port: int, extra: dict | None = None) -> dict:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "STOREFRONT_ENV": "production",
            "SECRET_KEY": os.urandom(32).hex(),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SESSION_COOKIE_SECURE": "false",
            "RATELIMIT_ENABLED": "false",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_ACCESSLOG": os.devnull,
            "STOREFRONT_INSTANCE": str(Path(tempfile.gettempdir()) / "storefront-bench-instance"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.setdefault("PUBLIC_BASE_URL", "https://gerai.example.id")  # required in production
    env.setdefault("TRUSTED_HOSTS", "127.0.0.1")  # wrk and the clients ask for 127.0.0.1
    Path(env["STOREFRONT_INSTANCE"]).mkdir(parents=True, exist_ok=True)  # the worker queue's file
    env.update(extra or {})
    return env


def start(
    app_spec: str, database_url: str, log: Path, extra: list[str] = (), env: dict | None = None
) -> tuple:
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-c", "gunicorn.conf.py", *extra, app_spec]
    handle = log.open("w")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=server_env(database_url, port, env),
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() reaches the workers
    )
    return process, port, handle


def stop(process) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def wait_ready(process, port: int, path: str, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {log}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn on port {port} not ready after {timeout:.0f} s; see {log}")


def drain(port: int, timeout: float = 60) -> None:
    """Wait until the server has worked off requests queued by a finished wrk run (it only
    notices a closed connection when it answers), so they do not slow the next run down."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        status_of(port, "/healthz")
        if time.monotonic() - started < 0.05:
            return
        time.sleep(0.2)


def status_of(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


# --- wrk -------------------------------------------------------------------------------------

SOCKET_ERRORS = r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> Result:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1))
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(found.group(1))
    if found := re.search(SOCKET_ERRORS, output):
        errors += sum(int(n) for n in found.groups())
    return Result(rps, p50, p99, errors)


def run_wrk(
    args, port: int, path: str, duration: int | None = None, log: Path | None = None
) -> Result:
    duration = duration or args.duration
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "--latency",
        f"http://127.0.0.1:{port}{path}",
    ]
    # Like a browser, every request names the same browser (the reference ignores it). The
    # signed-in session was made with it: Flask-Login ties a session to address and browser.
    command[1:1] = ["-H", f"User-Agent: {BENCH_AGENT}"]
    if args.cookie:
        command[1:1] = ["-H", f"Cookie: {args.cookie}"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 30, check=True
    )
    drain(port)
    if log is not None:
        with log.open("a") as handle:
            handle.write(f"$ {' '.join(command)}\n{done.stdout}\n")
    return parse_wrk(done.stdout)


# --- the run ---------------------------------------------------------------------------------


def pages_for(database_url: str) -> dict:
    """Paths of a seeded database: a visible, in-stock product from the middle of the range."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            count = connection.scalar(text("SELECT count(*) FROM products"))
            slug = connection.scalar(
                text(
                    "SELECT p.slug FROM products p JOIN vendors v ON v.id = p.vendor_id "
                    "JOIN stock_levels s ON s.product_id = p.id "
                    "WHERE p.status = 'approved' AND p.hidden = :f AND v.status = 'approved' "
                    "AND p.permits_valid_until IS NULL AND s.on_hand > 0 AND p.id >= :mid "
                    "ORDER BY p.id LIMIT 1"
                ),
                {"f": False, "mid": count // 2},
            )
    finally:
        engine.dispose()
    return {
        "home": "/",
        "category": f"/category/{CATEGORY}",
        "search": f"/search?q={SEARCH}",
        "product": f"/product/{slug}",
    }


SHOPPER_EMAIL = "signed-in@bench.example"
BENCH_AGENT = "Mozilla/5.0 (Linux; Android 14) storefront-bench"
SHOPPER_PASSWORD = "bench-signed-in-password"  # noqa: S105  (a bench account on a bench database)


def signed_in_cookie(database_url: str, port: int, product_path: str) -> str:
    """A shopper's session cookie (created if missing, signed in over HTTP, one product in the
    cart), for wrk to send with every request."""
    import requests

    from storefront import create_app
    from storefront.auth.services import create_user, find_user_by_email
    from storefront.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        try:
            if find_user_by_email(SHOPPER_EMAIL) is None:
                create_user(
                    name="Pembeli Bench",
                    email=SHOPPER_EMAIL,
                    password=SHOPPER_PASSWORD,
                    verified=True,
                )
                db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.headers["User-Agent"] = BENCH_AGENT
    login = session.get(f"{base}/account/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    session.post(
        f"{base}/account/login",
        data={"email": SHOPPER_EMAIL, "password": SHOPPER_PASSWORD, "csrf_token": token},
        timeout=10,
    )
    page = session.get(f"{base}{product_path}", timeout=10).text
    product_id = re.search(r'name="product_id" value="(\d+)"', page).group(1)
    session.post(f"{base}/cart/add", data={"product_id": product_id}, timeout=10)
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def bench_size(args, size: int, logs: Path) -> dict:
    url = seed_catalog.database_for(args.database_url, size)
    if args.keep and seed_catalog.seeded_size(url) == size:
        print(f"[{size:,}] reusing {url}", file=sys.stderr, flush=True)
        seed_catalog.ensure_search_index(url)
    else:
        print(f"[{size:,}] seeding {url} …", file=sys.stderr, flush=True)
        info = seed_catalog.seed(url, size)
        print(
            f"[{size:,}] seeded {info['products']:,} products, {info['vendors']:,} vendors, "
            f"{info['batches']:,} batches, {info['movements']:,} movements in "
            f"{info['seconds']:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    pages = pages_for(url)
    results: dict[str, Result] = {}
    references: dict[str, Result] = {}  # the reference measured beside each page
    loads: dict[str, tuple[float, float]] = {}  # load average before and after each page
    processes = []
    try:
        store, store_port, store_log = start("wsgi:app", url, logs / f"store-{size}.log")
        processes.append((store, store_log))
        reference, ref_port, ref_log = start(
            "reference_app:app",
            url,
            logs / f"reference-{size}.log",
            extra=["--pythonpath", str(Path(__file__).resolve().parent)],
        )
        processes.append((reference, ref_log))
        wait_ready(store, store_port, "/healthz", logs / f"store-{size}.log")
        wait_ready(reference, ref_port, "/", logs / f"reference-{size}.log")
        if args.signed_in:
            args.cookie = signed_in_cookie(url, store_port, pages["product"])
        if status_of(store_port, pages["category"]) == 404:
            pages["category"] = f"/search?category={CATEGORY}"
        broken = {}
        for name, path in pages.items():
            code = status_of(store_port, path)
            if code != 200:
                broken[name] = code
                print(
                    f"[{size:,}] {path} answered {code}, not measured; see {logs}/store-{size}.log",
                    file=sys.stderr,
                    flush=True,
                )
        print(f"[{size:,}] warming up", file=sys.stderr, flush=True)
        run_wrk(args, ref_port, "/", duration=2)  # warm-up: workers, pools, caches
        wrk_log = logs / f"wrk-{size}.txt"
        for name, path in pages.items():
            if name in broken:
                results[name] = Result(0.0, 0.0, 0.0, errors=-broken[name])
                continue
            print(f"[{size:,}] store {path}", file=sys.stderr, flush=True)
            run_wrk(args, store_port, path, duration=2)
            # Reference and page in turns, so each ratio compares neighbours in time.
            slice_seconds = max(1, round(args.duration / args.rounds))
            refs, runs = [], []
            load = os.getloadavg()[0]
            for _ in range(args.rounds):
                refs.append(run_wrk(args, ref_port, "/", duration=slice_seconds, log=wrk_log))
                runs.append(run_wrk(args, store_port, path, duration=slice_seconds, log=wrk_log))
            references[name] = combine(refs)
            results[name] = combine(runs)
            loads[name] = (load, os.getloadavg()[0])
        results["reference"] = combine(list(references.values()))
    finally:
        for process, handle in processes:
            stop(process)
            handle.close()
    return {
        "url": url,
        "pages": pages,
        "results": results,
        "references": references,
        "loads": loads,
    }


def combine(slices: list[Result]) -> Result:
    """Slices of one page as one figure: mean req/s, median p50 and p99 (a neighbour's burst
    on this shared machine lands in one slice), every error."""
    if not slices:
        return Result(0.0, 0.0, 0.0, errors=0)
    return Result(
        rps=statistics.fmean(r.rps for r in slices),
        p50=statistics.median(r.p50 for r in slices),
        p99=statistics.median(r.p99 for r in slices),
        errors=sum(r.errors for r in slices),
    )


def ratio_targets(args) -> tuple[tuple[str, ...], float]:
    """Which pages have a req/s target against the reference, and how much. Issue 19: kept
    pages for a signed-in shopper at least 0.6 x, for an anonymous one at least 1.0 x, on
    every page; issue 5: category and product pages rendered afresh at least 0.6 x."""
    every = ("home", "category", "search", "product")
    if args.no_page_cache:
        return ("category", "product"), MIN_RATIO
    if args.signed_in:
        return every, MIN_RATIO
    return every, MIN_RATIO_ANONYMOUS


def mark(ok: bool) -> str:
    return "ok" if ok else "MISS"


def report(args, runs: dict[int, dict]) -> bool:
    met = True
    for size, run in runs.items():
        res = run["results"]
        ref = res["reference"]
        print()
        print(f"{size:,} products — {run['url']}")
        print(
            f"{'page':<10} {'path':<36} {'req/s':>8} {'p50':>8} {'p99':>8}  "
            f"{'ref req/s':>9} {'store/ref':>9}  {'load':>9}  targets"
        )
        print("-" * 130)
        print(
            f"{'reference':<10} {'/ (1 query, 1 template)':<36} {ref.rps:8.1f} "
            f"{ref.p50:6.1f}ms {ref.p99:6.1f}ms  (median of the runs beside each page)"
        )
        ratio_pages, min_ratio = ratio_targets(args)
        for name, path in run["pages"].items():
            r = res[name]
            if r.errors < 0:
                print(f"{name:<10} {path[:36]:<36} answered HTTP {-r.errors}, not measured  MISS")
                met = False
                continue
            beside = run["references"].get(name, ref)
            ratio = r.rps / beside.rps if beside.rps else 0.0
            p99_ok = 0 < r.p99 < MAX_P99_MS and not r.errors
            notes = [f"p99<{MAX_P99_MS:.0f}ms {mark(p99_ok)}"]
            met &= p99_ok
            if name in ratio_pages:
                notes.append(f"ratio>={min_ratio} {mark(ratio >= min_ratio)}")
                met &= ratio >= min_ratio
            if r.errors:
                notes.append(f"{r.errors} errors/timeouts")
                met = False
            load = run["loads"].get(name, (0.0, 0.0))
            print(
                f"{name:<10} {path[:36]:<36} {r.rps:8.1f} {r.p50:6.1f}ms {r.p99:6.1f}ms  "
                f"{beside.rps:9.1f} {ratio:9.2f}  {load[0]:4.1f}-{load[1]:<4.1f}  "
                f"{', '.join(notes)}"
            )
    if len(runs) > 1:
        small, large = min(runs), max(runs)
        print()
        print(f"Slowdown {small:,} -> {large:,} products (req/s small / req/s large)")
        print(f"{'page':<10} {small:>10,} {large:>10,} {'slowdown':>9}  target <= {MAX_SLOWDOWN}x")
        for name in ("reference", *runs[small]["pages"]):
            a = runs[small]["results"][name].rps
            b = runs[large]["results"][name].rps
            if not a or not b:
                errors = (runs[small]["results"][name].errors, runs[large]["results"][name].errors)
                note = "not measured" if min(errors) < 0 else "no answers within 5 s"
                print(f"{name:<10} {a:10.1f} {b:10.1f} {'-':>9}  MISS ({note})")
                met = False
                continue
            factor = a / b if b else float("inf")
            ok = factor <= MAX_SLOWDOWN
            if name != "reference":
                met &= ok
            print(f"{name:<10} {a:10.1f} {b:10.1f} {factor:8.2f}x  {mark(ok)}")
    print()
    print("All targets met." if met else "Some targets missed (MISS above).")
    return met


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: sudo apt-get install -y wrk")
    logs = Path(tempfile.mkdtemp(prefix="storefront-bench-catalog-"))
    if args.no_page_cache:
        os.environ["CATALOG_CACHE_SECONDS"] = "0"  # server_env() passes it on to the store
    print("Catalogue benchmark (issue 5)")
    print(f"  database   {args.database_url} (one per size)")
    print(f"  sizes      {', '.join(f'{s:,}' for s in args.sizes)} products")
    print(
        f"  load       wrk {args.duration} s per page, {args.connections} connections, "
        f"{args.threads} threads; gunicorn 2 workers x 2 threads each side"
    )
    print(
        "  page cache "
        + ("off (every request renders)" if args.no_page_cache else "on (anonymous pages, 60 s)")
    )
    if args.signed_in:
        print("  shopper    signed in, one line in the cart (the session cookie on every request)")
    print(f"  machine    {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; logs in {logs}")
    runs = {}
    for size in args.sizes:
        runs[size] = bench_size(args, size, logs)
    return 0 if report(args, runs) else 1


def _terminate(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
