"""Accounts' publishing budgets, spent at claim time: per account, shared by every scheduler on
the broker's Redis, and never at the cost of other accounts' places in a claim."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from platforms.adapters.rates import PUBLISH_RATES
from platforms.adapters.registry import platform_names, publish_rates_for
from scheduler.cli.processes import settings_env
from scheduler.core.clock import Clock
from scheduler.core.config import Settings, limits_storage
from scheduler.core.models import Account, Delivery
from scheduler.queue.service import SchedulerService
from scheduler.queue.throttle import Throttle
from tests import factories
from tests.conftest import test_settings


def _service(engine: Engine, settings: Settings) -> SchedulerService:
    """A scheduler whose Celery messages go nowhere: these tests count what it claims."""
    return SchedulerService(
        engine=engine, settings=settings, clock=Clock(), send=lambda _ids, _owner: None
    )


def _feed(session: Session, tmp_path: Path, name: str) -> Account:
    return factories.outbox_account(session, tmp_path / f"{name}.jsonl", f"@{name}")


def _claimed_by_account(session: Session) -> dict[int, int]:
    session.expire_all()
    counts: dict[int, int] = {}
    for d in session.exec(select(Delivery).where(Delivery.status == "claimed")):
        counts[d.account_id] = counts.get(d.account_id, 0) + 1
    session.commit()
    return counts


def test_a_throttled_backlog_due_first_never_takes_other_accounts_places(
    session: Session, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """Ten posts of one account are due before everyone else's and a claim holds three: one
    tick still sends every other account's post, and only two of the ten (its budget)."""
    production = factories.production(session)
    busy = _feed(session, tmp_path, "busy")
    others = [_feed(session, tmp_path, f"other{n}") for n in range(3)]
    now = datetime.now(UTC)
    for take in range(10):
        factories.approved_post(
            session,
            production.id or 0,
            [busy],
            at=now - timedelta(minutes=2),
            variables={"take": take},
        )
    factories.approved_post(session, production.id or 0, others, at=now - timedelta(minutes=1))
    session.commit()
    expected = {busy.id: 2, **{o.id: 1 for o in others}}
    session.commit()  # end the read: on SQLite every transaction holds the write lock
    settings = test_settings(
        database_url, "memory://", claim_batch=3, publish_limits={"outbox": "2/hour"}
    )
    service = _service(engine, settings)

    assert service.tick() == 5
    assert _claimed_by_account(session) == expected
    assert service.tick() == 0  # the rest of the backlog waits for its window
    waiting = session.exec(select(Delivery).where(Delivery.status == "scheduled")).all()
    assert len(waiting) == 8
    assert {d.due_at for d in waiting} == {now - timedelta(minutes=2)}  # due times untouched


def test_two_schedulers_spend_one_budget_on_the_brokers_redis(
    session: Session, engine: Engine, database_url: str, redis_broker: str, tmp_path: Path
) -> None:
    production = factories.production(session)
    busy = _feed(session, tmp_path, "busy")
    for take in range(5):
        factories.approved_post(session, production.id or 0, [busy], variables={"take": take})
    session.commit()
    busy_id = busy.id
    session.commit()
    settings = test_settings(
        database_url,
        redis_broker,
        publish_limits={"outbox": "2/5 seconds"},
    )
    first = _service(engine, settings)
    second = _service(engine, settings)

    assert first.tick() == 2
    assert second.tick() == 0  # the other scheduler's spending counts: one budget, on Redis
    assert first.tick() == 0
    time.sleep(5.5)
    assert second.tick() == 2
    assert first.tick() == 0
    assert _claimed_by_account(session) == {busy_id: 4}


def test_the_embedded_default_counts_budgets_in_memory_and_redis_brokers_on_redis() -> None:
    assert limits_storage("sqla+sqlite:///callsheet-broker.db") == "memory://"
    assert limits_storage("redis://127.0.0.1:6379/1") == "redis://127.0.0.1:6379/1"


def test_a_publish_limit_that_does_not_read_names_the_setting_and_the_platform() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(publish_limits={"discord": "lots"})
    assert "publish_limits" in str(refused.value)
    assert "discord: 'lots' is not a rate" in str(refused.value)
    unpaced = Throttle("memory://", namespace="t", overrides={"discord": "none"})
    assert unpaced.limits_for("discord") == []
    assert [str(i) for i in Throttle("memory://", namespace="t").limits_for("discord")] == [
        "5 per 2 second",
        "30 per 60 second",
    ]


def test_every_built_in_platform_says_how_often_an_account_may_publish() -> None:
    built_in = set(platform_names()) & set(PUBLISH_RATES)
    assert built_in == set(PUBLISH_RATES)  # no entry for a platform that does not exist
    assert {"x", "instagram", "threads", "mastodon", "bluesky", "discord"} <= {
        p for p in built_in if publish_rates_for(p)
    }
    assert publish_rates_for("instagram")[0].posts == 50
    assert publish_rates_for("no-such-platform") == ()


def test_publish_limits_reach_a_child_process_through_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``callsheet up`` and the tests start processes with ``settings_env``: a dict setting must
    arrive as JSON, which is what pydantic-settings reads, not as Python's repr."""
    parent = Settings(publish_limits={"discord": "1/second", "x": "none"})
    for name, value in settings_env(parent).items():
        monkeypatch.setenv(name, value)
    assert Settings().publish_limits == {"discord": "1/second", "x": "none"}
