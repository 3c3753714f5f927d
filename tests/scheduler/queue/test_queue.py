"""The database as the queue, on SQLite and PostgreSQL: claims, fences, leases."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.core.clock import Clock
from scheduler.core.models import AuditEvent, Delivery, DeliveryStatus
from scheduler.queue.claims import claim_due
from scheduler.queue.publishing import DeliveryProgress, NotOwned, Outcome, fence, fence_one, finish
from scheduler.queue.reaper import reap_expired
from scheduler.queue.service import SchedulerService
from tests import factories
from tests.conftest import test_settings
from workers.jobs import load_jobs


def _seed(session: Session, tmp_path: Path, *, posts: int, accounts: int = 2) -> list[int]:
    production = factories.production(session)
    targets = [
        factories.outbox_account(session, tmp_path / f"out{i}.jsonl", f"@acct{i}")
        for i in range(accounts)
    ]
    for _ in range(posts):
        factories.approved_post(session, production.id or 0, targets)
    session.commit()
    ids = sorted(d.id or 0 for d in session.exec(select(Delivery)))
    session.commit()  # end the read: on SQLite every transaction holds the write lock
    return ids


def _later(minutes: float = 5) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def test_claim_takes_only_due_approved_deliveries(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    due = factories.approved_post(session, production.id or 0, [account])
    factories.approved_post(session, production.id or 0, [account], at=_later(60))
    factories.post(session, production.id or 0, [account])  # due, but never approved
    session.commit()

    claimed = claim_due(engine, now=datetime.now(UTC), owner="t1", limit=100, lease_until=_later())

    (only,) = session.exec(select(Delivery).where(Delivery.post_id == due.id)).all()
    assert claimed == [only.id]
    session.refresh(only)
    assert (only.status, only.lease_owner, only.attempt) == ("claimed", "t1", 1)


def test_two_schedulers_racing_claim_each_delivery_once(
    session: Session, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ids = _seed(session, tmp_path, posts=150)  # 300 deliveries, all due
    settings = test_settings(database_url, "memory://", claim_batch=7, message_batch=3)
    sent: dict[str, list[int]] = {}
    lock = threading.Lock()

    def record(batch: list[int], owner: str) -> None:
        with lock:
            sent.setdefault(owner, []).extend(batch)
        # Sending takes a moment, as a broker does: a busy machine cannot let one scheduler
        # claim the whole backlog before the other is even running.
        time.sleep(0.005)

    services = [
        SchedulerService(engine=engine, settings=settings, clock=Clock(), send=record)
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)

    def run(service: SchedulerService) -> None:
        barrier.wait()
        while service.tick():
            pass

    threads = [threading.Thread(target=run, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    everything = [i for batch in sent.values() for i in batch]
    assert sorted(everything) == ids  # every delivery sent, none twice
    owners_by_service = {s.name for s in services}
    assert {owner.rsplit(":", 1)[0] for owner in sent} == owners_by_service  # both took part
    statuses = {d.status for d in session.exec(select(Delivery))}
    assert statuses == {"claimed"}


def test_fence_lets_one_message_through_and_drops_duplicates_and_stale_ones(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    ids = _seed(session, tmp_path, posts=2, accounts=1)
    claimed = claim_due(
        engine, now=datetime.now(UTC), owner="claim-1", limit=10, lease_until=_later()
    )
    assert claimed == ids

    assert fence(engine, ids=ids, owner="claim-1", lease_until=_later()) == ids
    assert fence(engine, ids=ids, owner="claim-1", lease_until=_later()) == []  # duplicate
    assert fence(engine, ids=ids, owner="claim-0", lease_until=_later()) == []  # stale owner


def test_reaper_takes_back_unfenced_claims_and_marks_lost_publishes_unknown(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    first, second = _seed(session, tmp_path, posts=2, accounts=1)
    past = datetime.now(UTC) - timedelta(seconds=1)
    claim_due(engine, now=datetime.now(UTC), owner="gone", limit=10, lease_until=past)
    fence(engine, ids=[second], owner="gone", lease_until=past)

    reaped = reap_expired(engine, now=datetime.now(UTC), lookup_at=datetime.now(UTC))

    assert (reaped.reclaimed, reaped.unknown) == ([first], [second])
    rows = {d.id: d for d in session.exec(select(Delivery))}
    session.commit()
    assert (rows[first].status, rows[first].attempt, rows[first].lease_owner) == (
        "scheduled",
        0,
        None,
    )
    assert rows[second].status == "unknown"
    assert "may exist" in (rows[second].last_error or "")
    # The late worker's real answer still lands, and is audited.
    outcome = Outcome(
        status=DeliveryStatus.published, external_id="x1", published_at=datetime.now(UTC)
    )
    assert finish(engine, delivery_id=second, owner="gone", outcome=outcome, actor="w")
    session.expire_all()
    assert session.get(Delivery, second).status == "published"  # type: ignore[union-attr]
    actions = [
        e.action
        for e in session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "delivery", AuditEvent.entity_id == second
            )
        )
    ]
    assert actions == ["delivery.unknown", "delivery.published"]


def test_a_claim_whose_message_cannot_be_sent_is_given_back(
    session: Session, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ids = _seed(session, tmp_path, posts=3, accounts=1)

    def broken(batch: list[int], owner: str) -> None:
        raise ConnectionError("broker down")

    settings = test_settings(database_url, "memory://")
    service = SchedulerService(engine=engine, settings=settings, clock=Clock(), send=broken)
    assert service.tick() == 0
    rows = session.exec(select(Delivery)).all()
    assert sorted(d.id for d in rows) == ids
    assert {(d.status, d.attempt, d.lease_owner) for d in rows} == {("scheduled", 0, None)}


def test_a_long_hostname_still_makes_claims_that_fit_the_lease_owner_column(
    session: Session,
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Container hostnames can be long; PostgreSQL refuses an owner longer than the column."""
    ids = _seed(session, tmp_path, posts=2, accounts=1)
    monkeypatch.setattr(socket, "gethostname", lambda: "pod-" + "x" * 196)
    sent: list[str] = []
    settings = test_settings(database_url, "memory://")
    service = SchedulerService(
        engine=engine, settings=settings, clock=Clock(), send=lambda _ids, owner: sent.append(owner)
    )

    assert service.tick() == len(ids)

    [owner] = sent
    rows = session.exec(select(Delivery)).all()
    assert {(d.status, d.lease_owner) for d in rows} == {("claimed", owner)}
    assert len(owner) <= 80


