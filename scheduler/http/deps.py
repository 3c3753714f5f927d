"""Request-scoped dependencies: a database session, and whether its transaction may write.

Routes commit explicitly after the service call succeeds; any exception rolls the session back
when it closes, so a refused request leaves nothing half-written. Who is calling, and whether
they may, is ``scheduler.http.access``.

Every dependency and route that touches the database is a plain ``def``: FastAPI runs those in
its thread pool, so a request waiting for the database (SQLite's write lock, a PostgreSQL
round trip) never holds up the event loop, and with it every other request, including the one
that would release the lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Request
from sqlmodel import Session

from scheduler.core.db import get_engine, only_reads

#: Methods that never change anything (HTTP's safe methods); every GET route only reads.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session() -> AsyncIterator[Session]:
    """The request's session, opened on the event loop and closed in a thread.

    Opening one runs no statement (the first query connects, in the thread pool), so it costs
    no trip to a thread: each trip hands the request to another thread and back, and that
    hand-over was a large share of a light request's time. Closing rolls back whatever is left
    and returns the connection to the pool, which can wait on the database, so it runs in a
    thread of its own limiter: a close never waits for a free thread of the pool's, since
    requests holding those may be waiting for the very connection it returns.
    """
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        await to_thread.run_sync(session.close, limiter=CapacityLimiter(1))


SessionDep = Annotated[Session, Depends(get_session)]


async def reads_by_method(request: Request, session: SessionDep) -> None:
    """A GET's session only reads; any other method's may write (an app-wide dependency).

    Known before the first statement, so on SQLite a GET begins a deferred transaction that
    never takes the write lock, and a POST, PUT, PATCH or DELETE begins ``BEGIN IMMEDIATE`` as
    before (``scheduler.core.db``). It runs before ``authorize``, whose queries begin the
    transaction. A session a test provides instead of ``get_session`` is treated the same.
    It is ``async`` because it blocks on nothing (it only marks the session, no statement is
    run), so it runs on the event loop and spares each request a trip to the thread pool.
    """
    if request.method in READ_METHODS:
        only_reads(session)
