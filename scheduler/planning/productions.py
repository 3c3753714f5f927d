"""Productions and their milestones."""

from __future__ import annotations

from sqlmodel import Session, col, select

from scheduler.core.errors import Conflict, Invalid, NotFound
from scheduler.core.models import Milestone, Production
from scheduler.events.record import save_recorded
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
    given = data.model_dump(mode="json", exclude_unset=True)
    for field, value in given.items():
        if value is None:
            raise Invalid(field, "may not be null; leave it out to keep the current value")
    production = get_production(session=session, production_id=production_id)
    before = {field: _plain(getattr(production, field)) for field in given}
    changed = {field: value for field, value in given.items() if before[field] != value}
    if not changed:
        return production
    for field, value in changed.items():
        setattr(production, field, value)
    save_recorded(
        session,
        production,
        actor=actor,
        action="production.updated",
        before={field: before[field] for field in changed},
        after=changed,
    )
    return production


def _plain(value: object) -> object:
    """A column's value as the JSON of the request has it (an enum as its string)."""
    return getattr(value, "value", value)


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
