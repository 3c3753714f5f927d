"""Retrying a failed delivery: ``POST /deliveries/{id}/retry``, over real HTTP, on both databases.

A wrong account setting fixed later should not mean recreating the post: the same delivery goes
again, due now, under the same approval (so the same idempotency key), and only while that
approval still binds what would go out.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from scheduler.core.errors import Conflict
from scheduler.core.models import AuditEvent, Delivery
from scheduler.posts import deliveries as service
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories

FAILED = "status = 'failed', attempt = 5, last_error = 'account: page id is wrong'"


class Failed(NamedTuple):
    id: int
    post_id: int
    approval_id: int | None


def _failed(session: Session, tmp_path: Path, **post: Any) -> Failed:
    """An approved post's delivery that failed after five attempts; nothing left open."""
    made = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    draft = factories.approved_post(session, made.id or 0, [account], **post)
    session.commit()
    (delivery,) = session.exec(select(Delivery).where(Delivery.post_id == draft.id)).all()
    failed = Failed(delivery.id or 0, delivery.post_id, delivery.approval_id)
    session.connection().execute(
        text(f"UPDATE delivery SET {FAILED} WHERE id = :id"), {"id": failed.id}
    )
    session.commit()  # on SQLite a read holds the write lock until its transaction ends
    return failed


def _now(session: Session, delivery_id: int) -> Delivery:
    session.expire_all()
    found = session.get(Delivery, delivery_id)
    assert found is not None
    session.commit()  # on SQLite a read holds the write lock until its transaction ends
    return found


def test_a_failed_delivery_goes_again_due_now_under_the_same_approval(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    delivery = _failed(session, tmp_path)
    approval_id = delivery.approval_id
    asked = datetime.now(UTC)

    answer = client.post(
        f"/deliveries/{delivery.id}/retry", json={"reason": "page id fixed on the account"}
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["id"], body["status"]) == (delivery.id, "scheduled")
    after = _now(session, delivery.id)
    assert after.approval_id == approval_id is not None
    assert after.attempt == 0
    assert after.last_error is None
    assert asked - timedelta(seconds=5) <= after.due_at <= datetime.now(UTC)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "delivery.retried")).one()
    assert event.entity_id == delivery.id
    assert event.before is not None
    assert event.before["attempt"] == 5
    assert event.before["error"] == "account: page id is wrong"
    assert event.reason == "page id fixed on the account"
    session.commit()
    # It is claimable like any due, approved delivery: same id and approval, so the worker
    # computes the same idempotency key as for the attempts that failed.
    lease = lease_deadline(datetime.now(UTC), 60)
    assert claim_due(engine, now=datetime.now(UTC), owner="w", limit=5, lease_until=lease) == [
        delivery.id
    ]


def test_retry_needs_no_body(client: httpx.Client, session: Session, tmp_path: Path) -> None:
    delivery = _failed(session, tmp_path)
    answer = client.post(f"/deliveries/{delivery.id}/retry")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "scheduled"


def test_only_a_failed_delivery_can_be_retried(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    delivery = _failed(session, tmp_path)
    assert client.post(f"/deliveries/{delivery.id}/retry").status_code == 200

    again = client.post(f"/deliveries/{delivery.id}/retry")

    assert again.status_code == 409
    assert "status" in again.text
    assert "scheduled, not failed" in again.text


def test_an_unknown_delivery_is_404_and_a_bad_body_422_naming_the_field(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    delivery = _failed(session, tmp_path)
    missing = client.post("/deliveries/999999/retry")
    assert missing.status_code == 404  # a site admin asks: nothing to find
    assert "delivery" in missing.text
    for body in ({"reason": ""}, {"reason": "x" * 501}, {"why": "typo"}):
        answer = client.post(f"/deliveries/{delivery.id}/retry", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert ("reason" in answer.text) or ("why" in answer.text)
    assert _now(session, delivery.id).status == "failed"


def test_a_delivery_whose_approval_no_longer_binds_the_post_is_not_retried(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    """An edit unbinds only unsent deliveries: the failed one keeps its old approval."""
    delivery = _failed(session, tmp_path)
    post = client.get(f"/posts/{delivery.post_id}").json()
    edited = client.patch(
        f"/posts/{delivery.post_id}",
        json={"version": post["version"], "body": "Night shift, take 2: the crew at work."},
    )
    assert edited.status_code == 200, edited.text

    answer = client.post(f"/deliveries/{delivery.id}/retry")

    assert answer.status_code == 409
    assert "approval" in answer.text
    after = _now(session, delivery.id)
    assert (after.status, after.attempt) == ("failed", 5)


def test_a_retry_sends_the_approved_words_and_a_late_one_waits_for_send_late(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    """The text prints its date; a retry moves when it is tried, not what it says.

    Before, the retry rendered the text for "now" ("Out on <today>"), found it differed from
    what was approved, and refused. Now the approved words go again; long past its latest
    useful time, the claim holds it as late until a person retries it with ``send_late``.
    """
    delivery = _failed(
        session,
        tmp_path,
        at=datetime(2026, 1, 2, 18, 0, tzinfo=UTC),
        body="Out on {{ due.date }}: {{ production.title }}.",
    )

    answer = client.post(f"/deliveries/{delivery.id}/retry")

    assert answer.status_code == 200, answer.text
    now = datetime.now(UTC)
    lease = lease_deadline(now, 60)
    assert claim_due(engine, now=now, owner="t1", limit=10, lease_until=lease) == []
    held = _now(session, delivery.id)
    assert (held.status, held.held_for) == ("held", "late")
    assert "latest useful time" in (held.last_error or "")
    session.connection().execute(
        text(f"UPDATE delivery SET {FAILED}, held_for = NULL WHERE id = :id"), {"id": delivery.id}
    )
    session.commit()

    again = client.post(f"/deliveries/{delivery.id}/retry", json={"send_late": True})

    assert again.status_code == 200, again.text
    later = datetime.now(UTC)  # the retry made it due at the API's "now"
    assert claim_due(engine, now=later, owner="t2", limit=10, lease_until=lease) == [delivery.id]


def test_two_producers_retrying_at_once_send_it_once(
    session: Session, engine: Engine, backend: str, tmp_path: Path
) -> None:
    """The second retry reads the delivery while the first goes through and is published; it
    must find it no longer failed, not schedule it again."""
    delivery = _failed(session, tmp_path)
    session.commit()
    with Session(engine, expire_on_commit=False) as request:
        seen = request.get(Delivery, delivery.id)  # the route's access rule reads it first
        assert seen is not None
        done = threading.Event()

        def first_retry_then_published() -> None:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE delivery SET status = 'published', published_at = :at,"
                        " attempt = 1 WHERE id = :id AND status = 'failed'"
                    ),
                    {"id": delivery.id, "at": datetime.now(UTC)},
                )
            done.set()

        other = threading.Thread(target=first_retry_then_published, daemon=True)
        other.start()
        raced = done.wait(1.5)
        if backend == "postgres":
            assert raced
        try:
            service.retry_failed(
                session=request,
                delivery_id=delivery.id,
                now=datetime.now(UTC),
                actor="maya",
                reason=None,
            )
            request.commit()
            refused, why = False, ""
        except Conflict as exc:
            request.rollback()
            refused, why = True, str(exc)
        del seen
    other.join(60)
    after = _now(session, delivery.id)
    if raced:
        assert refused
        assert "published, not failed" in why
        assert after.status == "published"
    else:  # SQLite: the retry went first; the other found it no longer failed
        assert not refused
        assert after.status == "scheduled"
