"""Productions and their milestones."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from scheduler.core.errors import Conflict, Invalid, NotFound
from scheduler.core.models import EmbargoRule, Milestone, Post, Production
from scheduler.events.record import change_recorded, delete_recorded, save_recorded
from scheduler.planning.schemas import MilestoneCreate, ProductionCreate, ProductionUpdate
from scheduler.planning.timeline import zone


def create_production(*, session: Session, data: ProductionCreate, actor: str) -> Production:
    """Create a production; its timezone must be a real IANA zone."""
    zone(data.timezone)
    production = Production(
        title=data.title,
        kind=data.kind.value,
        timezone=data.timezone,
        past_due_policy=data.past_due_policy.value,
        keep_approvals_on_reflow=data.keep_approvals_on_reflow,
        approval_max_age_days=data.approval_max_age_days,
        late_policy=data.late_policy.value,
        late_grace_minutes=data.late_grace_minutes,
    )
    save_recorded(
        session,
        production,
        actor=actor,
        action="production.created",
        after=data.model_dump(mode="json"),
    )
    return production


def get_production(*, session: Session, production_id: int) -> Production:
    production = session.get(Production, production_id)
    if production is None:
        raise NotFound("production", production_id)
    return production


def update_production(
    *, session: Session, production_id: int, data: ProductionUpdate, actor: str
) -> Production:
    """Change the fields given (title, past-due policy, approvals kept on reflow, approval age
    limit, late policy and grace, self-approval for a one-person team), recorded with their
    values before and after. The claim reads the age limit and the late policy in its own
    transaction, so a new value counts from the next claim on: raising the age limit lets an
    approval that has not yet expired go out; an approval already sent back to review stays
    there. Self-approval counts from the next vote; approvals given meanwhile stay."""
    production = get_production(session=session, production_id=production_id)
    given = data.model_dump(exclude_unset=True)
    change_recorded(session, production, given, actor=actor, action="production.updated")
    return production


def list_productions(*, session: Session) -> list[Production]:
    return list(session.exec(select(Production).order_by(col(Production.id))))


def add_milestone(
    *, session: Session, production_id: int, data: MilestoneCreate, actor: str
) -> Milestone:
    """Add a milestone; ``at`` must carry a timezone and the name be unique in the production."""
    get_production(session=session, production_id=production_id)
    if data.at.tzinfo is None:
        raise Invalid("at", "give a timezone offset (e.g. 2027-03-01T19:00:00+00:00)")
    taken = session.exec(
        select(Milestone).where(
            Milestone.production_id == production_id, Milestone.name == data.name
        )
    ).first()
    if taken is not None:
        raise Conflict(f"name: the production already has a milestone called '{data.name}'")
    milestone = Milestone(
        production_id=production_id,
        kind=data.kind.value,
        name=data.name,
        at=data.at,
        tentative=data.tentative,
    )
    save_recorded(
        session,
        milestone,
        actor=actor,
        action="milestone.created",
        after=data.model_dump(mode="json"),
    )
    return milestone


def list_milestones(*, session: Session, production_id: int) -> list[Milestone]:
    get_production(session=session, production_id=production_id)
    query = select(Milestone).where(Milestone.production_id == production_id)
    return list(session.exec(query.order_by(col(Milestone.at))))


def remove_milestone(
    *, session: Session, production_id: int, milestone_id: int, actor: str
) -> None:
    """Remove a milestone nothing hangs off. One that posts are anchored to, or that an embargo
    waits for, is refused with how many of each: removing it would leave them without a time,
    so they must be re-anchored (or the embargo removed) first, on purpose."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.production_id != production_id:
        raise NotFound("milestone", milestone_id)
    posts = session.exec(select(func.count()).where(Post.anchor_milestone_id == milestone_id)).one()
    rules = session.exec(select(func.count()).where(EmbargoRule.milestone_id == milestone_id)).one()
    if posts or rules:
        hanging = [f"{posts} post(s) anchored to it"] if posts else []
        hanging += [f"{rules} embargo(es) waiting for it"] if rules else []
        raise Conflict(
            f"milestone {milestone_id} ('{milestone.name}') has {' and '.join(hanging)}: "
            "re-anchor them or remove the embargoes first"
        )
    delete_recorded(session, milestone, actor=actor, action="milestone.removed")
