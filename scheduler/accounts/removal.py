"""Removing an account from use: ask first what it would cancel, then remove it.

An account is never deleted: the deliveries it published (and their audit trail) name it, and
"what went out on that account" should stay answerable. Removing it stamps ``removed_at``;
from then on it is not listed, no post, import or playbook may target it, nothing of it is
claimed (``scheduler.queue.gates``), and it cannot be edited, reconnected or granted.

Its deliveries that could still go out are cancelled in the same transaction, each with its
own AuditEvent saying why: unsent ones (``pending``, ``scheduled``, ``retrying``, ``held``)
and ``claimed`` ones, which a worker holds a message for but has not fenced yet. Cancelling
those is what stops the worker: its fence (``scheduler.queue.publishing.fence_one``) moves
only a delivery still ``claimed`` by it, so it finds nothing and sends nothing. A delivery
``publishing`` right now is past that fence, talking to the platform: removal waits for it
(409 naming it) rather than hide an outcome that is about to land. ``unknown`` deliveries
(may exist on the platform) are left for a person to resolve as published or failed; with
the account removed, no lookup claims them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, SQLModel

from scheduler.accounts.changes import account_in_use
from scheduler.core.errors import Conflict
from scheduler.core.models import UNSENT, DeliveryStatus, utcnow
from scheduler.events.record import record_event, save_recorded

_delivery = SQLModel.metadata.tables["delivery"]
_d = _delivery.c
#: What removing an account cancels: every state from which a delivery could still go out.
CANCELLED_ON_REMOVAL = [s.value for s in UNSENT] + [DeliveryStatus.claimed.value]


@dataclass(frozen=True)
class Cancelled:
    """A delivery the removal cancels (or, asked first, would cancel)."""

    delivery_id: int
    post_id: int
    status: str
    due_at: datetime


@dataclass(frozen=True)
class Removal:
    """What removing an account does: the deliveries it cancels, and those publishing now,
    which make it wait."""

    account_id: int
    cancelled: list[Cancelled]
    publishing: list[int]


def removal_preview(*, session: Session, account_id: int) -> Removal:
    """What ``remove_account`` would cancel now; nothing is changed."""
    account_in_use(session, account_id)
    return _removal(session, account_id)


def remove_account(*, session: Session, account_id: int, actor: str) -> Removal:
    """Take the account out of use and cancel what could still go out on it (each audited);
    409 while one of its deliveries is being published."""
    account = account_in_use(session, account_id, lock=True)
    removal = _removal(session, account_id, lock=True)
    if removal.publishing:
        raise Conflict(
            f"account: deliveries {', '.join(map(str, removal.publishing))} of account "
            f"{account_id} are being published right now; remove it once they have finished"
        )
    conn = session.connection()
    reason = f"its account {account.platform}:{account.handle} was removed"
    ids = [c.delivery_id for c in removal.cancelled]
    if ids:
        conn.execute(
            update(_delivery)
            .where(_d.id.in_(ids))
            .values(
                status=DeliveryStatus.cancelled.value,
                lease_owner=None,
                lease_until=None,
                updated_at=utcnow(),
            )
        )
    for cancelled in removal.cancelled:
        record_event(
            conn,
            actor=actor,
            action="delivery.cancelled",
            entity="delivery",
            entity_id=cancelled.delivery_id,
            before={"status": cancelled.status},
            after={"status": DeliveryStatus.cancelled.value},
            reason=reason,
        )
    account.removed_at = utcnow()
    save_recorded(
        session,
        account,
        actor=actor,
        action="account.removed",
        before={"platform": account.platform, "handle": account.handle},
        after={"cancelled": ids},
    )
    return removal


def _removal(session: Session, account_id: int, *, lock: bool = False) -> Removal:
    query = (
        select(_d.id, _d.post_id, _d.status, _d.due_at)
        .where(
            _d.account_id == account_id,
            _d.status.in_([*CANCELLED_ON_REMOVAL, DeliveryStatus.publishing.value]),
        )
        .order_by(_d.due_at, _d.id)
    )
    if lock:
        query = query.with_for_update()
    rows = session.connection().execute(query).all()
    return Removal(
        account_id=account_id,
        cancelled=[
            Cancelled(row.id, row.post_id, row.status, row.due_at)
            for row in rows
            if row.status != DeliveryStatus.publishing
        ],
        publishing=[row.id for row in rows if row.status == DeliveryStatus.publishing],
    )
