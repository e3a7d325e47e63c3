"""`flask pos create-cashier`: an account for counter staff (the counter and nothing else)."""

from __future__ import annotations

import click

from storefront.auth.cli import account_error_message
from storefront.auth.models import Role
from storefront.auth.services import AccountError, create_user
from storefront.database import unit_of_work
from storefront.phones import InvalidPhone
from storefront.pos import bp


@bp.cli.command("create-cashier")
@click.option("--email", prompt=True, help="Email address used to sign in.")
@click.option("--name", prompt=True, help="The person's full name.")
@click.option("--phone", default="", help="Phone or WhatsApp number (optional).")
def create_cashier(email: str, name: str, phone: str) -> None:
    """Create a cashier account. The password is asked for, never passed as an option."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work():
            user = create_user(
                name=name,
                email=email,
                password=password,
                phone=phone or None,
                role=Role.CASHIER,
                verified=True,  # staff made by an operator, who knows the address
            )
    except (AccountError, InvalidPhone) as exc:
        raise click.ClickException(account_error_message(exc)) from exc
    click.echo(f"Cashier {user.email} created.")
