"""Holding just-claimed deliveries, each for a reason a person reads, in the claim's transaction.

The gates that need more than the claim statement (an embargo, a latest useful time) each
decide which deliveries stop and why; holding them is the same for every gate, so it is here:
``held`` for the gate's ``HoldReason`` with its words, the claim undone (no lease; the attempt
it counted given back, since nothing was tried), and one audit event per delivery.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, bindparam, update
from sqlmodel import SQLModel

from scheduler.core.models import DeliveryStatus, HoldReason, utcnow
from scheduler.events.record import record_event

_delivery = SQLModel.metadata.tables["delivery"]


def hold_claimed(
    conn: Connection, reasons: Mapping[int, str], *, held_for: HoldReason, actor: str
) -> set[int]:
    """Hold each delivery of ``reasons`` (id → why) for ``held_for``; answer their ids."""
    if reasons:
        stamp = utcnow()
        conn.execute(
            _HOLD.values(held_for=held_for.value),
            [{"b_id": i, "b_reason": why, "b_at": stamp} for i, why in reasons.items()],
        )
        for delivery_id, why in reasons.items():
            record_event(
                conn,
                actor=actor,
                action="delivery.held",
                entity="delivery",
                entity_id=delivery_id,
                reason=why,
            )
    return set(reasons)


_HOLD = (
    update(_delivery)
    .where(_delivery.c.id == bindparam("b_id"))
    .values(
        status=DeliveryStatus.held.value,
        last_error=bindparam("b_reason"),
        lease_owner=None,
        lease_until=None,
        attempt=_delivery.c.attempt - 1,
        updated_at=bindparam("b_at"),
    )
)
