"""The API never runs more requests at once than its database pool has connections for.

FastAPI runs every route's database work in AnyIO's thread pool. A request waiting for a thread
waits in line on the event loop, for as long as it takes; a request that has a thread but finds
the pool empty waits ``pool_timeout`` (30 s) and then answers 500. So every thread the app may
use must find a connection at once: before, AnyIO's 40 threads shared SQLAlchemy's default
SQLite pool of 15 (PostgreSQL: 30).
"""

from __future__ import annotations

from contextlib import ExitStack

import anyio
from anyio import to_thread
from sqlalchemy import Engine, text

from scheduler.api import create_app
from scheduler.core.config import get_settings
from scheduler.core.db import reading


async def _threads_of_the_started_app() -> int:
    """The thread pool's size once the app has started (as uvicorn starts it: its lifespan)."""
    app = create_app()
    async with app.router.lifespan_context(app):
        return int(to_thread.current_default_thread_limiter().total_tokens)


def test_every_request_the_api_runs_at_once_gets_a_connection_without_waiting(
    engine: Engine,
) -> None:
    threads = anyio.run(_threads_of_the_started_app)
    with ExitStack() as held:
        # One connection per thread, all held at once (reading, like GETs, so SQLite lets them
        # all in): one would wait out ``pool_timeout`` and fail if the pool were smaller.
        for _ in range(threads):
            held.enter_context(reading(engine).connect()).execute(text("SELECT 1"))
    assert threads == get_settings().api_threads  # the setting decides, not AnyIO's default
