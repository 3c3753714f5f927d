"""Issue 10, item 7: an expired approval tells the production's hooks, and the limit (with the
rest of the review and reflow policy) can be changed through the API. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from scheduler.core.config import Settings
from scheduler.core.models import Approval, AuditEvent, Post, Role
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories
from tests.conftest import person_with_token
from tests.scheduler.notify.test_notifications import Receiver, add_hook, send


@pytest.fixture
def channel() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def notify_settings(database_url: str) -> Settings:
    return Settings.model_validate(
        {
            "environment": "test",
            "database_url": database_url,
            "notify_retry_base_seconds": 10,
            "notify_retry_max_seconds": 3600,
            "notify_max_attempts": 8,
            "notify_timeout_seconds": 5,
        }
    )


def _claim(engine: Engine, now: datetime) -> list[int]:
    return claim_due(engine, now=now, owner="t", limit=10, lease_until=lease_deadline(now, 60))


def _approved_days_ago(session: Session, engine: Engine, tmp_path: Path, days: int) -> Post:
    now = datetime.now(UTC)
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    post = factories.approved_post(
        session, production.id or 0, [account], at=now - timedelta(minutes=1)
    )
    session.commit()
    with engine.begin() as conn:
        conn.execute(update(Approval).values(approved_at=now - timedelta(days=days)))
    return post


def test_an_expired_approval_tells_the_productions_hooks_why(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    channel: Receiver,
    notify_settings: Settings,
) -> None:
    post = _approved_days_ago(session, engine, tmp_path, days=40)
    add_hook(client, channel, post.production_id)  # the API's default list of events

    assert _claim(engine, datetime.now(UTC)) == []
    send(engine, notify_settings)

    assert len(channel.messages) == 1
    told = channel.messages[0]
    facts = told["callsheet"]
    assert facts["action"] == "post.approval_expired"
    assert facts["event"] == "submitted"  # "needs review": every hook that hears it is told
    assert facts["post_id"] == post.id
    assert facts["status"] == "in_review"
    assert "older than the production's limit of 30 days" in facts["reason"]
    assert "went back to review" in told["text"]
    assert "limit of 30 days" in told["text"]


def test_a_hook_that_does_not_hear_review_requests_is_not_told(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    channel: Receiver,
    notify_settings: Settings,
) -> None:
    post = _approved_days_ago(session, engine, tmp_path, days=40)
    add_hook(client, channel, post.production_id, events=["failed"])

    assert _claim(engine, datetime.now(UTC)) == []
    send(engine, notify_settings)

    assert channel.messages == []


def test_patch_raises_the_limit_so_a_40_day_approval_goes_out(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    post = _approved_days_ago(session, engine, tmp_path, days=40)
    pid = post.production_id

    answer = client.patch(f"/productions/{pid}", json={"approval_max_age_days": 60})

    assert answer.status_code == 200, answer.text
    assert answer.json()["approval_max_age_days"] == 60
    assert client.get(f"/productions/{pid}").json()["approval_max_age_days"] == 60
    assert len(_claim(engine, datetime.now(UTC))) == 1
    session.expire_all()
    assert session.get_one(Post, post.id).status == "approved"


def test_patch_changes_the_reflow_policy_and_records_before_and_after(
    client: httpx.Client, session: Session
) -> None:
    pid = factories.production(session).id
    session.commit()

    answer = client.patch(
        f"/productions/{pid}",
        json={"keep_approvals_on_reflow": False, "past_due_policy": "skip", "title": "Day Shift"},
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["keep_approvals_on_reflow"] is False
    assert body["past_due_policy"] == "skip"
    assert body["title"] == "Day Shift"
    assert body["approval_max_age_days"] == 30  # untouched
    event = session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "production.updated")
    ).one()
    assert event.entity_id == pid
    assert event.before == {
        "keep_approvals_on_reflow": True,
        "past_due_policy": "hold",
        "title": "Night Shift",
    }
    assert event.after == {
        "keep_approvals_on_reflow": False,
        "past_due_policy": "skip",
        "title": "Day Shift",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"approval_max_age_days": 0}, "approval_max_age_days"),
        ({"approval_max_age_days": 3651}, "approval_max_age_days"),
        ({"approval_max_age_days": None}, "approval_max_age_days"),
        ({"keep_approvals_on_reflow": None}, "keep_approvals_on_reflow"),
        ({"past_due_policy": "shrug"}, "past_due_policy"),
        ({"title": ""}, "title"),
        ({"timezone": "Europe/Paris"}, "timezone"),
        ({"approval_max_age": 60}, "approval_max_age"),
    ],
)
def test_patch_refuses_a_bad_or_unknown_field_by_name(
    client: httpx.Client, session: Session, body: dict[str, object], field: str
) -> None:
    pid = factories.production(session).id
    session.commit()

    answer = client.patch(f"/productions/{pid}", json=body)

    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert client.get(f"/productions/{pid}").json()["approval_max_age_days"] == 30


def test_patch_of_an_unknown_production_is_404(client: httpx.Client) -> None:
    answer = client.patch("/productions/999999", json={"approval_max_age_days": 60})

    assert answer.status_code == 404, answer.text


def test_only_a_production_admin_changes_its_policy(client: httpx.Client, session: Session) -> None:
    pid = factories.production(session).id or 0
    session.commit()
    producer = person_with_token(
        session, name="Pat", email="pat@nightshift.test", roles={pid: Role.producer}
    )
    admin = person_with_token(
        session, name="Ada", email="ada@nightshift.test", roles={pid: Role.admin}
    )
    path = str(client.base_url.join(f"/productions/{pid}"))

    refused = httpx.patch(
        path, json={"approval_max_age_days": 60}, headers={"Authorization": f"Bearer {producer}"}
    )
    allowed = httpx.patch(
        path, json={"approval_max_age_days": 60}, headers={"Authorization": f"Bearer {admin}"}
    )

    assert refused.status_code == 403, refused.text
    assert allowed.status_code == 200, allowed.text
