"""Pauses, the kill switch, and blackout windows."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import col, select

from scheduler.core.models import Blackout
from scheduler.core.schemas import Id
from scheduler.http.access import AccessDep, ActorDep
from scheduler.http.deps import SessionDep
from scheduler.planning import pauses as service
from scheduler.planning import windows
from scheduler.planning.schemas import (
    BlackoutCreate,
    BlackoutPublic,
    BlackoutUpdate,
    PauseCreate,
    PausePublic,
)

router = APIRouter(prefix="/pauses", tags=["pauses"])
blackouts_router = APIRouter(prefix="/blackouts", tags=["pauses"])


@router.post("", status_code=status.HTTP_201_CREATED)
def start_pause(data: PauseCreate, session: SessionDep, actor: ActorDep) -> PausePublic:
    """Stop a production, an account, or everything (scope "all") until resumed."""
    row = service.pause(session=session, data=data, actor=actor)
    session.commit()
    return PausePublic.model_validate(row)


@router.get("")
def list_pauses(session: SessionDep, access: AccessDep, active: bool = True) -> list[PausePublic]:
    """Pauses in force (or all of them with ``active=false``), with who paused and why.

    Everyone sees what stops everything or an account; a production's pauses, its members.
    """
    visible = access.visible()
    found = service.list_pauses(session=session, active_only=active)
    return [
        PausePublic.model_validate(p)
        for p in found
        if visible is None or p.production_id is None or p.production_id in visible
    ]


@router.post("/{pause_id}/resume")
def resume_pause(pause_id: Id, session: SessionDep, actor: ActorDep) -> PausePublic:
    row = service.resume(session=session, pause_id=pause_id, actor=actor)
    session.commit()
    return PausePublic.model_validate(row)


@blackouts_router.post("", status_code=status.HTTP_201_CREATED)
def add_blackout(data: BlackoutCreate, session: SessionDep, actor: ActorDep) -> BlackoutPublic:
    """A window with no posts, for one production or (without production_id) for all."""
    row = windows.add_blackout(session=session, data=data, actor=actor)
    session.commit()
    return BlackoutPublic.model_validate(row)


@blackouts_router.get("")
def list_blackouts(session: SessionDep, access: AccessDep) -> list[BlackoutPublic]:
    """Global blackouts, and those of the caller's productions."""
    visible = access.visible()
    rows = session.exec(select(Blackout).order_by(col(Blackout.starts_at)))
    return [
        BlackoutPublic.model_validate(b)
        for b in rows
        if visible is None or b.production_id is None or b.production_id in visible
    ]


@blackouts_router.patch("/{blackout_id}")
def change_blackout(
    blackout_id: Id, data: BlackoutUpdate, session: SessionDep, actor: ActorDep
) -> BlackoutPublic:
    """Change a blackout's window or reason; the claim reads it as it is from the next tick."""
    row = windows.change_blackout(session=session, blackout_id=blackout_id, data=data, actor=actor)
    session.commit()
    return BlackoutPublic.model_validate(row)


@blackouts_router.delete("/{blackout_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_blackout(blackout_id: Id, session: SessionDep, actor: ActorDep) -> None:
    """End a blackout for good."""
    windows.remove_blackout(session=session, blackout_id=blackout_id, actor=actor)
    session.commit()
