"""Reading the audit trail: filters, a production's own events, newest first.

The trail is written by ``scheduler.events.record`` and never changed (migration 0011); this
module only reads it, for ``GET /audit`` and ``callsheet audit``.

A production's trail is the events of the production itself, its milestones, its posts and its
posts' deliveries. An ``AuditEvent`` names its entity by table and id, not by production, so
the production's events are found by joining from each of those tables through the
``(entity, entity_id)`` index: one indexed lookup per row of the production, never a scan of
the whole (ever-growing) trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, col, select

from scheduler.core.errors import Invalid
from scheduler.core.models import AuditEvent

_EVENT = SQLModel.metadata.tables["auditevent"]
_POST = SQLModel.metadata.tables["post"]
_event = _EVENT.c
_post = _POST.c
_production = SQLModel.metadata.tables["production"].c
_milestone = SQLModel.metadata.tables["milestone"].c
_delivery = SQLModel.metadata.tables["delivery"].c

#: Most events one page shows; more is what ``offset`` is for.
MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass(frozen=True, kw_only=True)
class AuditFilter:
    """Which events to show; every field left ``None`` is not filtered on."""

    production_id: int | None = None
    entity: str | None = None
    entity_id: int | None = None
    #: An action ("delivery.retried"), or the start of some ("delivery." for every delivery's).
    action: str | None = None
    #: Part of the actor's name or email, any case ("maya", "@nightshift.test").
    actor: str | None = None
    since: datetime | None = None
    #: Events before this instant (with ``since``, a date range).
    until: datetime | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0


def _production_event_ids(production_id: int) -> Any:
    """The ids of the events of one production and what belongs to it, as one subquery."""

    def about(entity: str, ids: Select[Any]) -> Select[Any]:
        found = ids.subquery()
        on = and_(_event.entity == entity, _event.entity_id == found.c.id)
        return core_select(_event.id).select_from(found).join(_EVENT, on)

    return union_all(
        about("production", core_select(_production.id).where(_production.id == production_id)),
        about(
            "milestone", core_select(_milestone.id).where(_milestone.production_id == production_id)
        ),
        about("post", core_select(_post.id).where(_post.production_id == production_id)),
        about(
            "delivery",
            core_select(_delivery.id)
            .join(_POST, _post.id == _delivery.post_id)
            .where(_post.production_id == production_id),
        ),
    ).scalar_subquery()


def find_events(session: Session, wanted: AuditFilter) -> list[AuditEvent]:
    """The events ``wanted`` describes, newest first (``Invalid`` for a bad limit or offset)."""
    if not 1 <= wanted.limit <= MAX_LIMIT:
        raise Invalid("limit", f"must be between 1 and {MAX_LIMIT}")
    if wanted.offset < 0:
        raise Invalid("offset", "must be 0 or more")
    query = select(AuditEvent)
    if wanted.production_id is not None:
        query = query.where(col(AuditEvent.id).in_(_production_event_ids(wanted.production_id)))
    if wanted.entity is not None:
        query = query.where(col(AuditEvent.entity) == wanted.entity)
    if wanted.entity_id is not None:
        query = query.where(col(AuditEvent.entity_id) == wanted.entity_id)
    if wanted.actor:
        needle = wanted.actor.lower()
        query = query.where(func.lower(col(AuditEvent.actor)).contains(needle, autoescape=True))
    if wanted.action:
        query = query.where(col(AuditEvent.action).startswith(wanted.action, autoescape=True))
    if wanted.since is not None:
        query = query.where(col(AuditEvent.at) >= wanted.since)
    if wanted.until is not None:
        query = query.where(col(AuditEvent.at) < wanted.until)
    # By id, not time: ids are indexed and increase as events are written; events of one
    # transaction can share a time, never an id.
    query = query.order_by(col(AuditEvent.id).desc()).limit(wanted.limit).offset(wanted.offset)
    return list(session.exec(query))
