"""Field-level encryption for personal data (UU PDP 27/2022): NIK, NPWP, bank account numbers.

Values are encrypted with Fernet (AES-128-CBC plus HMAC-SHA256, random IV per value) before
they reach the database, so the database, its dumps and its backups never hold these numbers in
clear; only a running app with the key can read them.

Keys come from FIELD_ENCRYPTION_KEYS: a comma-separated list of Fernet keys. The first key
encrypts; every key decrypts, so a key can be rotated by putting the new key first, re-encrypting
the stored values (`flask rotate-field-keys`, which calls `rotate` on each), then dropping the
old key (docs/operations.md).

Losing every key loses the data: back the production keys up separately from database backups.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy.types import Text, TypeDecorator

from storefront.config import ConfigError

ENV_VAR = "FIELD_ENCRYPTION_KEYS"
EXTENSION_NAME = "field_crypto"
KEY_FILE_NAME = "field_encryption_key"
GENERATE_KEY_COMMAND = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def init_app(app: Flask) -> None:
    """Resolve the encryption keys and store them as `app.extensions["field_crypto"]`.

    Order: app.config["FIELD_ENCRYPTION_KEYS"], then the FIELD_ENCRYPTION_KEYS environment
    variable; production without either refuses to start; development and testing generate a key
    once into <instance>/field_encryption_key and reuse it.
    """
    configured = app.config.get(ENV_VAR)
    if configured:
        fernet = _multi_fernet(configured, f"{ENV_VAR} (app config)")
    elif os.environ.get(ENV_VAR, "").strip():
        fernet = _multi_fernet(os.environ[ENV_VAR], ENV_VAR)
    elif app.config.get("STOREFRONT_ENV") == "production":
        raise ConfigError(
            f"{ENV_VAR} must be set when STOREFRONT_ENV=production "
            f"(generate a key with: {GENERATE_KEY_COMMAND}). "
            "Keep a copy of it outside the database backups: without it the encrypted "
            "NIK, NPWP and bank account numbers cannot be read."
        )
    else:
        key_file = Path(app.instance_path) / KEY_FILE_NAME
        fernet = _multi_fernet(_local_key(key_file), str(key_file))
    app.extensions[EXTENSION_NAME] = fernet


def _multi_fernet(raw: str | bytes | Iterable[str | bytes], source: str) -> MultiFernet:
    """Build a MultiFernet from a comma-separated string (or a list) of keys.

    Errors name `source` and the key's position but never the key itself, and the underlying
    exception is dropped, so no key material ends up in logs or tracebacks.
    """
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", errors="replace")
    entries = raw.split(",") if isinstance(raw, str) else list(raw)
    keys: list[Fernet] = []
    for position, entry in enumerate(entries, start=1):
        if isinstance(entry, str):
            entry = entry.strip()
        if not entry:
            continue
        try:
            keys.append(Fernet(entry))
        except (ValueError, TypeError):
            raise ConfigError(
                f"key number {position} in {source} is not a valid Fernet key "
                f"(32 url-safe base64-encoded bytes; generate one with: {GENERATE_KEY_COMMAND})"
            ) from None
    if not keys:
        raise ConfigError(f"{source} holds no keys (generate one with: {GENERATE_KEY_COMMAND})")
    return MultiFernet(keys)


def _local_key(key_file: Path) -> str:
    """Development/testing: create the key file once (mode 0o600) and reuse it afterwards."""
    if key_file.exists():
        return key_file.read_text()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # Write a private temp file (mkstemp uses 0o600) and hard-link it into place: the link fails
    # if another process got there first, so two processes starting together never end up with
    # different keys, and nobody ever reads a half-written file.
    fd, tmp_name = tempfile.mkstemp(dir=key_file.parent, prefix=f".{KEY_FILE_NAME}.")
    try:
        with os.fdopen(fd, "w") as tmp:
            tmp.write(Fernet.generate_key().decode("ascii"))
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o600)
        with contextlib.suppress(FileExistsError):  # the other process's key wins
            os.link(tmp_name, key_file)
    finally:
        os.unlink(tmp_name)
    return key_file.read_text()


def _fernet() -> MultiFernet:
    try:
        return current_app.extensions[EXTENSION_NAME]
    except KeyError:
        raise RuntimeError(
            "field encryption is not set up: call storefront.crypto.init_app(app)"
        ) from None


def encrypt(plaintext: str) -> str:
    """Encrypt with the first key. The result differs on every call (random IV)."""
    if not isinstance(plaintext, str):
        raise TypeError(f"encrypt() takes a str, not {type(plaintext).__name__}")
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt with any configured key; raises cryptography.fernet.InvalidToken if none fits
    or the token was tampered with."""
    return _fernet().decrypt(_token_bytes(token)).decode("utf-8")


def rotate(token: str) -> str:
    """Re-encrypt a token (made with any configured key) with the first key."""
    return _fernet().rotate(_token_bytes(token)).decode("ascii")


def _token_bytes(token: str) -> bytes:
    try:
        return token.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidToken from None


class EncryptedString(TypeDecorator):
    """A text column whose values are Fernet-encrypted in the database.

    Why: UU PDP requires NIK, NPWP and bank account numbers to be protected at rest; encrypting
    in the app means the database server, SQL dumps and backups only ever hold ciphertext.
    Stored as plain TEXT (URL-safe base64), so it works the same on SQLite and PostgreSQL.

    Because every encryption is randomised, the database cannot compare, search, index or sort
    these values: `column == "3671..."` never matches. Load the row and compare in Python.
    Reading needs an app context (the keys live on the app).
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return decrypt(value)
