"""`flask pos create-cashier`: an account for counter staff (the counter and nothing else)."""

from __future__ import annotations

import click

from storefront.auth.cli import create_staff_account, staff_options
from storefront.auth.models import Role
from storefront.pos import bp


@bp.cli.command("create-cashier")
@staff_options
def create_cashier(email: str, name: str, phone: str) -> None:
    """Create a cashier account. The password is asked for, never passed as an option."""
    user = create_staff_account(Role.CASHIER, email, name, phone)
    click.echo(f"Cashier {user.email} created.")
