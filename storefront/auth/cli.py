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


def staff_options(command):
    """The options every command that creates a staff account asks for."""
    command = click.option("--phone", default="", help="Phone or WhatsApp number (optional).")(
        command
    )
    command = click.option("--name", prompt=True, help="The person's full name.")(command)
    return click.option("--email", prompt=True, help="Email address used to sign in.")(command)


def create_staff_account(role: Role, email: str, name: str, phone: str):
    """An outlet staff account from the terminal: the password is asked for (never an option),
    the address counts as confirmed (an operator made it and knows it), one commit."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work():
            user = create_user(
                name=name,
                email=email,
                password=password,
                phone=phone or None,
                role=role,
                verified=True,
            )
    except (AccountError, InvalidPhone) as exc:
        raise click.ClickException(account_error_message(exc)) from exc
    return user


@bp.cli.command("create-admin")
@staff_options
def create_admin(email: str, name: str, phone: str) -> None:
    """Create an administrator account. The password is asked for, never passed as an option."""
    user = create_staff_account(Role.ADMIN, email, name, phone)
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
