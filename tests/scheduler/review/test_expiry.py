"""Stale approvals go back to review at claim time instead of going out, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from scheduler.core.models import Approval, AuditEvent, Delivery, Post
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories


def _claim(engine: Engine, now: datetime) -> list[int]:
    return claim_due(engine, now=now, owner="t", limit=10, lease_until=lease_deadline(now, 60))


def _approved(session: Session, tmp_path: Path, *, due: datetime) -> Post:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    second = factories.outbox_account(session, tmp_path / "crew.jsonl", handle="@crew")
    post = factories.approved_post(session, production.id or 0, [account, second], at=due)
    session.commit()
    return post


def _approved_at(engine: Engine, when: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(Approval).values(approved_at=when))


def test_an_approval_older_than_the_limit_goes_back_to_review(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    post = _approved(session, tmp_path, due=now - timedelta(minutes=1))
    _approved_at(engine, now - timedelta(days=31))

    assert _claim(engine, now) == []

    session.expire_all()
    back = session.get_one(Post, post.id)
    assert back.status == "in_review"
    assert "older than the production's limit of 30 days" in (back.review_note or "")
    deliveries = session.exec(select(Delivery)).all()
    assert {(d.status, d.approval_id) for d in deliveries} == {("pending", None)}
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "post.approval_expired"))
    assert len(events.all()) == 1  # one post, one event, though both deliveries went back


def test_an_approval_given_after_the_due_time_does_not_send_it_late(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    _approved(session, tmp_path, due=now - timedelta(hours=2))  # approved now: an hour+ late

    assert _claim(engine, now) == []

    session.expire_all()
    assert "after its due time" in (session.exec(select(Post)).one().review_note or "")


def test_a_fresh_approval_is_claimed(session: Session, engine: Engine, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    _approved(session, tmp_path, due=now - timedelta(minutes=1))
    _approved_at(engine, now - timedelta(days=29))

    assert len(_claim(engine, now)) == 2
