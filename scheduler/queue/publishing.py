"""A claim in a worker's hands: fence each delivery, keep its progress, record the answer.

- ``fence_one``: ``claimed`` by *this* owner → ``publishing``, one delivery, just before its
  platform call, with a fresh lease. A batch is fenced one delivery at a time, so a worker
  that outlives its lease (a slow platform) sends nothing for what it no longer holds, and one
  that dies leaves its untried deliveries ``claimed``, for the reaper to give back untried. A
  duplicate or stale message finds nothing to fence and does nothing. (``fence`` moves many at
  once, for callers that hold a whole claim.)
- ``save_progress`` (``DeliveryProgress``, the adapters' ``Progress`` on the row): a platform
  step done, written to the row, and the lease extended, only while this owner still holds
  the delivery; otherwise ``NotOwned`` stops the work.
- ``finish``: ``publishing`` by this owner → the outcome. The reaper may have marked a slow
  publish ``unknown`` meanwhile; the owner's real answer still lands.

Apart because these are the worker's statements (``workers.publish``): each holds only while
the lease owner still matches, and the outcomes are prebuilt with bind parameters for the
publish path's speed (``docs/performance.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, or_, update
from sqlmodel import SQLModel

from scheduler.core.clock import machine_now
from scheduler.core.models import AuditEvent, Delivery, DeliveryStatus, HoldReason, utcnow
from scheduler.events.record import record_event
from scheduler.queue.gates import not_paused

DELIVERY = SQLModel.metadata.tables["delivery"]
_c = DELIVERY.c


class NotOwned(Exception):
    """The delivery is no longer this worker's: its lease ran out and it was taken back.

    Raised by a progress save that finds another owner (or the reaper's ``unknown``) on the
    row. The worker sends nothing more for the delivery and records no outcome: the reaper
    asked for a lookup, or a new claim holds it, and either settles it without this worker.
    """


_FENCE_ONE = (
    update(DELIVERY)
    .where(
        _c.id == bindparam("b_id"),
        _c.status == DeliveryStatus.claimed.value,
        _c.lease_owner == bindparam("b_owner"),
        not_paused(),
    )
    .values(
        status=DeliveryStatus.publishing.value,
        lease_until=bindparam("b_lease_until"),
        updated_at=bindparam("b_updated_at"),
    )
)


def fence_one(conn: Connection, *, delivery_id: int, owner: str, lease_until: datetime) -> bool:
    """Move one claimed, unpaused delivery of this owner to ``publishing``, leased anew.

    One conditional ``UPDATE``, committed before the platform is called: the lease then covers
    this delivery's publish alone, not the wait behind the rest of its batch.
    """
    params = {
        "b_id": delivery_id,
        "b_owner": owner,
        "b_lease_until": lease_until,
        "b_updated_at": utcnow(),
    }
    with conn.begin():
        return bool(conn.execute(_FENCE_ONE, params).rowcount)


_SAVE_PROGRESS = (
    update(DELIVERY)
    .where(
        _c.id == bindparam("b_id"),
        _c.status == DeliveryStatus.publishing.value,
        _c.lease_owner == bindparam("b_owner"),
    )
    .values(
        platform_state=bindparam("b_state", type_=_c.platform_state.type),
        lease_until=bindparam("b_lease_until"),
    )
)


def save_progress(
    conn: Connection, *, delivery_id: int, owner: str, state: Any, lease_until: datetime
) -> None:
    """Write a platform step to the row and extend the lease, if this owner still holds it.

    Raises ``NotOwned`` otherwise: the step is not written over the new holder's, and the
    caller must stop, since the delivery may be published by someone else right now.
    """
    params = {"b_id": delivery_id, "b_owner": owner, "b_state": state, "b_lease_until": lease_until}
    with conn.begin():
        if not conn.execute(_SAVE_PROGRESS, params).rowcount:
            raise NotOwned(f"delivery {delivery_id} is no longer held by {owner}")


class DeliveryProgress:
    """``Progress`` kept on the delivery row, written as each platform step succeeds.

    Written only while this owner still holds the delivery, and each write extends the lease
    (a long upload keeps its hold step by step). A write that finds the delivery taken back
    raises ``NotOwned``: the adapter stops at once instead of sending the next part of what
    may now be another worker's publish, and overwriting what the new holder did.
    """

    def __init__(
        self, conn: Connection, delivery: Delivery, owner: str, *, lease_seconds: float
    ) -> None:
        self._conn, self._id, self._owner = conn, delivery.id or 0, owner
        self._lease = timedelta(seconds=lease_seconds)
        self._state: dict[str, Any] = dict(delivery.platform_state or {})

    @property
    def state(self) -> Mapping[str, Any]:
        return self._state

    def save(self, **changes: Any) -> None:
        self._state.update(changes)
        save_progress(
            self._conn,
            delivery_id=self._id,
            owner=self._owner,
            state=dict(self._state),
            lease_until=machine_now() + self._lease,
        )


#: The audit trail's ``actor`` column holds this many characters.
ACTOR_CHARS: int = AuditEvent.__table__.c.actor.type.length  # type: ignore[attr-defined]


def bounded_actor(actor: str) -> str:
    """``actor`` cut to fit the audit trail, keeping its start and its end (the pid).

    A worker names itself after its host, and a container's hostname can be 200 characters:
    too long an actor makes the outcome's commit fail on PostgreSQL after the post went out.
    """
    if len(actor) <= ACTOR_CHARS:
        return actor
    tail = actor[-20:]
    return f"{actor[: ACTOR_CHARS - len(tail) - 1]}~{tail}"


def fence(engine: Engine, *, ids: Sequence[int], owner: str, lease_until: datetime) -> list[int]:
    """``fence_one`` for each of ``ids``; those moved to ``publishing``, sorted.

    The worker fences one delivery at a time, just before its platform call; this batch form
    is for setting rows up (tests, tools) and shares the one conditional statement.
    """
    with engine.connect() as conn:
        return sorted(
            i for i in ids if fence_one(conn, delivery_id=i, owner=owner, lease_until=lease_until)
        )


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What became of one publish attempt."""

    status: DeliveryStatus
    error: str | None = None
    external_id: str | None = None
    external_url: str | None = None
    published_at: datetime | None = None
    #: For ``retrying``: when it is due again (schedule time).
    due_at: datetime | None = None
    #: For ``held``: which kind of hold, so it can be released by kind.
    held_for: HoldReason | None = None
    #: For ``unknown``: ask the platform whether the post exists (at ``due_at``) before
    #: anything is sent again; without it, a person decides.
    needs_lookup: bool = False


#: Where a delivery owed a lookup waits with no worker on it (``publishing`` is a worker's).
LOOKUP_WAITS = [
    DeliveryStatus.scheduled.value,
    DeliveryStatus.claimed.value,
    DeliveryStatus.retrying.value,
    DeliveryStatus.held.value,
]


def _finish_statement(*columns: str, confirmed: bool = False) -> Any:
    """``publishing|unknown`` held by ``b_owner`` → the outcome; built once per outcome shape.

    The reaper may have marked a slow publish ``unknown``; the owner's real answer still lands.
    A ``confirmed`` outcome (the platform answered with the post) also lands, whoever holds the
    delivery, while it is ``unknown`` or waits for its lookup without a worker on it: a
    platform slower than the lease and the lookup delay gets the delivery claimed again (the
    message may wait behind slow work) and, where the platform cannot be asked, left
    ``unknown`` before the first worker's answer comes. That answer is the truth a person would
    otherwise have to find by hand; the later claim's fence then finds nothing to do.
    """
    shared = ("status", "last_error", "held_for", "needs_lookup")
    values: dict[str, Any] = {name: bindparam(f"b_{name}") for name in (*shared, *columns)}
    owned = and_(
        _c.lease_owner == bindparam("b_owner"),
        _c.status.in_([DeliveryStatus.publishing.value, DeliveryStatus.unknown.value]),
    )
    awaiting_truth = or_(
        _c.status == DeliveryStatus.unknown.value,
        and_(_c.needs_lookup.is_(True), _c.status.in_(LOOKUP_WAITS)),
    )
    held = or_(owned, awaiting_truth) if confirmed else owned
    return (
        update(DELIVERY)
        .where(_c.id == bindparam("b_id"), held)
        .values(lease_until=None, updated_at=bindparam("b_updated_at"), **values)
    )


_FINISH_PUBLISHED = _finish_statement("external_id", "external_url", "published_at", confirmed=True)


_FINISH_RETRYING = _finish_statement("due_at", "lease_owner")  # and unknown, to look up


_FINISH_OTHER = _finish_statement()


def finish(
    engine: Engine | Connection, *, delivery_id: int, owner: str, outcome: Outcome, actor: str
) -> bool:
    """Record ``outcome`` if this owner still holds the delivery; audit it in the same commit.

    Each outcome is committed on its own, right after the platform answered, so a worker that
    dies mid-batch leaves at most the one in hand to reconcile. Pass a ``Connection`` to reuse
    it across a batch (one pool checkout instead of one per delivery).
    """
    if isinstance(engine, Engine):
        with engine.connect() as conn:
            return finish(conn, delivery_id=delivery_id, owner=owner, outcome=outcome, actor=actor)
    status = outcome.status
    params: dict[str, Any] = {
        "b_id": delivery_id,
        "b_owner": owner,
        "b_status": status.value,
        "b_last_error": outcome.error,
        "b_held_for": outcome.held_for.value if outcome.held_for else None,
        "b_needs_lookup": outcome.needs_lookup,
        "b_updated_at": utcnow(),
    }
    if status is DeliveryStatus.published:
        statement = _FINISH_PUBLISHED
        params |= {
            "b_external_id": outcome.external_id,
            "b_external_url": outcome.external_url,
            "b_published_at": outcome.published_at,
        }
    elif status is DeliveryStatus.retrying or outcome.needs_lookup:
        statement = _FINISH_RETRYING
        params |= {"b_due_at": outcome.due_at, "b_lease_owner": None}
    else:
        statement = _FINISH_OTHER
    with engine.begin():
        moved = engine.execute(statement, params).rowcount
        if moved:
            after = {"status": status.value, "error": outcome.error, "url": outcome.external_url}
            record_event(
                engine,
                actor=actor,
                action=f"delivery.{status.value}",
                entity="delivery",
                entity_id=delivery_id,
                after=after,
                reason=outcome.error,
            )
    return bool(moved)
