"""End to end through a real Celery worker process on Redis, on SQLite and PostgreSQL.

The scheduler service ticks in the test process; the worker is a separate ``callsheet worker``
process; the outbox is a real file and the webhook a real local HTTP receiver.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from sandbox.receiver import WebhookReceiver
from scheduler.core.models import Account, AuditEvent, Delivery, Post
from scheduler.queue.claims import claim_due, lease_deadline
from scheduler.queue.messages import PUBLISH_TASK, create_celery
from tests import factories
from tests.conftest import WorkerProcess
from tests.running import all_final, run_until, service_for, statuses


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


def _outbox(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_worker_publishes_to_outbox_and_signed_webhook(
    session: Session,
    engine: Engine,
    worker: WorkerProcess,
    receiver: WebhookReceiver,
    tmp_path: Path,
) -> None:
    production = factories.production(session)
    outbox = factories.outbox_account(session, tmp_path / "feed.jsonl")
    hook = factories.webhook_account(session, receiver.url, receiver.secret)
    for take in (1, 2, 3):
        factories.approved_post(
            session, production.id or 0, [outbox, hook], variables={"take": take}
        )
    session.commit()

    final = run_until(engine, service_for(engine, worker), worker, all_final)

    assert set(final.values()) == {"published"}
    lines = _outbox(tmp_path / "feed.jsonl")
    texts = sorted(str(line["text"]) for line in lines)
    assert texts == [f"Night shift, take {n}: the crew of Night Shift at work." for n in (1, 2, 3)]
    assert (receiver.count, receiver.bad_signatures) == (3, 0)
    assert sorted(r["text"] for r in receiver.received) == texts
    deliveries = session.exec(select(Delivery)).all()
    for delivery in deliveries:
        session.refresh(delivery)
        assert delivery.external_id
        assert delivery.published_at is not None
    published = session.exec(
        select(AuditEvent).where(AuditEvent.action == "delivery.published")
    ).all()
    assert len(published) == 6


def test_a_duplicate_celery_message_publishes_nothing_twice(
    session: Session,
    engine: Engine,
    worker: WorkerProcess,
    receiver: WebhookReceiver,
    tmp_path: Path,
) -> None:
    production = factories.production(session)
    outbox = factories.outbox_account(session, tmp_path / "feed.jsonl")
    hook = factories.webhook_account(session, receiver.url, receiver.secret)
    for take in (1, 2):
        factories.approved_post(
            session, production.id or 0, [outbox, hook], variables={"take": take}
        )
    session.commit()
    ids = claim_due(
        engine,
        now=datetime.now(UTC),
        owner="claim-dup",
        limit=10,
        lease_until=lease_deadline(datetime.now(UTC), 300),
    )
    assert len(ids) == 4
    app = create_celery(worker.settings)
    for _ in range(3):  # the same message, delivered three times
        app.send_task(PUBLISH_TASK, args=[ids, "claim-dup"], queue=worker.settings.queue_name)

    run_until(engine, None, worker, all_final)
    time.sleep(1.0)  # let the duplicates arrive and be dropped

    assert set(statuses(engine).values()) == {"published"}
    assert len(_outbox(tmp_path / "feed.jsonl")) == 2
    assert receiver.count == 2
    assert "dropped" in worker.log()


def test_content_changed_after_approval_is_held_not_published(
    session: Session, engine: Engine, worker: WorkerProcess, tmp_path: Path
) -> None:
    production = factories.production(session)
    outbox = factories.outbox_account(session, tmp_path / "feed.jsonl")
    post = factories.approved_post(session, production.id or 0, [outbox])
    session.commit()
    # Something changes the words behind the review's back (not through the API).
    stored = session.get(Post, post.id)
    assert stored is not None
    stored.variables = {"take": 99}
    session.add(stored)
    session.commit()

    final = run_until(engine, service_for(engine, worker), worker, all_final)

    assert list(final.values()) == ["held"]
    delivery = session.exec(select(Delivery)).one()
    session.refresh(delivery)
    assert "differs from what was approved" in (delivery.last_error or "")
    assert _outbox(tmp_path / "feed.jsonl") == []


def test_an_unreachable_webhook_is_retried_later_not_failed(
    session: Session, engine: Engine, worker: WorkerProcess
) -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    production = factories.production(session)
    hook = factories.webhook_account(
        session, f"http://127.0.0.1:{port}/hook", "s" * 32, handle="#down"
    )
    factories.approved_post(session, production.id or 0, [hook])
    session.commit()

    final = run_until(
        engine, service_for(engine, worker), worker, lambda s: set(s.values()) == {"retrying"}
    )

    assert list(final.values()) == ["retrying"]
    delivery = session.exec(select(Delivery)).one()
    session.refresh(delivery)
    assert delivery.attempt == 1
    assert delivery.last_error
    assert session.get(Account, delivery.account_id) is not None


def test_a_post_that_names_its_time_is_published_after_a_retry_not_held(
    session: Session, engine: Engine, worker: WorkerProcess
) -> None:
    """A retry moves when the delivery is tried next, not what the approved text says.

    The channel asks to be tried again later (429) once. Before, the retry's new due time
    reached the rendering, "18:00" became "18:01", and the delivery was held as differing from
    what was approved.
    """
    receiver = WebhookReceiver(throttled=1)
    receiver.start()
    try:
        production = factories.production(session)
        hook = factories.webhook_account(session, receiver.url, receiver.secret)
        factories.approved_post(
            session, production.id or 0, [hook], body="Doors open at {{ due.time }}."
        )
        session.commit()
        planned = session.exec(select(Delivery)).one().due_at
        session.commit()  # on SQLite a read holds the write lock until its transaction ends
        final = run_until(engine, service_for(engine, worker), worker, all_final, timeout=60)
    finally:
        receiver.stop()
    assert list(final.values()) == ["published"]
    (said,) = [item["text"] for item in receiver.received]
    assert said == f"Doors open at {planned.astimezone(ZoneInfo('Europe/London')):%H:%M}."
