"""Deliveries: what went out, what is due, what needs a person."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import col, select

from scheduler.core.clock import Clock
from scheduler.core.models import Delivery, DeliveryStatus, Post
from scheduler.core.schemas import Id, Moment
from scheduler.http.access import AccessDep, ActorDep
from scheduler.http.deps import SessionDep
from scheduler.http.paging import PagingDep, one_page
from scheduler.posts import deliveries as service
from scheduler.posts.schemas import (
    CancelDelivery,
    DeliveryPublic,
    ReleaseHold,
    ResolveUnknown,
    RetryFailed,
)

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


@router.get("")
def list_deliveries(
    session: SessionDep,
    access: AccessDep,
    paging: PagingDep,
    request: Request,
    response: Response,
    status: Annotated[list[DeliveryStatus] | None, Query()] = None,
    production_id: Id | None = None,
    due_after: Moment | None = None,
    due_before: Moment | None = None,
) -> list[DeliveryPublic]:
    """Deliveries by status, production and due-time range, soonest first, a page at a time
    (``X-Total-Count``, ``Link: rel="next"``)."""
    query = select(Delivery)
    visible = access.visible()
    if visible is not None:
        mine = select(Post.id).where(col(Post.production_id).in_(visible))
        query = query.where(col(Delivery.post_id).in_(mine))
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
    query = query.order_by(col(Delivery.due_at), col(Delivery.id))
    rows = one_page(session, query, paging, request, response)
    return [DeliveryPublic.model_validate(d) for d in rows]


@router.post("/{delivery_id}/release")
def release_hold(
    delivery_id: Id, data: ReleaseHold, session: SessionDep, actor: ActorDep
) -> DeliveryPublic:
    """Put a held delivery back on the schedule (at ``due_at``, or now); a delivery held
    because it is late goes only with ``send_late: true`` (409 otherwise)."""
    when = data.due_at or Clock.from_settings().now()
    delivery = service.release_hold(
        session=session, delivery_id=delivery_id, due_at=when, actor=actor, send_late=data.send_late
    )
    session.commit()
    return DeliveryPublic.model_validate(delivery)


@router.post("/{delivery_id}/cancel")
def cancel_delivery(
    delivery_id: Id, data: CancelDelivery, session: SessionDep, actor: ActorDep
) -> DeliveryPublic:
    """Cancel a delivery that has not gone out yet."""
    delivery = service.cancel(
        session=session, delivery_id=delivery_id, actor=actor, reason=data.reason
    )
    session.commit()
    return DeliveryPublic.model_validate(delivery)


@router.post("/{delivery_id}/resolve")
def resolve_unknown(
    delivery_id: Id, data: ResolveUnknown, session: SessionDep, actor: ActorDep
) -> DeliveryPublic:
    """Say what a person found on the platform for a delivery whose outcome is unknown."""
    delivery = service.resolve_unknown(
        session=session,
        delivery_id=delivery_id,
        published=data.published,
        url=data.url,
        now=Clock.from_settings().now(),
        actor=actor,
        reason=data.reason,
    )
    session.commit()
    return DeliveryPublic.model_validate(delivery)


@router.post("/{delivery_id}/retry")
def retry_failed(
    delivery_id: Id, session: SessionDep, actor: ActorDep, data: RetryFailed | None = None
) -> DeliveryPublic:
    """Send a failed delivery again, due now, under its approval (409 if that no longer binds
    what would go out); its attempts start again. The body, with a ``reason``, is optional."""
    delivery = service.retry_failed(
        session=session,
        delivery_id=delivery_id,
        now=Clock.from_settings().now(),
        actor=actor,
        reason=data.reason if data else None,
        send_late=data.send_late if data else False,
    )
    session.commit()
    return DeliveryPublic.model_validate(delivery)
