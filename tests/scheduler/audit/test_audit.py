"""The audit trail: read over HTTP and on the command line, never changed, on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from scheduler.core.models import Role
from scheduler.events.record import record_event
from tests import factories
from tests.conftest import CLIENT_ACTOR, person_with_token


def _two_productions(client: httpx.Client, session: Session, tmp_path: Path) -> dict[str, Any]:
    """Night Shift (with a milestone, a post and a cancelled delivery) and another production."""
    ours = factories.production(session)
    theirs = factories.production(session)
    pid, other = ours.id or 0, theirs.id or 0
    milestone = factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=60))
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    post = factories.post(session, pid, [account])
    elsewhere = factories.post(session, other, [account])
    session.commit()
    delivery = client.get("/deliveries", params={"post_id": post.id}).json()
    delivery_id = next(d["id"] for d in delivery if d["post_id"] == post.id)
    cancelled = client.post(f"/deliveries/{delivery_id}/cancel", json={"reason": "recut"})
    assert cancelled.status_code == 200, cancelled.text
    return {
        "pid": pid,
        "other": other,
        "milestone": milestone,
        "post": post.id,
        "elsewhere": elsewhere.id,
        "delivery": delivery_id,
        "account": account.id,
    }


def _trail(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM auditevent ORDER BY id"))
        return [tuple(row) for row in rows]


def test_no_route_changes_or_deletes_an_event(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    made = _two_productions(client, session, tmp_path)
    before = _trail(engine)
    assert before

    for method in ("PUT", "PATCH", "DELETE"):
        for path in ("/audit", f"/audit?production_id={made['pid']}"):
            answer = client.request(method, path, json={"reason": "rewritten"})
            assert answer.status_code == 405, (method, path, answer.text)

    assert _trail(engine) == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE auditevent SET reason = 'rewritten', actor = 'someone else'",
        "DELETE FROM auditevent",
        "DELETE FROM auditevent WHERE action = 'production.created'",
    ],
    ids=["update", "delete-all", "delete-one"],
)
def test_changing_or_deleting_through_sql_is_refused_by_the_database(
    engine: Engine, statement: str
) -> None:
    """Before, DELETE went through: a trail anyone with the database could thin out."""
    with engine.begin() as conn:
        record_event(
            conn, actor="Maya", action="production.created", entity="production", entity_id=1
        )

    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))

    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor, reason FROM auditevent")).one() == ("Maya", None)


def test_filters_newest_first(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    made = _two_productions(client, session, tmp_path)

    def shown(**params: Any) -> list[dict[str, Any]]:
        answer = client.get("/audit", params=params)
        assert answer.status_code == 200, answer.text
        events: list[dict[str, Any]] = answer.json()
        return events

    everything = shown(limit=500)
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert {"account.created", "person.created"} <= {e["action"] for e in everything}

    ours = shown(production_id=made["pid"])
    assert {(e["entity"], e["entity_id"]) for e in ours} == {
        ("production", made["pid"]),
        ("milestone", made["milestone"]),
        ("post", made["post"]),
        ("delivery", made["delivery"]),
    }
    assert ours[0]["action"] == "delivery.cancelled"
    assert ours[0]["actor"] == CLIENT_ACTOR
    assert ours[0]["reason"] == "recut"
    assert {e["entity_id"] for e in shown(production_id=made["other"], entity="post")} == {
        made["elsewhere"]
    }

    one = shown(entity="post", entity_id=made["post"])
    assert [e["action"] for e in one] == ["post.created"]
    assert [e["action"] for e in shown(actor="MAYA@nightshift")] == ["delivery.cancelled"]
    assert shown(actor="100%") == []  # a literal %, not a wildcard
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert shown(since=later) == []
    assert len(shown(since=(datetime.now(UTC) - timedelta(minutes=5)).isoformat())) == len(
        everything
    )
    first, second = shown(limit=1), shown(limit=1, offset=1)
    assert [first[0]["id"], second[0]["id"]] == [everything[0]["id"], everything[1]["id"]]

    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"since": "2026-11-01T10:00:00"}, "since"),  # no timezone: ambiguous
        ({"entity_id": "seven"}, "entity_id"),
    ):
        refused = client.get("/audit", params=params)
        assert refused.status_code == 422, params
        assert refused.json()["errors"][0]["loc"][-1] == field


def test_filters_by_action_and_a_range_of_time(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    """The pages' audit trail filters by action and by a range of days: so does ``GET /audit``,
    through the same reading."""
    made = _two_productions(client, session, tmp_path)

    def actions(**params: Any) -> list[str]:
        answer = client.get("/audit", params={"production_id": made["pid"], **params})
        assert answer.status_code == 200, answer.text
        return [e["action"] for e in answer.json()]

    assert actions(action="delivery.") == ["delivery.cancelled"]
    assert actions(action="post.created") == ["post.created"]
    assert actions(action="%") == []  # a literal %, not a wildcard
    now = datetime.now(UTC)
    assert actions(until=(now - timedelta(minutes=5)).isoformat()) == []
    within = {"since": (now - timedelta(minutes=5)).isoformat(), "until": now.isoformat()}
    assert actions(**within) == actions()
    refused = client.get("/audit", params={"until": "2026-11-01T10:00:00"})  # no timezone
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][-1] == "until"


def test_a_producer_reads_their_production_and_a_viewer_is_refused(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    made = _two_productions(client, session, tmp_path)
    pid = made["pid"]

    def token(role: Role) -> dict[str, str]:
        secret = person_with_token(
            session, name=role.value, email=f"{role.value}@nightshift.test", roles={pid: role}
        )
        return {"Authorization": f"Bearer {secret}"}

    producer, viewer = token(Role.producer), token(Role.viewer)

    allowed = client.get("/audit", params={"production_id": pid}, headers=producer)
    assert allowed.status_code == 200, allowed.text
    assert {e["entity"] for e in allowed.json()} == {"production", "milestone", "post", "delivery"}
    assert client.get("/audit", params={"production_id": pid}, headers=viewer).status_code == 403
    # Not a member of the other production, and the whole trail is a site admin's.
    assert (
        client.get("/audit", params={"production_id": made["other"]}, headers=producer).status_code
        == 403
    )
    everything = client.get("/audit", headers=producer)
    assert everything.status_code == 403
    assert "site admin" in everything.json()["detail"]


def test_callsheet_audit_prints_the_trail(
    session: Session, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=30))
    session.commit()
    with engine.begin() as conn:
        record_event(
            conn,
            actor="[bold]Dev[/bold] <dev@nightshift.test>",
            action="pause.started",
            entity="pause",
            entity_id=7,
            reason="wrap party [red]tonight[/red]",
        )
    env = {**os.environ, "CALLSHEET_DATABASE_URL": database_url, "COLUMNS": "250"}

    def callsheet(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scheduler.cli", "audit", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )

    everything = callsheet("--limit", "10")
    assert everything.returncode == 0, everything.stderr
    out = everything.stdout
    assert "pause.started" in out
    assert "wrap party [red]tonight[/red]" in out  # user text printed as typed, not as markup
    assert "[bold]Dev[/bold] <dev@nightshift.test>" in out
    assert (
        out.index("pause.started")
        < out.index("milestone.created")
        < out.index("production.created")
    )

    ours = callsheet("--production", str(pid))
    assert ours.returncode == 0, ours.stderr
    assert "milestone.created" in ours.stdout
    assert "pause.started" not in ours.stdout
    assert "Premiere" in ours.stdout  # the change column: what the milestone was made with

    one = callsheet("--entity", "pause", "--id", "7", "--actor", "dev@")
    assert "pause.started" in one.stdout
    assert "production.created" not in one.stdout
    assert "no audit events match" in callsheet("--actor", "nobody").stdout
    assert callsheet("--limit", "0").returncode == 2  # refused by the option's range
