"""Changing a production's time zone: every "18:00 local" becomes 18:00 in the new zone.

A theatre run transfers from London to New York; a series' marketing moves to Los Angeles
time. Milestones are instants and stay where they are; what moves is every unsent delivery
anchored to one, recomputed from its anchor in the new zone by the reflow's own planner and
written by its own writer (``plan``, ``write``), so the rules are the milestone move's:

- A post with a local time of day ("14 days before the premiere, 18:00 local") goes out at
  18:00 in the new zone. One with an offset only counts its calendar days in the new zone, so
  it usually keeps its instant (across a daylight-saving date only one of the zones observes,
  it moves by that hour). A post with an absolute time keeps it. A delivery whose planned time
  stays is left as it is (a retry's time, a person's release, a hold), answered ``unchanged``.
- A new time in the past follows the production's ``past_due_policy`` (hold, send now, skip);
  blackouts and quiet hours (read in the new zone when an account has no audience zone of its
  own) move it as when it was planned, and its ``schedule_note`` says why.
- An approval survives when the text renders the same in the new zone: a template that prints
  a time, the milestone's date or ``production.timezone`` may not, and that delivery (and its
  post) goes back to review. With ``keep_approvals_on_reflow`` off, every delivery that moves
  goes back; one that stays in time keeps its approval unless its words change.
- Published, failed, unknown and cancelled deliveries never change. In-flight ones
  (``claimed``, ``publishing``) are not moved either, as in a move: a worker already holds
  them and they go out as claimed; the answer lists them as ``in_flight``. A delivery claimed,
  edited or cancelled between the planning and the write is left as it is (``skipped``).

A preview (``apply=False``) plans the same way inside a savepoint that is rolled back, so it
answers exactly what applying would do (the new zone already seen by the embargoes, the quiet
hours and the renderer) and writes nothing. Applying locks the production and its milestones
first, so a milestone move waits for the zone change (it reads the zone after its lock), and
records one ``production.timezone_changed`` event listing each moved delivery.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select as select_columns
from sqlmodel import Session, SQLModel, col, select

from scheduler.core.errors import Invalid, NotFound
from scheduler.core.models import DeliveryStatus, Milestone, Post, Production
from scheduler.events.record import record_event
from scheduler.planning.embargoes import Embargo, embargoes_of
from scheduler.planning.timeline import zone
from scheduler.posts.reflow.plan import CHUNK, Planner
from scheduler.posts.reflow.write import apply_plans

#: A delivery's place in the change: its planned time moves, stays, or a worker holds it.
MOVED, UNCHANGED, IN_FLIGHT, SKIPPED = "moved", "unchanged", "in_flight", "skipped"
IN_FLIGHT_STATES = (DeliveryStatus.claimed.value, DeliveryStatus.publishing.value)
_DELIVERY, _POST = SQLModel.metadata.tables["delivery"], SQLModel.metadata.tables["post"]


@dataclass(frozen=True)
class Rezoned:
    """One delivery before and after the change, and what became of it."""

    delivery_id: int
    post_id: int
    account_id: int
    change: str
    old_due_at: datetime
    new_due_at: datetime
    old_local: datetime
    new_local: datetime
    old_status: str
    status: str
    note: str | None
    #: Its new time had passed: ``status`` is what the past-due policy made of it.
    past_due: bool = False
    #: It (and its post, if approved) goes back to review: its words change.
    back_to_review: bool = False
    #: The embargo its due time falls under, if any: the claim will hold it.
    embargo: str | None = None
    #: Why its time differs from what the anchor says (a blackout, quiet hours).
    schedule_note: str | None = None


@dataclass(frozen=True)
class ZoneChange:
    """What a change of time zone does (or did, when ``applied``) to every delivery."""

    production: Production
    old_timezone: str
    new_timezone: str
    applied: bool
    deliveries: list[Rezoned]


def change_timezone(
    *,
    session: Session,
    production_id: int,
    timezone: str,
    apply: bool,
    actor: str,
    now: datetime,
) -> ZoneChange:
    """Preview (``apply`` False) or apply moving the production to ``timezone``.

    The zone must be a real IANA name other than the production's own (422 naming
    ``timezone``). Applying writes in the caller's transaction; the caller commits.
    """
    new_tz = zone(timezone)
    production = session.get(Production, production_id)
    if production is None:
        raise NotFound("production", production_id)
    old = production.timezone
    if timezone == old:
        raise Invalid("timezone", f"the production is already in '{old}'")
    old_tz = zone(old)
    if apply:
        _lock(session, production_id)
    in_flight = _in_flight(session, production_id)
    savepoint = session.begin_nested()
    production.timezone = timezone
    session.add(production)
    session.flush()
    milestones = session.exec(
        select(Milestone).where(Milestone.production_id == production_id)
    ).all()
    planner = Planner(session, production, milestones, now, zone_change=True)
    plans = planner.plans()
    embargoes = embargoes_of(session, [production_id])[production_id]
    post_ids = {r.post_id for r, _ in plans} | {r.post_id for r in planner.left}
    tags = tags_of(session, post_ids | {d.post_id for d in in_flight}) if embargoes else {}
    skipped: set[int] = set()
    if apply:
        skipped = apply_plans(session, plans, cause="a change of time zone")
        savepoint.commit()
    else:
        savepoint.rollback()  # the production's zone back as it was; nothing was written
    answered: list[Rezoned] = []
    for row, outcome in plans:
        old_local, fate = row.due_at.astimezone(old_tz), MOVED
        new_due, status, note = outcome.new_due, outcome.status, outcome.note
        if row.id in skipped:
            fate, new_due, status = SKIPPED, row.due_at, row.status
            note = "changed while the time zone changed (claimed, edited): left as it is"
        elif outcome.planned_at == row.planned_at and new_due == row.due_at:
            fate = UNCHANGED  # in time; only its approval goes
        answered.append(
            Rezoned(
                delivery_id=row.id,
                post_id=row.post_id,
                account_id=row.account_id,
                change=fate,
                old_due_at=row.due_at,
                new_due_at=new_due,
                old_local=old_local,
                new_local=new_due.astimezone(new_tz),
                old_status=row.status,
                status=status,
                note=note,
                past_due=outcome.past_due and fate != SKIPPED,
                back_to_review=outcome.unbind and fate != SKIPPED,
                embargo=embargo_under(embargoes, tags.get(row.post_id, []), new_due, status),
                schedule_note=outcome.schedule_note if fate != SKIPPED else row.schedule_note,
            )
        )
    for row in planner.left:
        why = "an absolute time" if row.milestone_id is None else "the same instant in the zone"
        answered.append(
            Rezoned(
                delivery_id=row.id,
                post_id=row.post_id,
                account_id=row.account_id,
                change=UNCHANGED,
                old_due_at=row.due_at,
                new_due_at=row.due_at,
                old_local=row.due_at.astimezone(old_tz),
                new_local=row.due_at.astimezone(new_tz),
                old_status=row.status,
                status=row.status,
                note=f"{why}: unchanged",
                embargo=embargo_under(embargoes, tags.get(row.post_id, []), row.due_at, row.status),
                schedule_note=row.schedule_note,
            )
        )
    for delivery in in_flight:
        answered.append(
            Rezoned(
                delivery_id=delivery.id,
                post_id=delivery.post_id,
                account_id=delivery.account_id,
                change=IN_FLIGHT,
                old_due_at=delivery.due_at,
                new_due_at=delivery.due_at,
                old_local=delivery.due_at.astimezone(old_tz),
                new_local=delivery.due_at.astimezone(new_tz),
                old_status=delivery.status,
                status=delivery.status,
                note=f"in flight ({delivery.status}): not moved; it goes out as claimed",
                schedule_note=delivery.schedule_note,
            )
        )
    answered.sort(key=lambda r: (r.old_due_at, r.delivery_id))
    if apply:
        _record(session, production_id, old, timezone, answered, actor)
    session.refresh(production)
    return ZoneChange(production, old, timezone, apply, answered)


def _lock(session: Session, production_id: int) -> None:
    """The production, then its milestones, in id order: a milestone move locks its milestone
    before it reads the zone, so it waits for this change instead of planning in the old one."""
    session.exec(select(Production.id).where(Production.id == production_id).with_for_update())
    query = select(Milestone.id).where(Milestone.production_id == production_id)
    session.exec(query.order_by(col(Milestone.id)).with_for_update()).all()


class _InFlight(NamedTuple):
    id: int
    post_id: int
    account_id: int
    status: str
    due_at: datetime
    schedule_note: str | None


def _in_flight(session: Session, production_id: int) -> list[_InFlight]:
    """The production's claimed and publishing deliveries, read before anything changes."""
    d, p = _DELIVERY.c, _POST.c
    query = (
        select_columns(d.id, d.post_id, d.account_id, d.status, d.due_at, d.schedule_note)
        .select_from(_DELIVERY.join(_POST, p.id == d.post_id))
        .where(p.production_id == production_id, d.status.in_(IN_FLIGHT_STATES))
        .order_by(d.id)
    )
    return [*map(_InFlight._make, session.connection().execute(query).all())]


