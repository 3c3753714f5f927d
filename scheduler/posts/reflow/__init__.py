"""Moving a milestone moves every unsent post anchored to it, in one transaction.

Productions slip: when the premiere moves three weeks, each countdown, tease and interview
anchored to it is recomputed from its anchor (not shifted by the difference, so "18:00 local"
stays 18:00 local across a daylight-saving change). Rules, in order:

- In-flight deliveries (``claimed``, ``publishing``) and finished ones are never touched.
- A tentative milestone holds its anchored, approved deliveries (``held``, ``tentative``);
  confirming the date releases exactly those holds.
- A new due time already in the past follows the production's policy: ``hold`` (a person
  decides), ``send_now`` or ``skip`` (cancelled).
- Approvals survive a move when the production keeps them and the re-rendered text is the
  same; a template that prints the date renders differently, so that delivery (and its post)
  goes back to review. With ``keep_approvals_on_reflow`` off, every moved post goes back.

A premiere can carry thousands of posts and a producer waits for the move (docs/performance.md,
"Reflow"). The first version asked the database about each post and rendered every delivery
again to compare hashes: 25 s for 10,000. Now about 0.46 s (median, two vCPUs). How:

- Reads are in bulk: the unsent deliveries with their posts' source and anchor (as plain
  tuples: planning reads each field of 10,000 rows), their accounts, and the approvals and
  posts of only the text that must be rendered (``plan``).
- Planning is per distinct input, not per delivery: a due time once per offset and local
  time, blackouts and quiet hours once per due time and account, and an outcome (new time,
  status, note) once per due time, account, state and approval verdict; deliveries share it
  (``plan``).
- A delivery is rendered only if its text can change with the move. A move changes the
  milestone and the due date and nothing else a render sees, so a source that uses neither
  ``milestone`` nor ``due`` gives the text it gave at approval, and the approval's hash of it
  still holds. What a source uses is read once from its parse tree (``jinja2.meta``); one that
  includes, imports or extends another template is assumed to change (``sources``).
- Writes: on PostgreSQL one ``UPDATE … FROM unnest(…)`` for all deliveries (their ids and
  approvals as arrays, the few distinct outcomes as JSON); on SQLite an executemany. The posts
  sent back to review are one ``UPDATE … WHERE id IN (…)`` per 1,000 (``write``).
- Each write is conditional on the row being as it was read: planning reads without locks (a
  claim or a fence need not wait for a premiere to be planned), so a delivery claimed,
  published, edited or cancelled meanwhile is left as it is and answered as ``skipped``
  (``write``).
- Python's cycle collector is held off while the plans are built (``_cycle_collector_held``,
  here beside the entry point, ``move_milestone``, and what it answers, ``Move``).

A preview (``apply=False``) plans the same way inside a savepoint that is rolled back, as a
change of time zone previews (``zone``): it answers what applying would do to each delivery
(its new time, the past-due policy's verdict, an embargo it would fall under, whether it goes
back to review) and writes nothing, not even the audit event.

Not re-checked without a render: an approval that stopped matching for reasons unrelated to
the move (a template file edited on disk since approval). The worker's hash check holds such a
delivery at dispatch (``content``), as it does for posts that never move.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from sqlmodel import select as select_models

from scheduler.core.errors import Conflict, NotFound
from scheduler.core.models import Milestone, Production
from scheduler.events.record import record_event
from scheduler.planning.embargoes import embargoes_of
from scheduler.posts.reflow.plan import Plan, Planner
from scheduler.posts.reflow.write import apply_plans
from scheduler.posts.reflow.zone import embargo_under, tags_of


@dataclass(frozen=True)
class Move:
    """One delivery's due time before and after, and what became of it.

    ``skipped``: it changed (was claimed, published, edited, cancelled) between the move's read
    and its write, so the move left it as it is; ``new_due_at`` is then its old due time.
    """

    delivery_id: int
    post_id: int
    old_due_at: datetime
    new_due_at: datetime
    status: str
    note: str | None
    skipped: bool = False
    #: Its new time had passed: ``status`` is what the production's past-due policy made of it.
    past_due: bool = False
    #: It (and its post, if approved) goes back to review: its words change with the move.
    back_to_review: bool = False
    #: The embargo its new time falls under, described: the claim will hold it.
    embargo: str | None = None


#: What a skipped delivery's move says (``Move.note``).
CHANGED_MEANWHILE = "changed while the milestone moved (claimed, published, edited): left as it is"


def move_milestone(
    *,
    session: Session,
    production_id: int,
    milestone_id: int,
    at: datetime | None,
    tentative: bool | None,
    actor: str,
    now: datetime,
    name: str | None = None,
    kind: str | None = None,
    apply: bool = True,
) -> list[Move]:
    """Change a milestone's date, tentativeness, name or kind and reflow what hangs off it.

    A new name or kind moves nothing, but a template may print it: the same planning re-renders
    exactly the deliveries whose source reads ``milestone``, and sends back to review those
    whose words changed, as a move does. ``apply`` False previews: the same planning in a
    savepoint rolled back afterwards, nothing written (the caller ends the transaction).
    """
    milestone = session.exec(
        select_models(Milestone).where(Milestone.id == milestone_id).with_for_update()
    ).first()
    if milestone is None or milestone.production_id != production_id:
        raise NotFound("milestone", milestone_id)
    production = session.get(Production, production_id)
    assert production is not None  # foreign key
    if name is not None and name != milestone.name:
        taken = session.exec(
            select_models(Milestone.id).where(
                Milestone.production_id == production_id, Milestone.name == name
            )
        ).first()
        if taken is not None:
            raise Conflict(f"name: the production already has a milestone called '{name}'")
    savepoint = None if apply else session.begin_nested()
    before = {"at": milestone.at.isoformat(), "tentative": milestone.tentative}
    renamed = {
        field: (getattr(milestone, field), value)
        for field, value in (("name", name), ("kind", kind))
        if value is not None and value != getattr(milestone, field)
    }
    for field, (old, new) in renamed.items():
        before[field] = old
        setattr(milestone, field, new)
    if at is not None:
        milestone.at = at
    if tentative is not None:
        milestone.tentative = tentative
    session.add(milestone)
    session.flush()
    with _cycle_collector_held():
        plans = Planner(session, production, [milestone], now).plans()
        if savepoint is not None:
            moves = _foreseen(session, production_id, plans)
            savepoint.rollback()  # the milestone back as it was; nothing was written
            session.refresh(milestone)
            return moves
        skipped = apply_plans(session, plans)
        moves = [
            Move(r.id, r.post_id, r.due_at, o.new_due, o.status, o.note)
            if r.id not in skipped
            else Move(r.id, r.post_id, r.due_at, r.due_at, r.status, CHANGED_MEANWHILE, True)
            for r, o in plans
        ]
    after = {
        "at": milestone.at.isoformat(),
        "tentative": milestone.tentative,
        **{field: new for field, (_old, new) in renamed.items()},
        "moved": len(moves) - len(skipped),
        **({"skipped": sorted(skipped)} if skipped else {}),
    }
    record_event(
        session.connection(),
        actor=actor,
        action="milestone.moved",
        entity="milestone",
        entity_id=milestone_id,
        before=before,
        after=after,
    )
    return moves


def _foreseen(session: Session, production_id: int, plans: list[Plan]) -> list[Move]:
    """What applying ``plans`` would do, read while the milestone has its new date: the
    embargoes are resolved against it too (the moved milestone may be one an embargo waits
    for)."""
    embargoes = embargoes_of(session, [production_id])[production_id]
    tags = tags_of(session, {r.post_id for r, _ in plans}) if embargoes else {}
    return [
        Move(
            r.id,
            r.post_id,
            r.due_at,
            o.new_due,
            o.status,
            o.note,
            past_due=o.past_due,
            back_to_review=o.unbind,
            embargo=embargo_under(embargoes, tags.get(r.post_id, []), o.new_due, o.status),
        )
        for r, o in plans
    ]


@contextmanager
def _cycle_collector_held() -> Iterator[None]:
    """Keep Python's cycle collector from running while a move builds its objects.

    A move of 10,000 deliveries creates tens of thousands of objects that live until it ends
    (rows, plans, moves), and so sets off the collector's full pass over every object in the
    process most times: 0.05-0.15 s on two vCPUs, for no cycle to find. Held off here, the
    collector runs as usual afterwards. If it was already off, it stays as it was.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
