"""`flask verify-ledger`: run it daily (and after any manual database work); it proves DESIGN
invariant 2. (`flask expire-reservations` cancels unpaid orders first, so it is in orders/cli.py.)
"""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from storefront.extensions import db
from storefront.stock import bp, ledger
from storefront.stock.models import Batch


@bp.cli.command("verify-ledger")
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
