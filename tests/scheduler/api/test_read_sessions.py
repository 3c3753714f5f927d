"""A GET's session only reads: on SQLite it never waits for the write lock, and never writes.

``scheduler.http.deps.reads_by_method`` makes it so before the first statement; the session then
begins deferred on SQLite (``scheduler.core.db.only_reads``) and refuses any write on both
databases, because upgrading a deferred transaction under WAL can fail at once.
"""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import Engine, exc, text, update
from sqlmodel import Session

from scheduler.core.db import ReadOnlySession, only_reads
from scheduler.core.models import Production


def test_reads_answer_while_another_connection_holds_the_write_lock(
    client: httpx.Client, engine: Engine
) -> None:
    production = client.post(
        "/productions", json={"title": "Night Shift", "kind": "film", "timezone": "Europe/London"}
    ).json()
    with engine.connect() as writer:
        writer.begin()  # BEGIN IMMEDIATE on SQLite: the write lock, held through the reads
        writer.execute(update(Production).values(title="Night Shift (held)"))
        began = time.monotonic()
        for path in ("/me", "/productions", f"/productions/{production['id']}", "/posts"):
            answer = client.get(path, timeout=20)
            assert answer.status_code == 200, answer.text
        assert time.monotonic() - began < 5  # the busy timeout is 30 s
        assert client.get(f"/productions/{production['id']}").json()["title"] == "Night Shift"
        writer.rollback()


def test_a_reading_session_refuses_to_write(engine: Engine, backend: str) -> None:
    with Session(engine) as session:
        only_reads(session)
        session.add(Production(title="Day Shift", kind="film", timezone="UTC"))
        with pytest.raises(ReadOnlySession):
            session.flush()
        session.rollback()
        with pytest.raises(ReadOnlySession):
            session.execute(update(Production).values(title="x"))
        session.rollback()
        if backend == "sqlite":  # below the ORM too: SQLite's query_only
            with pytest.raises(exc.OperationalError, match="readonly"):
                session.connection().execute(text("DELETE FROM production"))


def test_only_reads_must_come_before_the_first_statement(engine: Engine) -> None:
    with Session(engine) as session:
        session.connection()
        with pytest.raises(RuntimeError, match="before"):
            only_reads(session)
