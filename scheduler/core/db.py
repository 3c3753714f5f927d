"""Engines and sessions, with the SQLite settings that make it a safe queue.

SQLite ignores ``FOR UPDATE SKIP LOCKED``, so two claimers must be serialised another way: every
transaction that may write starts with ``BEGIN IMMEDIATE``, which takes the write lock up front
(the pysqlite recipe from SQLAlchemy's documentation). WAL lets readers go on meanwhile and
``busy_timeout`` makes a second writer wait instead of failing. That is the default for every
engine and session, so the claim, the reaper, the worker and every write path keep it without
asking.

A transaction that only reads must not pay for it: holding the write lock for a read would
serialise every reader behind every writer. ``reading(engine)`` marks an engine's connections so
their transactions begin deferred (plain ``BEGIN``): under WAL they read a snapshot and never
take, or wait for, the write lock. Such a transaction must not write: upgrading a deferred
transaction that has read to a writing one can fail with ``SQLITE_BUSY`` at once under WAL (the
busy timeout does not help). So a write there is refused every time, not only under load:
SQLite's ``query_only`` is on for it, and ``only_reads(session)`` makes the session refuse to
flush or run an ORM insert, update or delete (on PostgreSQL too).
Whether a transaction writes is decided up front by the caller (the API by HTTP method), never
discovered halfway. PostgreSQL needs none of this: row locks with ``SKIP LOCKED`` do the job
there, and the option is ignored.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from scheduler.core.config import get_settings

#: An execution option: on SQLite, transactions of connections carrying it begin deferred.
READS_ONLY = "callsheet_reads_only"

_engines: dict[tuple[str, int], Engine] = {}
#: Each engine's reading twin, made once: the API asks for it on every GET.
_readers: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL (the embedded default)."""
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's begin event below issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # query_only makes SQLite itself refuse a write in a reading transaction, whatever
        # issued it (a Core statement too); a connection is reset before each transaction.
        if connection.get_execution_options().get(READS_ONLY, False):
            connection.exec_driver_sql("PRAGMA query_only=ON")
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("PRAGMA query_only=OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def reading(engine: Engine) -> Engine:
    """``engine`` for transactions that only read: deferred on SQLite, so no write lock.

    The returned engine shares the pool and the listeners of ``engine``; only the option on its
    connections differs. It is made once per engine.
    """
    reader = _readers.get(engine)
    if reader is None:
        reader = _readers[engine] = engine.execution_options(**{READS_ONLY: True})
    return reader


def writing(engine: Engine) -> Engine:
    """``engine`` for transactions that may write (``BEGIN IMMEDIATE`` on SQLite), whatever
    ``engine`` was made for: a read-only request that must record something after all (a
    refused sign-off link is audited) writes through this, in a session of its own."""
    return engine.execution_options(**{READS_ONLY: False})


class ReadOnlySession(RuntimeError):
    """A session made for reading tried to write: a bug in the code path, never user error."""


def only_reads(session: Session) -> None:
    """Make ``session``'s transactions read-only, before it has begun one.

    On SQLite they begin deferred, so many readers and one writer run side by side. A flush or
    an ORM ``insert``/``update``/``delete`` is refused (``ReadOnlySession``): a write would have
    to upgrade the deferred transaction, which fails with "database is locked" at once when
    another connection wrote meanwhile, so it is refused every time instead of failing only
    under load.
    """
    if session.in_transaction():
        raise RuntimeError("only_reads must be called before the session's first statement")
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    session.bind = reading(bind)
    session.info[READS_ONLY] = True


_REFUSED = (
    "this session only reads (on SQLite its transaction does not hold the write lock) but "
    "tried to write; write in a session of its own (scheduler.core.db.writing)"
)


# Listened to on the Session class, once: a dictionary lookup per flush or ORM statement is all
# any other session pays, where listening on each reading session would cost every GET more.
@event.listens_for(OrmSession, "before_flush")
def _refuse_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    if session.info.get(READS_ONLY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlySession(_REFUSED)


@event.listens_for(OrmSession, "do_orm_execute")
def _refuse_writes(state: ORMExecuteState) -> None:
    if state.session.info.get(READS_ONLY) and (
        state.is_insert or state.is_update or state.is_delete
    ):
        raise ReadOnlySession(_REFUSED)


#: Connections a pool keeps open between bursts; more are opened while they are needed.
POOL_KEPT = 10
#: Connections beyond the API's threads: ``callsheet up`` runs the scheduler's jobs in the API's
#: process, on the same engine.
POOL_HEADROOM = 4


def pool_capacity() -> int:
    """Connections one engine may hold at once: one per API thread, and the headroom.

    Every API request runs its database work in one of ``api_threads`` threads and holds at most
    one connection at a time (a second session is opened only after the first rolled back). A
    pool smaller than the thread pool (SQLAlchemy's SQLite default was 15 against AnyIO's 40
    threads) makes the extra requests wait for a connection and, after ``pool_timeout`` (30 s),
    answer 500; a request waiting for a thread waits in line on the event loop instead, without
    a timeout. So the pool is sized from the threads, never the other way round.
    """
    return get_settings().api_threads + POOL_HEADROOM


def create_db_engine(url: str) -> Engine:
    """A new engine for ``url``, SQLite configured as a queue, PostgreSQL pinged on checkout;
    either pool has a connection for every API thread (``pool_capacity``)."""
    capacity = pool_capacity()
    kept = min(POOL_KEPT, capacity)
    pool = {"pool_size": kept, "max_overflow": capacity - kept}
    if is_sqlite(url):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **pool
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def get_engine(url: str | None = None) -> Engine:
    """The process's engine for ``url`` (default: the configured database).

    Keyed by process id too, so a forked worker never shares a parent's connections.
    """
    url = url or get_settings().database_url
    key = (url, os.getpid())
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = create_db_engine(url)
    return engine


def dispose_engines() -> None:
    """Close every pooled connection this process holds (tests and shutdown)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
