"""`flask check-permits` (run daily) and `flask reindex-search`."""

from __future__ import annotations

import click
from flask import current_app

from storefront.catalog import bp
from storefront.catalog.permits import WARN_DAYS, check_permits
from storefront.catalog.search_index import rebuild_search_index
from storefront.clock import today_wib
from storefront.database import unit_of_work


@bp.cli.command("check-permits")
def check_permits_command() -> None:
    """Hide products whose permits expired; email vendors about permits expiring soon."""
    today = today_wib()
    # Emails carry links; a command has no request, so build them on the public address.
    with (
        current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]),
        unit_of_work(),
    ):
        hidden, warned = check_permits(today)
    click.echo(f"Checked permits on {today.isoformat()}.")
    if hidden:
        click.echo(f"Hidden {len(hidden)} product(s) whose permits expired:")
        for product in hidden:
            click.echo(
                f"  {product.code}  {product.name}  ({product.vendor.name}, "
                f"expired {product.permits_valid_until.isoformat()})"
            )
    else:
        click.echo("No product had an expired permit.")
    click.echo(f"Warned vendors of {len(warned)} product(s) expiring within {WARN_DAYS} days.")


@bp.cli.command("reindex-search")
def reindex_search_command() -> None:
    """Rebuild the product search index from the products table."""
    with unit_of_work():
        count = rebuild_search_index()
    click.echo(f"Search index rebuilt: {count} products.")
