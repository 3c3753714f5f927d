"""Deliveries: what went out, what is due, what needs a person."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime
from sqlmodel import col, select

from scheduler.api.deps import SessionDep
from scheduler.models import Delivery, DeliveryStatus, Post
from scheduler.schemas import DeliveryPublic

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


@router.get("")
def list_deliveries(
    session: SessionDep,
    status: Annotated[list[DeliveryStatus] | None, Query()] = None,
    production_id: int | None = None,
    due_after: AwareDatetime | None = None,
    due_before: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DeliveryPublic]:
    """Deliveries by status, production and due-time range, soonest first."""
    query = select(Delivery)
    if status:
        query = query.where(col(Delivery.status).in_([s.value for s in status]))
    if production_id is not None:
        query = query.join(Post, col(Post.id) == col(Delivery.post_id)).where(
            Post.production_id == production_id
        )
    if due_after is not None:
        query = query.where(col(Delivery.due_at) >= due_after)
    if due_before is not None:
        query = query.where(col(Delivery.due_at) < due_before)
    query = query.order_by(col(Delivery.due_at), col(Delivery.id)).offset(offset).limit(limit)
    return [DeliveryPublic.model_validate(d) for d in session.exec(query)]
