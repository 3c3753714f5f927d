"""Eight clients at once against a real ``callsheet api`` process, on SQLite and PostgreSQL.

Reads and writes are mixed and one client imports CSV sheets. Every answer must be the one a
lone client would get (no 500 "database is locked"), and no request may wait anywhere near
SQLite's 30 s ``busy_timeout``: that is what a blocked event loop or a reading request holding
the write lock looked like. The server is a child process, as in production, so the event
loop, the thread pool and the connection pool are the real ones; throughput is measured by
``bench/api_concurrency.py``, not here.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from scheduler.cli.processes import stop_process
from scheduler.core.db import pool_capacity
from tests.conftest import CALLSHEET, free_port, person_with_token
from tests.running import get_when_up

CLIENTS = 8
ROUNDS = 12
#: Far below the 30 s busy timeout; a lone request here takes milliseconds.
SLOWEST_ALLOWED = 10.0
#: When clients stop starting requests, so a deadlocked server fails the test in minutes.
GIVE_UP_AFTER = 150.0
SHEET_HEADER = "pillar,body,milestone,offset,local_time,at,platform,handle\r\n"


@dataclass
class Api:
    base: str
    headers: dict[str, str]
    production: int
    account: int
    log: Path


@dataclass
class Answers:
    """Every request a client made: (what, status, seconds)."""

    seen: list[tuple[str, int, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rounds: int = 0


@pytest.fixture
def api(session: Session, database_url: str, tmp_path: Path) -> Iterator[Api]:
    """``callsheet api`` on this test's database, with a site admin's token and a plan."""
    secret = person_with_token(session, name="Maya", email="maya@nightshift.test", site_admin=True)
    session.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSHEET_")}
    env |= {"CALLSHEET_DATABASE_URL": database_url, "CALLSHEET_ENVIRONMENT": "test"}
    log_path = tmp_path / "api.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*CALLSHEET, "api", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        get_when_up(f"{base}/healthz", timeout=30)
        headers = {"Authorization": f"Bearer {secret}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as admin:
            production = admin.post(
                "/productions",
                json={"title": "Night Shift", "kind": "film", "timezone": "Europe/London"},
            ).json()
            account = admin.post(
                "/accounts",
                json={
                    "platform": "outbox",
                    "handle": "@nightshiftfilm",
                    "settings": {"path": str(tmp_path / "feed.jsonl")},
                    "production_ids": [production["id"]],
                },
            ).json()
        yield Api(base, headers, production["id"], account["id"], log_path)
    finally:
        stop_process(process)


def _sheet(client: int, round_: int, rows: int = 25) -> str:
    lines = [
        f"on_set,Import {client}.{round_}.{n},,,,2027-02-20T10:{n:02d}:00+00:00,outbox,"
        "@nightshiftfilm\r\n"
        for n in range(rows)
    ]
    return SHEET_HEADER + "".join(lines)


Step = Callable[[httpx.Client, Api, int, int], list[tuple[str, httpx.Response]]]


def _importer(c: httpx.Client, api: Api, who: int, n: int) -> list[tuple[str, httpx.Response]]:
    answer = c.post(
        f"/productions/{api.production}/schedule.csv",
        content=_sheet(who, n).encode(),
        headers={"Content-Type": "text/csv"},
    )
    return [("POST schedule.csv", answer)]


def _reader(c: httpx.Client, api: Api, who: int, n: int) -> list[tuple[str, httpx.Response]]:
    return [
        ("GET /me", c.get("/me")),
        ("GET /posts", c.get("/posts", params={"production_id": api.production})),
        ("GET /deliveries", c.get("/deliveries", params={"production_id": api.production})),
        ("GET schedule.csv", c.get(f"/productions/{api.production}/schedule.csv")),
    ]


def _poller(c: httpx.Client, api: Api, who: int, n: int) -> list[tuple[str, httpx.Response]]:
    return [("GET /me", c.get("/me")) for _ in range(5)]


def _writer(c: httpx.Client, api: Api, who: int, n: int) -> list[tuple[str, httpx.Response]]:
    created = c.post(
        "/posts",
        json={
            "production_id": api.production,
            "pillar": "on_set",
            "body": f"Writer {who}, take {n}.",
            "anchor": {"at": "2027-02-21T18:00:00+00:00"},
            "account_ids": [api.account],
        },
    )
    answers = [("POST /posts", created)]
    if created.status_code == 201:
        post = created.json()
        submit = c.post(f"/posts/{post['id']}/submit", json={"version": post["version"]})
        answers.append(("POST submit", submit))
    return answers


def _tokens(c: httpx.Client, api: Api, who: int, n: int) -> list[tuple[str, httpx.Response]]:
    issued = c.post("/tokens", json={"name": f"client {who} round {n}"})
    answers = [("POST /tokens", issued)]
    if issued.status_code == 201:
        answers.append(("DELETE /tokens", c.delete(f"/tokens/{issued.json()['id']}")))
    answers.append(("GET /tokens", c.get("/tokens")))
    return answers


#: One importer, three readers, a client polling ``GET /me``, two writers, one issuing tokens.
ROLES: list[Step] = [_importer, _reader, _reader, _reader, _poller, _writer, _writer, _tokens]


def _client(api: Api, who: int, step: Step, start: threading.Barrier, out: Answers) -> None:
    give_up = time.monotonic() + GIVE_UP_AFTER
    with httpx.Client(base_url=api.base, headers=api.headers, timeout=60) as c:
        start.wait()
        for n in range(ROUNDS):
            if time.monotonic() > give_up:
                return
            try:
                answers = step(c, api, who, n)
            except httpx.HTTPError as exc:
                out.errors.append(f"{step.__name__}: {exc!r}")
                return
            out.seen.extend(
                (what, answer.status_code, answer.elapsed.total_seconds())
                for what, answer in answers
            )
            out.errors.extend(
                f"{what}: {answer.status_code} {answer.text[:200]}"
                for what, answer in answers
                if answer.status_code >= 300
            )
            out.rounds += 1


@pytest.mark.timeout(600)
def test_eight_concurrent_clients_get_their_answers_without_waiting_on_locks(api: Api) -> None:
    start = threading.Barrier(CLIENTS)
    results = [Answers() for _ in range(CLIENTS)]
    threads = [
        threading.Thread(target=_client, args=(api, who, ROLES[who], start, results[who]))
        for who in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    errors = [e for r in results for e in r.errors]
    assert not errors, f"{errors[:10]}\n{api.log.read_text(errors='replace')[-3000:]}"
    assert [r.rounds for r in results] == [ROUNDS] * CLIENTS
    slowest = max(results, key=lambda r: max(t for _, _, t in r.seen)).seen
    what, _, took = max(slowest, key=lambda s: s[2])
    assert took < SLOWEST_ALLOWED, f"{what} took {took:.1f} s"
    with httpx.Client(base_url=api.base, headers=api.headers) as c:
        posts = c.get("/posts", params={"production_id": api.production, "limit": 1000}).json()
    imported = ROUNDS * 25
    written = 2 * ROUNDS
    assert len(posts) == imported + written


@pytest.mark.timeout(300)
def test_refused_requests_give_their_connections_back(api: Api) -> None:
    """The request's session is closed on every path (``scheduler.http.deps.get_session``): far
    more refused requests than the pool holds, then every kind still answers at once."""
    capacity = pool_capacity()
    with httpx.Client(base_url=api.base, headers=api.headers, timeout=60) as c:
        for n in range(3 * capacity):
            assert c.get(f"/posts/{10_000 + n}").status_code == 404
            bad = c.post("/posts", json={"production_id": api.production, "pillar": "on_set"})
            assert bad.status_code == 422
            assert c.get("/me", headers={"Authorization": "Bearer nope"}).status_code == 401
        for answer in (c.get("/me"), c.get("/posts", params={"production_id": api.production})):
            assert answer.status_code == 200
            assert answer.elapsed.total_seconds() < SLOWEST_ALLOWED
