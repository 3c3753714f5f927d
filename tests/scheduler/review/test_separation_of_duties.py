"""Issue 11, item 2: separation of duties. Whoever wrote a post's current version cannot
approve it, and one person cannot walk a chain alone; a production may relax the rule for a
one-person team, visibly and on the record. Over real HTTP, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from scheduler.core.models import Approval, ApprovalStep, AuditEvent, Post, Role
from tests import factories
from tests.conftest import person_with_token


@pytest.fixture
def setup(session: Session, tmp_path: Path) -> dict[str, Any]:
    """A production, an account, and two producers (Ana, Ben) with their tokens and ids."""
    production = factories.production(session)
    pid = production.id or 0
    account = factories.outbox_account(session, tmp_path / "out.jsonl", production_ids=[pid])
    session.commit()
    people: dict[str, Any] = {"production": pid, "account": account.id or 0}
    for name in ("ana", "ben"):
        token = person_with_token(
            session, name=name, email=f"{name}@nightshift.test", roles={pid: Role.producer}
        )
        people[name] = {"Authorization": f"Bearer {token}"}
    session.commit()
    return people


def _id_of(client: httpx.Client, headers: dict[str, str]) -> int:
    me = client.get("/me", headers=headers)
    assert me.status_code == 200, me.text
    return int(me.json()["id"])


def _written_by(client: httpx.Client, setup: dict[str, Any], headers: dict[str, str]) -> int:
    """A post written by the caller of ``headers`` and sent to review; its id."""
    body = {
        "production_id": setup["production"],
        "pillar": "on_set",
        "body": "Night shift, take one.",
        "anchor": {"at": (datetime.now(UTC) + timedelta(days=3)).isoformat()},
        "account_ids": [setup["account"]],
    }
    made = client.post("/posts", json=body, headers=headers)
    assert made.status_code == 201, made.text
    post_id = int(made.json()["id"])
    submitted = client.post(f"/posts/{post_id}/submit", json={"version": 1}, headers=headers)
    assert submitted.status_code == 200, submitted.text
    return post_id


def _approve(
    client: httpx.Client, post_id: int, headers: dict[str, str], version: int = 1
) -> httpx.Response:
    return client.post(
        f"/posts/{post_id}/approve",
        json=factories.approve_body(client, post_id, version),
        headers=headers,
    )


def test_the_author_cannot_approve_their_own_post(
    client: httpx.Client, session: Session, setup: dict[str, Any]
) -> None:
    post_id = _written_by(client, setup, setup["ana"])

    own = _approve(client, post_id, setup["ana"])
    assert own.status_code == 409, own.text
    message = own.json()["detail"]
    assert f"separation of duties: you wrote this version of post {post_id}" in message
    assert f'PATCH /productions/{setup["production"]} {{"self_approval": true}}' in message
    assert client.get(f"/posts/{post_id}").json()["status"] == "in_review"

    other = _approve(client, post_id, setup["ben"])
    assert other.status_code == 200, other.text
    assert other.json()["status"] == "approved"


def test_the_editor_of_the_last_change_cannot_approve_but_the_author_may(
    client: httpx.Client, session: Session, setup: dict[str, Any]
) -> None:
    post_id = _written_by(client, setup, setup["ana"])
    edited = client.patch(
        f"/posts/{post_id}", json={"version": 1, "body": "Take two."}, headers=setup["ben"]
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["written_by_id"] == _id_of(client, setup["ben"])

    by_editor = _approve(client, post_id, setup["ben"], version=2)
    assert by_editor.status_code == 409, by_editor.text
    assert "you wrote this version" in by_editor.json()["detail"]

    by_author = _approve(client, post_id, setup["ana"], version=2)
    assert by_author.status_code == 200, by_author.text
    assert by_author.json()["status"] == "approved"


def test_one_person_named_in_two_steps_is_refused_when_the_chain_is_set(
    client: httpx.Client, setup: dict[str, Any]
) -> None:
    ana = _id_of(client, setup["ana"])
    ben = _id_of(client, setup["ben"])
    steps = [
        {"name": "marketing", "people": [ana]},
        {"name": "studio legal", "people": [ben, ana]},
    ]
    answer = client.put(f"/productions/{setup['production']}/chain", json={"steps": steps})
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["errors"]
    assert problem["loc"] == ["body", "steps", "1", "people"]
    assert "already named in step 'marketing'" in problem["msg"]
    assert client.get(f"/productions/{setup['production']}/chain").json() == []


def test_a_chain_set_before_the_rule_still_needs_a_second_person(
    client: httpx.Client, session: Session, setup: dict[str, Any]
) -> None:
    ana = _id_of(client, setup["ana"])
    ben = _id_of(client, setup["ben"])
    pid = setup["production"]
    session.add(ApprovalStep(production_id=pid, position=0, name="marketing", people=[ana]))
    session.add(ApprovalStep(production_id=pid, position=1, name="legal", people=[ana, ben]))
    session.commit()
    post_id = _written_by(client, setup, {})  # the site admin writes it

    first = _approve(client, post_id, setup["ana"])
    assert first.status_code == 200, first.text
    again = _approve(client, post_id, setup["ana"])
    assert again.status_code == 409, again.text
    assert "you approved step 'marketing' of this version" in again.json()["detail"]
    assert client.get(f"/posts/{post_id}").json()["status"] == "in_review"

    done = _approve(client, post_id, setup["ben"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "approved"


def test_a_step_of_all_its_people_waits_for_all_but_the_writer(
    client: httpx.Client, setup: dict[str, Any]
) -> None:
    ana = _id_of(client, setup["ana"])
    ben = _id_of(client, setup["ben"])
    producers = [{"name": "producers", "mode": "all", "people": [ana, ben]}]
    chained = client.put(f"/productions/{setup['production']}/chain", json={"steps": producers})
    assert chained.status_code == 200, chained.text
    post_id = _written_by(client, setup, setup["ana"])

    assert _approve(client, post_id, setup["ana"]).status_code == 409
    done = _approve(client, post_id, setup["ben"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "approved"


def test_a_one_person_team_may_approve_its_own_posts_visibly_and_on_the_record(
    client: httpx.Client, session: Session, setup: dict[str, Any]
) -> None:
    pid = setup["production"]
    assert client.get(f"/productions/{pid}").json()["self_approval"] is False
    relaxed = client.patch(f"/productions/{pid}", json={"self_approval": True})
    assert relaxed.status_code == 200, relaxed.text
    assert client.get(f"/productions/{pid}").json()["self_approval"] is True
    event = session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "production.updated")
    ).one()
    assert (event.entity_id, event.before, event.after) == (
        pid,
        {"self_approval": False},
        {"self_approval": True},
    )
    session.commit()  # end the read: on SQLite it would keep the API from writing
    ana = _id_of(client, setup["ana"])
    both = [{"name": "marketing", "people": [ana]}, {"name": "producer", "people": [ana]}]
    chained = client.put(f"/productions/{pid}/chain", json={"steps": both})
    assert chained.status_code == 200, chained.text

    post_id = _written_by(client, setup, setup["ana"])
    first = _approve(client, post_id, setup["ana"])
    assert first.status_code == 200, first.text
    second = _approve(client, post_id, setup["ana"])
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "approved"
    assert (first.json()["self_approved"], second.json()["self_approved"]) == (False, True)
    session.expire_all()
    approval = session.exec(select(Approval).where(Approval.post_id == post_id)).one()
    assert approval.self_approved is True
    votes = session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "post.step_approved")
    ).all()
    assert [v.after["self_approved"] for v in votes] == [True, True]


def test_a_schedule_approval_with_the_approvers_own_posts_is_refused_naming_them(
    client: httpx.Client, session: Session, setup: dict[str, Any]
) -> None:
    theirs = _written_by(client, setup, setup["ben"])
    own = [_written_by(client, setup, setup["ana"]) for _ in range(2)]
    shown = {}
    for post_id in (theirs, *own):
        shown.update(factories.shown(client, post_id))
    listed = client.get(f"/productions/{setup['production']}/review").json()
    assert {p["post_id"]: p["written_by_id"] for p in listed}[own[0]] == _id_of(
        client, setup["ana"]
    )

    answer = client.post(
        f"/productions/{setup['production']}/review/approve",
        json={"versions": {theirs: 1, own[0]: 1, own[1]: 1}, "shown": shown},
        headers=setup["ana"],
    )
    assert answer.status_code == 409, answer.text
    assert f"you wrote this version of posts {own[0]}, {own[1]}" in answer.json()["detail"]
    session.expire_all()
    statuses = {p.id: p.status for p in session.exec(select(Post))}
    assert set(statuses.values()) == {"in_review"}
