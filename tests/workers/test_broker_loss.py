"""Losing the broker: Redis killed while a worker is publishing, and started again empty.

A real ``callsheet worker`` on a Redis of this test's own (``tests.brokers``), the scheduler's
tick and reaper driven from the test, and a slow signed-webhook receiver that counts every post
it is sent (it does not deduplicate). The posts fall due one after another, as a schedule does,
so when Redis dies the worker has a publish in hand and is also waiting on Redis for the next
message: the moment kombu used to crash the worker in (``scheduler.queue.broker``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from sandbox.receiver import WebhookReceiver
from scheduler.cli.processes import settings_env
from scheduler.core.config import Settings
from scheduler.queue.messages import create_celery
from scheduler.queue.service import SchedulerService
from tests import factories
from tests.brokers import RedisServer
from tests.conftest import CALLSHEET, WorkerProcess, test_settings
from tests.running import service_for, statuses

#: Seconds a claim or a publish is held: a message Redis lost costs about one of these.
LEASE = 6.0
POSTS = 8
#: Seconds between two posts' due times: one publish in the worker's hands at a time.
SPACING = 1.5
#: Seconds the receiver takes to answer a post: the window in which Redis is killed.
SLOW = 1.0
#: Seconds Redis stays down after each kill: back before the worker's next attempt to
#: reconnect, through one attempt (Celery retries every 2 s), through several.
DOWN = (0.2, 2.5, 5.0)


@dataclass
class BrokerLossRun:
    """What one run saw: the figures the reliability page quotes."""

    kills: int = 0
    published: int = 0
    duplicates: int = 0
    worker_exits: list[int] = field(default_factory=list)
    settle_seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"broker killed {self.kills}x: {self.published} posts published, "
            f"{self.duplicates} duplicates, worker exits {self.worker_exits or 'none'}, "
            f"all published {self.settle_seconds:.1f}s after the last restart"
        )


class Supervised:
    """A worker that is restarted when it exits non-zero, as ``Restart=on-failure`` would do;
    an exit 0 is left alone, as such a supervisor leaves it."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.exits: list[int] = []
        self.worker = self._start()

    def _start(self) -> WorkerProcess:
        return WorkerProcess(self.settings, self.log_dir / f"worker-{len(self.exits)}.log")

    def check(self) -> None:
        code = self.worker.process.poll()
        if code is None:
            return
        self.exits.append(code)
        assert code != 0, f"the worker exited 0, so nothing restarts it:\n{self.worker.log()}"
        self.worker.stop()
        self.worker = self._start()


@pytest.fixture
def broker() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.kill()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(delay=SLOW)
    receiver.start()
    yield receiver
    receiver.stop()


def _settings(database_url: str, broker: RedisServer) -> Settings:
    return test_settings(
        database_url,
        broker.url,
        lease_seconds=LEASE,
        message_batch=1,
        queue_name=f"callsheet-test-broker-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def supervised(database_url: str, broker: RedisServer, tmp_path: Path) -> Iterator[Supervised]:
    supervisor = Supervised(_settings(database_url, broker), tmp_path)
    yield supervisor
    supervisor.worker.stop()


def _text(take: int) -> str:
    return f"Night shift, take {take}: the crew of Night Shift at work."


def _step(service: SchedulerService, supervised: Supervised) -> None:
    """One turn of the scheduler process (reap, tick), then the supervisor's look."""
    service.reap()
    service.tick()  # while Redis is down the send fails and the claim is given back
    supervised.check()
    time.sleep(0.1)


def test_a_worker_lives_through_the_broker_killed_and_restarted_empty(
    session: Session,
    engine: Engine,
    broker: RedisServer,
    supervised: Supervised,
    receiver: WebhookReceiver,
) -> None:
    """Redis is killed three times, each time just after a post reached the receiver (its
    answer still on the way). Every delivery ends published, each post reached the receiver
    once, and the worker that started is the one that finished: it never stopped."""
    production = factories.production(session)
    hook = factories.webhook_account(session, receiver.url, receiver.secret)
    first = datetime.now(UTC) + timedelta(seconds=2)
    for take in range(1, POSTS + 1):
        at = first + timedelta(seconds=SPACING * (take - 1))
        factories.approved_post(
            session, production.id or 0, [hook], at=at, variables={"take": take}
        )
    session.commit()
    service = service_for(engine, supervised.worker)
    run = BrokerLossRun()

    deadline = time.monotonic() + 90
    for down in DOWN:
        reached = receiver.count
        while receiver.count == reached:  # a post just reached the receiver: kill now
            assert time.monotonic() < deadline, f"{statuses(engine)}\n{supervised.worker.log()}"
            _step(service, supervised)
        broker.kill()
        run.kills += 1
        time.sleep(down)
        service.tick()  # the scheduler meets the dead broker too: its claim is given back
        broker.start()
    restarted = time.monotonic()
    while set(statuses(engine).values()) != {"published"}:
        assert time.monotonic() < deadline, f"{statuses(engine)}\n{supervised.worker.log()}"
        _step(service, supervised)
    run.settle_seconds = time.monotonic() - restarted
    time.sleep(SLOW)  # a duplicate still on its way would land now
    supervised.check()

    made = Counter(r["text"] for r in receiver.received)
    run.published, run.duplicates = len(made), sum(made.values()) - len(made)
    run.worker_exits = supervised.exits
    print(run)
    assert made == {_text(take): 1 for take in range(1, POSTS + 1)}, str(run)
    assert receiver.bad_signatures == 0
    assert run.worker_exits == [], str(run)
    assert supervised.worker.process.poll() is None, supervised.worker.log()


def test_a_running_worker_reports_the_broker_settings_that_keep_messages_safe(
    broker: RedisServer, tmp_path: Path
) -> None:
    """Asked over Celery's remote control, the running worker reports a visibility timeout
    longer than its lease (Redis redelivers nothing while its claim lives), the guarded Redis
    transport, and that it lets a publish in hand finish when the broker goes away."""
    settings = _settings(f"sqlite:///{tmp_path / 'unused.db'}", broker)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        name = f"callsheet-{worker.process.pid}@{socket.gethostname()}"
        app = create_celery(settings)
        replies = app.control.inspect(destination=[name], timeout=10).conf()
        app.close()
    finally:
        worker.stop()

    assert replies is not None, worker.log()
    conf = replies[name]
    assert conf["broker_transport_options"]["visibility_timeout"] > LEASE
    assert conf["broker_transport"] == "scheduler.queue.broker:Transport"
    assert conf["worker_cancel_long_running_tasks_on_connection_loss"] is False


def test_a_worker_stopped_by_an_error_exits_non_zero(tmp_path: Path) -> None:
    """Celery stops a worker on an error it cannot recover from (here a broker URL whose
    database is not a number); the process must say so, or a supervisor that restarts on
    failure leaves it down."""
    settings = test_settings(f"sqlite:///{tmp_path / 'unused.db'}", "redis://127.0.0.1:1/crew")
    env = {**os.environ, **settings_env(settings)}
    done = subprocess.run(
        [*CALLSHEET, "worker"], env=env, capture_output=True, text=True, timeout=60
    )

    assert "Unrecoverable error" in done.stdout + done.stderr
    assert done.returncode != 0
