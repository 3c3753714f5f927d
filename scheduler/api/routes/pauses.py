"""Pauses and the kill switch."""

from __future__ import annotations

from fastapi import APIRouter, status

from scheduler import pauses as service
from scheduler.api.deps import ActorDep, SessionDep
from scheduler.schemas import PauseCreate, PausePublic

router = APIRouter(prefix="/pauses", tags=["pauses"])


@router.post("", status_code=status.HTTP_201_CREATED)
def start_pause(data: PauseCreate, session: SessionDep, actor: ActorDep) -> PausePublic:
    """Stop a production, an account, or everything (scope "all") until resumed."""
    row = service.pause(session=session, data=data, actor=actor)
    session.commit()
    return PausePublic.model_validate(row)


@router.get("")
def list_pauses(session: SessionDep, active: bool = True) -> list[PausePublic]:
    """Pauses in force (or all of them with ``active=false``), with who paused and why."""
    found = service.list_pauses(session=session, active_only=active)
    return [PausePublic.model_validate(p) for p in found]


@router.post("/{pause_id}/resume")
def resume_pause(pause_id: int, session: SessionDep, actor: ActorDep) -> PausePublic:
    row = service.resume(session=session, pause_id=pause_id, actor=actor)
    session.commit()
    return PausePublic.model_validate(row)
