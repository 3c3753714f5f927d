"""docker-compose.yml is kept true without a Docker engine: read as compose reads it (its
``${...}`` forms filled from .env.example, as a person would fill it in), and each service's
command run here with exactly the environment compose would give its container."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest
import typer.main
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from scheduler.cli.main import app
from scheduler.cli.processes import stop_process
from scheduler.core.config import Settings
from scheduler.core.db import create_db_engine
from scheduler.core.models import Delivery
from tests import factories
from tests.compose import ENV_EXAMPLE, MissingVariable, environment, interpolate, load
from tests.conftest import CALLSHEET, PG_ADMIN, REDIS_URL, RUN, _pg_url, free_port
from tests.running import get_when_up

SERVICES = ("migrate", "api", "scheduler", "worker")


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


def _filled_in(tmp_path: Path) -> Path:
    """.env.example filled in as its comments ask: a key of one's own, a password."""
    text = ENV_EXAMPLE.read_text()
    text = text.replace("replace-with-a-fernet-key", Fernet.generate_key().decode())
    text = text.replace("replace-with-a-long-random-password", uuid.uuid4().hex)
    env_file = tmp_path / ".env"
    env_file.write_text(text)
    return env_file


def test_interpolation_reads_the_forms_compose_reads() -> None:
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("$SET ${SET} $$SET", env) == "v v $SET"
    assert interpolate("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", env) == "d d  d"
    assert interpolate("${UNSET:-a${SET}b}", env) == "avb"
    assert interpolate("${SET:+r} ${EMPTY:+r} ${EMPTY+r}", env) == "r  r"
    with pytest.raises(MissingVariable, match="EMPTY is missing a value: say so"):
        interpolate("${EMPTY:?say so}", env)


def test_compose_refuses_to_start_without_the_secret_keys() -> None:
    """Before, compose started with no key at all, and `migrate` died in production."""
    with pytest.raises(MissingVariable, match="CALLSHEET_SECRET_KEYS"):
        load({}, env_file=None)
    with pytest.raises(MissingVariable, match="POSTGRES_PASSWORD"):
        load({"CALLSHEET_SECRET_KEYS": Fernet.generate_key().decode()}, env_file=None)


def test_compose_has_the_services_of_the_design(tmp_path: Path) -> None:
    services = load({}, _filled_in(tmp_path))["services"]
    assert set(services) >= {"postgres", "redis", *SERVICES}
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "scheduler", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        check = services[name]["healthcheck"]["test"]
        assert check[:3] == ["CMD", "callsheet", "health"]
        _resolve(check[2:])
    for name in SERVICES:
        _resolve(services[name]["command"][1:])
    with pytest.raises(AssertionError):
        _resolve(["no-such-command"])
    with pytest.raises(Exception, match="No such option"):
        _resolve(["worker", "--colour", "blue"])


def test_every_variable_compose_gives_callsheet_is_a_valid_setting(tmp_path: Path) -> None:
    services = load({}, _filled_in(tmp_path))["services"]
    for name in SERVICES:
        env = environment(services[name])
        unknown = [
            k
            for k in env
            if k.startswith("CALLSHEET_")
            and k.removeprefix("CALLSHEET_").lower() not in Settings.model_fields
        ]
        assert not unknown, f"{name}: not Callsheet settings: {unknown}"
        settings = Settings.model_validate(
            {k.removeprefix("CALLSHEET_").lower(): v for k, v in env.items()}
        )
        settings.refuse_unsafe()
        assert settings.environment == "production"


