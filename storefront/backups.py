"""Backups of the shop's database, and putting one back.

`make_backup(dest_dir)` writes one file named by the time it was taken (UTC):
`storefront-20261205T020000Z.sqlite3` through SQLite's online backup API (a consistent copy
while the shop keeps serving), or `storefront-20261205T020000Z.dump` through `pg_dump -Fc`
(PostgreSQL's custom format: compressed, restored with `pg_restore`). `flask backup` runs it;
the scheduled jobs call it daily when BACKUP_DIR is set.

`restore_backup(path)` replaces the configured database with the backup: stop the web and
worker processes first, then `flask restore FILE`, `flask db upgrade` (a backup from an older
release), `flask verify-ledger`. docs/operations.md has the restore drill.

What a backup does not hold: the field encryption keys (FIELD_ENCRYPTION_KEYS) and the
uploaded photos and documents (UPLOAD_DIR). NIK, NPWP and bank account numbers are stored
encrypted, so a backup restored without the keys that wrote it cannot show them: keep the keys
in a password manager or secret store apart from the backups (never beside them, or a stolen
backup is readable), and keep every key that wrote a value still in the backups you keep.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404  (pg_dump and pg_restore, argument lists, no shell)
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL

from storefront.extensions import db

SQLITE_SUFFIX = ".sqlite3"
POSTGRES_SUFFIX = ".dump"
# A custom-format dump starts with these bytes; an SQLite file with its own header.
_PG_MAGIC = b"PGDMP"
_SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(RuntimeError):
    """A backup could not be made or put back; the message (for the operator, in English like
    every command's output) says why."""


def make_backup(dest_dir: str | os.PathLike) -> Path:
    """Back the configured database up into `dest_dir` (created if missing) and return the
    new file. Needs an app context."""
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    url = db.engine.url
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = SQLITE_SUFFIX if url.get_backend_name() == "sqlite" else POSTGRES_SUFFIX
    target = _unused(dest / f"storefront-{stamp}{suffix}")
    if suffix == SQLITE_SUFFIX:
        _sqlite_copy(_sqlite_path(url), target)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}"], url)
    target.chmod(0o600)  # personal data: only the shop's own user reads it
    return target


def restore_backup(path: str | os.PathLike) -> None:
    """Replace the configured database's contents with the backup at `path`. Needs an app
    context; the app's own connections are closed first."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    with source.open("rb") as file:
        head = file.read(len(_SQLITE_MAGIC))
    url = db.engine.url
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and not head.startswith(_SQLITE_MAGIC):
        raise BackupError(f"{source} is not an SQLite backup; this shop runs on SQLite.")
    if not sqlite and not head.startswith(_PG_MAGIC):
        raise BackupError(
            f"{source} is not a pg_dump custom-format backup; this shop runs on PostgreSQL."
        )
    db.session.remove()
    db.engine.dispose()
    if sqlite:
        _sqlite_copy(source, _sqlite_path(url))
    else:
        # --clean --if-exists: objects of the current database are dropped before the
        # backup's are created, so a restore over a live schema leaves no stray rows.
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error"],
            url,
            str(source),
        )


def _unused(path: Path) -> Path:
    number = 1
    candidate = path
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: pages copied under a read lock, so writers elsewhere are
    never seen half-done (unlike copying the file)."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _run(command: list[str], url: URL, *extra: str) -> None:
    """Run a PostgreSQL client tool against `url`; the password goes through the environment,
    never the command line (which other users of the machine can read)."""
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client).")
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    # A fixed program and arguments from our own config, never a shell.
    result = subprocess.run(  # noqa: S603  # nosec B603
        [program, *command[1:], f"--dbname={libpq}", *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")
