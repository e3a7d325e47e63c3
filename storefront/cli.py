"""`flask seed-demo`: the one command that belongs to the whole app rather than to a package
(demo data spans every package). Each package registers its own commands from its
`init_app`: `create-admin` (auth), `check-permits` and `reindex-search` (catalog),
`verify-ledger` (stock), `expire-reservations` (orders), `pos create-cashier` (pos)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from storefront.database import unit_of_work
from storefront.demo import DEMO_LOGINS, seed_demo_data


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
