"""Removing an account while a real Celery worker and the scheduler run, on SQLite and
PostgreSQL: nothing of it is published afterwards, not even what a worker was already sent."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.core.models import Delivery
from scheduler.queue.claims import claim_due, lease_deadline
from scheduler.queue.messages import PUBLISH_TASK, create_celery
from tests import factories
from tests.conftest import WorkerProcess
from tests.running import all_final, run_until, service_for, statuses


def _published_lines(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_claim_in_a_workers_hands_is_not_published_after_removal(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    worker: WorkerProcess,
    tmp_path: Path,
) -> None:
    """The scheduler claimed the account's due deliveries and a message is on its way; the
    account is removed before the worker fences them. The fence finds them cancelled and the
    platform is never called. Another account's delivery in the same message still goes."""
    production = factories.production(session)
    removed = factories.outbox_account(session, tmp_path / "removed.jsonl")
    kept = factories.outbox_account(session, tmp_path / "kept.jsonl", "@elsewhere")
    for take in (1, 2):
        factories.approved_post(session, production.id or 0, [removed], variables={"take": take})
    factories.approved_post(session, production.id or 0, [kept])
    removed_id, kept_id = removed.id, kept.id
    session.commit()
    ids = claim_due(
        engine,
        now=datetime.now(UTC),
        owner="claim-before-removal",
        limit=10,
        lease_until=lease_deadline(datetime.now(UTC), 300),
    )
    assert len(ids) == 3

    answer = client.delete(f"/accounts/{removed_id}")
    assert answer.status_code == 200, answer.text
    app = create_celery(worker.settings)
    app.send_task(
        PUBLISH_TASK, args=[ids, "claim-before-removal"], queue=worker.settings.queue_name
    )
    final = run_until(engine, service_for(engine, worker), worker, all_final)
    time.sleep(1.0)  # a late publish would land now

    by_account = {
        d.account_id: d.status for d in session.exec(select(Delivery)) if d.account_id == kept_id
    }
    session.commit()
    assert sorted(final.values()) == ["cancelled", "cancelled", "published"]
    assert by_account == {kept_id: "published"}
    assert _published_lines(tmp_path / "removed.jsonl") == []
    assert len(_published_lines(tmp_path / "kept.jsonl")) == 1


def test_scheduled_and_approved_deliveries_never_go_out_after_removal(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    worker: WorkerProcess,
    tmp_path: Path,
) -> None:
    """Due now and approved: without the removal the next tick would publish them."""
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    for take in (1, 2, 3):
        factories.approved_post(session, production.id or 0, [account], variables={"take": take})
    account_id = account.id
    session.commit()

    answer = client.delete(f"/accounts/{account_id}")
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["cancelled"]) == 3
    service = service_for(engine, worker)
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        service.tick()
        time.sleep(0.2)

    assert set(statuses(engine).values()) == {"cancelled"}
    assert _published_lines(tmp_path / "feed.jsonl") == []
