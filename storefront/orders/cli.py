"""`flask expire-reservations`: the worker runs the same thing every five minutes (job
`expire_holds`), as the safety net behind the payment provider's expiry events (DESIGN
invariant 3); the command is for running it by hand."""

from __future__ import annotations

import click
from flask import current_app

from storefront.database import unit_of_work
from storefront.orders import bp
from storefront.orders.services import expire_unpaid_orders
from storefront.stock import ledger


def run_expiry() -> tuple[int, int]:
    """One run: cancel unpaid orders whose hold ran out, release expired reservations; returns
    both counts. The worker's `expire_holds` job calls this every five minutes."""
    # Cancelling may notify buyers; a command has no request to build links from.
    with (
        current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]),
        unit_of_work(),
    ):
        cancelled = expire_unpaid_orders()
        released = ledger.expire_reservations()
    return cancelled, released


@bp.cli.command("expire-reservations")
def expire_reservations_command() -> None:
    """Cancel unpaid orders whose hold ran out and release every expired reservation."""
    cancelled, released = run_expiry()
    click.echo(f"Cancelled {cancelled} unpaid order(s) whose time ran out.")
    click.echo(f"Released {released} other expired reservation(s).")