def test_the_dockerfile_wheel_holds_what_the_commands_need(tmp_path: Path) -> None:
    """The image installs only the wheel its first stage builds: the migrations, templates
    and the sandbox must be in it."""
    dockerfile = (ENV_EXAMPLE.parent / "Dockerfile").read_text()
    assert "pip wheel --no-cache-dir --no-deps --wheel-dir /wheels ." in dockerfile
    assert "\nUSER callsheet\n" in dockerfile
    built = subprocess.run(
        [
            *CALLSHEET[:1],
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "--wheel-dir",
            str(tmp_path),
            str(ENV_EXAMPLE.parent),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("callsheet-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "scheduler/core/migrations/env.py",
        "scheduler/core/migrations/script.py.mako",
        "sandbox/__init__.py",
        "workers/app.py",
        "callsheet_templates/",
    ):
        assert any(n.startswith(needed) for n in names), f"{needed} is not in the wheel"


@pytest.fixture
def compose_database() -> Iterator[str]:
    """An empty PostgreSQL database, as compose's postgres service starts with."""
    name = f"callsheet_compose_{RUN}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _container_env(service: dict[str, Any]) -> dict[str, str]:
    """What a container of this image sees: its service's environment, and a PATH. Each
    container has its own ports; on this one machine, a metrics port is a free one."""
    env = {"PATH": os.environ["PATH"], "HOME": "/tmp", **environment(service)}
    if "CALLSHEET_METRICS_PORT" in env:
        env["CALLSHEET_METRICS_PORT"] = str(free_port())
    return env


@pytest.mark.postgres
@pytest.mark.redis
def test_compose_runs_migrate_then_api_scheduler_and_worker_as_written(
    tmp_path: Path, compose_database: str
) -> None:
    """The services' commands and environments exactly as compose gives them, pointed (as
    .env allows) at this machine's PostgreSQL and Redis: the schema is made, the API and the
    health checks say ready, and a due post is published by the scheduler and the worker."""
    shell = {
        "CALLSHEET_DATABASE_URL": compose_database,
        "CALLSHEET_BROKER_URL": REDIS_URL,
        "CALLSHEET_QUEUE_NAME": f"callsheet-compose-{RUN}",
    }
    services = load(shell, _filled_in(tmp_path))["services"]
    migrate = subprocess.run(
        _local(services["migrate"]["command"]),
        env=_container_env(services["migrate"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    port = free_port()
    api_command = [
        {"8000": str(port), "0.0.0.0": "127.0.0.1"}.get(a, a)
        for a in _local(services["api"]["command"])
    ]
    logs = ExitStack()
    running = [
        subprocess.Popen(
            command,
            env=_container_env(services[name]),
            cwd=tmp_path,
            stdout=logs.enter_context((tmp_path / f"{name}.log").open("wb")),
            stderr=subprocess.STDOUT,
        )
        for name, command in (
            ("api", api_command),
            ("scheduler", _local(services["scheduler"]["command"])),
            ("worker", _local(services["worker"]["command"])),
        )
    ]
    engine = create_db_engine(compose_database)
    try:
        ready = get_when_up(f"http://127.0.0.1:{port}/readyz")
        assert ready.status_code == 200, ready.text
        for name in ("scheduler", "worker"):
            check = subprocess.run(
                _local(services[name]["healthcheck"]["test"][1:]),
                env=_container_env(services[name]),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert check.returncode == 0, check.stdout + check.stderr
        api_check = [
            a.replace(":8000", f":{port}") for a in services["api"]["healthcheck"]["test"][1:]
        ]
        answered = subprocess.run(
            _local(api_check),
            env=_container_env(services["api"]),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert answered.returncode == 0, answered.stdout + answered.stderr

        with Session(engine, expire_on_commit=False) as session:
            production = factories.production(session)
            account = factories.outbox_account(session, tmp_path / "feed.jsonl")
            factories.approved_post(session, production.id or 0, [account])
            session.commit()
        deadline = time.monotonic() + 60
        status = ""
        while time.monotonic() < deadline and status != "published":
            with Session(engine) as poll:
                status = poll.exec(select(Delivery)).one().status
            time.sleep(0.3)
        printed = "\n".join(p.read_text() for p in tmp_path.glob("*.log"))
        assert status == "published", printed
        assert (tmp_path / "feed.jsonl").read_text().count("\n") == 1
    finally:
        for process in running:
            stop_process(process)
        logs.close()
        engine.dispose()
