"""Burst: N deliveries due at the same instant, published through real workers.

PostgreSQL holds the deliveries, Redis carries the messages, ``callsheet worker`` processes
publish to the outbox adapter. Two designs run in the same invocation, on the same data size:

- **callsheet**: the scheduler service as shipped: one ``UPDATE … FOR UPDATE SKIP LOCKED``
  statement claims a batch, one Celery message carries ``message_batch`` deliveries.
- **naive**: what a first version often does: select the due rows, then claim each with its own
  ``UPDATE`` and commit, and send one Celery message per delivery.

Prints deliveries/s (first due instant to last publication) and p50 / p99 lateness
(publication time minus due time). Usage::

    python bench/burst.py [--n 10000] [--workers 2] [--concurrency 8] [--designs callsheet,naive]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, insert, select, text, update
from sqlmodel import Session

from scheduler.cli.processes import settings_env, stop_process
from scheduler.content.context import content_hash, render_delivery
from scheduler.core.clock import Clock, machine_now
from scheduler.core.config import Settings
from scheduler.core.db import create_db_engine
from scheduler.core.migrate import upgrade
from scheduler.core.models import (
    Account,
    Approval,
    ContentPillar,
    Delivery,
    DeliveryStatus,
    Post,
    PostStatus,
    Production,
)
from scheduler.queue.claims import lease_deadline
from scheduler.queue.messages import PUBLISH_TASK, celery_sender, create_celery
from scheduler.queue.service import SchedulerService

PG_ADMIN = os.environ.get(
    "CALLSHEET_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("CALLSHEET_BENCH_REDIS", "redis://127.0.0.1:6379/1")
LEAD = timedelta(seconds=1)


def fresh_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{url}/{name}"
    upgrade(url)
    return url


def seed(engine: Engine, n: int, outbox: Path, due: datetime) -> None:
    """N approved posts on one outbox account, all due at ``due``; hashes computed for real."""
    with Session(engine) as session:
        production = Production(title="Night Shift", kind="film", timezone="Europe/London")
        account = Account(
            platform="outbox", handle="@nightshiftfilm", settings={"path": str(outbox)}
        )
        session.add(production)
        session.add(account)
        session.commit()
        posts = [
            {
                "production_id": production.id,
                "pillar": ContentPillar.on_set.value,
                "body": "Night shift, take {{ take }}.",
                "variables": {"take": i},
                "tags": [],
                "media": [],
                "anchor_at": due,
                "status": PostStatus.approved.value,
                "version": 1,
                "created_by": "bench",
                "created_at": machine_now(),
                "updated_at": machine_now(),
            }
            for i in range(n)
        ]
        post_ids = session.execute(insert(Post).returning(Post.id), posts).scalars().all()
        deliveries = [
            {
                "post_id": pid,
                "account_id": account.id,
                "due_at": due,
                "planned_at": due,
                "status": DeliveryStatus.scheduled.value,
                "attempt": 0,
                "updated_at": machine_now(),
            }
            for pid in post_ids
        ]
        delivery_ids = (
            session.execute(insert(Delivery).returning(Delivery.id), deliveries).scalars().all()
        )
        approvals = []
        for i, (pid, did) in enumerate(zip(post_ids, delivery_ids, strict=True)):
            post = Post(
                production_id=production.id or 0,
                pillar="on_set",
                created_by="bench",
                body=posts[i]["body"],
                variables={"take": i},
            )  # type: ignore[arg-type]
            rendered = render_delivery(
                production=production, milestone=None, account=account, post=post, due_at=due
            )
            approvals.append(
                {
                    "post_id": pid,
                    "post_version": 1,
                    "approved_by": "bench",
                    "approved_at": machine_now(),
                    "delivery_hashes": {str(did): content_hash(rendered, account)},
                }
            )
        approval_ids = (
            session.execute(insert(Approval).returning(Approval.id), approvals).scalars().all()
        )
        for did, aid in zip(delivery_ids, approval_ids, strict=True):
            session.execute(update(Delivery).where(Delivery.id == did).values(approval_id=aid))
        session.commit()


def start_workers(settings: Settings, count: int, logs: Path) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` worker processes and wait until each says it is ready."""
    env = {**os.environ, **settings_env(settings)}
    processes, paths = [], []
    for i in range(count):
        path = logs / f"worker{i}.log"
        with path.open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "scheduler.cli", "worker", "--loglevel=INFO"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        paths.append(path)
    deadline = time.monotonic() + 60
    while not all("ready." in p.read_text(errors="replace") for p in paths):
        if time.monotonic() > deadline:
            raise RuntimeError("workers did not start; see " + ", ".join(map(str, paths)))
        time.sleep(0.1)
    return processes


