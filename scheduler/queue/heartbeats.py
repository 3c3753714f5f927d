"""Workers seen: each worker process says it is alive in the database, every few seconds.

Celery's ``inspect``/``ping`` need a broker that carries broadcasts; the embedded one (kombu's
SQLite transport) does not. So each ``callsheet worker`` keeps one ``workerheartbeat`` row: written
when it is ready, every ``worker_heartbeat_seconds`` from a thread of its main process, and marked
stopped on a clean shutdown. A worker killed outright leaves its row behind, and readers call it
*silent* once it has missed ``SILENT_AFTER_BEATS`` of its own heartbeats.

A heartbeat must never stop a worker from publishing: when the database does not answer, the
worker says so once at WARNING and keeps trying at its pace (its publishes meet the same
database and have their own answers to that). Times here are machine time, like leases: they
measure whether a process is alive, never the schedule.

Rows not seen for ``FORGOTTEN_AFTER`` are deleted by the scheduler's reaper (``forget_gone``):
after a day a silent worker is no news, only clutter, and a host that restarts its workers
every deploy would otherwise grow the table without end.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Literal

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from scheduler.core.clock import machine_now
from scheduler.core.models import WorkerHeartbeat

log = logging.getLogger(__name__)

#: Heartbeats a worker may miss before it is shown as silent.
SILENT_AFTER_BEATS = 3
#: How long a row is kept after its worker was last seen.
FORGOTTEN_AFTER = timedelta(days=1)

WorkerState = Literal["alive", "silent", "stopped"]


def callsheet_version() -> str:
    """The installed Callsheet's version (``unknown`` when run from a tree not installed)."""
    try:
        return version("callsheet")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, kw_only=True)
class WorkerIdentity:
    """What a worker says about itself in each heartbeat."""

    name: str
    queue: str
    concurrency: int
    heartbeat_seconds: float
    version: str = ""


def record_beat(
    engine: Engine, identity: WorkerIdentity, *, started_at: datetime, now: datetime
) -> None:
    """Write that the worker ``identity`` is alive at ``now`` (its row made if missing).

    Only the worker itself writes its row, so update-then-insert cannot race another writer.
    """
    values = {
        "queue": identity.queue,
        "concurrency": identity.concurrency,
        "version": identity.version[:40],
        "heartbeat_seconds": identity.heartbeat_seconds,
        "last_seen_at": now,
        "stopped_at": None,
    }
    with Session(engine) as session:
        updated = session.exec(
            update(WorkerHeartbeat)
            .where(col(WorkerHeartbeat.name) == identity.name)
            .values(**values)
        )
        if updated.rowcount == 0:
            session.add(
                WorkerHeartbeat(
                    name=identity.name,
                    queue=identity.queue,
                    concurrency=identity.concurrency,
                    version=identity.version[:40],
                    heartbeat_seconds=identity.heartbeat_seconds,
                    started_at=started_at,
                    last_seen_at=now,
                )
            )
        session.commit()


def record_stop(engine: Engine, name: str, *, now: datetime) -> None:
    """Mark the worker ``name`` stopped at ``now`` (a clean shutdown)."""
    with Session(engine) as session:
        session.exec(
            update(WorkerHeartbeat)
            .where(col(WorkerHeartbeat.name) == name)
            .values(last_seen_at=now, stopped_at=now)
        )
        session.commit()


def forget_gone(engine: Engine, *, now: datetime) -> int:
    """Delete the rows of workers not seen for ``FORGOTTEN_AFTER``; return how many."""
    with Session(engine) as session:
        gone = session.exec(
            delete(WorkerHeartbeat).where(col(WorkerHeartbeat.last_seen_at) < now - FORGOTTEN_AFTER)
        )
        session.commit()
        return int(gone.rowcount)


class Heartbeat:
    """One worker process's heartbeat: ``start`` when ready, ``stop`` on shutdown.

    The beats run on a daemon thread of their own, so a long publish never delays one and a
    beat never delays a publish.
    """

    def __init__(
        self,
        *,
        engine: Engine,
        identity: WorkerIdentity,
        now: Callable[[], datetime] = machine_now,
    ) -> None:
        self.engine = engine
        self.identity = identity
        self.now = now
        self.started_at = now()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def beat(self) -> bool:
        """Write one heartbeat; on any failure say so once and return False."""
        try:
            record_beat(self.engine, self.identity, started_at=self.started_at, now=self.now())
        except Exception as error:
            self._failed("heartbeat", error)
            return False
        if self._failing:
            log.info("worker %s: heartbeats recorded again", self.identity.name)
            self._failing = False
        return True

    def _failed(self, what: str, error: Exception) -> None:
        if not self._failing:  # once per outage: a log line every few seconds helps no one
            log.warning(
                "worker %s: %s not recorded, the database did not take it (%s); the worker "
                "goes on and tries again every %ss",
                self.identity.name,
                what,
                type(error).__name__,
                self.identity.heartbeat_seconds,
            )
        self._failing = True

    def start(self) -> None:
        """Beat now and then every ``heartbeat_seconds`` until ``stop`` (again: beat only)."""
        self.beat()
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="callsheet-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.identity.heartbeat_seconds):
            self.beat()

    def stop(self) -> None:
        """Stop beating and mark the worker stopped (never raises: the worker is leaving)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.identity.heartbeat_seconds + 5)
        try:
            record_stop(self.engine, self.identity.name, now=self.now())
        except Exception as error:
            self._failed("stop", error)


@dataclass(frozen=True)
class WorkerSeen:
    """A worker as a reader sees it: ``alive``, ``silent`` (missed its beats) or ``stopped``."""

    name: str
    queue: str
    state: WorkerState
    concurrency: int
    version: str
    started_at: datetime
    last_seen_at: datetime
    #: Machine seconds since it last said anything.
    seconds_ago: float
    stopped_at: datetime | None


def state_of(row: WorkerHeartbeat, now: datetime) -> WorkerState:
    if row.stopped_at is not None:
        return "stopped"
    silent_after = timedelta(seconds=row.heartbeat_seconds * SILENT_AFTER_BEATS)
    return "silent" if now - row.last_seen_at > silent_after else "alive"


def workers_seen(session: Session, now: datetime) -> list[WorkerSeen]:
    """Every worker seen in the last day, most recently seen first (one small query)."""
    rows = session.exec(
        select(WorkerHeartbeat)
        .where(col(WorkerHeartbeat.last_seen_at) >= now - FORGOTTEN_AFTER)
        .order_by(col(WorkerHeartbeat.last_seen_at).desc(), col(WorkerHeartbeat.name))
    ).all()
    return [
        WorkerSeen(
            name=row.name,
            queue=row.queue,
            state=state_of(row, now),
            concurrency=row.concurrency,
            version=row.version,
            started_at=row.started_at,
            last_seen_at=row.last_seen_at,
            seconds_ago=max((now - row.last_seen_at).total_seconds(), 0.0),
            stopped_at=row.stopped_at,
        )
        for row in rows
    ]
