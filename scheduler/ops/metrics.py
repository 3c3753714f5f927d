"""Serving the metrics: the API's ``/metrics``, and a port of their own for the scheduler and
workers (``metrics_port``), which serve no HTTP otherwise.

What each process counted (``scheduler.core.metrics``) is served with what the database says
now: deliveries by status, the queue's depth, how overdue its oldest delivery is and the
workers alive on each queue (from their heartbeats). These are read at scrape time
(``queue_status``), a handful of aggregate queries, so they are right whichever API process
answers and after any restart.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.core.clock import machine_now
from scheduler.ops.sharing import MULTIPROCESS_ENV
from scheduler.ops.status import queue_status


def counted() -> CollectorRegistry:
    """What this process (and its siblings, in multiprocess mode) counted."""
    if MULTIPROCESS_ENV not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


class QueueCollector(Collector):
    """The queue as the database has it, read when Prometheus scrapes."""

    def __init__(self, engine: Engine, now: Callable[[], datetime], *, queue: str) -> None:
        self.engine = engine
        self.now = now
        self.queue = queue

    def collect(self) -> Iterator[Metric]:
        now = self.now()
        with Session(self.engine) as session:
            status = queue_status(session, now, queue=self.queue, machine=machine_now())
        by_state = GaugeMetricFamily(
            "callsheet_deliveries", "Deliveries in each state, now", labels=["status"]
        )
        for state, count in status.by_state.items():
            by_state.add_metric([state], count)
        yield by_state
        yield GaugeMetricFamily(
            "callsheet_queue_depth",
            "Deliveries due now that no scheduler has claimed yet",
            value=status.due_now,
        )
        overdue = (now - status.oldest_due).total_seconds() if status.oldest_due else 0.0
        yield GaugeMetricFamily(
            "callsheet_oldest_due_seconds",
            "Schedule seconds the oldest claimable delivery is past its due time (0: none)",
            value=max(overdue, 0.0),
        )
        alive = GaugeMetricFamily(
            "callsheet_workers_alive",
            "Workers whose heartbeats are on time, per queue (this queue always, 0: none)",
            labels=["queue"],
        )
        per_queue = {self.queue: 0}
        for worker in status.workers:
            per_queue.setdefault(worker.queue, 0)
            per_queue[worker.queue] += worker.state == "alive"
        for queue, count in sorted(per_queue.items()):
            alive.add_metric([queue], count)
        yield alive


def exposition(engine: Engine, now: Callable[[], datetime], *, queue_name: str) -> bytes:
    """The text the API's ``/metrics`` answers: this process's counts and the queue's state."""
    queue = CollectorRegistry(auto_describe=False)
    queue.register(QueueCollector(engine, now, queue=queue_name))
    return generate_latest(counted()) + generate_latest(queue)


def serve_metrics(port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - scraped from outside
    """Serve what this process counted on ``port`` (a daemon thread), for Prometheus."""
    start_http_server(port, addr=host, registry=counted())
