"""The log as a pipeline reads it (CALLSHEET_LOG_FORMAT=json) and as a person reads it: one JSON
object per line with the ids of each delivery's state change, and nothing said by idle ticks."""

from __future__ import annotations

import json
import os
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.cli.processes import settings_env, stop_process
from tests import factories
from tests.conftest import CALLSHEET, REDIS_URL, RUN, test_settings
from tests.running import statuses

#: The one line Celery writes to the terminal itself, not through logging, as it stops.
CELERY_SAYS_STOPPING = "worker: Warm shutdown (MainProcess)"


def _lines(path: Path) -> list[str]:
    text = path.read_text(errors="replace")
    return [line for line in text.splitlines() if line.strip() and line != CELERY_SAYS_STOPPING]


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["sqlite"])
def test_json_logs_carry_each_state_change_with_its_ids_and_idle_ticks_say_nothing(
    engine: Engine, session: Session, database_url: str, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    posts = [factories.approved_post(session, production.id or 0, [account]) for _ in range(2)]
    session.commit()
    settings = test_settings(
        database_url,
        REDIS_URL,
        queue_name=f"callsheet-test-{RUN}-json-logs",
        secret_keys=Fernet.generate_key().decode(),
        log_format="json",
        tick_seconds=0.2,
    )
    env = {**os.environ, **settings_env(settings)}
    with ExitStack() as files:
        started = {
            name: subprocess.Popen(
                [*CALLSHEET, *command],
                env=env,
                stdout=files.enter_context((tmp_path / f"{name}.log").open("wb")),
                stderr=subprocess.STDOUT,
            )
            for name, command in (("worker", ["worker"]), ("scheduler", ["scheduler"]))
        }
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and set(statuses(engine).values()) != {"published"}:
                time.sleep(0.2)
            assert set(statuses(engine).values()) == {"published"}
            time.sleep(2)  # ten idle ticks
        finally:
            for process in started.values():
                stop_process(process)
    for name in started:
        for line in _lines(tmp_path / f"{name}.log"):
            entry = json.loads(line)  # every other line, Celery's banner and warnings included
            assert {"at", "level", "logger", "message"} <= entry.keys(), line
    worker = [json.loads(line) for line in _lines(tmp_path / "worker.log")]
    settled = [e for e in worker if e.get("status") == "published" and "delivery_id" in e]
    assert sorted(e["post_id"] for e in settled) == sorted(p.id for p in posts)
    for entry in settled:
        assert entry["account_id"] == account.id
        assert entry["production_id"] == production.id
        assert entry["platform"] == "outbox"
    scheduler = [json.loads(line) for line in _lines(tmp_path / "scheduler.log")]
    claims = [e for e in scheduler if e.get("status") == "claimed"]
    assert sum(len(json.loads(e["delivery_ids"])) for e in claims) == 2
    # Started, the claims, stopping: never a line per idle tick (APScheduler said two a tick).
    assert len(scheduler) < 10, [e["message"] for e in scheduler]
