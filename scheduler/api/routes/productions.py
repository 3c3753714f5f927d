"""Productions and their milestones."""

from __future__ import annotations

from fastapi import APIRouter, status

from scheduler import productions as service
from scheduler.api.deps import ActorDep, SessionDep
from scheduler.schemas import MilestoneCreate, MilestonePublic, ProductionCreate, ProductionPublic

router = APIRouter(prefix="/productions", tags=["productions"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_production(
    data: ProductionCreate, session: SessionDep, actor: ActorDep
) -> ProductionPublic:
    production = service.create_production(session=session, data=data, actor=actor)
    session.commit()
    return ProductionPublic.model_validate(production)


@router.get("")
def list_productions(session: SessionDep) -> list[ProductionPublic]:
    return [ProductionPublic.model_validate(p) for p in service.list_productions(session=session)]


@router.get("/{production_id}")
def get_production(production_id: int, session: SessionDep) -> ProductionPublic:
    production = service.get_production(session=session, production_id=production_id)
    return ProductionPublic.model_validate(production)


@router.post("/{production_id}/milestones", status_code=status.HTTP_201_CREATED)
def add_milestone(
    production_id: int, data: MilestoneCreate, session: SessionDep, actor: ActorDep
) -> MilestonePublic:
    milestone = service.add_milestone(
        session=session, production_id=production_id, data=data, actor=actor
    )
    session.commit()
    return MilestonePublic.model_validate(milestone)


@router.get("/{production_id}/milestones")
def list_milestones(production_id: int, session: SessionDep) -> list[MilestonePublic]:
    found = service.list_milestones(session=session, production_id=production_id)
    return [MilestonePublic.model_validate(m) for m in found]
