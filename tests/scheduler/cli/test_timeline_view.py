"""The terminal timeline: rows in time order with their marks, and a render that escapes text."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlmodel import Session, select

from scheduler.cli.timeline import render_timeline
from scheduler.core.errors import NotFound
from scheduler.core.models import (
    Account,
    ContentPillar,
    Delivery,
    DeliveryStatus,
    MilestoneKind,
    PauseScope,
    Post,
    Production,
)
from scheduler.exchange.agenda import TimelineRow, timeline_rows
from scheduler.planning.embargoes import add_rule
from scheduler.planning.pauses import pause
from scheduler.planning.productions import add_milestone
from scheduler.planning.schemas import EmbargoCreate, MilestoneCreate, PauseCreate
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post
from scheduler.posts.schemas import AnchorIn, PostCreate
from tests import factories

ANNOUNCEMENT = datetime(2027, 1, 12, 12, 0, tzinfo=UTC)
PREMIERE = datetime(2027, 3, 1, 19, 0, tzinfo=UTC)
TODAY = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
MARKUP = "BTS: [bold red]x[/bold red] C:\\[link=x] end\\"


@dataclass(frozen=True)
class Plan:
    """The production under test and the post ids each case looks for."""

    production: Production
    published: int
    embargoed: int
    paused: int
    held: int
    cancelled: int


def _post(
    session: Session,
    production: int,
    accounts: list[Account],
    anchor: AnchorIn,
    *,
    body: str = "Night shift at work.",
    tags: list[str] | None = None,
    approve: bool = True,
) -> Post:
    post = create_post(
        session=session,
        actor="maya",
        data=PostCreate(
            production_id=production,
            pillar=ContentPillar.on_set,
            body=body,
            tags=tags or [],
            anchor=anchor,
            account_ids=[a.id or 0 for a in accounts],
        ),
    )
    if approve:
        submit_post(session=session, post_id=post.id or 0, version=1, actor="maya")
        approve_post(session=session, post_id=post.id or 0, version=1, actor="dev", shown=None)
    return post


def _delivery(session: Session, post: Post) -> Delivery:
    return session.exec(select(Delivery).where(Delivery.post_id == post.id)).one()


def _milestone(session: Session, production: int, name: str, at: datetime, **kw: bool) -> int:
    kind = MilestoneKind.casting_announced if "Casting" in name else MilestoneKind.premiere
    made = add_milestone(
        session=session,
        production_id=production,
        actor="maya",
        data=MilestoneCreate(kind=kind, name=name, at=at, **kw),
    )
    return made.id or 0


def _plan(session: Session, tmp_path: Path) -> Plan:
    """Night Shift: a casting announcement, a tentative premiere, and posts around them."""
    production = factories.production(session)
    pid = production.id or 0
    announcement = _milestone(session, pid, "Casting [announced]", ANNOUNCEMENT)
    premiere = _milestone(session, pid, "Premiere", PREMIERE, tentative=True)
    main = factories.outbox_account(session, tmp_path / "main.jsonl", production_ids=[pid])
    quiet = factories.outbox_account(
        session, tmp_path / "quiet.jsonl", handle="@quietshift", production_ids=[pid]
    )
    add_rule(
        session=session,
        production_id=pid,
        actor="legal",
        data=EmbargoCreate(tag="casting", milestone_id=announcement),
    )
    published = _post(session, pid, [main], AnchorIn(at=ANNOUNCEMENT - timedelta(days=5)))
    # Casting news before the announcement: approval would refuse it, so it waits in review.
    embargoed = _post(
        session,
        pid,
        [main],
        AnchorIn(at=ANNOUNCEMENT - timedelta(days=1)),
        tags=["casting"],
        approve=False,
    )
    paused = _post(session, pid, [quiet], AnchorIn(at=TODAY + timedelta(days=3)), body=MARKUP)
    held = _post(
        session,
        pid,
        [main],
        AnchorIn(milestone_id=premiere, offset="-P14D", local_time=time(18, 0)),
    )
    cancelled = _post(session, pid, [main], AnchorIn(at=TODAY + timedelta(days=4)))
    _finish(session, published, cancelled)
    pause(
        session=session,
        data=PauseCreate(scope=PauseScope.account, account_id=quiet.id, reason="[red]handover"),
        actor="dev",
    )
    session.commit()
    return Plan(
        production,
        published.id or 0,
        embargoed.id or 0,
        paused.id or 0,
        held.id or 0,
        cancelled.id or 0,
    )


def _finish(session: Session, published: Post, cancelled: Post) -> None:
    """What the worker and a producer would have done: one went out, one was called off."""
    sent = _delivery(session, published)
    sent.status = DeliveryStatus.published
    sent.external_url = "https://example.org/p/1"
    sent.published_at = sent.due_at
    off = _delivery(session, cancelled)
    off.status = DeliveryStatus.cancelled
    session.add_all([sent, off])
    session.flush()


def _by_post(rows: list[TimelineRow]) -> dict[int | None, TimelineRow]:
    return {r.post_id: r for r in rows if r.kind == "delivery"}


def test_rows_come_in_time_order_with_milestones_interleaved(
    session: Session, tmp_path: Path
) -> None:
    plan = _plan(session, tmp_path)

    rows = timeline_rows(session=session, production_id=plan.production.id or 0)

    assert not session.new  # a read-only view: nothing added, changed or removed
    assert not session.dirty
    assert not session.deleted
    assert [r.when for r in rows] == sorted(r.when for r in rows)
    shape = [(r.kind, r.name or r.post_id) for r in rows]
    assert shape == [
        ("delivery", plan.published),
        ("delivery", plan.embargoed),
        ("milestone", "Casting [announced]"),
        ("delivery", plan.paused),
        ("delivery", plan.held),
        ("milestone", "Premiere"),
    ]
    premiere = rows[-1]
    assert (premiere.tentative, premiere.local) == (True, "2027-03-01 19:00 GMT")
    held = _by_post(rows)[plan.held]
    assert held.local == "2027-02-15 18:00 GMT"
    assert (held.template, held.where) == ("(body)", "outbox @nightshiftfilm")


def test_each_delivery_carries_the_marks_that_explain_it(session: Session, tmp_path: Path) -> None:
    plan = _plan(session, tmp_path)

    rows = _by_post(timeline_rows(session=session, production_id=plan.production.id or 0))

    assert rows[plan.published].marks == ("published https://example.org/p/1",)
    assert (rows[plan.embargoed].status, rows[plan.embargoed].marks) == ("pending", ("embargoed",))
    assert rows[plan.paused].marks == ("paused",)
    assert rows[plan.paused].excerpt == MARKUP
    held = rows[plan.held]
    assert held.status == "held"
    assert held.marks == ("held: tentative ('Premiere' is tentative)", "tentative date")
    assert plan.cancelled not in rows


def test_a_failed_delivery_and_the_kill_switch_are_marked(session: Session, tmp_path: Path) -> None:
    plan = _plan(session, tmp_path)
    failed = session.exec(select(Delivery).where(Delivery.post_id == plan.embargoed)).one()
    failed.status, failed.last_error = DeliveryStatus.failed, "platform said no"
    session.add(failed)
    pause(session=session, data=PauseCreate(scope=PauseScope.all, reason="stop"), actor="dev")
    session.commit()

    rows = _by_post(timeline_rows(session=session, production_id=plan.production.id or 0))

    assert rows[plan.embargoed].marks == ("failed: platform said no",)  # settled: no gates
    assert "paused" in rows[plan.held].marks
    assert "paused" not in rows[plan.published].marks


def test_an_unknown_production_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        timeline_rows(session=session, production_id=404)


def test_the_render_shows_marks_and_prints_user_text_literally(
    session: Session, tmp_path: Path
) -> None:
    plan = _plan(session, tmp_path)
    rows = timeline_rows(session=session, production_id=plan.production.id or 0)
    console = Console(record=True, width=160, file=io.StringIO())

    console.print(render_timeline(rows, production=plan.production, today=TODAY))
    text = console.export_text()

    assert "★ Casting [announced]" in text
    assert "★ Premiere" in text
    assert "embargoed" in text
    assert "held: tentative" in text
    assert "[bold red]x[/bold red]" in text
    assert "C:\\[link=x]" in text  # a backslash before a tag stays too
    lines = text.splitlines()
    today = next(i for i, line in enumerate(lines) if "── today ──" in line)
    announced = next(i for i, line in enumerate(lines) if "Casting [announced]" in line)
    quiet = next(i for i, line in enumerate(lines) if "@quietshift" in line)
    assert announced < today < quiet
    assert sum("Tue 12 Jan 2027" in line for line in lines) == 1  # the date once per day


def test_an_empty_plan_still_shows_today(session: Session) -> None:
    production = factories.production(session)
    session.commit()
    console = Console(record=True, width=160, file=io.StringIO())

    rows = timeline_rows(session=session, production_id=production.id or 0)
    console.print(render_timeline(rows, production=production, today=TODAY))

    assert rows == []
    assert "── today ──" in console.export_text()
