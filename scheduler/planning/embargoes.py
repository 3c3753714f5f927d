"""Embargo rules: posts with a tag may not go out before a milestone (plus an offset).

Checked twice. At approval, so a producer hears at once that a casting post is scheduled
before the casting announcement. And at claim time, inside the claim's own transaction, because
milestones move after approval: a reflow that pushes the announcement later must not let an
approved post out early. There the check fails closed: a covered delivery is ``held`` with the
rule named, and a tentative milestone lifts nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table, select
from sqlmodel import Session, SQLModel

from scheduler.core.errors import Invalid, NotFound
from scheduler.core.models import (
    Delivery,
    EmbargoRule,
    HoldReason,
    Milestone,
    Post,
    Production,
)
from scheduler.events.record import change_recorded, delete_recorded, save_recorded
from scheduler.planning.holds import hold_claimed
from scheduler.planning.schemas import EmbargoCreate, EmbargoUpdate
from scheduler.planning.timeline import Anchor, due_at, parse_offset, zone


@dataclass(frozen=True)
class Embargo:
    """A rule with its milestone resolved: when it lifts, and whether that date is firm."""

    rule_id: int
    tag: str
    milestone: str
    offset: str
    lifts_at: datetime
    tentative: bool

    def covers(self, tags: Iterable[str], moment: datetime) -> bool:
        """Whether a post with ``tags`` going out at ``moment`` breaks this embargo."""
        return self.tag in tags and (self.tentative or moment < self.lifts_at)

    def describe(self) -> str:
        offset = "" if self.offset in ("PT0S", "+PT0S") else f" {self.offset}"
        firm = " — date not confirmed" if self.tentative else ""
        return (
            f"embargo {self.rule_id}: '{self.tag}' posts wait for {self.milestone}{offset} "
            f"({self.lifts_at:%Y-%m-%d %H:%M} UTC{firm})"
        )


def add_rule(
    *, session: Session, production_id: int, data: EmbargoCreate, actor: str
) -> EmbargoRule:
    """Add an embargo; its milestone must be one of this production's."""
    _check(session, production_id, milestone_id=data.milestone_id, offset=data.offset)
    rule = EmbargoRule(
        production_id=production_id,
        tag=data.tag,
        milestone_id=data.milestone_id,
        offset=data.offset,
        created_by=actor,
    )
    save_recorded(
        session, rule, actor=actor, action="embargo.created", after=data.model_dump(mode="json")
    )
    return rule


def _check(session: Session, production_id: int, *, milestone_id: int, offset: str) -> None:
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.production_id != production_id:
        raise Invalid(
            "milestone_id", f"milestone {milestone_id} is not a milestone of this production"
        )
    parse_offset(offset, field="offset")


def get_rule(*, session: Session, production_id: int, rule_id: int) -> EmbargoRule:
    rule = session.get(EmbargoRule, rule_id)
    if rule is None or rule.production_id != production_id:
        raise NotFound("embargo", rule_id)
    return rule


def change_rule(
    *, session: Session, production_id: int, rule_id: int, data: EmbargoUpdate, actor: str
) -> EmbargoRule:
    """Change an embargo's tag, milestone or offset. The claim reads the rules as they are, so
    it counts from the next tick; deliveries it held stay held until a person releases them."""
    rule = get_rule(session=session, production_id=production_id, rule_id=rule_id)
    given = data.model_dump(exclude_unset=True)
    _check(
        session,
        production_id,
        milestone_id=given.get("milestone_id") or rule.milestone_id,
        offset=given.get("offset") or rule.offset,
    )
    change_recorded(session, rule, given, actor=actor, action="embargo.changed")
    return rule


def remove_rule(*, session: Session, production_id: int, rule_id: int, actor: str) -> None:
    """Lift an embargo for good. Deliveries it already held stay held, for a person to release:
    they were stopped for a reason someone should look at again."""
    rule = get_rule(session=session, production_id=production_id, rule_id=rule_id)
    delete_recorded(session, rule, actor=actor, action="embargo.removed")


def embargoes_of(
    session: Session | Connection, production_ids: Iterable[int]
) -> dict[int, list[Embargo]]:
    """Every production's embargoes, resolved against its milestones' current dates."""
    wanted = sorted(set(production_ids))
    found: dict[int, list[Embargo]] = {p: [] for p in wanted}
    if not wanted:
        return found
    rule, milestone, production = (_table(EmbargoRule), _table(Milestone), _table(Production))
    rows = session.execute(
        select(
            rule.c.id,
            rule.c.production_id,
            rule.c.tag,
            rule.c.offset,
            milestone.c.name,
            milestone.c.at,
            milestone.c.tentative,
            production.c.timezone,
        )
        .join(milestone, milestone.c.id == rule.c.milestone_id)
        .join(production, production.c.id == rule.c.production_id)
        .where(rule.c.production_id.in_(wanted))
        .order_by(rule.c.id)
    )
    for rid, pid, tag, offset, name, at, tentative, tz in rows:
        lifts = due_at(Anchor(milestone_id=0, offset=offset), milestone_at=at, tz=zone(tz))
        found[pid].append(
            Embargo(
                rule_id=rid,
                tag=tag,
                milestone=name,
                offset=offset,
                lifts_at=lifts,
                tentative=tentative,
            )
        )
    return found


def check_approval(*, session: Session, post: Post, deliveries: Sequence[Delivery]) -> None:
    """Refuse to approve a post that an embargo would stop; say which rule and when it lifts."""
    embargoes = embargoes_of(session, [post.production_id])[post.production_id]
    for delivery in deliveries:
        for embargo in embargoes:
            if embargo.covers(post.tags, delivery.due_at):
                raise Invalid(
                    "tags", f"due {delivery.due_at:%Y-%m-%d %H:%M} UTC, but {embargo.describe()}"
                )


def hold_embargoed(
    conn: Connection, ids: Sequence[int], *, now: datetime, actor: str = "scheduler"
) -> set[int]:
    """Inside a claim's transaction: hold the just-claimed deliveries an embargo covers."""
    if not ids:
        return set()
    delivery, post = _table(Delivery), _table(Post)
    rows = conn.execute(
        select(delivery.c.id, post.c.production_id, post.c.tags)
        .join(post, post.c.id == delivery.c.post_id)
        .where(delivery.c.id.in_(list(ids)))
    ).all()
    embargoes = embargoes_of(conn, [r.production_id for r in rows])
    held: dict[int, str] = {}
    for delivery_id, production_id, tags in rows:
        for embargo in embargoes[production_id]:
            if embargo.covers(tags or [], now):
                held[delivery_id] = embargo.describe()
                break
    return hold_claimed(conn, held, held_for=HoldReason.embargo, actor=actor)


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]
