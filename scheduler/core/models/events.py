"""What a change leaves behind: the append-only audit record, and the notifications to hooks
it calls for.

Apart because they are written beside every other room's changes, in the change's own commit
(``scheduler.events``), and nothing scheduled depends on them: they report, they never gate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from scheduler.core.models.columns import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """An append-only record of one change of state: who, what, before, after, why.

    Append-only is enforced by the database: a trigger refuses every ``UPDATE`` (migration
    0011). The ``(entity, entity_id)`` index lets a production's trail be found by joining from
    its milestones, posts and deliveries instead of reading the whole table.
    """

    __table_args__ = (Index("ix_auditevent_entity_entity_id", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(sa_type=String(120))
    action: str = Field(sa_type=String(60))
    entity: str = Field(sa_type=String(40))
    entity_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    reason: str | None = None


class NotificationHook(SQLModel, table=True):
    """Where to tell people what happened: a Slack-compatible incoming webhook URL.

    ``production_id`` ``None`` hears every production. The signing secret is sealed like an
    account's (``scheduler.core.vault``).
    """

    id: int | None = Field(default=None, primary_key=True)
    production_id: int | None = Field(default=None, foreign_key="production.id", index=True)
    url: str = Field(sa_type=String(1000))
    secret: str = Field(sa_column=Column(Text(), nullable=False))
    #: Events it hears: submitted, approved, rejected, held, failed, unknown.
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_by: str = Field(sa_type=String(120))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Notification(SQLModel, table=True):
    """One message to one hook: written in the commit of the change it reports, then sent.

    Its own delivery log: attempts, the last error, when it was sent.
    """

    __table_args__ = (Index("ix_notification_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    hook_id: int = Field(foreign_key="notificationhook.id", index=True)
    event: str = Field(sa_type=String(20))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", sa_type=String(10))  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_error: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
