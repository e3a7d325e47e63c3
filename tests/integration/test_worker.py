"""The worker: Huey's real consumer delivering the outbox on SQLite and on Redis, a request
that succeeds while Redis is gone, and the scheduled jobs with their locks."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from storefront.clock import today_wib
from storefront.database import utcnow
from storefront.extensions import db
from storefront.links import external_url
from storefront.outbox import MessageStatus, OutboxMessage
from storefront.worker import delivery, jobs
from storefront.worker.models import JobRun
from storefront.worker.queue import ThreadConsumer
from tests.conftest import Client, make_app
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.security.account_helpers import make_vendor
from tests.stock_helpers import receive

REDIS_URL = "redis://127.0.0.1:6379/13"  # this test suite's own Redis database
EXPIRED_NOTHING = "Unpaid orders cancelled: 0, expired holds released: 0"


def statuses() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def ask_for_reset(app) -> None:
    client = Client(app.test_client())
    response = client.post_form("/account/password/forgot", {"email": "rina@example.com"})
    assert response.status_code == 302


@pytest.fixture(params=["sqlite", "redis"])
def queued_app(request, database_url, _schema, tmp_path):
    if request.param == "sqlite":
        storage = {"HUEY_SQLITE_PATH": str(tmp_path / "huey.db"), "HUEY_REDIS_URL": ""}
    else:
        storage = {"HUEY_REDIS_URL": REDIS_URL}
    app = make_app(database_url, tmp_path, HUEY_IMMEDIATE=False, **storage)
    huey = app.extensions["huey"]
    huey.flush()
    with app.app_context():
        from tests.conftest import empty_tables

        empty_tables()
    yield app
    huey.flush()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_worker_delivers_what_a_request_queued(queued_app):
    app = queued_app
    with app.app_context():
        UserFactory(email="rina@example.com", name="Rina")
        db.session.commit()
    ask_for_reset(app)
    with app.app_context():
        assert statuses() == [MessageStatus.PENDING.value]  # queued, not sent in the request
        assert app.extensions["huey"].pending_count() == 1
    consumer = ThreadConsumer(app.extensions["huey"], workers=2, worker_type="thread")
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        with app.app_context():
            while statuses() != [MessageStatus.SENT.value] and time.monotonic() < deadline:
                time.sleep(0.2)
            assert statuses() == [MessageStatus.SENT.value]
    finally:
        consumer.stop(graceful=True)
        thread.join(10)
    [mail] = list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    assert "To: rina@example.com" in mail.read_text()


def test_with_redis_gone_the_request_succeeds_and_the_message_waits(
    database_url, _schema, tmp_path
):
    app = make_app(
        database_url, tmp_path, HUEY_IMMEDIATE=False, HUEY_REDIS_URL="redis://127.0.0.1:1/0"
    )
    with app.app_context():
        from tests.conftest import empty_tables

        empty_tables()
        UserFactory(email="rina@example.com", name="Rina")
        db.session.commit()
    ask_for_reset(app)
    with app.app_context():
        assert statuses() == [MessageStatus.PENDING.value]
        # The sweep (every minute on a worker) finds what the queue never heard of.
        assert delivery.deliver_due() == 1
        assert statuses() == [MessageStatus.SENT.value]
        db.session.remove()
        db.engine.dispose()


# --- scheduled jobs -----------------------------------------------------------------------


def naive_utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)


def test_the_permit_check_runs_at_five_past_midnight_in_jakarta():
    due = jobs.daily_wib(0, 5)
    # Huey hands its periodic tests naive UTC minutes.
    assert due(naive_utc(2026, 12, 4, 17, 5))  # 00:05 WIB on the 5th
    assert not due(naive_utc(2026, 12, 5, 0, 5))  # 07:05 WIB
    first = jobs.daily_wib(1, 0, day=1)
    assert first(naive_utc(2026, 11, 30, 18, 0)) and not first(naive_utc(2026, 12, 1, 18, 0))


def test_every_job_is_scheduled_with_huey(app):
    names = {task.__name__ for task in app.extensions["huey"]._registry._periodic_tasks}
    expected = {"deliver_due"} | {f"job_{job.name}" for job in jobs.JOBS}
    assert expected <= names


def test_a_job_runs_once_while_another_worker_holds_its_lock(ctx):
    job = jobs.job_named("expire_holds")
    held = jobs._take_lock(job)  # another worker is running it
    assert held is not None
    assert jobs.run_job(job) is None
    with time_machine.travel(utcnow() + job.lease + timedelta(minutes=1), tick=True):
        assert jobs.run_job(job) == EXPIRED_NOTHING  # that worker died: lease over
    run = db.session.get(JobRun, "expire_holds")
    db.session.refresh(run)
    assert run.status == "ok" and run.runs == 2 and run.locked_until is None


def test_a_failing_job_is_recorded_and_raised(ctx):
    def broken() -> str:
        raise ValueError("boom")

    job = jobs.Job("broken", "Broken", broken, jobs.every_minutes(5))
    with pytest.raises(ValueError):
        jobs.run_job(job)
    run = db.session.get(JobRun, "broken")
    assert run.status == "error" and run.summary == "ValueError" and run.locked_until is None
    assert run.summary_message is None  # a class name is not worded


def test_the_messages_page_shows_each_jobs_last_run(app, ctx):
    jobs.run_job(jobs.job_named("expire_holds"))
    UserFactory(email="manajer@example.com", role="manager")
    db.session.commit()
    client = Client(app.test_client())
    client.login("manajer@example.com", PASSWORD)
    page = client.get("/manage/messages").get_data(as_text=True)
    assert "Pesanan belum dibayar dibatalkan: 0, stok ditahan yang lewat waktu dilepas: 0" in page


def test_the_draft_statements_job_makes_last_months_drafts(ctx):
    with time_machine.travel(datetime(2026, 12, 1, 1, 0, tzinfo=jobs.WIB), tick=False):
        assert jobs.run_job(jobs.job_named("draft_statements")) == "Draft statements for 11/2026: 0"


def test_the_near_expiry_list_goes_to_managers_only_when_something_expires(ctx, outbox):
    UserFactory(email="manajer@example.com", role="manager")
    db.session.commit()
    assert jobs.run_job(jobs.job_named("near_expiry")) == "Nothing expired or expiring soon"
    assert outbox() == []


def test_the_backup_job_runs_only_when_configured(app, tmp_path):
    assert "backup" not in {job.name for job in jobs.jobs_for(app)}
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    [backup] = [job for job in jobs.jobs_for(app) if job.name == "backup"]
    with app.app_context():
        name = jobs.run_job(backup)
    assert (tmp_path / "backups" / name).is_file()  # the summary names the file, no more


def test_the_gateway_poll_and_permit_application_reminders_are_scheduled(app):
    names = {job.name for job in jobs.jobs_for(app)}
    assert {"poll_payments", "permit_applications"} <= names
    with app.app_context():
        summary = jobs.run_job(jobs.job_named("poll_payments"))
        assert summary == "Pending payments checked: 0, changed: 0, no answer: 0"
        assert jobs.run_job(jobs.job_named("permit_applications")) == "Reminders sent: 0"


def test_the_near_expiry_list_reaches_managers_in_their_language(ctx, outbox):
    product = ProductFactory(name="Sambal Roa")
    receive(product, 4, expires_on=today_wib() + timedelta(days=3))
    UserFactory(email="rina@example.com", role="manager", name="Rina", locale="en")
    db.session.commit()
    assert jobs.run_job(jobs.job_named("near_expiry")) == "Batches expired: 0, expiring soon: 1"
    [mail] = [m for m in outbox() if m["To"] == "rina@example.com"]
    assert mail["Subject"] == "Expiry list: 0 expired, 1 expiring soon"
    assert "Sambal Roa" in mail.get_content()
    assert external_url("stock.expiry") in mail.get_content()
    jobs.run_job(jobs.job_named("near_expiry"))  # run again the same day: no second email
    assert len([m for m in outbox() if m["To"] == "rina@example.com"]) == 1


def test_the_draft_statements_job_tells_each_vendor_in_their_language(ctx, outbox):
    vendor, owner = make_vendor(owner_email="nyai@example.com")
    owner.locale = "en"
    db.session.commit()
    with time_machine.travel(datetime(2026, 12, 1, 1, 0, tzinfo=jobs.WIB), tick=False):
        summary = jobs.run_job(jobs.job_named("draft_statements"))
    assert summary.startswith("Draft statements for 11/2026: ") and not summary.endswith(": 0")
    [mail] = [m for m in outbox() if m["To"] == "nyai@example.com"]
    assert mail["Subject"] == "Your statement is ready to check"
    assert vendor.name in mail.get_content()


def test_old_sent_messages_are_deleted_and_pending_ones_kept(ctx):
    now = utcnow()
    old, recent = now - timedelta(days=120), now - timedelta(days=10)
    for key, status, updated in (
        ("old-sent", MessageStatus.SENT, old),
        ("old-failed", MessageStatus.FAILED, old),
        ("old-pending", MessageStatus.PENDING, old),
        ("recent-sent", MessageStatus.SENT, recent),
    ):
        db.session.add(
            OutboxMessage(
                key=key,
                recipient="ani@example.com",
                status=status.value,
                created_at=updated,
                updated_at=updated,
            )
        )
    db.session.commit()
    assert jobs.run_job(jobs.job_named("purge_messages")) == "Old messages deleted: 2"
    kept = set(db.session.scalars(select(OutboxMessage.key)))
    assert kept == {"old-pending", "recent-sent"}


def test_sent_messages_are_paged_and_long_lists_say_how_many(app, ctx):
    for n in range(55):
        db.session.add(
            OutboxMessage(
                key=f"sent-{n}", recipient=f"pembeli{n}@example.com", status="sent", subject=f"S{n}"
            )
        )
    for n in range(52):
        db.session.add(OutboxMessage(key=f"failed-{n}", recipient="x@example.com", status="failed"))
    UserFactory(email="manajer@example.com", role="manager")
    db.session.commit()
    client = Client(app.test_client())
    client.login("manajer@example.com", PASSWORD)
    client.set_cookie("lang", "en")
    first = client.get("/manage/messages").get_data(as_text=True)
    assert "pembeli54@example.com" in first and "pembeli4@example.com" not in first
    assert "/manage/messages?page=2" in first
    assert "The newest 50 of 52." in first
    second = client.get("/manage/messages?page=2").get_data(as_text=True)
    assert "pembeli4@example.com" in second and "pembeli54@example.com" not in second
    beyond = client.get("/manage/messages?page=9")
    assert beyond.status_code == 200 and "Nothing here right now." in beyond.get_data(as_text=True)


def _messages_page(app, language: str) -> str:
    client = Client(app.test_client())
    client.login("admin@example.com", PASSWORD)
    client.set_cookie("lang", language)
    return client.get("/manage/messages").get_data(as_text=True)


def test_a_jobs_summary_is_worded_in_the_readers_language(app, ctx):
    product = ProductFactory(name="Sambal Roa")
    receive(product, 4, expires_on=today_wib() + timedelta(days=3))
    UserFactory(email="admin@example.com", role="admin", locale="id")
    db.session.commit()
    assert jobs.run_job(jobs.job_named("near_expiry")) == "Batches expired: 0, expiring soon: 1"
    run = db.session.get(JobRun, "near_expiry")
    db.session.refresh(run)
    # The record is the same whoever reads it: English text and the source with its values.
    assert run.summary == "Batches expired: 0, expiring soon: 1"
    assert json.loads(run.summary_message) == {
        "source": "Batches expired: %(expired)d, expiring soon: %(expiring)d",
        "values": {"expired": 0, "expiring": 1},
    }
    indonesian = _messages_page(app, "id")
    assert "Batch kedaluwarsa: 0, segera kedaluwarsa: 1" in indonesian
    assert "Batches expired" not in indonesian
    english = _messages_page(app, "en")
    assert "Batches expired: 0, expiring soon: 1" in english
    assert "Batch kedaluwarsa" not in english


def test_summaries_recorded_as_plain_text_show_as_they_were(app, ctx):
    # A row from before summaries were worded, a backup's file name, a failure's class name,
    # and a summary whose wording changed since so its values no longer fit: shown as stored.
    stored = {
        "expire_holds": ("cancelled 3, released 2", None),
        "backup": ("storefront-20261201-0200.db.gz", None),
        "poll_payments": ("TimeoutError", None),
        "purge_messages": ("deleted 4", json.dumps({"source": "%(gone)d deleted", "values": {}})),
        "near_expiry": ("nothing expiring", "{not json"),
    }
    for name, (summary, message) in stored.items():
        db.session.add(JobRun(name=name, status="ok", summary=summary, summary_message=message))
    UserFactory(email="admin@example.com", role="admin")
    db.session.commit()
    app.config["BACKUP_DIR"] = "/nonexistent"  # the backup job is listed only when configured
    for language in ("id", "en"):
        page = _messages_page(app, language)
        for summary, _message in stored.values():
            assert summary in page
