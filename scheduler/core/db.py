"""Engines and sessions, with the SQLite settings that make it a safe queue.

SQLite ignores ``FOR UPDATE SKIP LOCKED``, so two claimers must be serialised another way: every
transaction starts with ``BEGIN IMMEDIATE``, which takes the write lock up front (the pysqlite
recipe from SQLAlchemy's documentation). WAL lets readers go on meanwhile and ``busy_timeout``
makes a second writer wait instead of failing. The price: on SQLite even a reading transaction
holds the write lock until it ends, so sessions there must stay short. PostgreSQL needs none of
this: row locks with ``SKIP LOCKED`` do the job there.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from scheduler.core.config import get_settings

_engines: dict[tuple[str, int], Engine] = {}


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str) -> Engine:
    """A new engine for ``url``, SQLite configured as a queue, PostgreSQL pooled."""
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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
