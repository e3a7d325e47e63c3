"""`flask create-admin`, and how an account error reads on a terminal (also for `flask pos
create-cashier`)."""

from __future__ import annotations

import click

from storefront.auth import bp
from storefront.auth.models import Role
from storefront.auth.services import (
    AccountError,
    EmailTaken,
    InvalidEmail,
    WeakPassword,
    create_user,
)
from storefront.database import unit_of_work
from storefront.phones import InvalidPhone


@bp.cli.command("create-admin")
@click.option("--email", prompt=True, help="Email address used to sign in.")
@click.option("--name", prompt=True, help="The person's full name.")
@click.option("--phone", default="", help="Phone or WhatsApp number (optional).")
def create_admin(email: str, name: str, phone: str) -> None:
    """Create an administrator account. The password is asked for, never passed as an option."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work():
            user = create_user(
                name=name,
                email=email,
                password=password,
                phone=phone or None,
                role=Role.ADMIN,
                verified=True,  # staff made by an operator, who knows the address
            )
    except (AccountError, InvalidPhone) as exc:
        raise click.ClickException(account_error_message(exc)) from exc
    click.echo(f"Administrator {user.email} created.")


def account_error_message(exc: Exception) -> str:
    if isinstance(exc, EmailTaken):
        return f"an account with email {exc} already exists"
    if isinstance(exc, InvalidEmail):
        return f"that is not a valid email address ({exc})"
    if isinstance(exc, WeakPassword):
        return str(exc)
    if isinstance(exc, InvalidPhone):
        return f"that is not a valid phone number ({exc})"
    return str(exc)
