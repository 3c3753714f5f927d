"""A worker's hold on a delivery, end to end: leases that run out, and workers that die.

A real ``callsheet worker`` process with a short lease and a queue of its own, the sandbox over
HTTP, SQLite and PostgreSQL. Duplicates are counted where nothing is deduplicated: the
sandbox's Bluesky records and Discord messages, one per create that reached them.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from sandbox.control import SandboxControl
from scheduler.accounts.connections import create_account
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.clock import Clock
from scheduler.core.models import Account
from scheduler.queue.claims import claim_due, lease_deadline
from scheduler.queue.service import SchedulerService
from tests import factories
from tests.conftest import WorkerProcess, test_settings
from tests.running import all_final, service_for, statuses
from workers.publish import publish_batch

#: Seconds a claim or a publish is held: far shorter than the slow platform answers below.
LEASE = 2.0
TAKES = (1, 2, 3, 4)


@pytest.fixture
def short_lease_worker(
    database_url: str, redis_broker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """A worker of this test's own, on its own queue, whose leases last ``LEASE`` seconds."""
    settings = test_settings(
        database_url,
        redis_broker,
        lease_seconds=LEASE,
        queue_name=f"callsheet-test-lease-{uuid.uuid4().hex[:8]}",
    )
    worker = WorkerProcess(settings, tmp_path_factory.mktemp("lease-worker") / "worker.log")
    yield worker
    worker.stop()


def _text(take: int) -> str:
    return f"Night shift, take {take}: the crew of Night Shift at work."


def _posts(session: Session, account: Account) -> None:
    production = factories.production(session)
    for take in TAKES:
        factories.approved_post(session, production.id or 0, [account], variables={"take": take})
    session.commit()


def _drive(
    engine: Engine,
    service: SchedulerService,
    worker: WorkerProcess,
    done: Callable[[dict[int, str]], bool],
    timeout: float = 60,
) -> dict[int, str]:
    """Tick and reap, as the scheduler process does, until ``done`` (or fail with the log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.reap()
        service.tick()
        now = statuses(engine)
        if done(now):
            return now
        time.sleep(0.2)
    raise AssertionError(f"timed out: {statuses(engine)}\n--- worker log ---\n{worker.log()}")


def test_a_platform_slower_than_the_lease_gets_each_post_exactly_once(
    session: Session,
    engine: Engine,
    short_lease_worker: WorkerProcess,
    sandbox: SandboxControl,
) -> None:
    """Every Bluesky create answers after the lease ran out. The reaper takes the delivery back
    for a lookup, the late worker stops at its next step, and the lookup finds the post: one
    record per delivery (Bluesky keeps every record it is sent), all published, none
    ``failed`` or left ``unknown``."""
    account = factories.bluesky_account(session, sandbox.url("bluesky"))
    _posts(session, account)
    sandbox.fault("bluesky", "slow", path="createRecord", delay=LEASE + 1.5, times=len(TAKES) * 10)
    service = service_for(engine, short_lease_worker)

    # ``unknown`` is only a stop on the way (the lookup that finds the post): wait it out.
    _drive(engine, service, short_lease_worker, lambda now: set(now.values()) == {"published"})

    made = Counter(p["body"]["text"] for p in sandbox.posts("bluesky"))
    assert made == {_text(take): 1 for take in TAKES}, short_lease_worker.log()


def test_deliveries_a_killed_worker_never_tried_go_out_later_not_unknown(
    session: Session,
    engine: Engine,
    short_lease_worker: WorkerProcess,
    worker: WorkerProcess,
    sandbox: SandboxControl,
) -> None:
    """The worker is killed while Discord holds its first answer. Only that delivery may have
    gone out (Discord cannot be asked, so a person settles it); the three it never tried go
    back to be claimed and are published by the next worker, each once."""
    account = create_account(
        session=session,
        actor=factories.ACTOR,
        data=AccountCreate(
            platform="discord",
            handle="#bts",
            settings={
                "webhook_url": f"{sandbox.url('discord')}/api/webhooks/77/crew-token-0001",
                "timeout_seconds": 60,
            },
        ),
    )
    _posts(session, account)
    sandbox.fault("discord", "slow", delay=30)
    first = service_for(engine, short_lease_worker)
    assert first.tick() == len(TAKES)  # one claim, one message, to the worker about to die
    deadline = time.monotonic() + 30
    while not sandbox.posts("discord"):  # its first create reached Discord; the answer waits
        assert time.monotonic() < deadline, short_lease_worker.log()
        time.sleep(0.05)
    short_lease_worker.process.kill()
    short_lease_worker.process.wait(10)

    final = _drive(engine, service_for(engine, worker), worker, all_final)

    assert sorted(final.values()) == ["published", "published", "published", "unknown"]
    made = Counter(p["body"]["text"] for p in sandbox.posts("discord"))
    assert made == {_text(take): 1 for take in TAKES}


def test_a_worker_on_a_long_hostname_records_its_outcomes(
    session: Session, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """The worker names itself after its host in the audit trail; a container's long name must
    not make the outcome's commit fail on PostgreSQL after the post went out."""
    outbox = factories.outbox_account(session, tmp_path / "feed.jsonl")
    production = factories.production(session)
    factories.approved_post(session, production.id or 0, [outbox])
    session.commit()
    now = datetime.now(UTC)
    owner = "scheduler:1:abc:1"
    ids = claim_due(engine, now=now, owner=owner, limit=5, lease_until=lease_deadline(now, 60))

    outcomes = publish_batch(
        engine=engine,
        delivery_ids=ids,
        owner=owner,
        settings=test_settings(database_url, "memory://"),
        clock=Clock(),
        actor=f"worker:pod-{'x' * 196}:4242",
    )

    assert list(outcomes.values()) == ["published"]
    assert set(statuses(engine).values()) == {"published"}
