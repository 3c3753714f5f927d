"""Claiming due deliveries under a lease, and handing claims back untried.

``claim_due``: ``scheduled|retrying`` and due → ``claimed`` under a fresh lease owner, in one
transaction: the oldest due rows are selected and locked (PostgreSQL ``FOR UPDATE SKIP
LOCKED``; SQLite under ``BEGIN IMMEDIATE``), those whose account has publishing budget left
(``throttle``) are claimed, and an account out of budget is left out of the next selection. An
``unknown`` delivery marked ``needs_lookup`` is claimed the same way: the worker asks the
platform whether the post exists before it sends anything again. Gates that need more than the
claim statement can say (stale approvals, embargoes, accounts to reconnect, deliveries past
their latest useful time) run in the claim's transaction. ``release`` gives claims back when
nothing was sent.

Apart from ``publishing`` and ``reaper`` because this is the scheduler's side of the queue,
deciding what goes out now; what a worker does with a claim, and what becomes of one nobody
took, are theirs. ``UNTRIED``, the undoing of a claim, is shared with the reaper; a worker whose
fence finds a delivery paused hands it back with ``release``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, select, update
from sqlmodel import SQLModel

from scheduler.core.models import DeliveryStatus, HoldReason, utcnow
from scheduler.planning.embargoes import hold_embargoed
from scheduler.planning.holds import hold_claimed
from scheduler.planning.lateness import hold_late
from scheduler.queue.gates import claimable_now
from scheduler.queue.throttle import Throttle
from scheduler.review.expiry import return_stale

DELIVERY = SQLModel.metadata.tables["delivery"]
_c = DELIVERY.c
ACCOUNT = SQLModel.metadata.tables["account"]
#: Selections one claim makes at most: each one after the first follows accounts that ran out
#: of budget, so this only bounds a tick where many accounts run out at once.
MAX_ROUNDS = 8

#: A delivery handed back before anything was sent: claimable again, lease gone, and the
#: attempt its claim counted given back (nothing was tried).
UNTRIED: dict[str, Any] = {
    "status": DeliveryStatus.scheduled.value,
    "lease_owner": None,
    "lease_until": None,
    "attempt": _c.attempt - 1,
}


def claim_due(
    engine: Engine,
    *,
    now: datetime,
    owner: str,
    limit: int,
    lease_until: datetime,
    throttle: Throttle | None = None,
) -> list[int]:
    """Claim up to ``limit`` due deliveries for ``owner``, oldest due first, in one transaction.

    With a ``throttle``, a delivery is claimed only if its account has publishing budget left;
    the rest stay as they are, due time untouched. Accounts out of budget are left out of the
    selection, so a throttled backlog never takes the places of other accounts' deliveries.
    """
    claimed: list[int] = []
    with engine.begin() as conn:
        for _ in range(MAX_ROUNDS):
            wanted = limit - len(claimed)
            picked = conn.execute(_pick(now, wanted, throttle)).all()
            admitted = [
                row.id
                for row in picked
                if throttle is None or throttle.admit(row.account_id, row.platform)
            ]
            if admitted:
                conn.execute(_claim(admitted, owner, lease_until))
                claimed += admitted
            # A shortfall means an account came to rest: select again without it.
            if len(picked) < wanted or len(admitted) == len(picked):
                break
        claimed.sort()
        # Gates that need more than the claim statement can say, in the claim's transaction.
        stale = return_stale(conn, claimed, now=now)
        fresh = [i for i in claimed if i not in stale]
        held = hold_embargoed(conn, fresh, now=now) | hold_disconnected(conn, fresh)
        held |= hold_late(conn, [i for i in fresh if i not in held], now=now)
        return [i for i in fresh if i not in held]


def _pick(now: datetime, limit: int, throttle: Throttle | None) -> Any:
    """The oldest due, claimable deliveries of accounts with budget, locked (PostgreSQL)."""
    platform = select(ACCOUNT.c.platform).where(ACCOUNT.c.id == _c.account_id).scalar_subquery()
    pick = select(_c.id, _c.account_id, platform.label("platform")).where(claimable_now(now))
    resting = throttle.resting() if throttle is not None else []
    if resting:
        pick = pick.where(_c.account_id.not_in(resting))
    return pick.order_by(_c.due_at, _c.id).limit(limit).with_for_update(skip_locked=True)


def _claim(ids: list[int], owner: str, lease_until: datetime) -> Any:
    return (
        update(DELIVERY)
        .where(_c.id.in_(ids))
        .values(
            status=DeliveryStatus.claimed.value,
            lease_owner=owner,
            lease_until=lease_until,
            attempt=_c.attempt + 1,
            updated_at=utcnow(),
        )
    )


def hold_disconnected(
    conn: Connection, ids: Sequence[int], *, actor: str = "scheduler"
) -> set[int]:
    """Inside a claim's transaction: hold what goes to accounts that need reconnecting.

    Sending would only meet the same refusal (and some platforms count refused calls against
    the account); held deliveries wait for the reconnect, which releases exactly these.
    """
    if not ids:
        return set()
    account = ACCOUNT.c
    rows = conn.execute(
        select(_c.id, account.needs_reconnect)
        .join(ACCOUNT, account.id == _c.account_id)
        .where(_c.id.in_(list(ids)), account.needs_reconnect.is_not(None))
    ).all()
    reasons = {row.id: f"the account needs reconnecting: {row.needs_reconnect}" for row in rows}
    return hold_claimed(conn, reasons, held_for=HoldReason.account, actor=actor)


def release(engine: Engine, *, owner: str, ids: Sequence[int] | None = None) -> int:
    """Give back claimed deliveries (all of ``owner``'s, or just ``ids``); nothing was sent.

    Used when a claim's message could not be sent, and by a worker whose fence found a
    delivery paused (each delivery is fenced just before its platform call). The attempt is
    handed back too: nothing was tried.
    """
    held_by_owner = and_(_c.lease_owner == owner, _c.status == DeliveryStatus.claimed.value)
    if ids is not None:
        held_by_owner = and_(held_by_owner, _c.id.in_(list(ids)))
    with engine.begin() as conn:
        result = conn.execute(
            update(DELIVERY).where(held_by_owner).values(**UNTRIED, updated_at=utcnow())
        )
        return result.rowcount


def lease_deadline(now: datetime, seconds: float) -> datetime:
    """When a lease taken at ``now`` runs out."""
    return now + timedelta(seconds=seconds)
