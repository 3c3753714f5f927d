"""``callsheet api --workers 2``: two processes serve the API, and both answer.

Which process answers is read from the operating system (``/proc``): the workers are the
children that listen on the API's port, and each connection the test opens is owned by the one
that accepted it.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from scheduler.cli.processes import stop_process
from tests.conftest import CALLSHEET, free_port, person_with_token

LISTEN, ESTABLISHED = "0A", "01"


def _sockets(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets on this machine whose local port is ``port``, in ``state``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def _owned_by(pid: int) -> set[str]:
    """Inodes of the sockets process ``pid`` holds open."""
    owned = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            owned.add(target[len("socket:[") : -1])
    return owned


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return children


def _workers(pid: int, port: int) -> list[int]:
    """The children of ``pid`` listening on ``port``: the processes that accept requests."""
    listening = _sockets(port, LISTEN)
    return [child for child in _children(pid) if _owned_by(child) & listening]


@pytest.fixture
def served(session: Session, database_url: str, tmp_path: Path) -> Iterator[tuple[int, str, str]]:
    """``callsheet api --workers 2`` on the test's database: (its pid, its URL, a token)."""
    secret = person_with_token(session, name="Maya", email="maya@nightshift.test", site_admin=True)
    session.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSHEET_")}
    env |= {"CALLSHEET_DATABASE_URL": database_url, "CALLSHEET_ENVIRONMENT": "test"}
    with (tmp_path / "api.log").open("wb") as log:
        process = subprocess.Popen(
            [*CALLSHEET, "api", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz").raise_for_status()
                break
            except httpx.TransportError:
                log_text = (tmp_path / "api.log").read_text(errors="replace")
                assert process.poll() is None, f"callsheet api stopped:\n{log_text}"
                assert time.monotonic() < deadline, f"callsheet api never answered:\n{log_text}"
                time.sleep(0.2)
        yield process.pid, base, secret
    finally:
        stop_process(process)


def _workers_when_up(pid: int, port: int, timeout: float = 60) -> list[int]:
    """The workers once both have started (the port answers as soon as the first has)."""
    deadline = time.monotonic() + timeout
    while len(workers := _workers(pid, port)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    return workers


@pytest.mark.timeout(300)
def test_two_workers_start_and_both_answer(served: tuple[int, str, str]) -> None:
    pid, base, secret = served
    port = int(base.rsplit(":", 1)[1])
    workers = _workers_when_up(pid, port)
    assert len(workers) == 2, f"processes listening on the API's port: {workers}"

    # Each batch opens eight new connections at once and keeps them open; which process
    # accepted each is up to the kernel, so batches go on until both have answered.
    answered_by: set[int] = set()
    clients: list[httpx.Client] = []
    statuses: list[int] = []
    try:
        for _ in range(20):
            batch = [
                httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"})
                for _ in range(8)
            ]
            clients += batch
            threads = [
                threading.Thread(target=lambda c=c: statuses.append(c.get("/me").status_code))
                for c in batch
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            accepted = _sockets(port, ESTABLISHED)
            answered_by |= {w for w in workers if _owned_by(w) & accepted}
            if answered_by == set(workers):
                break
    finally:
        for c in clients:
            c.close()
    assert statuses
    assert set(statuses) == {200}
    assert answered_by == set(workers), f"only {answered_by} of {workers} answered"
