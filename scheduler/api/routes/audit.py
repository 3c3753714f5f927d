"""The audit trail, read-only: ``GET /audit``.

There is deliberately no route that changes or deletes an event (``PUT``/``PATCH``/``DELETE``
answer 405), and the database refuses an ``UPDATE`` of one anyway (migration 0011).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from scheduler.audit.trail import DEFAULT_LIMIT, MAX_LIMIT, AuditFilter, find_events
from scheduler.core.schemas import MAX_ID, Id, Moment, Output, Text
from scheduler.http.deps import SessionDep

router = APIRouter(tags=["audit"])


class AuditEventPublic(Output):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: Id | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


@router.get("/audit")
def list_audit_events(
    session: SessionDep,
    production_id: Annotated[
        Id | None,
        Query(description="Only this production, its milestones, posts and deliveries"),
    ] = None,
    entity: Annotated[
        Text | None, Query(max_length=40, examples=["post"], description="A table name")
    ] = None,
    entity_id: Id | None = None,
    action: Annotated[
        Text | None,
        Query(
            max_length=60,
            examples=["delivery."],
            description="An action, or the start of some (delivery.: every delivery's)",
        ),
    ] = None,
    actor: Annotated[
        Text | None, Query(max_length=120, description="Part of the actor's name or email")
    ] = None,
    since: Annotated[Moment | None, Query(description="Events at or after")] = None,
    until: Annotated[Moment | None, Query(description="Events before")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[AuditEventPublic]:
    """Who changed what, when, from what to what, and why: newest first.

    A site admin reads everything; with ``production_id`` a producer (or above) of that
    production reads its trail.
    """
    wanted = AuditFilter(
        production_id=production_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        actor=actor,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return [AuditEventPublic.model_validate(e) for e in find_events(session, wanted)]
