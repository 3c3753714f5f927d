"""The account's refresh lock on its own: a second refresh waits and reads what the first
stored; a lock held elsewhere too long is a retry, never a wait without end. Two real
connections (threads) on SQLite and PostgreSQL, and the test run's Redis."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from platforms.adapters.base import TokenKeeper, Transient
from scheduler.accounts import keeper as keeper_module
from scheduler.accounts.connections import create_account
from scheduler.accounts.keeper import RedisLockKeeper, RowLockKeeper, keeper_for
from scheduler.accounts.schemas import AccountCreate
from tests import factories
from tests.conftest import test_settings


def _x_account(session: Session) -> int:
    account = create_account(
        session=session,
        actor=factories.ACTOR,
        data=AccountCreate(
            platform="x",
            handle="@nightshiftfilm",
            settings={
                "access_token": "access-token-0001:nightshiftfilm",
                "refresh_token": "refresh-token-0001:nightshiftfilm",
                "client_id": "callsheet-app",
            },
        ),
    )
    session.commit()
    return account.id or 0


@pytest.mark.parametrize("broker", ["redis", "embedded"])
def test_a_second_refresh_waits_for_the_first_and_reads_what_it_stored(
    session: Session,
    engine: Engine,
    database_url: str,
    redis_broker: str,
    tmp_path: Path,
    broker: str,
) -> None:
    broker_url = redis_broker if broker == "redis" else f"sqla+sqlite:///{tmp_path / 'b.db'}"
    settings = test_settings(database_url, broker_url)
    account_id = _x_account(session)
    keepers = [keeper_for(engine, account_id, settings) for _ in range(2)]
    assert {type(k) for k in keepers} == {RedisLockKeeper if broker == "redis" else RowLockKeeper}
    inside = threading.Event()
    seen: list[str] = []

    def first(keeper: TokenKeeper) -> None:
        with keeper.refreshing():
            inside.set()
            time.sleep(1.0)  # the platform's token endpoint, answering
            keeper.save({"access_token": "access-token-0002:nightshiftfilm"})

    def second(keeper: TokenKeeper) -> None:
        inside.wait(10)
        with keeper.refreshing() as stored:
            seen.append(stored["access_token"])

    threads = [
        threading.Thread(target=first, args=(keepers[0],)),
        threading.Thread(target=second, args=(keepers[1],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert seen == ["access-token-0002:nightshiftfilm"]


def test_a_refresh_lock_held_elsewhere_too_long_is_a_retry(
    session: Session,
    engine: Engine,
    database_url: str,
    redis_broker: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker never waits without end behind another one's refresh: ``Transient``, so the
    delivery is retried later (nothing was sent)."""
    monkeypatch.setattr(keeper_module, "WAIT_SECONDS", 0.3)
    account_id = _x_account(session)
    keeper = keeper_for(engine, account_id, test_settings(database_url, redis_broker))
    held = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with keeper.refreshing():
            held.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        with pytest.raises(Transient, match="another worker"), keeper.refreshing():
            pass
    finally:
        done.set()
        holder.join(10)
    with keeper.refreshing() as stored:  # let go when its holder finished
        assert stored["client_id"] == "callsheet-app"
