"""One token refresh per account at a time, across every worker: the adapters' ``TokenKeeper``.

X, TikTok and Bluesky spend a refresh token when it is used. Two batches for one account
refreshing at once (two workers, or two threads of one) would send the same refresh token
twice; the platform refuses the second, and the account would be marked ``needs_reconnect``
with all its posts held. So a refresh takes the account's lock, re-reads the stored
credentials after the wait (an adapter finding newer ones adopts them and does not refresh:
``platforms.adapters.base.Adapter.renew_credentials``), and seals what it got before the lock
is let go.

The lock lives where every worker already looks:

- **Redis** (the broker in tests and production): a redis-py ``Lock`` named after the account,
  with a ``timeout`` so a worker that dies holding it frees it, and a ``blocking_timeout`` so a
  worker never waits forever. The database is only read and written in short transactions.
- **The database** otherwise (the embedded default, its broker a SQLite file): the account row
  locked in a transaction of its own that spans the refresh call, ``SELECT … FOR UPDATE`` on
  PostgreSQL, ``BEGIN IMMEDIATE`` (every writing transaction here) on SQLite, which holds
  other writers back for the length of one refresh; they wait on ``busy_timeout``.

A lock not had in time is ``Transient``: the delivery is retried later, nothing was sent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import redis
from redis.exceptions import LockError, RedisError
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import OperationalError

from platforms.adapters.base import TokenKeeper, Transient
from scheduler.accounts.connections import store_credentials
from scheduler.core.config import Settings
from scheduler.core.db import reading
from scheduler.core.models import Account

log = logging.getLogger(__name__)

#: A refresh lock left by a worker that died ends after this: longer than the longest refresh
#: (an adapter's ``timeout_seconds`` is at most 120 s).
LOCK_SECONDS = 150.0
#: How long a worker waits for another one's refresh before retrying the delivery later. A
#: refresh takes a second or two; a waiting thread is a worker slot held, and a lock left by a
#: killed worker lasts ``LOCK_SECONDS``, so waiting long only stalls the worker (the fault
#: suite's kill storm took 155 s to settle on PostgreSQL with 60 s here).
WAIT_SECONDS = 10.0

_ACCOUNT = Account.__table__  # type: ignore[attr-defined]


def keeper_for(engine: Engine, account_id: int, settings: Settings) -> TokenKeeper:
    """The account's keeper: a Redis lock when the broker is Redis, else a row lock."""
    if settings.broker_url.startswith(("redis://", "rediss://")):
        return RedisLockKeeper(engine, account_id, settings)
    return RowLockKeeper(engine, account_id, settings)


class RowLockKeeper:
    """The account row locked for the refresh: its transaction spans the platform's call."""

    def __init__(self, engine: Engine, account_id: int, settings: Settings) -> None:
        self._engine = engine
        self._account_id = account_id
        self._settings = settings
        self._conn: Connection | None = None

    @contextmanager
    def refreshing(self) -> Iterator[Mapping[str, Any]]:
        with self._engine.connect() as conn:
            try:
                transaction = conn.begin()
                stored = stored_credentials(conn, self._account_id, self._settings, lock=True)
            except OperationalError as exc:  # SQLite's busy_timeout ran out: nothing was sent
                raise Transient(
                    f"could not lock the account for its token refresh ({type(exc.orig).__name__})"
                ) from None
            with transaction:
                self._conn = conn
                try:
                    yield stored
                finally:
                    self._conn = None

    def save(self, changes: Mapping[str, Any]) -> None:
        """Seal ``changes`` in the lock's own transaction: committed as the lock is let go."""
        if self._conn is None:
            raise RuntimeError("save is only called inside refreshing()")
        store_credentials(
            self._conn, account_id=self._account_id, changes=changes, settings=self._settings
        )


class RedisLockKeeper:
    """A Redis lock per account on the broker's Redis; the database in short transactions."""

    def __init__(self, engine: Engine, account_id: int, settings: Settings) -> None:
        self._engine = engine
        self._account_id = account_id
        self._settings = settings

    @contextmanager
    def refreshing(self) -> Iterator[Mapping[str, Any]]:
        # Named after the database too: one Redis may serve several Callsheets.
        database = hashlib.sha256(self._settings.database_url.encode()).hexdigest()[:16]
        lock = _redis(self._settings.broker_url).lock(
            f"callsheet:{database}:account:{self._account_id}:refresh",
            timeout=LOCK_SECONDS,
            blocking_timeout=WAIT_SECONDS,
        )
        try:
            acquired = lock.acquire()
        except RedisError as exc:
            raise Transient(f"could not take the account's refresh lock ({exc})") from None
        if not acquired:
            raise Transient(
                f"another worker has been refreshing this account's token for over "
                f"{WAIT_SECONDS:.0f}s; trying again later"
            )
        try:
            with reading(self._engine).begin() as conn:
                stored = stored_credentials(conn, self._account_id, self._settings, lock=False)
            yield stored
        finally:
            try:
                lock.release()
            except (LockError, RedisError) as exc:  # it ran out: another worker may hold it now
                log.warning("account %s: refresh lock lost: %s", self._account_id, exc)

    def save(self, changes: Mapping[str, Any]) -> None:
        """Seal ``changes`` now, while the lock is held, so the next worker reads them."""
        with self._engine.begin() as conn:
            store_credentials(
                conn, account_id=self._account_id, changes=changes, settings=self._settings
            )


def stored_credentials(
    conn: Connection, account_id: int, settings: Settings, *, lock: bool
) -> dict[str, Any]:
    """The account's adapter settings as stored now (secrets opened), its row locked if asked."""
    query = select(_ACCOUNT.c.settings, _ACCOUNT.c.secrets).where(_ACCOUNT.c.id == account_id)
    row = conn.execute(query.with_for_update() if lock else query).one()
    return {**row.settings, **settings.vault().open(row.secrets)}


@lru_cache(maxsize=4)
def _redis(url: str) -> redis.Redis:
    """One client (and connection pool) per broker URL for the process."""
    return redis.Redis.from_url(url)
