"""Database plumbing shared by every feature: UTC timestamps, SQLite connection settings, and
the unit of work every action runs in (DESIGN invariant 11, docs/architecture.md).

One transaction per action. A view, a CLI command, the Stripe webhook or a job runs inside
`unit_of_work()`: it commits once when the action ends normally and rolls back on any
exception, and the side effects it asked for with `after_commit` (mail, cache purges) run only
after that commit succeeded. Services and the ledger never commit or roll back: they add,
change and lock rows, flush, and raise `storefront.errors.DomainError`.

Requests need nothing written: `App.dispatch_request` runs every view in a unit of work, a
writing one for POST, PUT, PATCH and DELETE, a reading one for GET and HEAD. Commands use
`@unit_of_work()` as a decorator.

SQLite takes the write lock when a writing unit begins, as PostgreSQL takes row locks: this is
SQLAlchemy's documented pysqlite recipe (the driver's own BEGIN switched off with
`isolation_level = None`, and a `begin` listener that emits BEGIN, or BEGIN IMMEDIATE for a
writing unit). Two writers never meet half-way through their transactions: the second waits at
BEGIN. A reading unit reads one snapshot; the rare GET that must write (an unpaid order whose
hold ran out is cancelled when it is looked at) calls `ensure_write_lock()` before its first
change. Connections used outside a unit of work (migrations, tests setting up data, a shell)
keep the driver's default behaviour.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask, current_app, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from storefront.errors import DatabaseBusy
from storefront.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store times in UTC and always hand back timezone-aware values.

    SQLite forgets the zone; PostgreSQL keeps it. Either way the app sees aware UTC datetimes
    and shows them in WIB through the `datetime` filter.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use storefront.database.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers work while a writer commits; foreign keys are off in SQLite unless asked;
    # the busy timeout makes a second writer wait instead of failing at once.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


# --- the unit of work ---------------------------------------------------------------------

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# SQLite: how often a writing unit queues again for the write lock (each wait lasts up to the
# 5 s busy timeout) before the action gives up with DatabaseBusy. Nothing was done yet, so
# queueing again is safe; a burst of 200 checkouts at once needs it (docs/decisions.md).
BEGIN_ATTEMPTS = 5
_WROTE = "storefront_wrote"  # Session.info: this transaction flushed or executed a change
_WRITE_LOCK = "storefront_write_lock"  # Connection.info: its transaction began IMMEDIATE


class UnitOfWorkWarning(RuntimeWarning):
    """A reading unit of work changed rows without `ensure_write_lock()` first: on SQLite that
    write can fail with "database is locked" when another action wrote meanwhile."""


@dataclass(eq=False)
class _Unit:
    session: Session
    write: bool
    callbacks: list[Callable[[], None]] = field(default_factory=list)
    committing: bool = False


_current: ContextVar[_Unit | None] = ContextVar("storefront_unit_of_work", default=None)


def _unit_for(session: Session) -> _Unit | None:
    unit = _current.get()
    return unit if unit is not None and unit.session is session else None


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _has_changes(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))


@contextmanager
def unit_of_work(*, write: bool = True) -> Iterator[None]:
    """Run the action inside as one transaction: commit once at the end, roll back on any
    exception, then run its `after_commit` callbacks. Also a decorator: `@unit_of_work()`.

    `write=False` is for actions that only read (GET pages). Inside another unit of work this
    joins it: the outer one commits.
    """
    session = db.session()
    outer = _unit_for(session)
    if outer is not None:
        if write and not outer.write:
            ensure_write_lock()
        yield
        return
    if session.in_transaction():
        # Rows read before the action began (a test's set-up, a hook) are read again inside
        # it; anything changed but not committed would be committed by the action, unasked.
        if _has_changes(session):
            raise RuntimeError("unit_of_work() began with uncommitted changes in the session")
        session.rollback()
    unit = _Unit(session=session, write=write)
    token = _current.set(unit)
    try:
        if write and _is_sqlite(session):
            session.connection()  # BEGIN IMMEDIATE now: the write lock before the first read
        yield
        unit.committing = True
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _current.reset(token)
    _run_callbacks(unit)


def _run_callbacks(unit: _Unit) -> None:
    callbacks, unit.callbacks = unit.callbacks, []
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the action is committed; a failing mail server must not undo it
            current_app.logger.exception("after-commit callback %r failed", callback)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current action has committed; never if it rolls back.

    For side effects outside the database: sending mail, purging caches. A callback that
    fails is logged, not raised: the action it follows is already committed.
    """
    unit = _unit_for(db.session())
    if unit is None:
        raise RuntimeError("after_commit() outside a unit of work: the side effect has no commit")
    unit.callbacks.append(callback)


def in_unit_of_work() -> bool:
    """Whether an action is running (so `after_commit` has a commit to wait for)."""
    return _unit_for(db.session()) is not None


def rollback() -> None:
    """The action was refused (a view caught a DomainError to show it): roll back everything
    it did so far, and drop its after-commit callbacks. The page is then rendered from what is
    really stored; what the view still writes while answering (a cart lowered to the stock
    left) starts afresh and commits at the end. `storefront.forms.form_error` calls this."""
    session = db.session()
    unit = _unit_for(session)
    if unit is not None:
        unit.callbacks.clear()
    session.rollback()


