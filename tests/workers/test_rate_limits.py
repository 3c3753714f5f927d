"""One account rate-limited while the others post on time: the scheduler ticking, a real worker
publishing to the sandbox over HTTP, Redis counting the budget. SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from platforms.adapters.outbox import read_outbox
from sandbox.control import SandboxControl
from scheduler.accounts.connections import create_account
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.clock import Clock
from scheduler.core.models import Account, Delivery
from scheduler.queue.messages import celery_sender, create_celery
from scheduler.queue.service import SchedulerService
from tests import factories
from tests.conftest import WorkerProcess
from tests.running import run_until

#: Discord's budget for this test: two posts in any four seconds, per webhook.
BUDGET = "2/4 seconds"
BACKLOG = range(1, 7)  # six posts for the busy account: three windows' worth


def _discord(session: Session, sandbox: SandboxControl, webhook: str, handle: str) -> Account:
    url = f"{sandbox.url('discord')}/api/webhooks/{webhook}/token-{webhook}-0001"
    return create_account(
        session=session,
        actor=factories.ACTOR,
        data=AccountCreate(platform="discord", handle=handle, settings={"webhook_url": url}),
    )


def _seconds(records: list[dict[str, object]]) -> list[float]:
    start = datetime.fromisoformat(str(records[0]["created_at"]))
    return [(datetime.fromisoformat(str(r["created_at"])) - start).total_seconds() for r in records]


def test_one_account_rate_limited_while_the_others_post_on_time(
    session: Session,
    engine: Engine,
    worker: WorkerProcess,
    sandbox: SandboxControl,
    tmp_path: Path,
) -> None:
    """The busy account's six posts are due first, at the same instant as everyone else's, and
    one claim holds only three: its backlog must neither fill the claims nor go out at once."""
    production = factories.production(session)
    busy = _discord(session, sandbox, "77", "#bts")
    quiet = _discord(session, sandbox, "78", "#crew")  # the same platform: budgets are per account
    feeds = [
        factories.outbox_account(session, tmp_path / f"{n}.jsonl", f"@feed{n}") for n in (1, 2)
    ]
    due = datetime.now(UTC) - timedelta(minutes=1)
    for take in BACKLOG:
        factories.approved_post(
            session, production.id or 0, [busy], at=due, variables={"take": take}
        )
    for take in (101, 102):
        factories.approved_post(
            session, production.id or 0, [quiet, *feeds], at=due, variables={"take": take}
        )
    session.commit()
    settings = worker.settings.model_copy(
        update={"publish_limits": {"discord": BUDGET}, "claim_batch": 3}
    )
    service = SchedulerService(
        engine=engine,
        settings=settings,
        clock=Clock(),
        send=celery_sender(create_celery(settings), settings.queue_name),
    )

    run_until(engine, service, worker, lambda s: set(s.values()) == {"published"}, timeout=60)

    busy_posts = sandbox.posts("discord", account="77")
    quiet_posts = sandbox.posts("discord", account="78")
    texts = Counter(p["body"]["text"] for p in busy_posts + quiet_posts)
    assert texts == {
        f"Night shift, take {take}: the crew of Night Shift at work.": 1
        for take in [*BACKLOG, 101, 102]
    }  # nothing lost, nothing twice
    for feed in feeds:
        assert len(read_outbox(tmp_path / f"{feed.handle[5:]}.jsonl")) == 2
    # The busy account went at its rate: any three of its posts span a window (less up to
    # 2.5 s of the worker's jitter on a loaded machine); all at once, they would span a tenth
    # of a second.
    at = _seconds(busy_posts)
    assert min(b - a for a, b in zip(at, at[2:], strict=False)) >= 1.5, at
    assert at[-1] >= 5, at  # two full windows at least
    # The others were not kept waiting behind its backlog: all of them were out before the
    # busy account's third post, which its budget held back a full window.
    session.expire_all()
    others_last = max(
        d.published_at
        for d in session.exec(select(Delivery).where(Delivery.account_id != busy.id))
        if d.published_at
    )
    busy_third = sorted(
        d.published_at
        for d in session.exec(select(Delivery).where(Delivery.account_id == busy.id))
        if d.published_at
    )[2]
    assert others_last < busy_third
