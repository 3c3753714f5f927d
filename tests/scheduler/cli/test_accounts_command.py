"""``callsheet accounts list | edit | remove`` as a real process on SQLite and PostgreSQL: the
same service functions as the API, and removal asks first."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.core.models import Account, Delivery
from tests import factories
from tests.conftest import CALLSHEET


def _callsheet(database_url: str, *args: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALLSHEET, "accounts", *args],
        env={**os.environ, "CALLSHEET_DATABASE_URL": database_url, "COLUMNS": "200"},
        input=answer,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _statuses(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [d.status for d in session.exec(select(Delivery))]


def test_list_and_edit(session: Session, engine: Engine, database_url: str, tmp_path: Path) -> None:
    production = factories.production(session)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[production.id or 0]
    )
    account_id = account.id or 0
    session.commit()

    edited = _callsheet(
        database_url,
        "edit",
        str(account_id),
        "--handle",
        "@nightshift_film",
        "--timezone",
        "Asia/Tokyo",
        "--quiet-start",
        "22:00",
        "--quiet-end",
        "06:00",
    )
    listed = _callsheet(database_url, "list")

    assert edited.returncode == 0, edited.stdout + edited.stderr
    assert "changed account" in edited.stdout
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "@nightshift_film" in listed.stdout
    assert "22:00-06:00 Asia/Tokyo" in listed.stdout
    refused = _callsheet(database_url, "edit", str(account_id), "--timezone", "Mars/Olympus")
    assert refused.returncode == 1
    assert "unknown timezone 'Mars/Olympus'" in refused.stdout
    assert "Traceback" not in refused.stdout + refused.stderr


def test_remove_shows_what_it_cancels_and_asks_first(
    session: Session, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    post = factories.approved_post(session, production.id or 0, [account])
    account_id, post_id = account.id or 0, post.id or 0
    session.commit()

    declined = _callsheet(database_url, "remove", str(account_id), answer="n\n")

    assert declined.returncode == 1
    assert "would cancel" in declined.stdout
    assert f"{post_id}" in declined.stdout
    assert "scheduled" in declined.stdout
    assert _statuses(engine) == ["scheduled"]

    removed = _callsheet(database_url, "remove", str(account_id), "--yes")

    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert "cancelled 1 deliveries" in removed.stdout
    assert _statuses(engine) == ["cancelled"]
    listed = _callsheet(database_url, "list")
    assert "@nightshiftfilm" not in listed.stdout
    with Session(engine) as fresh:
        assert fresh.exec(select(Account)).one().removed_at is not None
