"""The database connection cut under the scheduler and the workers while they claim and publish.

PostgreSQL only: ``pg_terminate_backend`` ends the server side of every connection of this
database that is busy at that moment (a claim, a fence, an outcome), as a failover or a
restarted pooler would. SQLite has no connection to cut.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import pytest

from sandbox.control import SandboxControl
from tests.conftest import PG_ADMIN
from tests.faults.harness import SCALE, Scenario

pytestmark = [pytest.mark.chaos, pytest.mark.redis, pytest.mark.postgres]

#: Busy connections of the test database, but the cutter's own and the scenario's.
BUSY = """
    SELECT pid, left(query, 60) FROM pg_stat_activity
    WHERE datname = %s AND pid <> pg_backend_pid() AND state <> 'idle'
      AND application_name <> 'callsheet-faults'
"""


@pytest.fixture
def backend() -> str:
    """This module's one database: only PostgreSQL has connections to cut."""
    return "postgres"


class Cutter:
    """Cuts every busy connection to ``database``, over and over, from a thread of its own."""

    def __init__(self, database: str, cuts: int) -> None:
        self.database, self.cuts = database, cuts
        self.queries: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            while self.cut < self.cuts and not self._stop.wait(0.02):
                for pid, query in conn.execute(BUSY, (self.database,)).fetchall():
                    ended = conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
                    if ended and ended[0]:
                        self.queries.append(query)

    @property
    def cut(self) -> int:
        """Connections cut so far."""
        return len(self.queries)

    def __enter__(self) -> Cutter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def test_connections_cut_mid_claim_and_mid_publish_lose_nothing(
    scenario: Callable[..., Scenario], sandbox: SandboxControl, postgres_url: str
) -> None:
    """Busy connections are cut while the burst is claimed and published. The scheduler and the
    workers recover by themselves (no restart), and every delivery settles truthfully."""
    world = scenario("database connection cut", lease_seconds=2.0)
    world.posts(12 * SCALE, world.accounts(bluesky=1 + SCALE // 2))
    sandbox.fault("bluesky", "slow", path="createRecord", delay=0.2, times=10_000)
    world.start_workers(2)
    world.go()
    with Cutter(postgres_url.rsplit("/", 1)[1], 8 * SCALE) as cuts:
        world.start_schedulers()
        seconds = world.settle()
    world.kills = cuts.cut

    assert cuts.cut >= 1, "no connection was busy when the cutter looked"
    assert world.alive(), f"a process died of a cut connection {cuts.queries}\n{world.tail()}"
    world.check(settle_seconds=seconds)
