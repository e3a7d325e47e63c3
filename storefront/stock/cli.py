"""`flask verify-ledger` and `flask expire-reservations`.

Run `verify-ledger` daily (and after any manual database work): it proves DESIGN invariant 2.
Run `expire-reservations` every few minutes from cron, as the safety net behind the payment
provider's expiry events (invariant 3).
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from storefront.extensions import db
from storefront.stock import ledger
from storefront.stock.models import Batch


@click.command("verify-ledger")
@with_appcontext
def verify_ledger_command() -> None:
    """Check that every batch's stock level equals the sum of its movements. Exit 1 if not."""
    checked, mismatches = ledger.verify_ledger()
    if not mismatches:
        click.echo(f"Checked {checked} batches: the ledger balances.")
        return
    batches = {
        batch.id: batch
        for batch in db.session.scalars(
            select(Batch)
            .options(joinedload(Batch.product))
            .where(Batch.id.in_([m.batch_id for m in mismatches]))
        )
    }
    click.echo(f"Checked {checked} batches: {len(mismatches)} do not balance.", err=True)
    for mismatch in mismatches:
        batch = batches.get(mismatch.batch_id)
        product = batch.product if batch else None
        what = f"{product.code} {product.name}" if product else "unknown product"
        code = f", batch code {batch.code}" if batch and batch.code else ""
        click.echo(f"  batch {mismatch.batch_id} ({what}{code}): {mismatch.problem}", err=True)
    click.echo(
        "Stock levels must only change through storefront.stock.ledger; "
        "find what wrote these rows before correcting them with a stock count.",
        err=True,
    )
    raise SystemExit(1)


@click.command("expire-reservations")
@with_appcontext
def expire_reservations_command() -> None:
    """Cancel unpaid orders whose hold ran out and release every expired reservation."""
    from storefront.orders.services import expire_unpaid_orders

    # Cancelling may notify buyers; a command has no request to build links from.
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        try:
            cancelled = expire_unpaid_orders()
            released = ledger.expire_reservations()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    click.echo(f"Cancelled {cancelled} unpaid order(s) whose time ran out.")
    click.echo(f"Released {released} other expired reservation(s).")


def register_stock_cli(app) -> None:
    app.cli.add_command(verify_ledger_command)
    app.cli.add_command(expire_reservations_command)
