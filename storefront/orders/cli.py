"""`flask expire-reservations`: run it every few minutes from cron, as the safety net behind the
payment provider's expiry events (DESIGN invariant 3)."""

from __future__ import annotations

import click
from flask import current_app

from storefront.database import unit_of_work
from storefront.orders import bp
from storefront.orders.services import expire_unpaid_orders
from storefront.stock import ledger


@bp.cli.command("expire-reservations")
def expire_reservations_command() -> None:
    """Cancel unpaid orders whose hold ran out and release every expired reservation."""
    # Cancelling may notify buyers; a command has no request to build links from.
    with (
        current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]),
        unit_of_work(),
    ):
        cancelled = expire_unpaid_orders()
        released = ledger.expire_reservations()
    click.echo(f"Cancelled {cancelled} unpaid order(s) whose time ran out.")
    click.echo(f"Released {released} other expired reservation(s).")
