"""`flask expire-reservations` and `flask poll-payments`: the worker runs the same things every
five minutes (jobs `expire_holds` and `poll_payments`), as the safety nets behind the payment
providers' events (DESIGN invariant 3); the commands are for running them by hand."""

from __future__ import annotations

import click
from flask import current_app

from storefront.database import unit_of_work
from storefront.orders import bp
from storefront.orders.gateway_events import poll_pending_payments
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


def run_poll() -> dict:
    """One run of the payment gateway's safety net: ask about payments still pending here and
    apply what it says; returns the counts. The worker's `poll_payments` job calls this."""
    with (
        current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]),
        unit_of_work(),
    ):
        return poll_pending_payments()


@bp.cli.command("poll-payments")
def poll_payments_command() -> None:
    """Ask the payment gateway about payments still pending here (the safety net behind its
    notifications)."""
    counts = run_poll()
    click.echo(
        f"Asked about {counts['asked']} pending payment(s): {counts['changed']} changed, "
        f"{counts['unreachable']} not answered."
    )
