"""Recording a change: one append-only AuditEvent per change of state, in the change's own commit.

Writing the event in the same transaction as the change means there is never a change without
its record, nor a record of a change that rolled back. The same holds for the notifications an
event calls for (``scheduler.events.outbox``): they are queued in this transaction
too. The database refuses any ``UPDATE`` of an event (migration 0011).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert
from sqlmodel import Session, SQLModel

from scheduler.core.models import utcnow
from scheduler.events.outbox import NOTIFY_ACTIONS, enqueue

_INSERT_EVENT = insert(SQLModel.metadata.tables["auditevent"])


def record_event(
    conn: Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Append one AuditEvent inside the caller's transaction, with the notifications it calls
    for (only a handful of actions do; every other one costs a set lookup here)."""
    at = utcnow()
    conn.execute(
        _INSERT_EVENT,
        {
            "at": at,
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "before": before,
            "after": after,
            "reason": reason,
        },
    )
    if action in NOTIFY_ACTIONS:
        enqueue(
            conn,
            action=action,
            entity=entity,
            entity_id=entity_id,
            actor=actor,
            reason=reason,
            at=at,
        )


def save_recorded(
    session: Session,
    row: SQLModel,
    *,
    actor: str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Write ``row`` (new or changed) and its AuditEvent; the entity is named after its table."""
    session.add(row)
    session.flush()
    record_event(
        session.connection(),
        actor=actor,
        action=action,
        entity=str(type(row).__tablename__),
        entity_id=getattr(row, "id", None),
        before=before,
        after=after,
        reason=reason,
    )
