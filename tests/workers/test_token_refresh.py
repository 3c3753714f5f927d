"""One token refresh per account at a time: parallel batches for one X account whose access
token has run out, against the sandbox's X, which rotates refresh tokens and refuses a spent
one as X does. Real worker processes on Redis, SQLite and PostgreSQL, real HTTP.

The sandbox's token endpoint is made slow (it spends the refresh token at once, then answers
seconds later) so every batch has read the old token before the first refresh is stored: the
window two workers meet in, widened so the test does not depend on the machine's load.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from sandbox.control import SandboxControl
from scheduler.accounts.connections import adapter_settings, create_account
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.clock import Clock
from scheduler.core.models import Account, DeliveryStatus
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories
from tests.conftest import WorkerProcess, test_settings
from tests.running import all_final, run_until, service_for, statuses
from workers.publish import publish_batch

TAKES = (1, 2, 3, 4)
OLD_REFRESH = "refresh-token-0001:nightshiftfilm"
#: The sandbox's token endpoint answers this late, after spending the refresh token.
SLOW_REFRESH = 2.0


def _expired_x_account(session: Session, sandbox: SandboxControl) -> Account:
    """An X account whose access token ran out an hour ago: every batch must refresh first."""
    account = create_account(
        session=session,
        actor=factories.ACTOR,
        data=AccountCreate(
            platform="x",
            handle="@nightshiftfilm",
            settings={
                "base_url": sandbox.url("x"),
                "access_token": "access-token-0001:nightshiftfilm",
                "refresh_token": OLD_REFRESH,
                "token_expires_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                "client_id": "callsheet-app",
            },
        ),
    )
    production = factories.production(session)
    for take in TAKES:
        factories.approved_post(session, production.id or 0, [account], variables={"take": take})
    session.commit()
    return account


def _assert_refreshed_once_and_connected(
    session: Session, account: Account, sandbox: SandboxControl, log: str
) -> None:
    session.expire_all()
    stored = session.get_one(Account, account.id)
    assert stored.needs_reconnect is None, log
    assert len(sandbox.posts("x")) == len(TAKES)
    assert len(sandbox.records("x", kind="token")) == 1  # one refresh; the others adopted it
    assert adapter_settings(stored)["refresh_token"] != OLD_REFRESH  # the rotated one kept
    session.commit()


@pytest.fixture
def two_workers(
    database_url: str, redis_broker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[WorkerProcess]]:
    """Two worker processes on a queue of this test's own, one delivery per message."""
    queue = f"callsheet-test-refresh-{uuid.uuid4().hex[:8]}"
    settings = test_settings(
        database_url, redis_broker, queue_name=queue, message_batch=1, worker_concurrency=2
    )
    workers: list[WorkerProcess] = []
    try:
        for n in (1, 2):
            log = tmp_path_factory.mktemp(f"refresh-worker-{n}") / "worker.log"
            workers.append(WorkerProcess(settings, log))
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def test_parallel_batches_for_one_x_account_refresh_its_token_once_and_all_go_out(
    session: Session,
    engine: Engine,
    two_workers: list[WorkerProcess],
    sandbox: SandboxControl,
) -> None:
    """Four batches of one delivery each, on two worker processes: the first to take the
    account's lock refreshes, the rest wait, find the rotated tokens stored and use them. None
    spends the old refresh token a second time, so the account stays connected."""
    account = _expired_x_account(session, sandbox)
    sandbox.fault("x", "slow", path="oauth2/token", delay=SLOW_REFRESH)
    first, second = two_workers

    final = run_until(engine, service_for(engine, first), first, all_final, timeout=90)

    log = first.log() + second.log()
    assert set(final.values()) == {"published"}, log
    _assert_refreshed_once_and_connected(session, account, sandbox, log)


@pytest.mark.parametrize("broker", ["redis", "embedded"])
def test_two_batches_in_one_worker_refresh_once_under_either_lock(
    session: Session,
    engine: Engine,
    database_url: str,
    redis_broker: str,
    sandbox: SandboxControl,
    tmp_path: Path,
    broker: str,
) -> None:
    """Two threads publish two batches at once, each with its own adapter. With a Redis broker
    the lock is Redis's; with the embedded one (a SQLite file as broker) it is the account's
    row, locked in a transaction of its own on two real connections."""
    broker_url = redis_broker if broker == "redis" else f"sqla+sqlite:///{tmp_path / 'b.db'}"
    settings = test_settings(database_url, broker_url)
    account = _expired_x_account(session, sandbox)
    now = datetime.now(UTC)
    batches = {
        owner: claim_due(engine, now=now, owner=owner, limit=2, lease_until=lease_deadline(now, 60))
        for owner in ("scheduler:1:a:1", "scheduler:1:b:1")
    }
    assert sorted(len(ids) for ids in batches.values()) == [2, 2]
    sandbox.fault("x", "slow", path="oauth2/token", delay=SLOW_REFRESH)
    outcomes: dict[int, DeliveryStatus] = {}

    def publish(owner: str) -> None:
        outcomes.update(
            publish_batch(
                engine=engine,
                delivery_ids=batches[owner],
                owner=owner,
                settings=settings,
                clock=Clock(),
                actor=f"worker:test:{owner}",
            )
        )

    threads = [threading.Thread(target=publish, args=(owner,)) for owner in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert set(statuses(engine).values()) == {"published"}
    assert set(outcomes.values()) == {"published"}
    _assert_refreshed_once_and_connected(session, account, sandbox, "")
