import stat
import traceback
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

from storefront import crypto
from storefront.config import ConfigError

NIK = "3671012503900001"  # 16 digits, Kota Tangerang area code
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch):
    # A developer's own FIELD_ENCRYPTION_KEYS must not leak into these tests.
    monkeypatch.delenv(crypto.ENV_VAR, raising=False)


@pytest.fixture
def crypto_app(app):
    """The fixture app with field encryption set up, whether or not create_app does it yet."""
    if crypto.EXTENSION_NAME not in app.extensions:
        crypto.init_app(app)
    return app


def bare_app(instance_path: Path, env: str = "testing", keys=None) -> Flask:
    app = Flask(__name__, instance_path=str(instance_path))
    app.config["STOREFRONT_ENV"] = env
    if keys is not None:
        app.config[crypto.ENV_VAR] = keys
    return app


@contextmanager
def keys_in_use(tmp_path: Path, keys):
    app = bare_app(tmp_path / "instance", keys=keys)
    crypto.init_app(app)
    with app.app_context():
        yield


@pytest.mark.parametrize(
    "value",
    [NIK, "01.234.567.8-901.000", "Rekening BCA a.n. Siti Nurhaliza, Tangerang", ""],
)
def test_round_trip(crypto_app, ctx, value):
    token = crypto.encrypt(value)
    assert crypto.decrypt(token) == value
    if value:
        assert value not in token


def test_same_value_encrypts_differently_each_time(crypto_app, ctx):
    first, second = crypto.encrypt(NIK), crypto.encrypt(NIK)
    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == NIK


def test_tampered_token_is_refused(crypto_app, ctx):
    token = crypto.encrypt(NIK)
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(InvalidToken):
        crypto.decrypt(tampered)


def test_encrypt_refuses_non_strings(crypto_app, ctx):
    # An int would silently lose the leading zeros of a bank account number.
    with pytest.raises(TypeError):
        crypto.encrypt(3671012503900001)


def test_encrypt_without_init_app_is_a_clear_error(tmp_path):
    app = bare_app(tmp_path)
    with app.app_context(), pytest.raises(RuntimeError, match="init_app"):
        crypto.encrypt(NIK)


def test_encrypted_column_stores_only_ciphertext(crypto_app, ctx, tmp_path):
    metadata = MetaData()
    people = Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("nik", crypto.EncryptedString),
        Column("npwp", crypto.EncryptedString, nullable=True),
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'crypto.db'}")
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(people).values(id=1, nik=NIK, npwp=None))

        with engine.connect() as conn:
            raw_nik, raw_npwp = conn.execute(
                text("SELECT nik, npwp FROM people WHERE id = 1")
            ).one()
            typed_nik, typed_npwp = conn.execute(
                select(people.c.nik, people.c.npwp).where(people.c.id == 1)
            ).one()
    finally:
        engine.dispose()

    assert NIK not in raw_nik
    assert crypto.decrypt(raw_nik) == NIK
    assert raw_npwp is None
    assert typed_nik == NIK
    assert typed_npwp is None


def test_old_key_listed_second_still_decrypts_and_rotate_moves_to_new_key(tmp_path):
    with keys_in_use(tmp_path, OLD_KEY):
        old_token = crypto.encrypt(NIK)

    with keys_in_use(tmp_path, f"{NEW_KEY}, {OLD_KEY}"):
        assert crypto.decrypt(old_token) == NIK
        rotated = crypto.rotate(old_token)
        fresh = crypto.encrypt(NIK)

    with keys_in_use(tmp_path, NEW_KEY):
        assert crypto.decrypt(rotated) == NIK
        assert crypto.decrypt(fresh) == NIK  # the first key is the one that encrypts
        with pytest.raises(InvalidToken):
            crypto.decrypt(old_token)

    with keys_in_use(tmp_path, [OLD_KEY]), pytest.raises(InvalidToken):
        crypto.decrypt(fresh)


def test_environment_variable_is_used_and_config_wins_over_it(monkeypatch, tmp_path):
    monkeypatch.setenv(crypto.ENV_VAR, NEW_KEY)
    with keys_in_use(tmp_path, None):
        from_env = crypto.encrypt(NIK)
    with keys_in_use(tmp_path, OLD_KEY):
        from_config = crypto.encrypt(NIK)

    assert Fernet(NEW_KEY).decrypt(from_env.encode()).decode() == NIK
    assert Fernet(OLD_KEY).decrypt(from_config.encode()).decode() == NIK
    assert not (tmp_path / "instance" / crypto.KEY_FILE_NAME).exists()


def test_production_without_a_key_refuses_to_start(tmp_path):
    app = bare_app(tmp_path, env="production")
    with pytest.raises(ConfigError) as excinfo:
        crypto.init_app(app)
    message = str(excinfo.value)
    assert crypto.ENV_VAR in message
    assert "Fernet.generate_key()" in message
    assert crypto.EXTENSION_NAME not in app.extensions
    assert not (tmp_path / crypto.KEY_FILE_NAME).exists()


def test_production_with_a_key_in_the_environment_starts(monkeypatch, tmp_path):
    monkeypatch.setenv(crypto.ENV_VAR, NEW_KEY)
    app = bare_app(tmp_path, env="production")
    crypto.init_app(app)
    with app.app_context():
        assert Fernet(NEW_KEY).decrypt(crypto.encrypt(NIK).encode()).decode() == NIK


@pytest.mark.parametrize("source", ["config", "environment"])
def test_malformed_key_is_reported_without_echoing_it(monkeypatch, tmp_path, source):
    bad_key = "not-a-fernet-key-SENTINEL-8d1f"
    keys = f"{NEW_KEY},{bad_key}"
    if source == "config":
        app = bare_app(tmp_path, keys=keys)
    else:
        monkeypatch.setenv(crypto.ENV_VAR, keys)
        app = bare_app(tmp_path)

    with pytest.raises(ConfigError) as excinfo:
        crypto.init_app(app)

    message = str(excinfo.value)
    assert crypto.ENV_VAR in message
    assert "key number 2" in message
    full_report = "".join(traceback.format_exception(excinfo.value))
    assert "SENTINEL" not in full_report
    assert NEW_KEY not in full_report


def test_empty_key_list_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv(crypto.ENV_VAR, " , ")
    with pytest.raises(ConfigError, match=crypto.ENV_VAR):
        crypto.init_app(bare_app(tmp_path))


@pytest.mark.parametrize("env", ["development", "testing"])
def test_local_key_file_is_created_once_and_reused(tmp_path, env):
    instance = tmp_path / "instance"  # does not exist yet
    first = bare_app(instance, env=env)
    crypto.init_app(first)

    key_file = instance / crypto.KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    stored_key = key_file.read_text()
    Fernet(stored_key)  # a usable key, not a placeholder
    assert [p.name for p in instance.iterdir()] == [crypto.KEY_FILE_NAME]  # no temp left
    with first.app_context():
        token = crypto.encrypt(NIK)

    second = bare_app(instance, env=env)
    crypto.init_app(second)
    assert key_file.read_text() == stored_key
    with second.app_context():
        assert crypto.decrypt(token) == NIK


def test_corrupt_local_key_file_is_reported_by_path(tmp_path):
    key_file = tmp_path / crypto.KEY_FILE_NAME
    key_file.write_text("garbage-SENTINEL")
    with pytest.raises(ConfigError) as excinfo:
        crypto.init_app(bare_app(tmp_path, env="development"))
    assert str(key_file) in str(excinfo.value)
    assert "SENTINEL" not in str(excinfo.value)
