"""Reflow: move a premiere that N approved posts are anchored to, on PostgreSQL.

One production, one premiere, N approved posts anchored to it (offsets -P1D … -P60D, 18:00
local), one delivery each on an outbox account, approvals holding hashes computed by the real
renderer. Every post has its own text, as real posts do. 10% use the ``premiere_countdown``
template, which prints the premiere's date, so a move sends them back to review; 10% mention a
deadline in prose ("due this week") without using the date context; the rest are plain.

Each repetition moves the premiere (+3 weeks, then back, alternating) and times
``move_milestone`` plus the commit in a fresh session. Between repetitions, outside the timing,
every post is approved again as it was seeded, so each move starts from the same state. Two
designs run in the same invocation, each on its own copy of the same seeded database:

- **callsheet**: ``scheduler.posts.reflow.move_milestone`` as shipped.
- **naive**: the first version (kept below): per post, load its deliveries and its approval,
  then render every bound delivery to re-check its hash.

Both must leave exactly the same deliveries and posts after every move; the bench checks.
Usage::

    python bench/reflow.py [--n 10000] [--repeat 5] [--designs callsheet,naive]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, bindparam, insert, text, update
from sqlmodel import Session, SQLModel, col, select

from scheduler.content.context import content_hash, render_delivery
from scheduler.content.render import RenderError
from scheduler.core.db import create_db_engine
from scheduler.core.migrate import upgrade
from scheduler.core.models import (
    UNSENT,
    Account,
    Approval,
    ContentPillar,
    Delivery,
    DeliveryStatus,
    HoldReason,
    Milestone,
    MilestoneKind,
    PastDuePolicy,
    Post,
    PostStatus,
    Production,
    utcnow,
)
from scheduler.events.record import record_event
from scheduler.planning.timeline import Anchor, due_at, zone
from scheduler.posts.lifecycle import anchor_of
from scheduler.posts.reflow import Move, move_milestone

PG_ADMIN = os.environ.get(
    "CALLSHEET_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SEED_DB = "callsheet_bench_reflow_seed"
TIMEZONE = "Europe/London"
PREMIERE = datetime(2027, 3, 1, 19, 0, tzinfo=UTC)
LATER = PREMIERE + timedelta(weeks=3)
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # every due time stays in the future
SIX_PM = datetime(2000, 1, 1, 18, 0).time()  # the posts' local time of day
POST = SQLModel.metadata.tables["post"]
DELIVERY = SQLModel.metadata.tables["delivery"]
APPROVAL = SQLModel.metadata.tables["approval"]

Mover = Callable[..., list[Move]]


def pg_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def admin(*statements: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.encode())


def content(i: int) -> tuple[str, str | None, str | None, dict[str, Any]]:
    """Offset, template, body and variables of post ``i``: every post says something else."""
    days = 1 + (i // 10) % 60
    offset = f"-P{days}D"
    if i % 10 == 0:
        variables = {"days_to_go": days, "event": f"the premiere (teaser {i // 10})"}
        return offset, "premiere_countdown", None, variables
    if i % 10 == 1:
        body = f"Costume fittings for scene {i} are due this week, take {{{{ take }}}}."
    else:
        body = f"Day {i} behind the scenes of {{{{ production.title }}}}, take {{{{ take }}}}."
    return offset, None, body, {"take": i}


def seed(n: int) -> None:
    """Migrate a fresh database and fill it with N approved posts; hashes computed for real."""
    admin(f'DROP DATABASE IF EXISTS "{SEED_DB}" WITH (FORCE)', f'CREATE DATABASE "{SEED_DB}"')
    upgrade(pg_url(SEED_DB))
    engine = create_db_engine(pg_url(SEED_DB))
    tz = zone(TIMEZONE)
    with Session(engine, expire_on_commit=False) as session:
        production = Production(title="Night Shift", kind="film", timezone=TIMEZONE)
        account = Account(platform="outbox", handle="@nightshiftfilm", settings={"path": "x"})
        session.add_all([production, account])
        session.flush()
        premiere = Milestone(
            production_id=production.id or 0,
            kind=MilestoneKind.premiere.value,
            name="Premiere",
            at=PREMIERE,
        )
        session.add(premiere)
        session.commit()
        posts: list[dict[str, Any]] = []
        deliveries: list[dict[str, Any]] = []
        rendered: list[str] = []
        for i in range(n):
            offset, template, body, variables = content(i)
            post = Post(
                production_id=production.id or 0,
                pillar=ContentPillar.countdown.value,
                template=template,
                body=body,
                variables=variables,
                anchor_milestone_id=premiere.id,
                anchor_offset=offset,
                anchor_local_time=SIX_PM,
                created_by="bench",
            )
            spec = Anchor(milestone_id=premiere.id, offset=offset, local_time=SIX_PM)
            due = due_at(spec, milestone_at=PREMIERE, tz=tz)
            out = render_delivery(
                production=production, milestone=premiere, account=account, post=post, due_at=due
            )
            rendered.append(content_hash(out, account))
            row = post.model_dump()
            row.pop("id")
            posts.append({**row, "status": PostStatus.approved.value})
            deliveries.append(
                {
                    "account_id": account.id,
                    "due_at": due,
                    "planned_at": due,
                    "attempt": 0,
                    "updated_at": utcnow(),
                }
            )
        conn = session.connection()
        post_ids = conn.execute(insert(POST).returning(POST.c.id), posts).scalars().all()
        for pid, delivery in zip(post_ids, deliveries, strict=True):
            delivery.update(post_id=pid, status=DeliveryStatus.scheduled.value)
        delivery_ids = (
            conn.execute(insert(DELIVERY).returning(DELIVERY.c.id), deliveries).scalars().all()
        )
        approvals = [
            {
                "post_id": pid,
                "post_version": 1,
                "approved_by": "bench",
                "approved_at": utcnow(),
                "delivery_hashes": {str(did): digest},
            }
            for pid, did, digest in zip(post_ids, delivery_ids, rendered, strict=True)
        ]
        approval_ids = (
            conn.execute(insert(APPROVAL).returning(APPROVAL.c.id), approvals).scalars().all()
        )
        conn.execute(
            update(DELIVERY)
            .where(DELIVERY.c.id == bindparam("d"))
            .values(approval_id=bindparam("a")),
            [{"d": d, "a": a} for d, a in zip(delivery_ids, approval_ids, strict=True)],
        )
        session.commit()
    engine.dispose()


def approve_all_again(engine: Engine, database: str) -> None:
    """Untimed: every post approved with its seeded approval, as a producer would re-approve."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE delivery SET status = 'scheduled', held_for = NULL, last_error = NULL, "
                "approval_id = a.id FROM approval a WHERE a.post_id = delivery.post_id"
            )
        )
        conn.execute(text("UPDATE post SET status = 'approved' WHERE status <> 'approved'"))
    with psycopg.connect(pg_url(database).replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE delivery, post")


def state_digest(engine: Engine, moves: list[Move]) -> str:
    """What a move left behind: every delivery and post, and the moves it reported."""
    digest = hashlib.sha256()
    for m in sorted(moves, key=lambda m: m.delivery_id):
        digest.update(repr((m.delivery_id, m.new_due_at, m.status, m.note)).encode())
    with engine.connect() as conn:
        for statement in (
            "SELECT id, status, due_at, held_for, approval_id, last_error FROM delivery "
            "ORDER BY id",
            "SELECT id, status FROM post ORDER BY id",
        ):
            for row in conn.execute(text(statement)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@dataclass
class Result:
    seconds: list[float]
    moved: int
    back_to_review: int
    digests: list[str]


def run(design: str, mover: Mover, repeat: int) -> Result:
    database = f"callsheet_bench_reflow_{design}"
    admin(
        f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
        f'CREATE DATABASE "{database}" TEMPLATE "{SEED_DB}"',
    )
    engine = create_db_engine(pg_url(database))
    with Session(engine) as session:
        premiere = session.exec(select(Milestone)).one()
        production_id, milestone_id = premiere.production_id, premiere.id or 0
    result = Result(seconds=[], moved=0, back_to_review=0, digests=[])
    try:
        for rep in range(repeat):
            approve_all_again(engine, database)
            with Session(engine) as session:
                start = time.perf_counter()
                moves = mover(
                    session=session,
                    production_id=production_id,
                    milestone_id=milestone_id,
                    at=LATER if rep % 2 == 0 else PREMIERE,
                    tentative=None,
                    actor="bench",
                    now=NOW,
                )
                session.commit()
                result.seconds.append(time.perf_counter() - start)
            if rep == 0:
                result.moved = len(moves)
                result.back_to_review = sum(m.status == DeliveryStatus.pending for m in moves)
            result.digests.append(state_digest(engine, moves))
    finally:
        engine.dispose()
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return result


# --- naive: the first version of scheduler/reflow.py (4b0a693), kept as it was ---------


@dataclass
class _Plan:
    delivery: Delivery
    new_due: datetime
    status: str
    held_for: str | None
    unbind: bool
    note: str | None


def naive_move(
    *,
    session: Session,
    production_id: int,
    milestone_id: int,
    at: datetime | None,
    tentative: bool | None,
    actor: str,
    now: datetime,
) -> list[Move]:
    """The reflow before optimisation: per-post queries, every bound delivery re-rendered."""
    milestone = session.exec(
        select(Milestone).where(Milestone.id == milestone_id).with_for_update()
    ).first()
    assert milestone is not None
    assert milestone.production_id == production_id
    production = session.get(Production, production_id)
    assert production is not None
    before = {"at": milestone.at.isoformat(), "tentative": milestone.tentative}
    if at is not None:
        milestone.at = at
    if tentative is not None:
        milestone.tentative = tentative
    session.add(milestone)
    plans = [
        plan
        for post in session.exec(select(Post).where(Post.anchor_milestone_id == milestone_id))
        for plan in _plan_post(session, production, milestone, post, now)
    ]
    moves = [
        Move(p.delivery.id or 0, p.delivery.post_id, p.delivery.due_at, p.new_due, p.status, p.note)
        for p in plans
    ]
    _apply(session, plans)
    after = {"at": milestone.at.isoformat(), "tentative": milestone.tentative, "moved": len(moves)}
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


def _plan_post(
    session: Session, production: Production, milestone: Milestone, post: Post, now: datetime
) -> list[_Plan]:
    anchor = anchor_of(post)
    spec = Anchor(milestone_id=milestone.id, offset=anchor.offset, local_time=anchor.local_time)
    new_due = due_at(spec, milestone_at=milestone.at, tz=zone(production.timezone))
    unsent = [
        d
        for d in session.exec(select(Delivery).where(Delivery.post_id == post.id))
        if d.status in UNSENT
    ]
    approval = None
    if unsent and unsent[0].approval_id is not None:
        approval = session.get(Approval, unsent[0].approval_id)
    plans = []
    for d in unsent:
        plan = _Plan(d, new_due, d.status, d.held_for, unbind=False, note=None)
        bound = d.approval_id is not None
        if bound and not _still_approved(
            session, production, milestone, post, d, new_due, approval
        ):
            plan.unbind, plan.status, plan.held_for = True, DeliveryStatus.pending.value, None
            plan.note = "the text changes with the date; it needs a new approval"
            bound = False
        if bound and d.held_for == HoldReason.tentative and not milestone.tentative:
            plan.status, plan.held_for = DeliveryStatus.scheduled.value, None
            plan.note = "milestone confirmed"
        if bound and milestone.tentative and plan.status != DeliveryStatus.held:
            plan.status, plan.held_for = DeliveryStatus.held.value, HoldReason.tentative.value
            plan.note = f"held: '{milestone.name}' is tentative"
        if new_due < now and plan.status != DeliveryStatus.pending:
            _past_due(plan, production, now)
        plans.append(plan)
    return plans


def _still_approved(
    session: Session,
    production: Production,
    milestone: Milestone,
    post: Post,
    delivery: Delivery,
    new_due: datetime,
    approval: Approval | None,
) -> bool:
    if not production.keep_approvals_on_reflow or approval is None:
        return False
    account = session.get(Account, delivery.account_id)
    assert account is not None
    try:
        rendered = render_delivery(
            production=production, milestone=milestone, account=account, post=post, due_at=new_due
        )
    except RenderError:
        return False
    return approval.delivery_hashes.get(str(delivery.id)) == content_hash(rendered, account)


def _past_due(plan: _Plan, production: Production, now: datetime) -> None:
    policy = PastDuePolicy(production.past_due_policy)
    if policy is PastDuePolicy.send_now:
        plan.new_due, plan.note = now, "moved into the past: sent now (production policy)"
    elif policy is PastDuePolicy.skip:
        plan.status, plan.held_for = DeliveryStatus.cancelled.value, None
        plan.note = "moved into the past: skipped (production policy)"
    else:
        plan.status, plan.held_for = DeliveryStatus.held.value, HoldReason.past_due.value
        plan.note = "moved into the past: held for a person to decide"


def _apply(session: Session, plans: list[_Plan]) -> None:
    if not plans:
        return
    session.flush()
    rows = [
        {
            "b_id": p.delivery.id,
            "b_due_at": p.new_due,
            "b_status": p.status,
            "b_held_for": p.held_for,
            "b_approval_id": None if p.unbind else p.delivery.approval_id,
            "b_note": p.note if p.status == DeliveryStatus.held else None,
            "b_updated_at": utcnow(),
        }
        for p in plans
    ]
    statement = (
        update(DELIVERY)
        .where(DELIVERY.c.id == bindparam("b_id"))
        .values(
            due_at=bindparam("b_due_at"),
            status=bindparam("b_status"),
            held_for=bindparam("b_held_for"),
            approval_id=bindparam("b_approval_id"),
            last_error=bindparam("b_note"),
            updated_at=bindparam("b_updated_at"),
        )
    )
    session.connection().execute(statement, rows)
    back_to_review = {p.delivery.post_id for p in plans if p.unbind}
    for post in session.exec(select(Post).where(col(Post.id).in_(back_to_review))):
        if post.status == PostStatus.approved:
            post.status = PostStatus.in_review.value
            post.updated_at = utcnow()
            session.add(post)
    session.flush()
    session.expire_all()


DESIGNS: dict[str, Mover] = {"callsheet": move_milestone, "naive": naive_move}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--designs", default="callsheet,naive")
    args = parser.parse_args()
    started = time.perf_counter()
    seed(args.n)
    Console().print(f"seeded {args.n} approved posts in {time.perf_counter() - started:.1f} s")
    table = Table(
        "design",
        "deliveries moved",
        "back to review",
        "min (s)",
        "median (s)",
        "max (s)",
        title=f"reflow: a premiere with {args.n} anchored deliveries moved {args.repeat} times "
        "(+3 weeks / back), PostgreSQL",
    )
    results = {}
    for design in args.designs.split(","):
        r = results[design] = run(design, DESIGNS[design], args.repeat)
        table.add_row(
            design,
            f"{r.moved:,}",
            f"{r.back_to_review:,}",
            f"{min(r.seconds):.3f}",
            f"{statistics.median(r.seconds):.3f}",
            f"{max(r.seconds):.3f}",
        )
    Console().print(table)
    admin(f'DROP DATABASE IF EXISTS "{SEED_DB}" WITH (FORCE)')
    if len({tuple(r.digests) for r in results.values()}) > 1:
        raise SystemExit("the designs left different deliveries or posts behind")
    if len(results) > 1:
        Console().print("every move left identical deliveries, posts and reported moves")


if __name__ == "__main__":
    main()
