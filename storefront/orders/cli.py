"""`flask expire-reservations` and `flask poll-payments`: run them every few minutes, as the
safety nets behind the payment providers' events (DESIGN invariant 3)."""

from __future__ import annotations

import click
from flask import current_app

from storefront.database import unit_of_work
from storefront.orders import bp
from storefront.orders.gateway_events import poll_pending_payments
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


@bp.cli.command("poll-payments")
def poll_payments_command() -> None:
    """Ask the payment gateway about payments still pending here (the safety net behind its
    notifications); run every few minutes."""
    with (
        current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]),
        unit_of_work(),
    ):
        counts = poll_pending_payments()
    click.echo(
        f"Asked about {counts['asked']} pending payment(s): {counts['changed']} changed, "
        f"{counts['unreachable']} not answered."
    )