def ensure_write_lock() -> None:
    """The action is about to change rows: make sure it holds SQLite's write lock.

    A writing unit holds it from its start, and PostgreSQL locks rows instead, so this only
    matters in a reading unit (a GET that must write, rarely; the second unit of a
    `commit_now` action): call it before the first change is flushed. On SQLite its read
    transaction, which wrote nothing, ends and BEGIN IMMEDIATE takes its place on the same
    connection; what was read before may have changed since, so lock and read again what you
    decide on (`with_for_update`, `populate_existing`). Outside a unit of work it does nothing.
    """
    session = db.session()
    unit = _unit_for(session)
    if unit is None or unit.write:
        return
    if session.info.get(_WROTE):
        raise RuntimeError("ensure_write_lock() after this reading action wrote rows")
    unit.write = True
    if not _is_sqlite(session):
        return
    connection = session.connection()  # a transaction begun now begins IMMEDIATE already
    if connection.info.get(_WRITE_LOCK):
        return
    if session.in_nested_transaction():
        raise RuntimeError("ensure_write_lock() inside a savepoint")
    connection.exec_driver_sql("COMMIT")  # it wrote nothing: this commits nothing
    _begin_immediate(connection)


def commit_now() -> None:
    """End the action's first unit of work here and carry on in a second one.

    Only for the actions that must store something before asking an outside service that
    cannot take part in the transaction: a card refund stores its idempotency key before
    Stripe hears of it, a card checkout stores the order before Stripe makes its payment page
    (docs/decisions.md, "One transaction per action"). Objects keep their loaded values, and
    the second unit begins as a reading one, so no lock is held while the outside service
    answers; call `ensure_write_lock()` before changing rows again. It commits when the action
    ends.
    """
    session = db.session()
    unit = _unit_for(session)
    if unit is None:
        raise RuntimeError("commit_now() outside a unit of work")
    unit.committing = True
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
        unit.committing = False
    unit.write = False
    _run_callbacks(unit)


# --- SQLite: BEGIN emitted by us, IMMEDIATE for writing units ------------------------------


def _locked(error: OperationalError) -> bool:
    return "database is locked" in str(error.orig)


def _begin(connection: Connection) -> None:
    """The pysqlite recipe (SQLAlchemy docs, "Serializable isolation / Savepoints /
    Transactional DDL"), applied to the transactions of units of work."""
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    connection.info[_WRITE_LOCK] = False
    unit = _current.get()
    if unit is None:
        # Outside an action (migrations turning foreign keys off, tests setting up data): the
        # driver's own behaviour, a BEGIN before the first INSERT, UPDATE or DELETE.
        dbapi_connection.isolation_level = ""
        return
    dbapi_connection.isolation_level = None
    if unit.write:
        _begin_immediate(connection)
    else:
        connection.exec_driver_sql("BEGIN")


def _begin_immediate(connection: Connection) -> None:
    for attempt in range(BEGIN_ATTEMPTS):
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except OperationalError as error:
            if not _locked(error):
                raise
            if attempt == BEGIN_ATTEMPTS - 1:
                raise DatabaseBusy() from error
        else:
            connection.info[_WRITE_LOCK] = True
            return


def _note_flush(session: Session, flush_context, instances) -> None:
    unit = _unit_for(session)
    if unit is not None and not unit.write:
        warnings.warn(
            "a reading unit of work is changing rows: call ensure_write_lock() first",
            UnitOfWorkWarning,
            stacklevel=2,
        )


def _note_written(session: Session, flush_context) -> None:
    session.info[_WROTE] = True


def _note_execute(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _note_flush(state.session, None, None)
        state.session.info[_WROTE] = True


def _transaction_boundary(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def _refuse_stray_commit(session: Session) -> None:
    unit = _unit_for(session)
    if unit is not None and not unit.committing and not session.in_nested_transaction():
        raise RuntimeError(
            "commit inside a unit of work: the action commits once, when it ends "
            "(storefront.database)"
        )


event.listen(db.session, "before_flush", _note_flush)
event.listen(db.session, "after_flush", _note_written)
event.listen(db.session, "do_orm_execute", _note_execute)
event.listen(db.session, "after_transaction_create", _transaction_boundary)
event.listen(db.session, "after_transaction_end", _transaction_boundary)
event.listen(db.session, "before_commit", _refuse_stray_commit)


class App(Flask):
    """The storefront's Flask: every request's view runs as one action, in one unit of work
    (writing for POST, PUT, PATCH and DELETE; reading for GET and HEAD)."""

    def dispatch_request(self):
        if request.routing_exception is not None or request.method == "OPTIONS":
            return super().dispatch_request()
        with unit_of_work(write=request.method not in READING_METHODS):
            return super().dispatch_request()


def init_app(app: Flask) -> None:
    """SQLite's BEGIN on every engine Flask-SQLAlchemy made for `app` (the test apps' too)."""
    with app.app_context():
        for engine in db.engines.values():
            if not event.contains(engine, "begin", _begin):
                event.listen(engine, "begin", _begin)
