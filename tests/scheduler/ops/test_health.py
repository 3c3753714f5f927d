"""Readiness as a deployment reads it: `callsheet health` (compose's health checks for the
scheduler and the worker) and the API's /readyz, on real databases and a real broker."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from scheduler.cli.processes import stop_process
from tests.conftest import CALLSHEET, REDIS_URL, free_port
from tests.running import get_when_up


def _health(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALLSHEET, "health", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.redis
def test_health_says_what_to_run_when_the_schema_is_missing_then_ready(tmp_path: Path) -> None:
    env = {
        "CALLSHEET_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "CALLSHEET_BROKER_URL": REDIS_URL,
    }
    missing = _health(env)
    assert missing.returncode == 1
    assert "run `callsheet db upgrade`" in missing.stdout
    upgraded = subprocess.run(
        [*CALLSHEET, "db", "upgrade"], env={**os.environ, **env}, capture_output=True, timeout=60
    )
    assert upgraded.returncode == 0
    ready = _health(env)
    assert ready.returncode == 0, ready.stdout
    assert "not ready" not in ready.stdout


def test_health_fails_when_the_broker_does_not_answer(sqlite_url: str) -> None:
    closed = free_port()
    down = _health(
        {
            "CALLSHEET_DATABASE_URL": sqlite_url,
            "CALLSHEET_BROKER_URL": f"redis://127.0.0.1:{closed}/0",
        }
    )
    assert down.returncode == 1
    assert "broker" in down.stdout
    assert "does not answer" in down.stdout
    assert str(closed) not in down.stdout  # says what, not the URL (it may hold a password)


@pytest.mark.redis
def test_readyz_is_503_until_the_schema_is_at_head_and_health_asks_it(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CALLSHEET_DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}",
        "CALLSHEET_BROKER_URL": REDIS_URL,
    }
    port = free_port()
    with (tmp_path / "api.log").open("wb") as log:
        api = subprocess.Popen(
            [*CALLSHEET, "api", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        try:
            base = f"http://127.0.0.1:{port}"
            assert get_when_up(f"{base}/healthz").status_code == 200
            behind = httpx.get(f"{base}/readyz")
            assert behind.status_code == 503
            assert behind.json()["checks"]["schema"]["ok"] is False
            asked = _health(env, "--api", base)
            assert asked.returncode == 1
            subprocess.run([*CALLSHEET, "db", "upgrade"], env=env, capture_output=True, timeout=60)
            assert httpx.get(f"{base}/readyz").status_code == 200
            assert _health(env, "--api", base).returncode == 0
        finally:
            stop_process(api)
    assert _health(env, "--api", base).returncode == 1  # the API is gone: not ready
