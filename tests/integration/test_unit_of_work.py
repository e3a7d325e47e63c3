"""One transaction per action (DESIGN invariant 11, storefront/database.py).

The first half checks the unit of work itself: one commit, rollback on any exception, side
effects only after a commit, SQLite's write lock taken at BEGIN. The second half injects a
failure into the second step of every action that writes stock or money and checks that the
database is exactly as it was before the action, and that the ledger still verifies.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

import storefront.models  # noqa: F401  (every mapper known before a service module is used)
from storefront import database
from storefront.database import after_commit, ensure_write_lock, unit_of_work
from storefront.extensions import db
from storefront.settings.models import Setting
from tests.factories import ProductFactory

# --- the unit of work ----------------------------------------------------------------------


def _setting(key: str) -> str | None:
    return db.session.scalar(select(Setting.value).where(Setting.key == key))


def test_an_action_commits_once_and_then_runs_its_after_commit_callbacks(ctx):
    ran = []
    with unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        after_commit(lambda: ran.append(_setting("outlet_name")))
        assert ran == []
    # The callback saw the committed row.
    assert ran == ["Gerai Uji"]


def test_a_failing_action_rolls_back_and_runs_no_callbacks(ctx):
    ran = []
    with pytest.raises(ZeroDivisionError), unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        db.session.flush()
        after_commit(lambda: ran.append("mail"))
        1 / 0  # noqa: B018
    assert ran == []
    assert _setting("outlet_name") is None


def test_a_refused_action_shown_on_its_form_commits_nothing_it_did(ctx):
    ran = []
    with unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        after_commit(lambda: ran.append("mail"))
        database.rollback()  # what form_error does after a DomainError
    assert ran == []
    assert _setting("outlet_name") is None


def test_a_failing_callback_is_logged_and_the_action_stays_committed(app, ctx, caplog, monkeypatch):
    # Alembic's logging set-up (the migration tests) disables existing loggers for the run.
    monkeypatch.setattr(app.logger, "disabled", False)

    def broken_mail_server():
        raise ConnectionRefusedError("smtp down")

    with unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        after_commit(broken_mail_server)
    assert _setting("outlet_name") == "Gerai Uji"
    assert "after-commit callback" in caplog.text


def test_services_may_not_commit_inside_an_action(ctx):
    with pytest.raises(RuntimeError, match="commits once"), unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        db.session.commit()
    assert _setting("outlet_name") is None


def test_after_commit_needs_an_action(ctx):
    with pytest.raises(RuntimeError, match="outside a unit of work"):
        after_commit(lambda: None)


def test_a_nested_unit_joins_the_action_around_it(ctx):
    with pytest.raises(ZeroDivisionError), unit_of_work():
        with unit_of_work():
            db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        # The inner unit did not commit: the outer one decides.
        1 / 0  # noqa: B018
    assert _setting("outlet_name") is None


def test_a_savepoint_rolls_back_alone_inside_an_action(ctx):
    with unit_of_work():
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        with pytest.raises(ZeroDivisionError), db.session.begin_nested():
            db.session.add(Setting(key="whatsapp", value="+6281200000000"))
            db.session.flush()
            1 / 0  # noqa: B018
    assert _setting("outlet_name") == "Gerai Uji"
    assert _setting("whatsapp") is None


def test_a_reading_action_that_must_write_takes_the_lock_first(ctx):
    ProductFactory(name="Kopi Cikupa")
    with unit_of_work(write=False):
        assert db.session.scalar(select(func.count()).select_from(Setting)) == 0
        ensure_write_lock()
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
    assert _setting("outlet_name") == "Gerai Uji"


def test_a_reading_action_that_writes_without_the_lock_is_flagged(ctx):
    with pytest.raises(database.UnitOfWorkWarning), unit_of_work(write=False):
        db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
        db.session.flush()
    assert _setting("outlet_name") is None


def _is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def test_sqlite_takes_the_write_lock_when_a_writing_action_begins(app, ctx):
    """Two writers at once: the second waits at BEGIN for the first to commit, instead of
    reading the same rows and failing half-way with "database is locked"."""
    if not _is_sqlite():
        pytest.skip("PostgreSQL locks rows (SELECT … FOR UPDATE), tested by the race tests")
    db.session.add(Setting(key="outlet_name", value="0"))
    db.session.commit()
    first_holds_the_lock = threading.Event()
    events: list[str] = []

    def writer(name: str, wait_before_writing: float) -> None:
        with app.app_context():
            with unit_of_work():
                events.append(f"{name} began")
                if name == "first":
                    first_holds_the_lock.set()
                value = db.session.scalar(
                    select(Setting).where(Setting.key == "outlet_name")
                )  # read, then write what was read: a lost update without the lock
                time.sleep(wait_before_writing)
                value.value = str(int(value.value) + 1)
            events.append(f"{name} committed")

    first = threading.Thread(target=writer, args=("first", 0.5))
    first.start()
    assert first_holds_the_lock.wait(5)
    second = threading.Thread(target=writer, args=("second", 0))
    second.start()
    first.join(10)
    second.join(10)
    assert events == ["first began", "first committed", "second began", "second committed"]
    db.session.expire_all()
    assert _setting("outlet_name") == "2"


def test_readers_do_not_wait_for_a_writer(app, ctx):
    if not _is_sqlite():
        pytest.skip("SQLite's write lock only")
    db.session.add(Setting(key="outlet_name", value="Gerai Uji"))
    db.session.commit()
    with unit_of_work():
        db.session.execute(text("UPDATE settings SET value = 'Gerai Baru'"))
        seen = []

        def reader():
            with app.app_context(), unit_of_work(write=False):
                seen.append(_setting("outlet_name"))

        thread = threading.Thread(target=reader)
        started = time.monotonic()
        thread.start()
        thread.join(10)
        assert time.monotonic() - started < 2
    assert seen == ["Gerai Uji"]
