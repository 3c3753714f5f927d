"""Productions and their milestones."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import select

from scheduler.core.clock import Clock
from scheduler.core.models import EmbargoRule, Milestone
from scheduler.core.schemas import Id
from scheduler.http.access import AccessDep, ActorDep
from scheduler.http.deps import SessionDep
from scheduler.planning import embargoes
from scheduler.planning import productions as service
from scheduler.planning.schemas import (
    EmbargoCreate,
    EmbargoPublic,
    EmbargoUpdate,
    MilestoneCreate,
    MilestoneMove,
    MilestonePublic,
    ProductionCreate,
    ProductionPublic,
    ProductionUpdate,
)
from scheduler.posts import reflow
from scheduler.posts.reflow.zone import change_timezone
from scheduler.posts.schemas import (
    MilestoneMoved,
    MovedDelivery,
    RezonedDelivery,
    TimezoneChange,
    TimezoneChanged,
)

router = APIRouter(prefix="/productions", tags=["productions"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_production(
    data: ProductionCreate, session: SessionDep, actor: ActorDep
) -> ProductionPublic:
    production = service.create_production(session=session, data=data, actor=actor)
    session.commit()
    return ProductionPublic.model_validate(production)


@router.get("")
def list_productions(session: SessionDep, access: AccessDep) -> list[ProductionPublic]:
    """The productions the caller is a member of (every one, for a site admin)."""
    visible = access.visible()
    return [
        ProductionPublic.model_validate(p)
        for p in service.list_productions(session=session)
        if visible is None or p.id in visible
    ]


@router.get("/{production_id}")
def get_production(production_id: Id, session: SessionDep) -> ProductionPublic:
    production = service.get_production(session=session, production_id=production_id)
    return ProductionPublic.model_validate(production)


@router.patch("/{production_id}")
def update_production(
    production_id: Id, data: ProductionUpdate, session: SessionDep, actor: ActorDep
) -> ProductionPublic:
    """Change the title or the review, reflow and late policy (``approval_max_age_days``,
    ``keep_approvals_on_reflow``, ``past_due_policy``, ``late_policy``, ``late_grace_minutes``);
    only the fields given change."""
    production = service.update_production(
        session=session, production_id=production_id, data=data, actor=actor
    )
    session.commit()
    return ProductionPublic.model_validate(production)


@router.post("/{production_id}/timezone")
def change_production_timezone(
    production_id: Id, data: TimezoneChange, session: SessionDep, actor: ActorDep
) -> TimezoneChanged:
    """Move the production to another time zone: each post anchored at a local time of day
    follows ("18:00 local" becomes 18:00 there), as a milestone move would move it. Without
    ``"confirm": true`` this only previews: nothing changes, and the answer lists every unsent
    or in-flight delivery with its old and new time, what the past-due policy does, embargoes
    it falls under and whether it goes back to review. With it, the same change is applied in
    one transaction, audited, and answered the same way."""
    changed = change_timezone(
        session=session,
        production_id=production_id,
        timezone=data.timezone,
        apply=data.confirm,
        actor=actor,
        now=Clock.from_settings().now(),
    )
    answer = TimezoneChanged(
        production=ProductionPublic.model_validate(changed.production),
        old_timezone=changed.old_timezone,
        new_timezone=changed.new_timezone,
        applied=changed.applied,
        past_due_policy=changed.production.past_due_policy,
        deliveries=[RezonedDelivery.model_validate(vars(d)) for d in changed.deliveries],
    )
    if data.confirm:
        session.commit()
    else:
        session.rollback()  # a preview wrote nothing; end its transaction as such
    return answer


@router.post("/{production_id}/milestones", status_code=status.HTTP_201_CREATED)
def add_milestone(
    production_id: Id, data: MilestoneCreate, session: SessionDep, actor: ActorDep
) -> MilestonePublic:
    milestone = service.add_milestone(
        session=session, production_id=production_id, data=data, actor=actor
    )
    session.commit()
    return MilestonePublic.model_validate(milestone)


@router.get("/{production_id}/milestones")
def list_milestones(production_id: Id, session: SessionDep) -> list[MilestonePublic]:
    found = service.list_milestones(session=session, production_id=production_id)
    return [MilestonePublic.model_validate(m) for m in found]


@router.patch("/{production_id}/milestones/{milestone_id}")
def move_milestone(
    production_id: Id,
    milestone_id: Id,
    data: MilestoneMove,
    session: SessionDep,
    actor: ActorDep,
) -> MilestoneMoved:
    """Move a milestone (or confirm / un-confirm its date); answers with every delivery that
    moved, its old and new due time, and what became of it. With ``"preview": true`` nothing
    changes: the answer says what would, each delivery's new time, whether it would be past
    due, fall under an embargo or go back to review."""
    moves = reflow.move_milestone(
        session=session,
        production_id=production_id,
        milestone_id=milestone_id,
        at=data.at,
        tentative=data.tentative,
        name=data.name,
        kind=data.kind.value if data.kind is not None else None,
        actor=actor,
        now=Clock.from_settings().now(),
        apply=not data.preview,
    )
    if data.preview:
        session.rollback()  # a preview wrote nothing; end its transaction as such
    else:
        session.commit()
    milestone = session.get(Milestone, milestone_id)
    return MilestoneMoved(
        milestone=MilestonePublic.model_validate(milestone),
        moved=[MovedDelivery.model_validate(vars(m)) for m in moves],
    )


@router.delete("/{production_id}/milestones/{milestone_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_milestone(
    production_id: Id, milestone_id: Id, session: SessionDep, actor: ActorDep
) -> None:
    """Remove a milestone no post is anchored to and no embargo waits for (409 otherwise)."""
    service.remove_milestone(
        session=session, production_id=production_id, milestone_id=milestone_id, actor=actor
    )
    session.commit()


@router.post("/{production_id}/embargoes", status_code=status.HTTP_201_CREATED)
def add_embargo(
    production_id: Id, data: EmbargoCreate, session: SessionDep, actor: ActorDep
) -> EmbargoPublic:
    """Posts tagged ``tag`` may not go out before the milestone (plus ``offset``)."""
    service.get_production(session=session, production_id=production_id)
    rule = embargoes.add_rule(session=session, production_id=production_id, data=data, actor=actor)
    session.commit()
    return EmbargoPublic.model_validate(rule)


@router.get("/{production_id}/embargoes")
def list_embargoes(production_id: Id, session: SessionDep) -> list[EmbargoPublic]:
    service.get_production(session=session, production_id=production_id)
    rules = session.exec(select(EmbargoRule).where(EmbargoRule.production_id == production_id))
    return [EmbargoPublic.model_validate(r) for r in rules]


@router.patch("/{production_id}/embargoes/{embargo_id}")
def change_embargo(
    production_id: Id, embargo_id: Id, data: EmbargoUpdate, session: SessionDep, actor: ActorDep
) -> EmbargoPublic:
    """Change an embargo's tag, milestone or offset; it counts from the next claim."""
    rule = embargoes.change_rule(
        session=session, production_id=production_id, rule_id=embargo_id, data=data, actor=actor
    )
    session.commit()
    return EmbargoPublic.model_validate(rule)


@router.delete("/{production_id}/embargoes/{embargo_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_embargo(production_id: Id, embargo_id: Id, session: SessionDep, actor: ActorDep) -> None:
    """Lift an embargo for good; deliveries it held stay held until a person releases them."""
    embargoes.remove_rule(
        session=session, production_id=production_id, rule_id=embargo_id, actor=actor
    )
    session.commit()
