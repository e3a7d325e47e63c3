"""`flask` commands for staff and operators."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from storefront.auth.models import Role
from storefront.auth.services import AccountError, create_user
from storefront.extensions import db
from storefront.phones import InvalidPhone


@click.command("create-admin")
@click.option("--email", prompt=True, help="Email address used to sign in.")
@click.option("--name", prompt=True, help="The person's full name.")
@click.option("--phone", default="", help="Phone or WhatsApp number (optional).")
@with_appcontext
def create_admin(email: str, name: str, phone: str) -> None:
    """Create an administrator account. The password is asked for, never passed as an option."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            name=name, email=email, password=password, phone=phone or None, role=Role.ADMIN
        )
    except (AccountError, InvalidPhone) as exc:
        raise click.ClickException(_cli_message(exc)) from exc
    db.session.commit()
    click.echo(f"Administrator {user.email} created.")


def _cli_message(exc: Exception) -> str:
    from storefront.auth.services import EmailTaken, InvalidEmail, WeakPassword

    if isinstance(exc, EmailTaken):
        return f"an account with email {exc} already exists"
    if isinstance(exc, InvalidEmail):
        return f"that is not a valid email address ({exc})"
    if isinstance(exc, WeakPassword):
        return str(exc)
    if isinstance(exc, InvalidPhone):
        return f"that is not a valid phone number ({exc})"
    return str(exc)


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
    from storefront.demo import DEMO_LOGINS, seed_demo_data

    if current_app.config["STOREFRONT_ENV"] == "production" and not force:
        raise click.ClickException("refusing to load demo data in production (use --force)")
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


@click.command("check-permits")
@with_appcontext
def check_permits_command() -> None:
    """Hide products whose permits expired; email vendors about permits expiring soon."""
    from storefront.catalog.permits import WARN_DAYS, check_permits, today_wib

    today = today_wib()
    # Emails carry links; a command has no request, so build them on the public address.
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        hidden, warned = check_permits(today)
        db.session.commit()
    click.echo(f"Checked permits on {today.isoformat()}.")
    if hidden:
        click.echo(f"Hidden {len(hidden)} product(s) whose permits expired:")
        for product in hidden:
            click.echo(
                f"  {product.code}  {product.name}  ({product.vendor.name}, "
                f"expired {product.permits_valid_until.isoformat()})"
            )
    else:
        click.echo("No product had an expired permit.")
    click.echo(f"Warned vendors of {len(warned)} product(s) expiring within {WARN_DAYS} days.")


def register_cli(app) -> None:
    from storefront.stock.cli import register_stock_cli

    register_stock_cli(app)
    from storefront.catalog.search_index import register_search_cli

    register_search_cli(app)
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(check_permits_command)
