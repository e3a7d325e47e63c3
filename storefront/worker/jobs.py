"""The scheduled jobs, defined here rather than in cron documents (issue 16).

Every job is safe to run twice and on several workers at once: it takes its lock first, a
lease in its `job_runs` row taken with one conditional UPDATE (so it works on SQLite and
PostgreSQL and across machines); a second worker whose scheduler fires the same minute finds it
held and skips. A worker killed mid-run loses the lock when the lease ends. The jobs themselves
are the services the commands use, and idempotent: an order already cancelled is not cancelled
again, a permit reminder is recorded, a draft statement is recomputed, an email has its key.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from storefront.backups import make_backup
from storefront.catalog.cli import run_permit_check
from storefront.clock import today_wib
from storefront.database import unit_of_work, utcnow
from storefront.extensions import db
from storefront.incubator.applications import remind_due
from storefront.links import external_url
from storefront.mail import send_template
from storefront.manager_inbox import managers
from storefront.orders.cli import run_expiry, run_poll
from storefront.outbox import purge_delivered
from storefront.settings.services import get_setting
from storefront.settlements.services import generate_month
from storefront.stock.operations import expiry_list
from storefront.worker.models import JobRun, summary_columns

log = logging.getLogger("storefront.jobs")
WIB = ZoneInfo("Asia/Jakarta")


Summary = LazyString | str  # see Job.run


@dataclass(frozen=True)
class Job:
    name: str
    label: object  # a lazy string, for the admin page
    # Does the work and returns a one-line summary, no personal data: a lazy string, which the
    # messages page words in the reader's language, or plain text shown as is (a file name).
    run: Callable[[], Summary]
    when: Callable[[datetime], bool]  # Huey's periodic test, given a naive UTC minute
    lease: timedelta = timedelta(minutes=30)


def every_minutes(n: int) -> Callable[[datetime], bool]:
    return lambda moment: moment.minute % n == 0


def daily_wib(hour: int, minute: int, *, day: int | None = None) -> Callable[[datetime], bool]:
    """At hh:mm in Jakarta (WIB, UTC+7), every day or on day `day` of the month."""

    def due(moment: datetime) -> bool:
        local = moment.replace(tzinfo=UTC).astimezone(WIB)
        return local.hour == hour and local.minute == minute and (day is None or local.day == day)

    return due


# --- the jobs -------------------------------------------------------------------------------


def expire_holds() -> Summary:
    cancelled, released = run_expiry()
    return _l(
        "Unpaid orders cancelled: %(cancelled)d, expired holds released: %(released)d",
        cancelled=cancelled,
        released=released,
    )


def check_permits() -> Summary:
    check, sent = run_permit_check()
    return _l(
        "Products hidden: %(hidden)d, permit reminders: %(reminders)d, emails: %(emails)d",
        hidden=len(check.hidden),
        reminders=len(check.reminders),
        emails=sent,
    )


@contextmanager
def _action() -> Iterator[None]:
    """A job's unit of work, inside a request context on the public address: emails are worded
    with `force_locale`, which needs one, and their links start with the shop's address."""
    with (
        current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]),
        unit_of_work(),
    ):
        yield


def near_expiry_list() -> Summary:
    """Each morning, managers get the batches expired or expiring soon (when there are any)."""
    with _action():
        found = expiry_list()
        if not (found.expired or found.expiring):
            return _l("Nothing expired or expiring soon")
        for manager in managers():
            send_template(
                manager.email,
                "worker/email/near_expiry.txt",
                _l(
                    "Expiry list: %(expired)d expired, %(expiring)d expiring soon",
                    expired=len(found.expired),
                    expiring=len(found.expiring),
                ),
                locale=manager.locale,
                key=f"near-expiry:{found.today.isoformat()}",
                event="near_expiry",
                name=manager.name,
                found=found,
                link=external_url("stock.expiry"),
            )
    return _l(
        "Batches expired: %(expired)d, expiring soon: %(expiring)d",
        expired=len(found.expired),
        expiring=len(found.expiring),
    )


def draft_statements() -> Summary:
    """On the 1st, the drafts of the month that just ended (every period in it)."""
    last_month = today_wib().replace(day=1) - timedelta(days=1)
    with _action():
        statements = generate_month(last_month.year, last_month.month)
    # Month and year as numbers: the record stays the same in both languages.
    return _l(
        "Draft statements for %(month)02d/%(year)d: %(count)d",
        month=last_month.month,
        year=last_month.year,
        count=len(statements),
    )


