"""API concurrency: requests per second with 1 and with 4 clients, on SQLite and PostgreSQL.

A real ``callsheet api`` process (uvicorn, as ``callsheet api`` serves it) on a fresh database:
a SQLite file in a temporary directory, or a PostgreSQL database of its own. A site admin's
token and one production with an account and ``--posts`` posts are seeded; then each workload
runs for ``--seconds`` with 1 client and with 4 (threads, one HTTP connection each):

- **me**: ``GET /me`` only: signing in and the caller's roles, the lightest request there is.
- **reads**: ``GET /me``, ``GET /posts?production_id=…``, ``GET /deliveries``, in turn.
- **mixed**: the same reads, and every fourth request a ``POST /posts`` (a draft, one delivery)
  into a second production, so what the reads return stays the same size run after run.

Each runs against ``callsheet api`` with one process and with ``--workers 2`` (``--workers``):
one Python process runs one request's Python at a time, so a second process is how the API
uses a second core.

Prints requests/s, p50 / p99 latency and how many answers were not 2xx. A server that does its
database work on the event loop answers 4 clients no faster than 1; on SQLite, reads that take
the write lock make concurrent clients wait on each other (or fail with "database is locked").
With ``--repeat N`` every run is made N times, 1 and 4 clients alternating, and the median
requests/s is shown (a shared machine is noisy).

The target: on PostgreSQL, 4 clients get more requests/s than 1, for every workload and every
number of workers. The bench says which pairs missed it and exits 1 if any did.
``--source DIR`` serves the API from another checkout (``git archive main | tar -x -C DIR``),
to measure before and after a change on the same machine minutes apart. Usage::

    python bench/api_concurrency.py [--seconds 5] [--repeat 3] [--posts 50]
        [--backends sqlite,postgres] [--workloads me,reads,mixed] [--clients 1,4]
        [--workers 1,2] [--source DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from scheduler.cli.processes import stop_process
from scheduler.core.db import create_db_engine
from scheduler.core.migrate import upgrade
from scheduler.people.members import create_person, issue_token

PG_ADMIN = os.environ.get(
    "CALLSHEET_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    """A migrated, empty database for ``backend``; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        upgrade(url)
        yield url
        return
    name = f"callsheet_bench_api_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def admin_token(url: str) -> str:
    engine = create_db_engine(url)
    with Session(engine) as session:
        person = create_person(
            session=session,
            name="Bench",
            email="bench@nightshift.test",
            password=None,
            site_admin=True,
            actor="bench",
        )
        now = datetime.now(UTC)
        issued = issue_token(
            session=session,
            person=person,
            name="bench",
            expires_at=now + timedelta(days=1),
            actor="bench",
            now=now,
        )
        session.commit()
    engine.dispose()
    return issued.secret


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def api_process(
    url: str, workdir: Path, workers: int = 1, source: Path | None = None
) -> Iterator[str]:
    """``callsheet api`` (from ``source`` if given) on ``url``; its base URL once it answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSHEET_")}
    env |= {"CALLSHEET_DATABASE_URL": url, "CALLSHEET_ENVIRONMENT": "test"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    command = [sys.executable, "-m", "scheduler.cli", "api", "--port", str(port)]
    if workers > 1:  # a source from before --workers existed still runs one process
        command += ["--workers", str(workers)]
    with (workdir / "api.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((workdir / "api.log").read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        stop_process(process)


def seed(api: httpx.Client, posts: int, workdir: Path) -> tuple[int, int, int]:
    """The production the reads list (``posts`` posts), the one writes go to, the account."""
    production, scratch = (
        api.post("/productions", json={"title": title, "kind": "film", "timezone": "Europe/London"})
        .raise_for_status()
        .json()["id"]
        for title in ("Night Shift", "Day Shift")
    )
    account = api.post(
        "/accounts",
        json={
            "platform": "outbox",
            "handle": "@nightshiftfilm",
            "settings": {"path": str(workdir / "feed.jsonl")},
        },
    ).json()["id"]
    for n in range(posts):
        create(api, production, account, n).raise_for_status()
    return production, scratch, account


def create(api: httpx.Client, production: int, account: int, n: int) -> httpx.Response:
    return api.post(
        "/posts",
        json={
            "production_id": production,
            "pillar": "on_set",
            "body": f"Day {n} on set.",
            "anchor": {"at": "2027-02-21T18:00:00+00:00"},
            "account_ids": [account],
        },
    )


def run(
    base: str, token: str, plan: tuple[int, int, int], workload: str, clients: int, s: float
) -> dict[str, float]:
    """``clients`` threads for ``s`` seconds; requests/s, p50 and p99 in ms, failures, count."""
    production, scratch, account = plan
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    start = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(who: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as api:
            start.wait()
            n = 0
            while not stop.is_set():
                kind = n % 4
                if workload == "me":
                    answer = api.get("/me")
                elif workload == "mixed" and kind == 3:
                    answer = create(api, scratch, account, who * 1_000_000 + n)
                elif kind in (0, 3):
                    answer = api.get("/me")
                elif kind == 1:
                    answer = api.get("/posts", params={"production_id": production})
                else:
                    answer = api.get("/deliveries", params={"limit": 50})
                latencies[who].append(answer.elapsed.total_seconds())
                failures[who] += not answer.is_success
                n += 1

    threads = [threading.Thread(target=client, args=(who,)) for who in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    time.sleep(s)
    stop.set()
    for thread in threads:
        thread.join()
    took = time.monotonic() - began
    every = sorted(t for mine in latencies for t in mine)
    return {
        "rps": len(every) / took,
        "p50": statistics.median(every) * 1000,
        "p99": every[min(len(every) - 1, int(len(every) * 0.99))] * 1000,
        "failed": sum(failures),
        "count": len(every),
    }


def median_run(results: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median requests/s, with the failures and counts of all of them."""
    middle = dict(sorted(results, key=lambda x: x["rps"])[len(results) // 2])
    middle["failed"] = sum(x["failed"] for x in results)
    middle["count"] = sum(x["count"] for x in results)
    return middle


def misses(rows: list[tuple[str, int, str, int, dict[str, float]]]) -> list[str]:
    """The PostgreSQL runs where the most clients got no more requests/s than one client."""
    by_run: dict[tuple[int, str], dict[int, float]] = {}
    for backend, workers, workload, clients, r in rows:
        if backend == "postgres":
            by_run.setdefault((workers, workload), {})[clients] = r["rps"]
    missed = []
    for (workers, workload), rps in by_run.items():
        most = max(rps)
        if 1 in rps and most > 1 and rps[most] <= rps[1]:
            missed.append(
                f"postgres, {workers} worker(s), {workload}: {most} clients {rps[most]:.0f} "
                f"requests/s, 1 client {rps[1]:.0f}"
            )
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workloads", default="me,reads,mixed")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--source", type=Path, default=None)
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",")]
    worker_counts = [int(w) for w in args.workers.split(",")]
    title = (
        f"callsheet api: {args.seconds:g} s per run, median of {args.repeat}, {args.posts} posts"
        + (f", served from {args.source}" if args.source else "")
    )
    rows: list[tuple[str, int, str, int, dict[str, float]]] = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as url:
            token = admin_token(url)
            plan: tuple[int, int, int] | None = None
            for workers in worker_counts:
                with api_process(url, Path(tmp), workers, args.source) as base:
                    if plan is None:
                        headers = {"Authorization": f"Bearer {token}"}
                        with httpx.Client(base_url=base, headers=headers, timeout=60) as api:
                            plan = seed(api, args.posts, Path(tmp))
                    for workload in args.workloads.split(","):
                        runs: dict[int, list[dict[str, float]]] = {c: [] for c in client_counts}
                        for _ in range(args.repeat):
                            for clients in client_counts:
                                runs[clients].append(
                                    run(base, token, plan, workload, clients, args.seconds)
                                )
                        for clients, results in runs.items():
                            rows.append((backend, workers, workload, clients, median_run(results)))
    table = Table(title=title)
    for column in (
        "backend",
        "workers",
        "workload",
        "clients",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "not 2xx",
    ):
        table.add_column(column, justify="right" if column != "backend" else "left")
    for backend, workers, workload, clients, r in rows:
        table.add_row(
            backend,
            str(workers),
            workload,
            str(clients),
            f"{r['rps']:.0f}",
            f"{r['p50']:.1f}",
            f"{r['p99']:.1f}",
            f"{r['failed']:.0f} of {r['count']:.0f}",
        )
    console = Console(width=120)
    console.print(table)
    missed = misses(rows)
    for line in missed:
        console.print(f"[red]target missed[/red]: {line}")
    if not missed and any(backend == "postgres" for backend, *_ in rows):
        console.print("target met: on PostgreSQL more clients got more requests/s than one")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