def naive_tick(engine: Engine, settings: Settings) -> None:
    """Select due rows, claim each with its own UPDATE and commit, one message each."""
    app = create_celery(settings)
    now = datetime.now(UTC)
    with engine.connect() as conn:
        ids = (
            conn.execute(
                select(Delivery.id).where(Delivery.status == "scheduled", Delivery.due_at <= now)
            )
            .scalars()
            .all()
        )
    for delivery_id in ids:
        owner = f"naive:{uuid.uuid4().hex[:8]}"
        with engine.begin() as conn:
            got = conn.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == "scheduled")
                .values(
                    status="claimed",
                    lease_owner=owner,
                    attempt=Delivery.attempt + 1,
                    lease_until=lease_deadline(machine_now(), 300),
                )
            ).rowcount
        if got:
            app.send_task(PUBLISH_TASK, args=[[delivery_id], owner], queue=settings.queue_name)


def measure(engine: Engine, n: int, due: datetime, timeout: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            done = conn.execute(
                text("SELECT count(*) FROM delivery WHERE status = 'published'")
            ).scalar_one()
        if done >= n:
            break
        time.sleep(0.25)
    with engine.connect() as conn:
        rows = (
            conn.execute(select(Delivery.published_at).where(Delivery.status == "published"))
            .scalars()
            .all()
        )
    late = sorted((p - due).total_seconds() for p in rows if p is not None)
    if not late:
        return {
            "published": 0,
            "seconds": float("nan"),
            "rate": 0,
            "p50": float("nan"),
            "p99": float("nan"),
        }
    span = max(late[-1], 1e-6)
    return {
        "published": len(late),
        "seconds": span,
        "rate": len(late) / span,
        "p50": statistics.median(late),
        "p99": late[min(len(late) - 1, int(len(late) * 0.99))],
    }


def run(design: str, n: int, workers: int, concurrency: int) -> dict[str, float]:
    url = fresh_database(f"callsheet_bench_{design}")
    engine = create_db_engine(url)
    with tempfile.TemporaryDirectory() as tmp:
        seed(engine, n, Path(tmp) / "outbox.jsonl", machine_now() + timedelta(days=1))
        settings = Settings.model_validate(
            {
                "database_url": url,
                "broker_url": REDIS,
                "environment": "test",
                "queue_name": f"callsheet-bench-{uuid.uuid4().hex[:6]}",
                "worker_pool": "threads",
                "worker_concurrency": concurrency,
                "claim_batch": 500,
                "message_batch": 50,
            }
        )
        children = start_workers(settings, workers, Path(tmp))
        try:
            # Seeding and worker start-up take seconds; the burst falls due only after them.
            due = machine_now() + LEAD
            with engine.begin() as conn:
                conn.execute(update(Delivery).values(due_at=due))
            while machine_now() < due:
                time.sleep(0.01)
            if design == "callsheet":
                service = SchedulerService(
                    engine=engine,
                    settings=settings,
                    clock=Clock(),
                    send=celery_sender(create_celery(settings), settings.queue_name),
                )
                ticking = service.start_background()
                service.tick()
                try:
                    result = measure(engine, n, due, timeout=600)
                finally:
                    ticking.shutdown(wait=True)
            else:
                naive_tick(engine, settings)
                result = measure(engine, n, due, timeout=600)
        finally:
            for child in children:
                stop_process(child)
            engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--designs", default="callsheet,naive")
    args = parser.parse_args()
    table = Table(
        "design",
        "published",
        "seconds",
        "deliveries/s",
        "p50 late (s)",
        "p99 late (s)",
        title=f"burst: {args.n} deliveries due at once, "
        f"{args.workers} workers x {args.concurrency} threads, PostgreSQL + Redis",
    )
    for design in args.designs.split(","):
        r = run(design, args.n, args.workers, args.concurrency)
        table.add_row(
            design,
            f"{r['published']:.0f}",
            f"{r['seconds']:.2f}",
            f"{r['rate']:.0f}",
            f"{r['p50']:.2f}",
            f"{r['p99']:.2f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
