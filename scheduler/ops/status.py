"""The state of the queue at a glance: what ``callsheet status`` shows a person on call.

Backlog by state, the oldest delivery still waiting and the next one due, what failed or went
unknown in the last day, what is paused, which accounts wait for a person to reconnect them,
and the workers seen (``scheduler.queue.heartbeats``). Every figure is one aggregate query, so
the screen costs the same with a million published deliveries as with ten.

The one thing an operator must not miss is deliveries due with no worker to publish them: the
scheduler goes on claiming, the claims run out and are claimed again, and nothing says why.
``no_worker`` says it in words, for the queue these settings send to (a worker of another
queue publishes none of them).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from scheduler.core.models import Account, Delivery, DeliveryStatus, Pause
from scheduler.core.models.states import CLAIMABLE
from scheduler.queue.heartbeats import FORGOTTEN_AFTER, WorkerSeen, workers_seen

#: States that still have to be sent or decided: the backlog.
WAITING = (
    DeliveryStatus.scheduled,
    DeliveryStatus.retrying,
    DeliveryStatus.claimed,
    DeliveryStatus.publishing,
    DeliveryStatus.held,
)
#: How far back "recent" failures and unknowns are counted.
RECENT = timedelta(days=1)


@dataclass(frozen=True)
class PauseInForce:
    id: int
    scope: str
    target: int | None
    reason: str
    paused_by: str
    paused_at: datetime


@dataclass(frozen=True)
class AccountToReconnect:
    id: int
    platform: str
    handle: str
    reason: str


@dataclass(frozen=True)
class QueueStatus:
    now: datetime
    #: Deliveries per state, every state named (zeros included).
    by_state: dict[str, int]
    #: The earliest ``due_at`` of a delivery that could go out and has not (overdue if past).
    oldest_due: datetime | None
    #: The first ``due_at`` still ahead.
    next_due: datetime | None
    #: Deliveries due now that no scheduler has claimed yet: the queue's depth.
    due_now: int
    failed_last_day: int
    unknown_last_day: int
    pauses: list[PauseInForce] = field(default_factory=list)
    reconnect: list[AccountToReconnect] = field(default_factory=list)
    #: The queue these settings send publishes to.
    queue: str = ""
    #: Every worker seen in the last day, most recently seen first.
    workers: list[WorkerSeen] = field(default_factory=list)
    #: Workers alive on ``queue``: heartbeats on time, not stopped.
    workers_alive: int = 0
    #: Set when deliveries wait for a worker and none is alive on ``queue``: what to say.
    no_worker: str | None = None

    @property
    def backlog(self) -> int:
        return sum(self.by_state[s] for s in WAITING)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON types, times in ISO 8601 (``callsheet status --json``)."""

        def plain(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value

        return {**plain(asdict(self)), "backlog": self.backlog}


def ago(seconds: float) -> str:
    """A machine duration as a person reads it on call: "12 s", "4 min", "3 h"."""
    if seconds < 90:
        return f"{math.floor(seconds)} s"
    if seconds < 90 * 60:
        return f"{math.floor(seconds / 60)} min"
    return f"{math.floor(seconds / 3600)} h"


def _no_worker(queue: str, workers: list[WorkerSeen], waiting: int) -> str | None:
    """What to say when ``waiting`` deliveries need a worker and none on ``queue`` is alive."""
    mine = [w for w in workers if w.queue == queue]
    if waiting == 0 or any(w.state == "alive" for w in mine):
        return None
    if not mine:
        hours = round(FORGOTTEN_AFTER.total_seconds() / 3600)
        gone = f"no worker seen in the last {hours} hours on queue {queue!r}"
    elif mine[0].state == "silent":
        gone = (
            f"no worker seen in the last {ago(mine[0].seconds_ago)} on queue {queue!r} "
            f"({mine[0].name} went silent)"
        )
    else:
        gone = (
            f"no worker running on queue {queue!r} "
            f"({mine[0].name} stopped {ago(mine[0].seconds_ago)} ago)"
        )
    return (
        f"{gone}: {waiting} due {'delivery waits' if waiting == 1 else 'deliveries wait'} "
        "for one, and nothing is published until a worker runs (`callsheet worker`)"
    )


def queue_status(
    session: Session, now: datetime, *, queue: str, machine: datetime | None = None
) -> QueueStatus:
    """Read the whole picture in one go (a handful of aggregate queries).

    ``now`` is schedule time (due times); ``machine`` real time (heartbeats), which the demo's
    fast clock leaves behind: by default the same as ``now``.
    """
    counted = session.exec(
        select(Delivery.status, func.count()).group_by(col(Delivery.status))
    ).all()
    by_state = {state.value: 0 for state in DeliveryStatus} | {s: int(n) for s, n in counted}
    claimable = col(Delivery.status).in_(list(CLAIMABLE))
    oldest = session.exec(select(func.min(Delivery.due_at)).where(claimable)).one()
    due_now = session.exec(select(func.count()).where(claimable, col(Delivery.due_at) <= now)).one()
    upcoming = session.exec(
        select(func.min(Delivery.due_at)).where(claimable, col(Delivery.due_at) > now)
    ).one()
    since = now - RECENT

    def recent(state: DeliveryStatus) -> int:
        query = select(func.count()).where(
            Delivery.status == state, col(Delivery.updated_at) >= since
        )
        return int(session.exec(query).one())

    pauses = session.exec(
        select(Pause).where(col(Pause.resumed_at).is_(None)).order_by(col(Pause.id))
    ).all()
    accounts = session.exec(
        select(Account)
        .where(col(Account.needs_reconnect).is_not(None), col(Account.removed_at).is_(None))
        .order_by(col(Account.id))
    ).all()
    workers = workers_seen(session, machine or now)
    # Due and unclaimed, or claimed and sent but not begun: both need a worker to move.
    waiting = int(due_now) + by_state[DeliveryStatus.claimed.value]
    return QueueStatus(
        now=now,
        by_state=by_state,
        oldest_due=oldest,
        next_due=upcoming,
        due_now=int(due_now),
        failed_last_day=recent(DeliveryStatus.failed),
        unknown_last_day=recent(DeliveryStatus.unknown),
        pauses=[
            PauseInForce(
                id=p.id or 0,
                scope=p.scope,
                target=p.production_id if p.production_id is not None else p.account_id,
                reason=p.reason,
                paused_by=p.paused_by,
                paused_at=p.paused_at,
            )
            for p in pauses
        ],
        reconnect=[
            AccountToReconnect(
                id=a.id or 0, platform=a.platform, handle=a.handle, reason=a.needs_reconnect or ""
            )
            for a in accounts
        ],
        queue=queue,
        workers=workers,
        workers_alive=sum(1 for w in workers if w.queue == queue and w.state == "alive"),
        no_worker=_no_worker(queue, workers, waiting),
    )