def tags_of(session: Session, post_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each post's tags, read a chunk of ids at a time."""
    ids, found = sorted(post_ids), dict[int, list[str]]()
    for start in range(0, len(ids), CHUNK):
        query = select(Post.id, Post.tags).where(col(Post.id).in_(ids[start : start + CHUNK]))
        found.update((post_id or 0, list(tags or [])) for post_id, tags in session.exec(query))
    return found


def embargo_under(
    embargoes: list[Embargo], tags: list[str], due: datetime, status: str
) -> str | None:
    """The first embargo a delivery going out at ``due`` would break, described."""
    if status == DeliveryStatus.cancelled:
        return None
    return next((e.describe() for e in embargoes if e.covers(tags, due)), None)


def _record(
    session: Session, production_id: int, old: str, new: str, answered: list[Rezoned], actor: str
) -> None:
    """One event for the change, naming each delivery it moved or sent back to review."""
    changed: dict[str, Any] = {
        str(r.delivery_id): {
            "from": r.old_due_at.isoformat(),
            "to": r.new_due_at.isoformat(),
            "status": r.status,
            **({"note": r.note} if r.note else {}),
        }
        for r in answered
        if r.change == MOVED or r.back_to_review
    }
    after: dict[str, Any] = {
        "timezone": new,
        "moved": sum(r.change == MOVED for r in answered),
        "deliveries": changed,
        "back_to_review": sorted({r.post_id for r in answered if r.back_to_review}),
    }
    skipped = sorted(r.delivery_id for r in answered if r.change == SKIPPED)
    if skipped:
        after["skipped"] = skipped
    record_event(
        session.connection(),
        actor=actor,
        action="production.timezone_changed",
        entity="production",
        entity_id=production_id,
        before={"timezone": old},
        after=after,
    )
