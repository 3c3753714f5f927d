"""Leases that ran out, taken back.

A claim nobody fenced in time goes back to be claimed again (nothing was sent); a publish whose
worker vanished becomes ``unknown`` (something may have been sent), to be looked up on the
platform, but not before ``lookup_at``: the worker may only be slow, and a lookup that runs
before its answer lands finds nothing and sends again. Apart because it acts on claims that are
nobody's any more: the scheduler's *reap* job runs it on machine time, on its own schedule,
never inside a claim or a publish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import SQLModel

from scheduler.core.models import DeliveryStatus, utcnow
from scheduler.events.record import record_event
from scheduler.queue.claims import UNTRIED

DELIVERY = SQLModel.metadata.tables["delivery"]
_c = DELIVERY.c


@dataclass(frozen=True)
class Reaped:
    """What one reaper pass did."""

    reclaimed: list[int]
    unknown: list[int]


def reap_expired(
    engine: Engine, *, now: datetime, lookup_at: datetime, actor: str = "reaper"
) -> Reaped:
    """Take back expired claims and mark vanished publishes ``unknown``, due at ``lookup_at``.

    ``now`` is machine time (leases measure whether a process is alive); ``lookup_at`` is
    schedule time, like every due time (the service's clock plus ``lookup_delay_seconds``).
    """
    expired = _c.lease_until < now
    with engine.begin() as conn:
        reclaimed = sorted(
            conn.execute(
                update(DELIVERY)
                .where(_c.status == DeliveryStatus.claimed.value, expired)
                .values(**UNTRIED, updated_at=utcnow())
                .returning(_c.id)
            ).scalars()
        )
        lost = "the worker stopped answering while publishing; the post may exist"
        unknown = sorted(
            conn.execute(
                update(DELIVERY)
                .where(_c.status == DeliveryStatus.publishing.value, expired)
                .values(
                    status=DeliveryStatus.unknown.value,
                    needs_lookup=True,
                    due_at=lookup_at,
                    last_error=lost,
                    updated_at=utcnow(),
                )
                .returning(_c.id)
            ).scalars()
        )
        for delivery_id in reclaimed:
            record_event(
                conn,
                actor=actor,
                action="delivery.reclaimed",
                entity="delivery",
                entity_id=delivery_id,
                reason="lease expired before a worker took it",
            )
        for delivery_id in unknown:
            record_event(
                conn,
                actor=actor,
                action="delivery.unknown",
                entity="delivery",
                entity_id=delivery_id,
                reason=lost,
            )
    return Reaped(reclaimed=reclaimed, unknown=unknown)
