"""Prometheus metrics as Prometheus would scrape them: from the API's /metrics and from the
scheduler's and a prefork worker's own ports, while real processes publish."""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.cli.processes import settings_env, stop_process
from scheduler.core.config import get_settings
from scheduler.queue.heartbeats import WorkerIdentity, record_beat, record_stop
from tests import factories
from tests.conftest import CALLSHEET, REDIS_URL, free_port, test_settings
from tests.running import get_when_up, statuses


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_the_api_serves_the_queue_as_the_database_has_it(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    for hours in (3, 1):
        factories.approved_post(
            session, production.id or 0, [account], at=datetime.now(UTC) - timedelta(hours=hours)
        )
    factories.approved_post(
        session, production.id or 0, [account], at=datetime.now(UTC) + timedelta(days=1)
    )
    session.commit()
    answer = client.get("/metrics", headers={"Authorization": ""})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples = _samples(answer.text)
    assert samples[("callsheet_deliveries", (("status", "scheduled"),))] == 3
    assert samples[("callsheet_deliveries", (("status", "published"),))] == 0
    assert samples[("callsheet_queue_depth", ())] == 2
    assert 3 * 3600 - 120 < samples[("callsheet_oldest_due_seconds", ())] < 3 * 3600 + 120


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_prefork_worker_and_the_scheduler_serve_what_they_counted(
    engine: Engine, session: Session, database_url: str, tmp_path: Path
) -> None:
    """Three posts published by a two-process worker pool: its main process serves the sum
    of its children's counts (before, each process counted alone and served nothing)."""
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    for _ in range(3):
        factories.approved_post(session, production.id or 0, [account])
    session.commit()
    settings = test_settings(database_url, REDIS_URL, queue_name=f"metrics-{os.getpid()}")
    worker_port, scheduler_port = free_port(), free_port()
    env = {**os.environ, **settings_env(settings)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with ExitStack() as logs:
        worker = subprocess.Popen(
            [*CALLSHEET, "worker", "--pool", "prefork", "--concurrency", "2"],
            env={**env, "CALLSHEET_METRICS_PORT": str(worker_port)},
            stdout=logs.enter_context((tmp_path / "worker.log").open("wb")),
            stderr=subprocess.STDOUT,
        )
        scheduler = subprocess.Popen(
            [*CALLSHEET, "scheduler"],
            env={**env, "CALLSHEET_METRICS_PORT": str(scheduler_port)},
            stdout=logs.enter_context((tmp_path / "scheduler.log").open("wb")),
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if set(statuses(engine).values()) == {"published"}:
                    break
                time.sleep(0.3)
            printed = (tmp_path / "worker.log").read_text(errors="replace")
            assert set(statuses(engine).values()) == {"published"}, printed
            worker_text = get_when_up(f"http://127.0.0.1:{worker_port}").text
            worker_samples = _samples(worker_text)
            published = ("platform", "outbox"), ("status", "published")
            assert worker_samples[("callsheet_deliveries_settled_total", published)] == 3
            lateness = ("callsheet_publish_lateness_seconds_count", (("platform", "outbox"),))
            assert worker_samples[lateness] == 3
            scheduler_samples = _samples(get_when_up(f"http://127.0.0.1:{scheduler_port}").text)
            assert scheduler_samples[("callsheet_claims_per_tick_sum", ())] == 3
        finally:
            stop_process(scheduler)
            stop_process(worker)


def test_the_commands_import_no_metrics_before_they_choose_how_to_count() -> None:
    """prometheus-client fixes how it counts when first imported: a command that imported it
    before ``share_between_processes`` would serve a prefork pool's counts as zeros."""
    imported = subprocess.run(
        [
            CALLSHEET[0],
            "-c",
            "import sys, scheduler.cli.main; print('prometheus_client' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.stdout.strip() == "False"


def test_a_metrics_token_closes_metrics_to_everyone_without_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "CALLSHEET_DATABASE_URL": sqlite_url,
        "CALLSHEET_METRICS_TOKEN": "scrape-secret-7f3a",
    }
    with (tmp_path / "api.log").open("wb") as log:
        api = subprocess.Popen(
            [*CALLSHEET, "api", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        try:
            url = f"http://127.0.0.1:{port}/metrics"
            assert get_when_up(url).status_code == 401
            wrong = httpx.get(url, headers={"Authorization": "Bearer guess"})
            assert wrong.status_code == 401
            right = httpx.get(url, headers={"Authorization": "Bearer scrape-secret-7f3a"})
            assert right.status_code == 200
            assert "callsheet_deliveries" in right.text
        finally:
            stop_process(api)
    assert "scrape-secret-7f3a" not in (tmp_path / "api.log").read_text()


def test_the_api_counts_the_workers_alive_on_each_queue(
    client: httpx.Client, engine: Engine
) -> None:
    """Zero on the API's own queue before any worker beats (an alert can fire on it), then
    the live ones per queue: a stopped or silent worker is not counted."""
    queue = get_settings().queue_name

    def alive() -> dict[str, float]:
        samples = _samples(client.get("/metrics", headers={"Authorization": ""}).text)
        return {
            dict(labels)["queue"]: value
            for (name, labels), value in samples.items()
            # The session's shared workers beat on queues of their own: left out.
            if name == "callsheet_workers_alive" and dict(labels)["queue"] in (queue, "other")
        }

    assert alive() == {queue: 0}
    now = datetime.now(UTC)
    for name, on, seen in (
        ("callsheet-1@a", queue, now),
        ("callsheet-2@a", queue, now - timedelta(minutes=5)),  # silent: 3 beats missed
        ("callsheet-3@a", queue, now),
        ("callsheet-4@b", "other", now),
    ):
        identity = WorkerIdentity(name=name, queue=on, concurrency=2, heartbeat_seconds=15)
        record_beat(engine, identity, started_at=seen, now=seen)
    record_stop(engine, "callsheet-3@a", now=now)
    assert alive() == {queue: 1, "other": 1}
