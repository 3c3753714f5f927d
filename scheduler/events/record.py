"""Recording a change: one append-only AuditEvent per change of state, in the change's own commit.

Writing the event in the same transaction as the change means there is never a change without
its record, nor a record of a change that rolled back. The same holds for the notifications an
event calls for (``scheduler.events.outbox``): they are queued in this transaction
too. The database refuses any ``UPDATE`` of an event (migration 0011).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import Connection, insert
from sqlmodel import Session, SQLModel

from scheduler.core.errors import Invalid
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


def change_recorded(
    session: Session, row: SQLModel, given: dict[str, Any], *, actor: str, action: str
) -> bool:
    """Set the fields ``given`` (a partial update's ``model_dump(exclude_unset=True)``) on
    ``row`` and record only what changed, before and after; ``False`` when nothing did.

    A field given as null is refused by name: in a partial update, leaving a field out keeps
    it, so a null can only be a mistake (and most columns cannot hold one).
    """
    for field, value in given.items():
        if value is None:
            raise Invalid(field, "may not be null; leave it out to keep the current value")
    changed = {field: value for field, value in given.items() if getattr(row, field) != value}
    if not changed:
        return False
    before = {field: _plain(getattr(row, field)) for field in changed}
    for field, value in changed.items():
        setattr(row, field, value)
    after = {field: _plain(value) for field, value in changed.items()}
    save_recorded(session, row, actor=actor, action=action, before=before, after=after)
    return True


def delete_recorded(session: Session, row: SQLModel, *, actor: str, action: str) -> None:
    """Delete ``row`` and record what it was (its columns, as JSON)."""
    was = row.model_dump(mode="json")
    entity_id = getattr(row, "id", None)
    session.delete(row)
    session.flush()
    record_event(
        session.connection(),
        actor=actor,
        action=action,
        entity=str(type(row).__tablename__),
        entity_id=entity_id,
        before=was,
    )


def _plain(value: object) -> object:
    """A column's value as JSON has it: an enum as its string, a time in ISO 8601."""
    value = getattr(value, "value", value)
    return value.isoformat() if isinstance(value, datetime | time) else value
