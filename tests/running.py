"""Driving the scheduler in a test while a real worker process publishes."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.core.clock import Clock
from scheduler.core.models import Delivery
from scheduler.queue.messages import celery_sender, create_celery
from scheduler.queue.service import SchedulerService
from tests.conftest import WorkerProcess

FINAL = {"published", "failed", "unknown", "held", "cancelled"}


def service_for(engine: Engine, worker: WorkerProcess) -> SchedulerService:
    settings = worker.settings
    app = create_celery(settings)
    return SchedulerService(
        engine=engine,
        settings=settings,
        clock=Clock(),
        send=celery_sender(app, settings.queue_name),
    )


def statuses(engine: Engine) -> dict[int, str]:
    with Session(engine) as session:
        return {d.id or 0: d.status for d in session.exec(select(Delivery))}


def run_until(
    engine: Engine,
    service: SchedulerService | None,
    worker: WorkerProcess,
    done: Callable[[dict[int, str]], bool],
    timeout: float = 30,
) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service is not None:
            service.tick()
        now = statuses(engine)
        if done(now):
            return now
        time.sleep(0.2)
    raise AssertionError(f"timed out: {statuses(engine)}\n--- worker log ---\n{worker.log()}")


def all_final(statuses: dict[int, str]) -> bool:
    return bool(statuses) and set(statuses.values()) <= FINAL


def get_when_up(url: str, timeout: float = 30) -> httpx.Response:
    """GET ``url`` once a process just started answers it (connection refused until then)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
