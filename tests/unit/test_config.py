import pytest

from storefront.config import ConfigError, load_config, normalise_database_url


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("STOREFRONT_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path)


def test_local_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("STOREFRONT_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    second = load_config(tmp_path)["SECRET_KEY"]
    assert first == second
    assert len(first) == 64
    assert (tmp_path / "secret_key").read_text() == first


def test_defaults_are_safe_for_local_use(monkeypatch, tmp_path):
    monkeypatch.setenv("STOREFRONT_ENV", "development")
    for name in ("DATABASE_URL", "RATELIMIT_STORAGE_URI", "STRIPE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'storefront.db'}"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["BABEL_DEFAULT_LOCALE"] == "id"
    assert config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Jakarta"
    assert config["STRIPE_SECRET_KEY"] == ""
    assert config["SESSION_COOKIE_SECURE"] is False


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("STOREFRONT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://gerai.example")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = load_config(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_environment_name_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("STOREFRONT_ENV", "prod")
    with pytest.raises(ConfigError, match="STOREFRONT_ENV"):
        load_config(tmp_path)


def test_bad_number_in_environment_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("STOREFRONT_ENV", "development")
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "lots")
    with pytest.raises(ConfigError, match="MAX_CONTENT_LENGTH"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_from_hosting_providers_use_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_the_shared_cache_is_redis_from_cache_redis_url_or_redis_url(monkeypatch, tmp_path):
    monkeypatch.setenv("STOREFRONT_ENV", "development")
    monkeypatch.delenv("CACHE_REDIS_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert load_config(tmp_path)["CACHE_REDIS_URL"] == ""  # each worker's own memory
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    assert load_config(tmp_path)["CACHE_REDIS_URL"] == "redis://cache.internal:6379/2"
    monkeypatch.setenv("CACHE_REDIS_URL", "redis://other:6379/0")
    assert load_config(tmp_path)["CACHE_REDIS_URL"] == "redis://other:6379/0"
    assert load_config(tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://other:6379/0"
