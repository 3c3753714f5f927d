"""Notification hooks (a production's, and global ones) and their delivery log.

A hook's secret goes in and never comes out; its URL comes out as its host only
(``hook_target``), because a Slack-style webhook URL is a credential in itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import Field, SecretStr

from platforms.adapters.webhook import MIN_SECRET_LENGTH
from scheduler.core.errors import Invalid
from scheduler.core.models import NotificationHook, NotificationStatus
from scheduler.core.schemas import Id, Input, Output
from scheduler.events.outbox import NotifyEvent
from scheduler.http.access import ActorDep
from scheduler.http.deps import SessionDep
from scheduler.notify import hooks as service

router = APIRouter(tags=["notifications"])

LOG_LIMIT = 500


class HookCreate(Input):
    # Lengths are checked by the service, not here: a refusal from this model would echo the
    # input in the 422, and the URL and the secret are credentials.
    url: str = Field(
        examples=["https://hooks.slack.com/services/T000/B000/XXXX"],
        description="Where to POST: http(s) only",
    )
    secret: SecretStr = Field(
        description=(
            f"Signs every message (X-Callsheet-Signature), {MIN_SECRET_LENGTH} to "
            f"{service.MAX_SECRET_LENGTH} characters; never shown again"
        )
    )
    events: list[NotifyEvent] = Field(
        default_factory=lambda: list(NotifyEvent),
        min_length=1,
        description="What the hook hears (default: all six)",
    )


class HookEdit(Input):
    """What to change (only the fields given); unchecked lengths as in ``HookCreate``."""

    url: str | None = Field(default=None, description="Where to POST: http(s) only")
    secret: SecretStr | None = Field(
        default=None, description="A new signing secret (rotation); never shown again"
    )
    events: list[NotifyEvent] | None = Field(default=None, min_length=1)


class HookPublic(Output):
    id: int
    production_id: Id | None
    target: str = Field(description="Scheme and host; the rest of the URL stays secret")
    events: list[str]
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, hook: NotificationHook) -> HookPublic:
        return cls(
            id=hook.id or 0,
            production_id=hook.production_id,
            target=service.hook_target(hook.url),
            events=hook.events,
            created_by=hook.created_by,
            created_at=hook.created_at,
        )


class NotificationPublic(Output):
    id: int
    hook_id: Id
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    payload: dict[str, Any] = Field(description="The message as sent (no secrets in it)")


def _create(
    session: SessionDep, production_id: Id | None, data: HookCreate, actor: str
) -> HookPublic:
    hook = service.create_hook(
        session=session,
        production_id=production_id,
        url=data.url,
        secret=data.secret.get_secret_value(),
        events=[e.value for e in data.events],
        actor=actor,
    )
    session.commit()
    return HookPublic.of(hook)


def _edit(
    session: SessionDep, production_id: Id | None, hook_id: Id, data: HookEdit, actor: str
) -> HookPublic:
    for name in data.model_fields_set:
        if getattr(data, name) is None:
            raise Invalid(name, "may not be null; leave it out to keep the current value")
    hook = service.edit_hook(
        session=session,
        production_id=production_id,
        hook_id=hook_id,
        url=data.url,
        events=None if data.events is None else [e.value for e in data.events],
        secret=None if data.secret is None else data.secret.get_secret_value(),
        actor=actor,
    )
    session.commit()
    return HookPublic.of(hook)


@router.post("/productions/{production_id}/notification-hooks", status_code=status.HTTP_201_CREATED)
def create_production_hook(
    production_id: Id, data: HookCreate, session: SessionDep, actor: ActorDep
) -> HookPublic:
    """Tell a channel about this production's posts and deliveries."""
    return _create(session, production_id, data, actor)


@router.get("/productions/{production_id}/notification-hooks")
def list_production_hooks(production_id: Id, session: SessionDep) -> list[HookPublic]:
    return [
        HookPublic.of(h) for h in service.list_hooks(session=session, production_id=production_id)
    ]


@router.patch("/productions/{production_id}/notification-hooks/{hook_id}")
def edit_production_hook(
    production_id: Id, hook_id: Id, data: HookEdit, session: SessionDep, actor: ActorDep
) -> HookPublic:
    """Point the hook elsewhere, change what it hears, or rotate its signing secret."""
    return _edit(session, production_id, hook_id, data, actor)


@router.delete(
    "/productions/{production_id}/notification-hooks/{hook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
def remove_production_hook(
    production_id: Id, hook_id: Id, session: SessionDep, actor: ActorDep
) -> None:
    """Stop the hook; messages it had not sent yet are marked failed, the log stays."""
    service.remove_hook(session=session, production_id=production_id, hook_id=hook_id, actor=actor)
    session.commit()


@router.get("/productions/{production_id}/notifications")
def production_delivery_log(
    production_id: Id,
    session: SessionDep,
    status: NotificationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=LOG_LIMIT)] = 100,
) -> list[NotificationPublic]:
    """What this production's hooks were sent, newest first: attempts, last error, when sent."""
    found = service.delivery_log(
        session=session, production_id=production_id, status=status, limit=limit
    )
    return [NotificationPublic.model_validate(n) for n in found]


@router.post("/notification-hooks", status_code=status.HTTP_201_CREATED)
def create_global_hook(data: HookCreate, session: SessionDep, actor: ActorDep) -> HookPublic:
    """A hook that hears every production (site admins only)."""
    return _create(session, None, data, actor)


@router.get("/notification-hooks")
def list_global_hooks(session: SessionDep) -> list[HookPublic]:
    return [HookPublic.of(h) for h in service.list_hooks(session=session, production_id=None)]


@router.patch("/notification-hooks/{hook_id}")
def edit_global_hook(
    hook_id: Id, data: HookEdit, session: SessionDep, actor: ActorDep
) -> HookPublic:
    """Point a global hook elsewhere, change what it hears, or rotate its signing secret."""
    return _edit(session, None, hook_id, data, actor)


@router.delete("/notification-hooks/{hook_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_global_hook(hook_id: Id, session: SessionDep, actor: ActorDep) -> None:
    service.remove_hook(session=session, production_id=None, hook_id=hook_id, actor=actor)
    session.commit()


@router.get("/notifications")
def delivery_log(
    session: SessionDep,
    status: NotificationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=LOG_LIMIT)] = 100,
) -> list[NotificationPublic]:
    """Every hook's messages, newest first (site admins only)."""
    found = service.delivery_log(session=session, everything=True, status=status, limit=limit)
    return [NotificationPublic.model_validate(n) for n in found]