def test_a_reaped_publish_waits_the_lookup_delay_before_it_is_claimed_again(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    """Its worker may only be slow: the lookup must not run before the answer could land."""
    [delivery_id] = _seed(session, tmp_path, posts=1, accounts=1)
    past = datetime.now(UTC) - timedelta(seconds=1)
    claim_due(engine, now=datetime.now(UTC), owner="slow", limit=10, lease_until=past)
    fence(engine, ids=[delivery_id], owner="slow", lease_until=past)
    lookup_at = _later(1)

    reaped = reap_expired(engine, now=datetime.now(UTC), lookup_at=lookup_at)

    assert reaped.unknown == [delivery_id]
    assert (
        claim_due(engine, now=datetime.now(UTC), owner="next", limit=10, lease_until=_later()) == []
    )
    assert claim_due(engine, now=_later(2), owner="next", limit=10, lease_until=_later()) == [
        delivery_id
    ]


def test_progress_of_a_delivery_no_longer_held_is_refused_and_stops_the_work(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    """A late worker's step must not overwrite the new holder's, nor carry on publishing."""
    [delivery_id] = _seed(session, tmp_path, posts=1, accounts=1)
    claim_due(engine, now=datetime.now(UTC), owner="old", limit=10, lease_until=_later())
    [job] = load_jobs(engine, [delivery_id])
    with engine.connect() as conn:
        assert fence_one(conn, delivery_id=delivery_id, owner="old", lease_until=_later())
        progress = DeliveryProgress(conn, job.delivery, "old", lease_seconds=60)
        progress.save(rkeys=["first"])
        reap_expired(engine, now=_later(10), lookup_at=datetime.now(UTC))  # the lease ran out
        claim_due(engine, now=datetime.now(UTC), owner="new", limit=10, lease_until=_later())

        with pytest.raises(NotOwned):
            progress.save(rkeys=["second"])
        assert not fence_one(conn, delivery_id=delivery_id, owner="old", lease_until=_later())
    session.expire_all()
    row = session.get(Delivery, delivery_id)
    assert row is not None
    assert (row.status, row.lease_owner, row.platform_state) == (
        "claimed",
        "new",
        {"rkeys": ["first"]},
    )
