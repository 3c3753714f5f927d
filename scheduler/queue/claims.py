"""The database as the queue: claim, fence, finish and reap deliveries.

Every state change of a delivery on the dispatch path is one conditional ``UPDATE``, so two
schedulers, a redelivered Celery message or a worker that wakes up late can never move a
delivery twice:

- ``claim_due``: ``scheduled|retrying`` and due → ``claimed`` under a fresh lease owner, one
  statement (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite under ``BEGIN IMMEDIATE``). An
  ``unknown`` delivery marked ``needs_lookup`` is claimed the same way: the worker asks the
  platform whether the post exists before it sends anything again.
- ``fence``: ``claimed`` by *this* owner → ``publishing``. A duplicate or stale message finds
  nothing to fence and does nothing.
- ``finish``: ``publishing`` by this owner → the outcome. The reaper may have marked a slow
  publish ``unknown`` meanwhile; the owner's real answer still lands.
- ``reap_expired``: a claim nobody fenced in time goes back to be claimed again (nothing was
  sent); a publish whose worker vanished becomes ``unknown`` (something may have been sent),
  to be looked up on the platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, exists, or_, select, update
from sqlmodel import SQLModel

from scheduler.core.models import CLAIMABLE, DeliveryStatus, HoldReason, PauseScope, utcnow
from scheduler.events.record import record_event
from scheduler.planning.embargoes import hold_embargoed
from scheduler.review.expiry import return_stale

DELIVERY = SQLModel.metadata.tables["delivery"]
_c = DELIVERY.c
POST = SQLModel.metadata.tables["post"]
MILESTONE = SQLModel.metadata.tables["milestone"]
BLACKOUT = SQLModel.metadata.tables["blackout"]
ACCOUNT = SQLModel.metadata.tables["account"]
_post = POST.c
_pause = SQLModel.metadata.tables["pause"].c

#: A delivery handed back before anything was sent: claimable again, lease gone, and the
#: attempt its claim counted given back (nothing was tried).
UNTRIED: dict[str, Any] = {
    "status": DeliveryStatus.scheduled.value,
    "lease_owner": None,
    "lease_until": None,
    "attempt": _c.attempt - 1,
}


def not_paused() -> Any:
    """No active pause covers the delivery: not everything, its production or its account."""
    # Correlate explicitly: the production lookup sits two subqueries below the delivery.
    production = (
        select(_post.production_id).where(_post.id == _c.post_id).correlate(DELIVERY)
    ).scalar_subquery()
    active = (
        select(_pause.id)
        .correlate(DELIVERY)
        .where(
            _pause.resumed_at.is_(None),
            or_(
                _pause.scope == PauseScope.all.value,
                and_(_pause.scope == PauseScope.account.value, _pause.account_id == _c.account_id),
                and_(
                    _pause.scope == PauseScope.production.value, _pause.production_id == production
                ),
            ),
        )
    )
    return ~exists(active)


def not_tentative() -> Any:
    """The delivery's milestone, if it has one, has a confirmed date (fail closed)."""
    tentative = (
        select(_post.id)
        .select_from(POST.join(MILESTONE, MILESTONE.c.id == _post.anchor_milestone_id))
        .where(_post.id == _c.post_id, MILESTONE.c.tentative.is_(True))
        .correlate(DELIVERY)
    )
    return ~exists(tentative)


def not_blacked_out(now: datetime) -> Any:
    """No blackout of the delivery's production (or a global one) is on now."""
    production = (
        select(_post.production_id).where(_post.id == _c.post_id).correlate(DELIVERY)
    ).scalar_subquery()
    blackout = BLACKOUT.c
    on = (
        select(blackout.id)
        .where(
            blackout.starts_at <= now,
            blackout.ends_at > now,
            or_(blackout.production_id.is_(None), blackout.production_id == production),
        )
        .correlate(DELIVERY)
    )
    return ~exists(on)


def claimable_now(now: datetime) -> Any:
    """The gates a delivery passes to be claimed: approved, due, claimable, not paused, not
    anchored to a tentative milestone, not inside a blackout."""
    to_look_up = and_(_c.status == DeliveryStatus.unknown.value, _c.needs_lookup.is_(True))
    return and_(
        or_(_c.status.in_([s.value for s in CLAIMABLE]), to_look_up),
        _c.due_at <= now,
        _c.approval_id.is_not(None),
        not_paused(),
        not_tentative(),
        not_blacked_out(now),
    )


def is_paused(conn: Connection, delivery_id: int) -> bool:
    """Whether a pause now covers this delivery (the worker asks just before publishing)."""
    paused = select(_c.id).where(_c.id == delivery_id, ~not_paused())
    return conn.execute(paused).first() is not None


