"""`flask remind-permit-applications`: run daily, after `flask check-permits`."""

from __future__ import annotations

import click

from storefront.clock import today_wib
from storefront.database import unit_of_work
from storefront.incubator import bp
from storefront.incubator.applications import remind_due


@bp.cli.command("remind-permit-applications")
def remind_permit_applications() -> None:
    """Remind managers and mentors of permit applications whose due date is near."""
    with unit_of_work():
        reminded = len(remind_due(today_wib()))
    click.echo(f"{reminded} permit application reminder(s) written.")
