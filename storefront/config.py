"""Settings from environment variables (12-factor), with safe defaults for local use.

Every variable is listed in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The environment asks for something the app cannot safely run with."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _count(name: str) -> int:
    value = _int(name, 0)
    if value < 0:
        raise ConfigError(f"{name} must be 0 or more, got {value}")
    return value


def _pairs(text: str) -> dict[str, str]:
    """`order_ready=my_ready,order_paid=my_paid` -> {"order_ready": "my_ready", ...}."""
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {key.strip(): value.strip() for key, value in pairs if key.strip() and value.strip()}


def normalise_database_url(url: str) -> str:
    """Accept the URLs hosting providers hand out and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _secret_key(instance_path: Path, env: str) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigError(
            "SECRET_KEY must be set when STOREFRONT_ENV=production "
            '(generate one with: python -c "import secrets; print(secrets.token_hex(32))")'
        )
    # Local use: generate once and keep it in instance/, so sessions survive restarts
    # without anyone having to invent a key.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


LOCAL_BASE_URL = "http://127.0.0.1:5000"


def normalise_public_base_url(url: str, *, https_only: bool) -> str:
    """`https://Shop.Example/` -> `https://shop.example`: an origin, optionally with a path,
    never a query, a fragment or a login."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        port = -1
    allowed = {"https"} if https_only else {"http", "https"}
    if (
        parts.scheme.lower() not in allowed
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username is not None
        or port == -1
    ):
        wanted = "an https address" if https_only else "an http(s) address"
        raise ConfigError(
            f"PUBLIC_BASE_URL must be {wanted} such as https://gerai.example.id, got {url!r}"
        )
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{port}" if port else host
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def _public_base_url(production: bool) -> str:
    raw = os.environ.get("PUBLIC_BASE_URL", "").strip()
    if not raw:
        if production:
            raise ConfigError(
                "PUBLIC_BASE_URL must be set when STOREFRONT_ENV=production: the shop's https "
                "address (e.g. https://gerai.example.id), which every emailed link starts with"
            )
        raw = LOCAL_BASE_URL
    return normalise_public_base_url(raw, https_only=production)


def _public_hosts(base_url: str, production: bool) -> list[str]:
    """Host names a production shop answers to: the public address's, plus TRUSTED_HOSTS
    (comma-separated; `.example.id` allows every subdomain). Empty means any host (local use)."""
    if not production:
        return []
    extra = [name.strip().lower() for name in os.environ.get("TRUSTED_HOSTS", "").split(",")]
    hosts = [urlsplit(base_url).hostname]
    return hosts + [name for name in extra if name and name not in hosts]


def load_config(instance_path: Path) -> dict:
    """Build the Flask config mapping from the environment."""
    env = os.environ.get("STOREFRONT_ENV", "development").strip().lower()
    if env not in {"development", "production", "testing"}:
        raise ConfigError(f"STOREFRONT_ENV must be development, production or testing, got {env!r}")
    production = env == "production"

    secret_key = _secret_key(instance_path, env)
    public_base_url = _public_base_url(production)
    default_db = f"sqlite:///{instance_path / 'storefront.db'}"
    database_url = normalise_database_url(os.environ.get("DATABASE_URL", default_db))
    redis_url = os.environ.get("CACHE_REDIS_URL", "").strip() or os.environ.get("REDIS_URL", "")

    return {
        "STOREFRONT_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(instance_path / "uploads")),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
        # Forms that take files, from signed-in people (storefront/uploads.py: upload_form).
        "UPLOAD_FORM_MAX_BYTES": _int("UPLOAD_FORM_MAX_BYTES", 64 * 1024 * 1024),
        # Payments: both optional. Without them checkout offers pay-at-the-outlet only.
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        # QRIS, e-wallets and virtual accounts (README, "Payment gateway"): "midtrans" with the
        # server key, or "fake" in development (a local fake gateway is started beside the app).
        "PAYMENT_GATEWAY": os.environ.get("PAYMENT_GATEWAY", "").strip().lower(),
        "MIDTRANS_SERVER_KEY": os.environ.get("MIDTRANS_SERVER_KEY", ""),
        "MIDTRANS_IS_PRODUCTION": _bool(os.environ.get("MIDTRANS_IS_PRODUCTION"), False),
        "MIDTRANS_API_BASE": os.environ.get("MIDTRANS_API_BASE", ""),
        "FAKE_GATEWAY_PORT": _int("FAKE_GATEWAY_PORT", 5055),
        # Mail: with no MAIL_SERVER, messages are written as .eml files to MAIL_OUTBOX_DIR.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 587),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool(os.environ.get("MAIL_USE_TLS"), True),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Gerai Tangerang Gemilang <noreply@geraitangerang.local>"
        ),
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR", str(instance_path / "outbox")),
        # One cache for every worker and machine (storefront/cache.py); empty: each worker's own.
        "CACHE_REDIS_URL": redis_url.strip(),
        "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "storefront:"),
        "CACHE_RETRY_SECONDS": _int("CACHE_RETRY_SECONDS", 5),
        # By default the cache's Redis when there is one, else each worker's memory.
        "RATELIMIT_STORAGE_URI": (
            os.environ.get("RATELIMIT_STORAGE_URI", "").strip() or redis_url.strip() or "memory://"
        ),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 20),
        # The background worker (storefront/worker, docs/operations.md). With HUEY_REDIS_URL
        # (or REDIS_URL) the queue is on Redis, shared by every worker; otherwise a SQLite file
        # in instance/ for one machine. Tests run tasks in-process (immediate).
        "HUEY_REDIS_URL": os.environ.get("HUEY_REDIS_URL") or os.environ.get("REDIS_URL", ""),
        "HUEY_SQLITE_PATH": os.environ.get("HUEY_SQLITE_PATH", str(instance_path / "huey.db")),
        "HUEY_IMMEDIATE": _bool(os.environ.get("HUEY_IMMEDIATE"), env == "testing"),
        # `make run`: a worker thread inside the development server (docs/operations.md).
        "WORKER_EMBEDDED": _bool(os.environ.get("WORKER_EMBEDDED"), False),
        # WhatsApp Business Cloud API: without a token and number id, email only.
        "WHATSAPP_TOKEN": os.environ.get("WHATSAPP_TOKEN", ""),
        "WHATSAPP_PHONE_NUMBER_ID": os.environ.get("WHATSAPP_PHONE_NUMBER_ID", ""),
        "WHATSAPP_API_BASE": os.environ.get(
            "WHATSAPP_API_BASE", "https://graph.facebook.com/v21.0"
        ),
        "WHATSAPP_TIMEOUT": _int("WHATSAPP_TIMEOUT", 10),
        "WHATSAPP_TEMPLATES": _pairs(os.environ.get("WHATSAPP_TEMPLATES", "")),
        # A daily database backup runs only when this is set (and `flask backup` exists).
        "BACKUP_DIR": os.environ.get("BACKUP_DIR", ""),
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Reverse proxies in front of the app that append to X-Forwarded-For. 0: the connecting
        # address is the client and X-Forwarded-For is ignored (anyone can write it).
        "TRUSTED_PROXY_COUNT": _count("TRUSTED_PROXY_COUNT"),
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "id"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("TIMEZONE", "Asia/Jakarta"),
        "LANGUAGES": ("id", "en"),
        "PASSWORD_RESET_MAX_AGE": _int("PASSWORD_RESET_MAX_AGE", 3600),
        "EMAIL_VERIFICATION_MAX_AGE": _int("EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 3600),
        # Cookies: Secure everywhere but local development over plain http.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # Every link that leaves the request (emails, Stripe, canonical URLs) starts with this,
        # never with the Host header a visitor sent (storefront/links.py).
        "PUBLIC_BASE_URL": public_base_url,
        # Production refuses requests for any other host (storefront/security.py).
        "PUBLIC_HOSTS": _public_hosts(public_base_url, production),
        "WTF_CSRF_TIME_LIMIT": 60 * 60 * 8,
        "TEMPLATES_AUTO_RELOAD": not production,
    }
