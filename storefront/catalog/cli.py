"""`flask check-permits` (run daily) and `flask reindex-search`."""

from __future__ import annotations

import click
from flask import current_app

from storefront.catalog import bp
from storefront.catalog.permit_mail import send_permit_mail
from storefront.catalog.permits import PermitCheck, check_permits
from storefront.catalog.search_index import rebuild_search_index
from storefront.clock import today_wib
from storefront.database import unit_of_work

MONDAY = 0


def run_permit_check(*, digest: bool | None = None) -> tuple[PermitCheck, int]:
    """One daily run: hide, remind and (on Mondays, or when asked) send the managers' digest.
    One unit of work: the hidden products and the reminder rows commit together, and the
    emails go out only after that commit. The scheduler will call this."""
    today = today_wib()
    # Emails carry links; a command has no request, so build them on the public address.
    with (
        current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]),
        unit_of_work(),
    ):
        check = check_permits(today, digest=today.weekday() == MONDAY if digest is None else digest)
        sent = send_permit_mail(check)
    return check, sent


@bp.cli.command("check-permits")
@click.option(
    "--digest/--no-digest",
    default=None,
    help="Send the managers' weekly digest today (default: on Mondays only).",
)
def check_permits_command(digest: bool | None) -> None:
    """Hide products whose permits lapsed; remind vendors 90, 30 and 7 days ahead."""
    check, sent = run_permit_check(digest=digest)
    click.echo(f"Checked permits on {check.today.isoformat()}.")
    if check.hidden:
        click.echo(f"Hidden {len(check.hidden)} product(s) whose permits lapsed:")
        for product in check.hidden:
            click.echo(
                f"  {product.code}  {product.name}  ({product.vendor.name}, "
                f"lapsed {product.permits_valid_until.isoformat()})"
            )
    else:
        click.echo("No product had a lapsed permit.")
    click.echo(f"Reminders due: {len(check.reminders)} permit(s).")
    for reminder in check.reminders:
        click.echo(
            f"  {reminder.product.code}  {reminder.permit.kind}  "
            f"lapses {reminder.permit.expires_on.isoformat()} ({reminder.days_left} days)"
        )
    if check.digest is not None:
        click.echo(
            f"Digest: {len(check.digest.lapsing)} lapsing within "
            f"{check.digest.horizon_days} days, {len(check.digest.hidden)} hidden."
        )
    click.echo(f"Emails sent: {sent}.")


@bp.cli.command("reindex-search")
def reindex_search_command() -> None:
    """Rebuild the product search index from the products table."""
    with unit_of_work():
        count = rebuild_search_index()
    click.echo(f"Search index rebuilt: {count} products.")
