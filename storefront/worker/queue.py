"""The task library: Huey. One Huey per app, chosen by configuration:

- HUEY_REDIS_URL (or REDIS_URL): RedisHuey, shared by every worker on every machine;
- otherwise SqliteHuey in instance/huey.db: one machine, `make run` or a small shop;
- HUEY_IMMEDIATE (tests): tasks run in the process that queues them, at once.

Tasks: `deliver_message` (queued after the commit of the action that wrote the row), the
`deliver_due` sweep every minute (retries, rows whose queueing failed, rows a dead worker
held), and one periodic task per scheduled job (storefront/worker/jobs.py).
"""

from __future__ import annotations

import logging

import redis
from flask import Flask
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer

from storefront import outbox
from storefront.worker import delivery, jobs

log = logging.getLogger("storefront.jobs")


def build_huey(app: Flask) -> Huey:
    # results=False: nobody waits for a task's return value (the outcome is on the outbox row
    # or the job's row), so none is stored to pile up in Redis or the SQLite file.
    config = app.config
    if config["HUEY_IMMEDIATE"]:
        huey = MemoryHuey("storefront", immediate=True, results=False)
    elif config["HUEY_REDIS_URL"]:
        # Short timeouts: a request queueing a delivery must not hang on a Redis that is gone
        # (the row waits in the outbox; the sweep delivers it).
        pool = redis.ConnectionPool.from_url(
            config["HUEY_REDIS_URL"], socket_connect_timeout=2, socket_timeout=10
        )
        huey = RedisHuey("storefront", connection_pool=pool, results=False)
    else:
        huey = SqliteHuey("storefront", filename=config["HUEY_SQLITE_PATH"], results=False)

    @huey.task(name="deliver_message")
    def deliver_message(message_id: int) -> str:
        with app.app_context():
            return delivery.deliver(message_id)

    @huey.periodic_task(crontab(minute="*"), name="deliver_due")
    def deliver_due() -> int:
        with app.app_context():
            return delivery.deliver_due()

    for job in jobs.jobs_for(app):
        _schedule(huey, app, job)

    app.extensions["huey"] = huey
    app.extensions["huey.deliver_message"] = deliver_message
    return huey


def _schedule(huey: Huey, app: Flask, job: jobs.Job) -> None:
    def run() -> str | None:
        with app.app_context():
            return jobs.run_job(job)

    run.__name__ = f"job_{job.name}"
    huey.periodic_task(job.when, name=f"job_{job.name}")(run)


class ThreadConsumer(Consumer):
    """Huey's consumer in a thread of the development server (`make run`): signal handlers
    belong to the main thread, which the server keeps."""

    def _set_signal_handlers(self) -> None:
        pass


def init_queue(app: Flask) -> Huey:
    huey = build_huey(app)
    outbox.set_dispatcher(app, app.extensions["huey.deliver_message"])
    return huey
