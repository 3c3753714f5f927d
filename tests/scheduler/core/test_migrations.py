"""The Alembic migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from scheduler.core.config import get_settings
from scheduler.core.db import create_db_engine
from scheduler.core.migrate import upgrade
from tests.conftest import PG_ADMIN, RUN, _pg_url


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


def _populated_at_first_revision(url: str) -> None:
    upgrade(url, "0001")
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO production (id, title, kind, timezone, created_at) "
                    "VALUES (1, 'Night Shift', 'film', 'Europe/London', '2026-11-01 10:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO milestone (id, production_id, kind, name, at, tentative) "
                    "VALUES (1, 1, 'premiere', 'Premiere', '2027-03-01 19:00:00', false)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO account (id, platform, handle, settings, created_at) "
                    "VALUES (1, 'outbox', '@n', '{}', '2026-11-01 10:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO account (id, platform, handle, settings, created_at) VALUES "
                    "(2, 'webhook', '#crew', "
                    """'{"url": "https://hooks.test/in", "secret": "s3cret-s3cret-s3cret"}', """
                    "'2026-11-01 10:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO post (id, production_id, pillar, body, variables, tags, media, "
                    "anchor_milestone_id, anchor_offset, status, version, created_by, created_at, "
                    "updated_at) VALUES (1, 1, 'on_set', 'Hi', '{}', '[]', "
                    """'["https://cdn.test/slate.jpg", "https://cdn.test/teaser.mp4"]', """
                    "1, '-P1D', "
                    "'draft', 1, 'm', '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO delivery (id, post_id, account_id, status, due_at, attempt, "
                    "updated_at) VALUES (1, 1, 1, 'pending', '2027-02-28 19:00:00', 0, "
                    "'2026-11-01 10:00:00')"
                )
            )
            # A second production whose post went out on the same account and on a third.
            conn.execute(
                text(
                    "INSERT INTO production (id, title, kind, timezone, created_at) "
                    "VALUES (2, 'Dawn', 'series', 'UTC', '2026-11-01 10:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO account (id, platform, handle, settings, created_at) "
                    "VALUES (3, 'outbox', '@dawn', '{}', '2026-11-01 10:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO post (id, production_id, pillar, body, variables, tags, media, "
                    "anchor_at, status, version, created_by, created_at, updated_at) "
                    "VALUES (2, 2, 'on_set', 'Hi', '{}', '[]', '[]', '2027-01-01 10:00:00', "
                    "'approved', 1, 'm', '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO delivery (id, post_id, account_id, status, due_at, attempt, "
                    "updated_at) VALUES (2, 2, 1, 'published', '2027-01-01 10:00:00', 1, "
                    "'2026-11-01 10:00:00'), (3, 2, 3, 'cancelled', '2027-01-01 10:00:00', 0, "
                    "'2026-11-01 10:00:00')"
                )
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=False)
def test_a_populated_database_upgrades_to_head(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        name = f"callsheet_upgrade_{RUN}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
    try:
        _populated_at_first_revision(url)
        upgrade(url)  # rebuilds tables that others reference, on SQLite
        engine = create_db_engine(url)
        try:
            with engine.connect() as conn:
                production = conn.execute(
                    text("SELECT title, past_due_policy FROM production WHERE id = 1")
                ).one()
                delivery = conn.execute(
                    text("SELECT status, held_for, needs_lookup FROM delivery WHERE id = 1")
                ).one()
                media = conn.execute(text("SELECT media FROM post WHERE id = 1")).scalar_one()
                webhook = conn.execute(
                    text("SELECT settings, secrets FROM account WHERE id = 2")
                ).one()
                served = conn.execute(
                    text("SELECT account_id, production_id FROM accountproduction")
                ).all()
        finally:
            engine.dispose()
        assert tuple(production) == ("Night Shift", "hold")
        assert tuple(delivery) == ("pending", None, False)
        media = media if isinstance(media, list) else json.loads(media)
        assert media == [
            {"url": "https://cdn.test/slate.jpg", "kind": "image", "alt": None},
            {"url": "https://cdn.test/teaser.mp4", "kind": "video", "alt": None},
        ]
        # The webhook secret, then its URL (0016), left the readable settings and are sealed
        # with the configured key.
        settings = (
            webhook.settings if isinstance(webhook.settings, dict) else json.loads(webhook.settings)
        )
        assert settings == {}
        assert "s3cret" not in webhook.secrets
        assert "hooks.test" not in webhook.secrets
        assert get_settings().vault().open(webhook.secrets) == {
            "secret": "s3cret-s3cret-s3cret",
            "url": "https://hooks.test/in",
        }
        # Each account serves the productions whose posts it carried (0016); the webhook no
        # post used serves none, a site admin's until connected.
        assert sorted(tuple(row) for row in served) == [(1, 1), (1, 2), (3, 2)]
    finally:
        if backend == "postgres":
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
