"""Alembic environment: Callsheet's tables, on the URL the caller configured."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, event
from sqlmodel import SQLModel

import scheduler.core.models  # noqa: F401 - registers every table on SQLModel.metadata
from scheduler.core.db import create_db_engine, is_sqlite

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_without_foreign_keys(engine: Engine) -> None:
    """Let batch migrations rebuild SQLite tables that other tables reference.

    SQLite changes a column by copying the table and dropping the old one, which an enforced
    foreign key refuses; SQLite's documented procedure is to switch enforcement off for the
    migration and run ``PRAGMA foreign_key_check`` afterwards.
    """

    @event.listens_for(engine, "connect")
    def _off(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows that break foreign keys: {broken[:5]}")


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = create_db_engine(url)
    if is_sqlite(url):
        _sqlite_without_foreign_keys(engine)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if is_sqlite(url):
                _check_foreign_keys(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
