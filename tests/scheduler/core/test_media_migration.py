"""Migration 0018: posts from before links were required that still name a file on the server
lose those media (never opened), go back to draft if they were in review or approved, and the
team is told in the audit trail. SQLite and PostgreSQL, from a database at revision 0015."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from scheduler.core.db import create_db_engine
from scheduler.core.migrate import upgrade
from tests.conftest import PG_ADMIN, RUN, _pg_url

AT = "'2026-11-01 10:00:00'"
LINK = {"url": "https://cdn.test/slate.jpg", "kind": "image", "alt": "The slate"}
ON_DISK = [
    {"url": "/etc/passwd", "kind": "image", "alt": None},
    {"url": "file:///srv/stills/crew.png", "kind": "image", "alt": "The crew"},
]


def _at_0015(url: str) -> None:
    upgrade(url, "0015")
    engine = create_db_engine(url)
    rows = [
        "INSERT INTO production (id, title, kind, timezone, created_at) "
        f"VALUES (1, 'Night Shift', 'film', 'Europe/London', {AT})",
        f"INSERT INTO account (id, platform, handle, settings, created_at) "
        f"VALUES (1, 'outbox', '@n', '{{}}', {AT})",
        _post(1, "approved", [LINK, *ON_DISK]),
        _post(2, "draft", [LINK]),
        _post(3, "draft", ON_DISK[:1]),
        "INSERT INTO approval (id, post_id, post_version, approved_by, approved_at, "
        f"delivery_hashes, media_notes) VALUES (1, 1, 1, 'producer', {AT}, '{{}}', '[]')",
        _delivery(1, 1, "scheduled", approval="1"),
        _delivery(2, 2, "pending"),
        _delivery(3, 3, "pending"),
    ]
    try:
        with engine.begin() as conn:
            for row in rows:
                conn.execute(text(row))
    finally:
        engine.dispose()


def _post(post_id: int, status: str, media: list[dict[str, Any]]) -> str:
    return (
        "INSERT INTO post (id, production_id, pillar, body, variables, tags, featured, media, "
        "anchor_at, status, version, created_by, created_at, updated_at) VALUES "
        f"({post_id}, 1, 'on_set', 'Hi', '{{}}', '[]', '[]', '{json.dumps(media)}', "
        f"'2027-02-28 19:00:00', '{status}', 1, 'm', {AT}, {AT})"
    )


def _delivery(delivery_id: int, post_id: int, status: str, approval: str = "NULL") -> str:
    return (
        "INSERT INTO delivery (id, post_id, account_id, status, due_at, planned_at, attempt, "
        f"approval_id, updated_at) VALUES ({delivery_id}, {post_id}, 1, '{status}', "
        f"'2027-02-28 19:00:00', '2027-02-28 19:00:00', 0, {approval}, {AT})"
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=False)
def test_posts_naming_server_files_lose_them_go_back_to_draft_and_the_team_is_told(
    backend: str, tmp_path: Path
) -> None:
    name = f"callsheet_media_0018_{RUN}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
    try:
        _at_0015(url)
        upgrade(url, "0018")
        engine = create_db_engine(url)
        try:
            with engine.connect() as conn:
                posts = {
                    row.id: row
                    for row in conn.execute(
                        text("SELECT id, media, status, version, review_note FROM post")
                    )
                }
                deliveries = dict(
                    conn.execute(
                        text("SELECT id, status || ':' || coalesce(approval_id, 0) FROM delivery")
                    ).all()
                )
                events = conn.execute(
                    text(
                        "SELECT entity_id, actor, before, after, reason FROM auditevent "
                        "WHERE action = 'post.media_removed' ORDER BY entity_id"
                    )
                ).all()
                assert conn.execute(text("SELECT count(*) FROM media")).scalar_one() == 0
        finally:
            engine.dispose()
    finally:
        if backend == "postgres":
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    approved, links_only, draft = posts[1], posts[2], posts[3]
    assert _json(approved.media) == [LINK]  # the link stays; the server files are gone
    assert (approved.status, approved.version) == ("draft", 2)
    assert "media 2, 3 named a file on the server" in approved.review_note
    assert (_json(links_only.media), links_only.status, links_only.review_note) == (
        [LINK],
        "draft",
        None,
    )
    assert (_json(draft.media), draft.status, draft.version) == ([], "draft", 1)
    assert "media 1 named a file on the server" in draft.review_note
    # Nothing goes out on the old approval: the delivery is unbound.
    assert deliveries == {1: "pending:0", 2: "pending:0", 3: "pending:0"}
    assert [e.entity_id for e in events] == [1, 3]
    first = events[0]
    assert first.actor == "callsheet (migration 0018)"
    assert _json(first.before)["media"] == [LINK, *ON_DISK]
    assert _json(first.after) == {"media": [LINK], "status": "draft", "version": 2}
    assert "Upload each file" in first.reason
