"""Fixtures over real backends: SQLite files and a PostgreSQL database, Redis as the broker.

Each test session gets its own PostgreSQL database and SQLite file (migrated with Alembic, the
same path production takes) and its own Celery queue names, so runs never see each other.
Tables are emptied between tests. ``backend`` parametrises a test over both databases.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

#: The embedded default keeps its files in the per-user data folder; the tests' processes
#: keep theirs in a folder of this run's, never in the home directory of whoever runs them.
os.environ.setdefault("XDG_DATA_HOME", tempfile.mkdtemp(prefix="callsheet-test-data-"))

import httpx
import psycopg
import pytest
import redis
import uvicorn
from playwright.sync_api import Browser
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from sandbox.control import SandboxControl
from scheduler.api import create_app
from scheduler.cli.processes import settings_env, stop_process
from scheduler.core.config import Settings
from scheduler.core.db import create_db_engine, is_sqlite
from scheduler.core.migrate import upgrade
from scheduler.core.models import Role
from scheduler.http import deps
from scheduler.people.members import create_person, issue_token, set_role
from tests.browser import launched

PG_ADMIN = os.environ.get(
    "CALLSHEET_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("CALLSHEET_TEST_REDIS", "redis://127.0.0.1:6379/0")
RUN = uuid.uuid4().hex[:8]
#: One media store for this run, shared by the API under test and the worker processes
#: (``CALLSHEET_MEDIA_DIR`` is inherited by every child), never the developer's own.
os.environ.setdefault("CALLSHEET_MEDIA_DIR", tempfile.mkdtemp(prefix=f"callsheet-media-{RUN}-"))
#: How tests run the `callsheet` command: this interpreter, whatever PATH says.
CALLSHEET = [sys.executable, "-m", "scheduler.cli"]


def _pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"callsheet_test_{RUN}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _pg_url(name)
    upgrade(url)
    yield url
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'callsheet.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_broker() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    client.close()
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database under test: every test using it runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{backend}_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    _empty(engine)
    _forget_budgets()
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(engine: Engine) -> Iterator[httpx.Client]:
    """The API served by uvicorn on a free local port over the test's database: real HTTP."""
    app = create_app()

    def session() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as s:
            yield s

    app.dependency_overrides[deps.get_session] = session
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    with Session(engine) as db:
        secret = person_with_token(db, name="Maya", email="maya@nightshift.test", site_admin=True)
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
        yield client
    server.should_exit = True
    thread.join(10)


#: How the audit trail names the ``client`` fixture's caller (a site admin).
CLIENT_ACTOR = "Maya <maya@nightshift.test>"
#: How the audit trail names the ``approver`` fixture's caller (another site admin).
APPROVER_ACTOR = "Noor <noor@nightshift.test>"


@pytest.fixture
def approver(client: httpx.Client, engine: Engine) -> Iterator[httpx.Client]:
    """A second site admin on the ``client``'s API. Separation of duties keeps whoever wrote
    a post from approving it, so tests whose ``client`` writes posts approve them as Noor
    (``APPROVER_ACTOR``)."""
    with Session(engine) as db:
        secret = person_with_token(db, name="Noor", email="noor@nightshift.test", site_admin=True)
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=client.base_url, headers=headers) as other:
        yield other


def person_with_token(
    session: Session,
    *,
    name: str,
    email: str,
    site_admin: bool = False,
    roles: dict[int, Role] | None = None,
) -> str:
    """Add a person (with roles per production) and return a fresh API token's secret."""
    person = create_person(
        session=session, name=name, email=email, password=None, site_admin=site_admin, actor="test"
    )
    for production_id, role in (roles or {}).items():
        set_role(
            session=session,
            production_id=production_id,
            person_id=person.id or 0,
            role=role,
            actor="test",
        )
    now = datetime.now(UTC)
    issued = issue_token(
        session=session,
        person=person,
        name="tests",
        expires_at=now + timedelta(days=1),
        actor="test",
        now=now,
    )
    session.commit()
    return issued.secret


#: SQLite's triggers that refuse DELETE, as created.
KEEP_ROWS = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%BEFORE DELETE%'"
)


def _empty(engine: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if is_sqlite(str(engine.url)):
            # The audit trail refuses DELETE (a trigger); a test's clean slate is the separate
            # privilege retention would be: set the triggers aside, empty, put them back.
            kept = conn.execute(text(KEEP_ROWS)).all()
            for name, _ in kept:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            for _, created in kept:
                conn.execute(text(created))
        else:  # TRUNCATE fires no row trigger
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


def _forget_budgets() -> None:
    """Forget the publishing budgets this run spent on Redis (``scheduler.queue.throttle``
    keys them by queue name and account id): the next test's accounts reuse the ids."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        spent = list(client.scan_iter(match=f"*LIMITER/callsheet-test-{RUN}-*"))
        if spent:
            client.delete(*spent)
    except redis.ConnectionError:
        pass  # no Redis, no budgets kept on it
    finally:
        client.close()


def test_settings(database_url: str, broker_url: str, **overrides: object) -> Settings:
    """Settings for a test: its database, a broker, and a queue of this run's own."""
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "broker_url": broker_url,
        "queue_name": f"callsheet-test-{RUN}-{'sqlite' if is_sqlite(database_url) else 'pg'}",
        "worker_pool": "threads",
        "worker_concurrency": 4,
        "retry_base_seconds": 1.0,
        "lookup_delay_seconds": 0.5,
        **overrides,
    }
    return Settings.model_validate(values)


test_settings.__test__ = False  # type: ignore[attr-defined]


class WorkerProcess:
    """A real ``callsheet worker`` process, and the settings it runs with."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        env = {**os.environ, **settings_env(settings)}
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [*CALLSHEET, "worker", "--loglevel=INFO"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log_path.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"worker did not start:\n{self.log_path.read_text()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process)
        self._log.close()


def _worker(url: str, broker: str, tmp: pytest.TempPathFactory, name: str) -> WorkerProcess:
    return WorkerProcess(test_settings(url, broker), tmp.mktemp(name) / "worker.log")


@pytest.fixture(scope="session")
def sqlite_worker(
    sqlite_url: str, redis_broker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    worker = _worker(sqlite_url, redis_broker, tmp_path_factory, "sqlite-worker")
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def postgres_worker(
    postgres_url: str, redis_broker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    worker = _worker(postgres_url, redis_broker, tmp_path_factory, "pg-worker")
    yield worker
    worker.stop()


@pytest.fixture
def worker(backend: str, engine: Engine, request: pytest.FixtureRequest) -> WorkerProcess:
    """The running worker for this test's backend (started once per session)."""
    return request.getfixturevalue(f"{backend}_worker")  # type: ignore[no-any-return]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxControl]:
    """``callsheet sandbox`` as a user runs it, once per session, on a free port."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*CALLSHEET, "sandbox", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
    control = SandboxControl(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    while True:
        try:
            control.platforms()
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_process(process)
                raise RuntimeError(f"sandbox did not start:\n{log_path.read_text()}") from None
            time.sleep(0.1)
    yield control
    control.close()
    stop_process(process)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright, once per session (tests/browser.py)."""
    with launched() as browser:
        yield browser


@pytest.fixture
def sandbox(sandbox_server: SandboxControl) -> SandboxControl:
    """The session's sandbox, emptied of records, faults and revocations for this test."""
    sandbox_server.reset()
    return sandbox_server
