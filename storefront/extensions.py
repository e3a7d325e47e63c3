"""Flask extensions, created once here and bound to each app by `init_app` (from `create_app`)."""

from pathlib import Path

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

from storefront import cache, crypto
from storefront.config import PROJECT_ROOT
from storefront.i18n import select_locale

# Named constraints make Alembic migrations reviewable and SQLite batch mode possible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask) -> None:
    """Field encryption, the database and migrations, the cache, CSRF, languages, rate limits,
    sign-in (auth's init_app configures where sign-in lives)."""
    crypto.init_app(app)
    cache.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    translations = str(Path(__file__).parent / "translations")
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=translations)
    _rate_limit_storage(app)
    limiter.init_app(app)
    login_manager.init_app(app)


def _rate_limit_storage(app: Flask) -> None:
    """Rate limits count in the cache's Redis when there is one, so every worker and machine
    counts the same visitor's attempts together. If Redis stops answering, each worker counts
    in its own memory until it answers again (Flask-Limiter's in-memory fallback)."""
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://", "unix://")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", cache.redis_options())
        app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
        app.config.setdefault(
            "RATELIMIT_KEY_PREFIX", (app.config.get("CACHE_KEY_PREFIX") or "storefront:") + "limits"
        )