def backup() -> Summary:
    """The daily backup into BACKUP_DIR; the summary names the file, nothing more."""
    return make_backup(current_app.config["BACKUP_DIR"]).name


def poll_payments() -> Summary:
    """The payment gateway's safety net: ask about payments still pending here."""
    counts = run_poll()
    return _l(
        "Pending payments checked: %(asked)d, changed: %(changed)d, no answer: %(unreachable)d",
        asked=counts["asked"],
        changed=counts["changed"],
        unreachable=counts["unreachable"],
    )


def remind_permit_applications() -> Summary:
    """Permit applications (incubator/) whose due date is near: a reminder for managers and
    the assisting mentor, once per due date."""
    with _action():
        reminded = remind_due(today_wib())
    return _l("Reminders sent: %(count)d", count=len(reminded))


def purge_messages() -> Summary:
    """Sent and given-up messages older than the `message_retention_days` setting go."""
    with _action():
        purged = purge_delivered(utcnow(), int(get_setting("message_retention_days")))
    return _l("Old messages deleted: %(count)d", count=purged)


JOBS: list[Job] = [
    Job("expire_holds", _l("Expire unpaid holds"), expire_holds, every_minutes(5)),
    Job("check_permits", _l("Permit check and reminders"), check_permits, daily_wib(0, 5)),
    Job("near_expiry", _l("Near-expiry list for managers"), near_expiry_list, daily_wib(6, 30)),
    Job("draft_statements", _l("Draft statements"), draft_statements, daily_wib(1, 0, day=1)),
    Job("poll_payments", _l("Check pending gateway payments"), poll_payments, every_minutes(5)),
    Job(
        "permit_applications",
        _l("Permit application reminders"),
        remind_permit_applications,
        daily_wib(0, 15),
    ),
    Job("purge_messages", _l("Delete old sent messages"), purge_messages, daily_wib(3, 30)),
]


def jobs_for(app) -> list[Job]:
    """The jobs this installation runs: the daily backup only when BACKUP_DIR is set."""
    jobs = list(JOBS)
    if app.config["BACKUP_DIR"]:
        jobs.append(
            Job("backup", _l("Database backup"), backup, daily_wib(2, 0), timedelta(hours=2))
        )
    return jobs


def job_named(name: str) -> Job | None:
    return next((job for job in jobs_for(current_app) if job.name == name), None)


# --- the lock and the record ----------------------------------------------------------------


def _take_lock(job: Job) -> str | None:
    now = utcnow()
    token = uuid.uuid4().hex
    with unit_of_work():
        if db.session.get(JobRun, job.name) is None:
            try:
                with db.session.begin_nested():
                    db.session.add(JobRun(name=job.name, runs=0))
            except IntegrityError:
                pass  # another worker made it first
        taken = db.session.execute(
            update(JobRun)
            .where(
                JobRun.name == job.name,
                or_(JobRun.locked_until.is_(None), JobRun.locked_until < now),
            )
            .values(
                locked_until=now + job.lease,
                lock_token=token,
                started_at=now,
                status="running",
                runs=JobRun.runs + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    return token if taken else None


def run_job(job: Job) -> str | None:
    """Run `job` under its lock; None when another worker holds it. Failures are recorded on
    the job's row (shown on the admin page) and logged, then raised for the task library.
    Returns the summary in English, as logged."""
    token = _take_lock(job)
    if token is None:
        log.info(json.dumps({"job": job.name, "outcome": "skipped: locked"}))
        return None
    status, result = "ok", ""
    try:
        result = job.run()
    except Exception as error:
        status, result = "error", type(error).__name__
        raise
    finally:
        recorded = summary_columns(result)
        with unit_of_work():
            db.session.execute(
                update(JobRun)
                .where(JobRun.name == job.name, JobRun.lock_token == token)
                .values(
                    locked_until=None,
                    lock_token=None,
                    finished_at=utcnow(),
                    status=status,
                    **recorded,
                )
                .execution_options(synchronize_session=False)
            )
        log.info(json.dumps({"job": job.name, "outcome": status, "summary": recorded["summary"]}))
    return recorded["summary"]


def last_runs() -> dict[str, JobRun]:
    return {run.name: run for run in db.session.scalars(select(JobRun))}
