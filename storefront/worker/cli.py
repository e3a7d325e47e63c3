"""`flask worker`: the background worker for production (docs/operations.md);
`flask run-job NAME`: one scheduled job now, under its lock; `flask deliver-messages`: one
sweep of the outbox."""

from __future__ import annotations

import logging

import click
from flask import current_app

from storefront.worker import bp
from storefront.worker.delivery import deliver_due
from storefront.worker.jobs import job_named, jobs_for, run_job
from storefront.worker.queue import Consumer


@bp.cli.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, help="Worker threads.")
@click.option("--no-periodic", is_flag=True, help="Do not schedule the jobs (another worker does).")
def worker_command(workers: int, no_periodic: bool) -> None:
    """Deliver messages and run the scheduled jobs until stopped (SIGINT/SIGTERM)."""
    huey = current_app.extensions["huey"]
    if huey.immediate:
        raise click.ClickException("HUEY_IMMEDIATE is on: tasks already run in-process")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    Consumer(huey, workers=workers, worker_type="thread", periodic=not no_periodic).run()


@bp.cli.command("run-job")
@click.argument("name")
def run_job_command(name: str) -> None:
    """Run one scheduled job now (skipped if another worker is running it)."""
    job = job_named(name)
    if job is None:
        names = ", ".join(j.name for j in jobs_for(current_app))
        raise click.ClickException(f"no job named {name!r}; jobs: {names}")
    summary = run_job(job)
    click.echo(f"{name}: {summary}" if summary is not None else f"{name}: skipped (locked)")


@bp.cli.command("deliver-messages")
def deliver_messages_command() -> None:
    """Deliver the messages that are due now, once."""
    click.echo(f"Attempted {deliver_due()} message(s).")
