"""A post sent back to review without an edit (a milestone move that changes its text, a
confirmed date, a stale approval) starts a new review round: the producer who approved it can
approve it again, and the post says why it came back. Over real HTTP, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from scheduler.core.models import Approval, Delivery, Post, Role, Vote
from scheduler.posts.preview import preview_post
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories
from tests.conftest import person_with_token

DATED = "Out on {{ due.weekday }}, {{ due.date }}: {{ production.title }}."


@pytest.fixture
def setup(session: Session, tmp_path: Path) -> dict[str, int]:
    production = factories.production(session)
    pid = production.id or 0
    premiere = factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=60))
    account = factories.outbox_account(session, tmp_path / "out.jsonl", production_ids=[pid])
    session.commit()
    return {"production": pid, "premiere": premiere, "account": account.id or 0}


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _approved_by_producer(
    client: httpx.Client, session: Session, setup: dict[str, int]
) -> tuple[int, str]:
    """A post that prints its date, in review, approved by a producer: its id and their token."""
    body = {
        "production_id": setup["production"],
        "pillar": "countdown",
        "body": DATED,
        "anchor": {"milestone_id": setup["premiere"], "offset": "-P7D", "local_time": "18:00"},
        "account_ids": [setup["account"]],
    }
    made = client.post("/posts", json=body)
    assert made.status_code == 201, made.text
    post_id: int = made.json()["id"]
    assert client.post(f"/posts/{post_id}/submit", json={"version": 1}).status_code == 200
    token = person_with_token(
        session,
        name="ines",
        email="ines@nightshift.test",
        roles={setup["production"]: Role.producer},
    )
    first = client.post(
        f"/posts/{post_id}/approve",
        json=factories.approve_body(client, post_id),
        headers=_as(token),
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "approved"
    return post_id, token


def _approve_again(client: httpx.Client, session: Session, post_id: int, token: str) -> None:
    """The same producer approves the post again; its delivery is scheduled, bound to the
    hash of what it says now, and the first round's vote is kept for the record."""
    shown = client.get(f"/posts/{post_id}").json()
    assert shown["status"] == "in_review"
    again = client.post(
        f"/posts/{post_id}/approve",
        json=factories.approve_body(client, post_id, shown["version"]),
        headers=_as(token),
    )
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "approved"
    session.expire_all()
    (delivery,) = session.exec(select(Delivery).where(Delivery.post_id == post_id)).all()
    assert delivery.status == "scheduled"
    approval = session.get_one(Approval, delivery.approval_id)
    assert approval.post_version == shown["version"]
    (now_shown,) = preview_post(session=session, post_id=post_id)
    assert approval.delivery_hashes == {str(delivery.id): now_shown.content_hash}
    votes = session.exec(select(Vote).where(Vote.post_id == post_id)).all()
    assert sorted(v.post_version for v in votes) == [1, shown["version"]]


def test_a_post_back_from_a_move_is_approved_again_by_the_same_producer(
    client: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    post_id, token = _approved_by_producer(client, session, setup)
    first_hashes = session.exec(select(Approval.delivery_hashes)).one()
    session.commit()  # end the read: on SQLite it would keep the move from writing

    moved = client.patch(
        f"/productions/{setup['production']}/milestones/{setup['premiere']}",
        json={"at": (datetime.now(UTC) + timedelta(days=81)).isoformat()},
    )
    assert moved.status_code == 200, moved.text

    back = client.get(f"/posts/{post_id}").json()
    assert back["status"] == "in_review"
    assert back["version"] == 2  # a new round: what the reviewer saw changed
    assert "text changes with the date" in (back["review_note"] or "")
    _approve_again(client, session, post_id, token)
    second = session.exec(select(Approval).order_by(col(Approval.id).desc())).first()
    assert second is not None
    assert second.delivery_hashes != first_hashes  # bound to what it says now


def test_a_post_back_from_a_stale_approval_is_approved_again_by_the_same_producer(
    client: httpx.Client, session: Session, engine: Engine, setup: dict[str, int]
) -> None:
    post_id, token = _approved_by_producer(client, session, setup)
    now = datetime.now(UTC)
    with engine.begin() as conn:  # approved long ago, and due now
        conn.execute(update(Approval).values(approved_at=now - timedelta(days=31)))
        conn.execute(update(Delivery).values(due_at=now - timedelta(minutes=1)))

    claimed = claim_due(engine, now=now, owner="t", limit=10, lease_until=lease_deadline(now, 60))
    assert claimed == []

    back = client.get(f"/posts/{post_id}").json()
    assert back["status"] == "in_review"
    assert back["version"] == 2
    assert "older than the production's limit of 30 days" in (back["review_note"] or "")
    with engine.begin() as conn:  # a producer picks a time again: back in the future
        conn.execute(update(Delivery).values(due_at=now + timedelta(days=7)))
    _approve_again(client, session, post_id, token)
    assert session.get_one(Post, post_id).status == "approved"
