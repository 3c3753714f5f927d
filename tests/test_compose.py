"""docker-compose.yml is kept true without a Docker engine: parsed here, its commands run here."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.cli.main import app
from scheduler.cli.processes import settings_env, stop_process
from scheduler.core.config import Settings
from scheduler.core.models import Delivery
from tests import factories
from tests.conftest import CALLSHEET, WorkerProcess

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"


def _services() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load(COMPOSE.read_text())["services"])


def _local(command: list[str]) -> list[str]:
    """A compose command as this machine runs it: `callsheet` from this interpreter."""
    assert command[0] == "callsheet"
    return [*CALLSHEET, *command[1:]]


def _resolve(args: list[str]) -> Any:
    """The command ``callsheet ARGS`` would run; fails if it does not exist or parse."""
    command: Any = typer.main.get_command(app)
    rest = list(args)
    while isinstance(getattr(command, "commands", None), dict):  # a group: descend
        name = rest.pop(0)
        assert name in command.commands, f"'callsheet' has no subcommand '{name}'"
        command = command.commands[name]
    command.make_context(command.name or "", rest)
    return command


def test_compose_has_the_services_of_the_design() -> None:
    services = _services()
    assert set(services) >= {"postgres", "redis", "migrate", "api", "scheduler", "worker"}
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "scheduler", "worker"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"


def test_every_callsheet_command_in_compose_is_a_real_subcommand() -> None:
    commands = {
        name: s["command"]
        for name, s in _services().items()
        if s.get("command") and s["command"][0] == "callsheet"
    }
    assert set(commands) == {"migrate", "api", "scheduler", "worker"}
    for args in commands.values():
        _resolve(args[1:])
    with pytest.raises(AssertionError):
        _resolve(["no-such-command"])
    with pytest.raises(AssertionError):
        _resolve(["db", "downgrade"])
    with pytest.raises(Exception, match="No such option"):
        _resolve(["worker", "--colour", "blue"])


def test_every_callsheet_variable_in_compose_is_a_real_setting() -> None:
    seen = 0
    for service in _services().values():
        env = {
            k: str(v)
            for k, v in (service.get("environment") or {}).items()
            if k.startswith("CALLSHEET_")
        }
        for key in env:
            field = key.removeprefix("CALLSHEET_").lower()
            assert field in Settings.model_fields, f"{key} is not a Callsheet setting"
        if env:
            Settings.model_validate(
                {k.removeprefix("CALLSHEET_").lower(): v for k, v in env.items()}
            )
            seen += 1
    assert seen >= 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_migrate_and_api_commands_run_as_compose_runs_them(tmp_path: Path) -> None:
    env = {**os.environ, "CALLSHEET_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    services = _services()
    migrate = subprocess.run(
        _local(services["migrate"]["command"]), env=env, capture_output=True, text=True, timeout=60
    )
    assert migrate.returncode == 0, migrate.stderr
    port = _free_port()
    args = [a if a != "8000" else str(port) for a in _local(services["api"]["command"])]
    args = [a if a != "0.0.0.0" else "127.0.0.1" for a in args]
    api = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        answer = _get_when_up(f"http://127.0.0.1:{port}/healthz")
        assert answer.json() == {"status": "ok"}
        spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        assert "/posts/{post_id}/approve" in spec["paths"]
    finally:
        stop_process(api)


def _get_when_up(url: str, timeout: float = 20) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_scheduler_command_hands_due_posts_to_the_worker(
    session: Session, engine: Engine, worker: WorkerProcess, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    factories.approved_post(session, production.id or 0, [account])
    session.commit()
    env = {**os.environ, **settings_env(worker.settings)}
    scheduler = subprocess.Popen(
        _local(_services()["scheduler"]["command"]),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Session(engine) as poll:
                delivery = poll.exec(select(Delivery)).one()
            if delivery.status == "published":
                break
            time.sleep(0.2)
    finally:
        stop_process(scheduler)
    assert delivery.status == "published", worker.log()
    assert (tmp_path / "feed.jsonl").read_text().count("\n") == 1
