"""`flask seed-demo`, `flask backup`, `flask restore` and `flask rotate-field-keys`: the commands
that belong to the whole app rather than to a package (demo data, the database and its
encrypted columns span every package). Each package
registers its own commands from its `init_app`: `create-admin` (auth), `check-permits` and
`reindex-search` (catalog), `verify-ledger` (stock), `expire-reservations` (orders),
`pos create-cashier` (pos)."""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.fernet import InvalidToken
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Text, literal, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.sql.expression import type_coerce

from storefront import crypto
from storefront.backups import BackupError, make_backup, restore_backup
from storefront.database import ensure_write_lock, unit_of_work
from storefront.demo import DEMO_LOGINS, seed_demo_data
from storefront.extensions import db


@click.command("seed-demo")
@click.option(
    "--first-time",
    is_flag=True,
    help="Do nothing if demo data was loaded into this database before (used by `make run`).",
)
@click.option("--force", is_flag=True, help="Allow seeding when STOREFRONT_ENV=production.")
@with_appcontext
def seed_demo(first_time: bool, force: bool) -> None:
    """Load demo vendors, products and accounts. Safe to run again: nothing is duplicated."""
    if current_app.config["STOREFRONT_ENV"] == "production" and not force:
        raise click.ClickException("refusing to load demo data in production (use --force)")
    with unit_of_work():
        summary = seed_demo_data(skip_if_seeded=first_time)
    if summary is None:
        click.echo("Demo data was loaded before; leaving the database as it is.")
    else:
        click.echo(
            "Demo data: {users} accounts, {vendors} vendors, {products} products, "
            "{categories} categories, {batches} stock batches added.".format(**summary)
        )
    click.echo(f"Demo sign-ins (password for all: {DEMO_LOGINS['password']}):")
    for role, email in DEMO_LOGINS["accounts"]:
        click.echo(f"  {role:<8} {email}")


@click.command("backup")
@click.option(
    "--dir",
    "dest_dir",
    envvar="BACKUP_DIR",
    type=click.Path(file_okay=False),
    help="Where to write the backup (default: BACKUP_DIR, else instance/backups).",
)
@with_appcontext
def backup(dest_dir: str | None) -> None:
    """Back the database up to a timestamped file (SQLite online backup, or pg_dump -Fc)."""
    dest = Path(dest_dir) if dest_dir else Path(current_app.instance_path) / "backups"
    try:
        path = make_backup(dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written: {path}")
    click.echo("The field encryption keys are not in it: keep FIELD_ENCRYPTION_KEYS apart.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore(path: str, yes: bool) -> None:
    """Replace the database's contents with a backup. Stop the web and worker processes first."""
    from_url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not yes:
        click.confirm(
            f"Replace everything in the database ({_safe(from_url)}) with {path}?", abort=True
        )
    try:
        restore_backup(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {path}.")
    click.echo("Next: flask db upgrade, flask verify-ledger, then start the shop again.")


def _safe(url: str) -> str:
    """The database's address without its password, to confirm against."""
    return make_url(url).render_as_string(hide_password=True)


@click.command("rotate-field-keys")
@with_appcontext
def rotate_field_keys() -> None:
    """Re-encrypt every encrypted field (NIK, NPWP, bank account) with the first key of
    FIELD_ENCRYPTION_KEYS. Put the new key first, keep the old ones after it, run this, take a
    backup, then drop the old keys. All or nothing: one value no key opens changes nothing."""
    try:
        with unit_of_work():
            rotated = _rotate_encrypted_columns()
    except InvalidToken as exc:
        raise click.ClickException(
            f"{exc.args[0]}: no configured key opens it; nothing changed."
        ) from None
    click.echo(f"Re-encrypted {rotated} value(s) with the first key.")
    click.echo("Take a backup now; the old keys may be dropped once no kept backup needs them.")


def _rotate_encrypted_columns() -> int:
    """Every EncryptedString column of every table, read and written as the stored tokens
    (type_coerce to Text: no decrypting on the way out, no second encryption on the way in)."""
    ensure_write_lock()
    rotated = 0
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, crypto.EncryptedString)]
        if not columns:
            continue
        (key,) = table.primary_key.columns
        raw = [type_coerce(column, Text).label(column.name) for column in columns]
        for row in db.session.execute(select(key, *raw).order_by(key)).mappings():
            new = {}
            for column in columns:
                token = row[column.name]
                if token is None:
                    continue
                try:
                    new[column.name] = literal(crypto.rotate(token), Text)
                except InvalidToken:
                    raise InvalidToken(
                        f"{table.name}.{column.name} of row {row[key.name]}"
                    ) from None
            if new:
                db.session.execute(update(table).where(key == row[key.name]).values(new))
                rotated += len(new)
    return rotated
