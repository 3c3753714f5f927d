"""Is this deployment ready to work: the database answers, its schema is at the newest
migration, and the broker answers.

One set of checks for every face: the API's ``/readyz``, and ``callsheet health``, which
compose's health checks run in the scheduler and worker containers (they serve no HTTP). A
check says what failed in words a person can act on ("run `callsheet db upgrade`"), never the
driver's own message: that can hold a host name, a user or a password from a URL.

Whether a worker is alive (``workers_check``, from the workers' heartbeats) is asked for apart
(``callsheet health --workers``), never part of ``readiness``: an API or a scheduler is ready
to work without one, and a container held back until a worker runs would only add an outage
to the one the check found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from kombu import Connection
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from scheduler.core.db import reading
from scheduler.core.migrate import alembic_config
from scheduler.ops.status import ago
from scheduler.queue.heartbeats import workers_seen

#: Seconds a check waits for the database or the broker to answer.
CHECK_TIMEOUT = 3


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def schema_check(engine: Engine) -> list[Check]:
    """The database answers, and its schema is the one this code expects."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError:
        return [Check("database", False, "does not answer")]
    heads = set(ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads())
    database = Check("database", True, "answers")
    if current == heads:
        return [database, Check("schema", True, f"at {', '.join(sorted(heads))}")]
    wanted = ", ".join(sorted(heads))
    found = f"at {', '.join(sorted(current))}, this code needs {wanted}" if current else "empty"
    return [database, Check("schema", False, f"{found}: run `callsheet db upgrade`")]


def broker_check(broker_url: str) -> Check:
    """The broker takes connections (one try, bounded: a health check must answer quickly)."""
    try:
        with Connection(broker_url, connect_timeout=CHECK_TIMEOUT) as connection:
            connection.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)
    except Exception:
        return Check("broker", False, "does not answer")
    return Check("broker", True, "answers")


def workers_check(engine: Engine, queue: str, now: datetime) -> Check:
    """At least one worker on ``queue`` is alive: its heartbeats are on time (``now``: machine
    time)."""
    try:
        with Session(reading(engine)) as session:
            seen = [w for w in workers_seen(session, now) if w.queue == queue]
    except SQLAlchemyError:
        return Check("workers", False, "the database does not answer")
    alive = sum(1 for w in seen if w.state == "alive")
    if alive:
        return Check("workers", True, f"{alive} alive on queue {queue!r}")
    last = (
        f"the last, {seen[0].name}, {seen[0].state} {ago(seen[0].seconds_ago)} ago"
        if seen
        else "none seen in the last 24 hours"
    )
    detail = f"none alive on queue {queue!r} ({last}): start `callsheet worker`"
    return Check("workers", False, detail)


def readiness(engine: Engine, broker_url: str) -> list[Check]:
    """Every check, in the order a person would fix them."""
    return [*schema_check(engine), broker_check(broker_url)]


def ready(checks: list[Check]) -> bool:
    return all(check.ok for check in checks)
