"""Platform keys come from the delivery, not from the clock of an attempt.

Bluesky record keys are TIDs, a time and a clock id. Made from the attempt's clock, an attempt
that never saw the keys an earlier one saved (its save lost with a dying worker, or never
committed) would post again under keys of its own; made from the delivery (its post's creation
time and its idempotency key), every attempt names the same record and the PDS refuses the
repeat. SQLite and PostgreSQL, the sandbox's Bluesky over real HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from platforms.adapters.base import aware
from platforms.adapters.bluesky import tid_time
from sandbox.control import SandboxControl
from scheduler.accounts.connections import build_account_adapter
from scheduler.core.clock import Clock
from scheduler.queue.claims import claim_due, lease_deadline
from scheduler.queue.publishing import Outcome
from tests import factories
from tests.conftest import test_settings
from workers.jobs import load_jobs
from workers.publish import publish_one


def test_two_attempts_that_kept_no_keys_make_the_same_record_and_bluesky_has_one_post(
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
    assert job.delivery.platform_state is None  # each attempt below starts with no saved keys

    def attempt() -> Outcome:
        adapter = build_account_adapter(job.account, settings)
        try:
            return publish_one(job, adapter, settings=settings, clock=Clock())
        finally:
            adapter.close()

    first = attempt()
    second = attempt()  # another worker, say, the first one's saved keys lost with it

    assert (first.status, second.status) == ("published", "published")
    assert second.external_id == first.external_id
    [post] = sandbox.posts("bluesky")
    assert tid_time(post["body"]["rkey"]) == aware(job.post.created_at)
