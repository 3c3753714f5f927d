"""The workers seen: one row per ``callsheet worker`` process, written by the worker itself.

Apart because no other table knows a worker: a delivery names the claim that leased it, not the
process that ran it. Celery's ``inspect`` and ``ping`` need a broker that carries broadcasts,
which the embedded one (kombu's SQLite transport) does not, so a worker says it is alive here,
where ``callsheet status`` and the metrics read everything else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from scheduler.core.models.columns import UTCDateTime, utcnow


class WorkerHeartbeat(SQLModel, table=True):
    """A worker process and the last time it said it was alive (machine time)."""

    id: int | None = Field(default=None, primary_key=True)
    #: Celery's node name, ``callsheet-<pid>@<host>``: one per process, so a restarted worker
    #: (a new pid) is a new row and the old one goes silent, then stopped or forgotten.
    name: str = Field(sa_type=String(255), unique=True)
    #: The Celery queue it consumes: a worker of another queue publishes none of this one's.
    queue: str = Field(sa_type=String(200))
    #: Publishes it runs at once.
    concurrency: int
    #: Callsheet's version in that process.
    version: str = Field(sa_type=String(40))
    #: Its ``worker_heartbeat_seconds``: readers judge silence by the worker's own pace.
    heartbeat_seconds: float
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_seen_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    #: Set by a clean shutdown; a worker killed outright never sets it and goes silent instead.
    stopped_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
