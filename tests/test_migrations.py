"""The Alembic migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from scheduler.db import create_db_engine


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_db_upgrade_creates_every_table_from_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = subprocess.run(
        ["callsheet", "db", "upgrade"],
        capture_output=True,
        text=True,
        env={"PATH": str(Path(sys.executable).parent), "CALLSHEET_DATABASE_URL": url},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    engine = create_db_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables >= {t.name for t in SQLModel.metadata.sorted_tables} | {"alembic_version"}