def claim_due(
    engine: Engine, *, now: datetime, owner: str, limit: int, lease_until: datetime
) -> list[int]:
    """Claim up to ``limit`` due deliveries for ``owner``, oldest due first, in one statement."""
    pick = (
        select(_c.id)
        .where(claimable_now(now))
        .order_by(_c.due_at, _c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(DELIVERY)
        .where(_c.id.in_(pick.scalar_subquery()))
        .values(
            status=DeliveryStatus.claimed.value,
            lease_owner=owner,
            lease_until=lease_until,
            attempt=_c.attempt + 1,
            updated_at=utcnow(),
        )
        .returning(_c.id)
    )
    with engine.begin() as conn:
        claimed = sorted(conn.execute(claim).scalars())
        # Gates that need more than the claim statement can say, in the claim's transaction.
        stale = return_stale(conn, claimed, now=now)
        fresh = [i for i in claimed if i not in stale]
        held = hold_embargoed(conn, fresh, now=now) | hold_disconnected(conn, fresh)
        return [i for i in fresh if i not in held]


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
    reason = select(account.needs_reconnect).where(account.id == _c.account_id).scalar_subquery()
    rows = conn.execute(
        update(DELIVERY)
        .where(
            _c.id.in_(list(ids)),
            exists(
                select(account.id).where(
                    account.id == _c.account_id, account.needs_reconnect.is_not(None)
                )
            ),
        )
        .values(
            **{**UNTRIED, "status": DeliveryStatus.held.value},
            held_for=HoldReason.account.value,
            last_error="the account needs reconnecting: " + reason,
            updated_at=utcnow(),
        )
        .returning(_c.id, _c.last_error)
    ).all()
    for delivery_id, why in rows:
        record_event(
            conn,
            actor=actor,
            action="delivery.held",
            entity="delivery",
            entity_id=delivery_id,
            reason=why,
        )
    return {row.id for row in rows}


def release(engine: Engine, *, owner: str, ids: Sequence[int] | None = None) -> int:
    """Give back claimed deliveries (all of ``owner``'s, or just ``ids``); nothing was sent.

    Used when a claim's message could not be sent, and by a worker that found a delivery
    paused at the fence. The attempt is handed back too: nothing was tried.
    """
    held_by_owner = and_(_c.lease_owner == owner, _c.status == DeliveryStatus.claimed.value)
    if ids is not None:
        held_by_owner = and_(held_by_owner, _c.id.in_(list(ids)))
    with engine.begin() as conn:
        result = conn.execute(
            update(DELIVERY).where(held_by_owner).values(**UNTRIED, updated_at=utcnow())
        )
        return result.rowcount


def fence(engine: Engine, *, ids: Sequence[int], owner: str, lease_until: datetime) -> list[int]:
    """Move this owner's claimed, unpaused deliveries to ``publishing``; return those moved."""
    if not ids:
        return []
    with engine.begin() as conn:
        rows = conn.execute(
            update(DELIVERY)
            .where(
                _c.id.in_(list(ids)),
                _c.status == DeliveryStatus.claimed.value,
                _c.lease_owner == owner,
                not_paused(),
            )
            .values(
                status=DeliveryStatus.publishing.value,
                lease_until=lease_until,
                updated_at=utcnow(),
            )
            .returning(_c.id)
        )
        return sorted(rows.scalars())


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


def _finish_statement(*columns: str) -> Any:
    """``publishing|unknown`` held by ``b_owner`` → the outcome; built once per outcome shape.

    The reaper may have marked a slow publish ``unknown``; the owner's real answer still lands.
    """
    shared = ("status", "last_error", "held_for", "needs_lookup")
    values: dict[str, Any] = {name: bindparam(f"b_{name}") for name in (*shared, *columns)}
    return (
        update(DELIVERY)
        .where(
            _c.id == bindparam("b_id"),
            _c.lease_owner == bindparam("b_owner"),
            _c.status.in_([DeliveryStatus.publishing.value, DeliveryStatus.unknown.value]),
        )
        .values(lease_until=None, updated_at=bindparam("b_updated_at"), **values)
    )


_GIVE_BACK = (
    update(DELIVERY)
    .where(
        _c.id == bindparam("b_id"),
        _c.lease_owner == bindparam("b_owner"),
        _c.status == DeliveryStatus.publishing.value,
    )
    .values(**UNTRIED, last_error=bindparam("b_reason"), updated_at=bindparam("b_updated_at"))
)


def give_back(conn: Connection, *, delivery_id: int, owner: str, reason: str) -> bool:
    """Return a fenced delivery, untried, to ``scheduled`` (a pause came in just before)."""
    with conn.begin():
        params = {
            "b_id": delivery_id,
            "b_owner": owner,
            "b_reason": reason,
            "b_updated_at": utcnow(),
        }
        return bool(conn.execute(_GIVE_BACK, params).rowcount)


_FINISH_PUBLISHED = _finish_statement("external_id", "external_url", "published_at")
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


@dataclass(frozen=True)
class Reaped:
    """What one reaper pass did."""

    reclaimed: list[int]
    unknown: list[int]


def reap_expired(engine: Engine, *, now: datetime, actor: str = "reaper") -> Reaped:
    """Take back expired claims and mark vanished publishes ``unknown``."""
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


def lease_deadline(now: datetime, seconds: float) -> datetime:
    """When a lease taken at ``now`` runs out."""
    return now + timedelta(seconds=seconds)
