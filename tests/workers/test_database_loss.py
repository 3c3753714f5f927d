"""The database lost under a publish: a progress save that fails is the database's fault, not
the adapter's, and must not settle the delivery as ``unknown`` for a person.

The fault suite's connection-cut scenario (``tests/faults/test_database.py``) found it: a cut
connection under Bluesky's key save became "unexpected OperationalError in the bluesky adapter",
``unknown`` with no lookup, although Bluesky can be asked and nothing had been sent. SQLite and
PostgreSQL, the sandbox's Bluesky over real HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from sandbox.control import SandboxControl
from scheduler.accounts.connections import build_account_adapter
from scheduler.core.clock import Clock
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories
from tests.conftest import test_settings
from workers.jobs import load_jobs
from workers.publish import publish_one


class CutConnection:
    """A delivery's progress whose every save meets a connection the server has ended."""

    @property
    def state(self) -> Mapping[str, Any]:
        return {}

    def save(self, **changes: Any) -> None:
        cause = Exception("terminating connection due to administrator command")
        raise OperationalError("UPDATE delivery SET platform_state=...", {}, cause)


def test_a_progress_save_that_loses_the_database_is_no_adapter_outcome(
    session: Session, engine: Engine, database_url: str, sandbox: SandboxControl
) -> None:
    settings = test_settings(database_url, "memory://")
    account = factories.bluesky_account(session, sandbox.url("bluesky"))
    production = factories.production(session)
    factories.approved_post(session, production.id or 0, [account])
    session.commit()
    now = datetime.now(UTC)
    ids = claim_due(engine, now=now, owner="w:1", limit=5, lease_until=lease_deadline(now, 60))
    [job] = load_jobs(engine, ids)
    adapter = build_account_adapter(job.account, settings)

    # The worker stops as if it had died: the reaper and Bluesky's lookup settle the delivery.
    with pytest.raises(OperationalError):
        publish_one(job, adapter, settings=settings, clock=Clock(), progress=CutConnection())
    adapter.close()

    assert sandbox.posts("bluesky") == []  # the keys were never saved, so nothing was sent
