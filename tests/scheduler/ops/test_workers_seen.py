"""`callsheet status` shows the workers seen, from their heartbeats, and says plainly when
deliveries are due and no worker is running: real `callsheet worker` processes, the real
command, each database.

Each test gives its worker a queue of its own (and asks `status` about that queue), so the
session's shared workers, which beat on other queues, never count as this queue's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.cli.processes import settings_env
from scheduler.core.clock import Clock
from scheduler.core.config import Settings
from scheduler.core.migrate import upgrade
from scheduler.core.models import WorkerHeartbeat
from scheduler.queue.heartbeats import WorkerIdentity, record_beat
from scheduler.queue.service import SchedulerService
from tests import factories
from tests.conftest import CALLSHEET, RUN, WorkerProcess, test_settings

#: Fast heartbeats, so silence shows within two seconds.
BEAT = 0.4


@pytest.fixture
def settings(database_url: str, redis_broker: str) -> Settings:
    queue = f"callsheet-test-{RUN}-seen-{uuid.uuid4().hex[:6]}"
    return test_settings(
        database_url, redis_broker, queue_name=queue, worker_heartbeat_seconds=BEAT
    )


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        started.append(WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log"))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def _status(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*CALLSHEET, "status", *args],
        env={**os.environ, **settings_env(settings), "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


def _shown(settings: Settings) -> dict[str, Any]:
    return json.loads(_status(settings, "--json").stdout)  # type: ignore[no-any-return]


def _mine(shown: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    return [w for w in shown["workers"] if w["queue"] == settings.queue_name]


def _due_delivery(session: Session, tmp_path: Path) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    factories.approved_post(
        session, production.id or 0, [account], at=datetime.now(UTC) - timedelta(minutes=5)
    )
    session.commit()


def _eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.1)


def test_a_running_worker_is_listed_and_shown_stopped_after_a_clean_shutdown(
    session: Session,
    settings: Settings,
    start_worker: Callable[[], WorkerProcess],
    tmp_path: Path,
) -> None:
    _due_delivery(session, tmp_path)
    worker = start_worker()

    shown = _shown(settings)
    [seen] = _mine(shown, settings)
    assert seen["name"].startswith(f"callsheet-{worker.process.pid}@")
    assert seen["state"] == "alive"
    assert seen["concurrency"] == settings.worker_concurrency
    assert seen["seconds_ago"] < 5
    assert shown["workers_alive"] == 1
    assert shown["no_worker"] is None  # a delivery is due, but a worker is there to take it

    first = datetime.fromisoformat(seen["last_seen_at"])
    time.sleep(BEAT * 3)
    [again] = _mine(_shown(settings), settings)
    assert datetime.fromisoformat(again["last_seen_at"]) > first  # it keeps beating
    assert again["started_at"] == seen["started_at"]

    screen = _status(settings).stdout
    assert seen["name"] in screen
    assert "alive" in screen
    assert " s ago" in screen
    assert "no worker" not in screen

    worker.stop()
    shown = _shown(settings)
    [gone] = _mine(shown, settings)
    assert gone["state"] == "stopped"
    assert gone["stopped_at"] is not None
    assert shown["workers_alive"] == 0
    assert "no worker running on queue" in shown["no_worker"]
    assert f"{seen['name']} stopped" in shown["no_worker"]
    assert "1 due delivery waits" in shown["no_worker"]
    assert "no worker running on queue" in _status(settings).stdout


def test_a_worker_killed_outright_goes_silent_after_three_missed_heartbeats(
    session: Session,
    settings: Settings,
    start_worker: Callable[[], WorkerProcess],
    tmp_path: Path,
) -> None:
    _due_delivery(session, tmp_path)
    worker = start_worker()
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait()

    def silent() -> bool:
        return [w["state"] for w in _mine(_shown(settings), settings)] == ["silent"]

    _eventually(silent)
    shown = _shown(settings)
    assert shown["workers_alive"] == 0
    assert shown["no_worker"].startswith("no worker seen in the last ")
    assert "went silent" in shown["no_worker"]
    screen = _status(settings).stdout
    assert "silent" in screen
    assert "no worker seen in the last" in screen


def test_due_deliveries_and_no_worker_ever_seen_are_said_plainly(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    assert _shown(settings)["no_worker"] is None  # nothing due: nothing to warn about

    _due_delivery(session, tmp_path)
    shown = _shown(settings)
    assert _mine(shown, settings) == []
    assert shown["workers_alive"] == 0
    assert shown["no_worker"].startswith(
        f"no worker seen in the last 24 hours on queue '{settings.queue_name}'"
    )
    assert "no worker seen in the last 24 hours" in _status(settings).stdout


def test_health_with_workers_fails_until_a_worker_beats_on_the_queue(
    settings: Settings, start_worker: Callable[[], WorkerProcess]
) -> None:
    def health() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CALLSHEET, "health", "--workers"],
            env={**os.environ, **settings_env(settings), "COLUMNS": "250"},
            capture_output=True,
            text=True,
            timeout=60,
        )

    none = health()
    assert none.returncode == 1
    assert "none alive on queue" in none.stdout
    assert "none seen in the last 24 hours" in none.stdout

    worker = start_worker()
    alive = health()
    assert alive.returncode == 0, alive.stdout
    assert "1 alive on queue" in alive.stdout

    worker.stop()
    stopped = health()
    assert stopped.returncode == 1
    assert f"callsheet-{worker.process.pid}@" in stopped.stdout
    assert "stopped" in stopped.stdout


def test_a_worker_keeps_running_while_the_database_is_away_and_beats_once_it_is_back(
    redis_broker: str, tmp_path: Path
) -> None:
    """SQLite in a folder that does not exist yet: every write fails as if the database
    were away. The worker still serves, says so once, and is seen when the database comes."""
    url = f"sqlite:///{tmp_path / 'later' / 'callsheet.db'}"
    queue = f"callsheet-test-{RUN}-away-{uuid.uuid4().hex[:6]}"
    settings = test_settings(url, redis_broker, queue_name=queue, worker_heartbeat_seconds=BEAT)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        time.sleep(BEAT * 5)
        assert worker.process.poll() is None
        assert worker.log().count("heartbeat not recorded") == 1

        (tmp_path / "later").mkdir()
        upgrade(url)
        _eventually(lambda: "heartbeats recorded again" in worker.log())
        [seen] = _mine(_shown(settings), settings)
        assert seen["state"] == "alive"
    finally:
        worker.stop()
    assert worker.log().count("heartbeat not recorded") == 1


def test_the_scheduler_forgets_workers_not_seen_for_a_day(
    engine: Engine, session: Session, settings: Settings
) -> None:
    now = datetime.now(UTC)
    for name, seen in (("callsheet-1@gone", now - timedelta(days=2)), ("callsheet-2@here", now)):
        identity = WorkerIdentity(
            name=name, queue=settings.queue_name, concurrency=4, heartbeat_seconds=BEAT
        )
        record_beat(engine, identity, started_at=seen, now=seen)
    SchedulerService(engine=engine, settings=settings, clock=Clock(), send=_no_send).reap()

    mine = WorkerHeartbeat.queue == settings.queue_name
    left = session.exec(select(WorkerHeartbeat.name).where(mine)).all()
    session.rollback()  # on SQLite every transaction holds the write lock: let `status` in
    assert left == ["callsheet-2@here"]
    assert [w["name"] for w in _mine(_shown(settings), settings)] == ["callsheet-2@here"]


def _no_send(ids: list[int], owner: str) -> None:
    raise AssertionError("nothing is due")
