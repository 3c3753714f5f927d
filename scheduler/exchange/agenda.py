"""A production's agenda: milestones and the deliveries planned around them, in time order.

The question every face asks — "what goes out when, and what is stuck?" — answered once as
plain frozen rows (``timeline_rows``), each delivery with short marks saying why it may not go
out as shown (held, embargoed, paused, tentative date) or what happened to it (published,
failed, unknown). ``callsheet timeline`` draws them in the terminal; the pages will list them.

Read-only: it selects, never writes, so it is safe to run against a live scheduler at any
moment. The embargo and pause marks are computed from the rules as they stand now, not only
read from ``held_for``: a post is held by an embargo only when the scheduler tries to claim it,
but the producer wants to see the clash weeks before that.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from sqlmodel import Session

from scheduler.core.models import DeliveryStatus, Milestone, Pause, PauseScope
from scheduler.exchange.schedule import ScheduleEntry, schedule_entries
from scheduler.planning.embargoes import Embargo, embargoes_of
from scheduler.planning.pauses import list_pauses
from scheduler.planning.productions import get_production, list_milestones
from scheduler.planning.timeline import zone

RowKind = Literal["milestone", "delivery"]

#: States in which the delivery's fate is settled (or awaits reconciliation, not a gate):
#: embargo, pause and tentative-date marks say nothing useful about them.
SETTLED = (DeliveryStatus.published, DeliveryStatus.failed, DeliveryStatus.unknown)
#: How much of a post's own body the timeline shows; the preview shows the rest.
EXCERPT = 48


@dataclass(frozen=True)
class TimelineRow:
    """One line of the timeline: a milestone, or one post on one account.

    ``when`` is aware UTC (what rows sort on); ``local`` is the same instant as a wall-clock
    string in the production's timezone, which is how the team talks about the plan.
    """

    kind: RowKind
    when: datetime
    local: str
    #: The milestone's name; empty for a delivery.
    name: str = ""
    #: A milestone whose date is not confirmed (deliveries carry the "tentative date" mark).
    tentative: bool = False
    post_id: int | None = None
    delivery_id: int | None = None
    pillar: str = ""
    #: The template's name, or ``(body)`` for a post with a body of its own.
    template: str = ""
    #: The head of the post's own body, on one line; empty for a template post.
    excerpt: str = ""
    platform: str = ""
    handle: str = ""
    status: str = ""
    #: The post's review state (draft, in_review, approved, rejected): what a pending
    #: delivery waits for.
    post_status: str = ""
    marks: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """Platform and handle, e.g. ``outbox @nightshiftfilm``; empty for a milestone."""
        return f"{self.platform} {self.handle}".strip()


@dataclass(frozen=True)
class Gates:
    """What may stop a delivery right now: embargoes, active pauses, tentative milestones."""

    embargoes: tuple[Embargo, ...]
    production_paused: bool
    paused_accounts: frozenset[int]
    tentative_milestones: frozenset[int]


def timeline_rows(*, session: Session, production_id: int) -> list[TimelineRow]:
    """Milestones and live deliveries of a production in time order; NotFound if unknown.

    Cancelled deliveries are left out: they are no longer part of the plan.
    """
    production = get_production(session=session, production_id=production_id)
    tz = zone(production.timezone)
    milestones = list_milestones(session=session, production_id=production_id)
    entries = schedule_entries(
        session=session, production_id=production_id, include_cancelled=False
    )
    gates = _gates(session, production_id, milestones)
    rows = [_milestone_row(m, tz) for m in milestones]
    rows += [_delivery_row(e, tz, gates) for e in entries]
    return sorted(rows, key=_order)


def _order(row: TimelineRow) -> tuple[datetime, int, int]:
    """By time; at the same instant the milestone first, since posts refer to it."""
    ident = row.delivery_id or 0
    return (row.when, 0 if row.kind == "milestone" else 1, ident)


def _gates(session: Session, production_id: int, milestones: list[Milestone]) -> Gates:
    pauses = list_pauses(session=session)
    return Gates(
        embargoes=tuple(embargoes_of(session, [production_id])[production_id]),
        production_paused=any(_stops_production(p, production_id) for p in pauses),
        paused_accounts=frozenset(
            p.account_id for p in pauses if p.scope == PauseScope.account and p.account_id
        ),
        tentative_milestones=frozenset(m.id for m in milestones if m.tentative and m.id),
    )


def _stops_production(pause: Pause, production_id: int) -> bool:
    """The kill switch stops everything; a production pause only its own production."""
    if pause.scope == PauseScope.all:
        return True
    return pause.scope == PauseScope.production and pause.production_id == production_id


def _local(instant: datetime, tz: tzinfo) -> str:
    return f"{instant.astimezone(tz):%Y-%m-%d %H:%M %Z}"


def _milestone_row(milestone: Milestone, tz: tzinfo) -> TimelineRow:
    return TimelineRow(
        kind="milestone",
        when=milestone.at,
        local=_local(milestone.at, tz),
        name=milestone.name,
        tentative=milestone.tentative,
    )


def _delivery_row(entry: ScheduleEntry, tz: tzinfo, gates: Gates) -> TimelineRow:
    delivery, post, account = entry.delivery, entry.post, entry.account
    return TimelineRow(
        kind="delivery",
        when=delivery.due_at,
        local=_local(delivery.due_at, tz),
        post_id=post.id,
        delivery_id=delivery.id,
        pillar=post.pillar,
        template=post.template or "(body)",
        excerpt="" if post.template else _excerpt(post.body or ""),
        platform=account.platform,
        handle=account.handle,
        status=delivery.status,
        post_status=post.status,
        marks=tuple(_marks(entry, gates)),
    )


def _excerpt(body: str) -> str:
    """The body's head on one line, so one post is one line of the table."""
    flat = " ".join(body.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _marks(entry: ScheduleEntry, gates: Gates) -> Iterator[str]:
    """Why a delivery may not go out as shown, or what became of it."""
    delivery, post = entry.delivery, entry.post
    status = delivery.status
    if status == DeliveryStatus.held:
        yield _held(delivery.held_for, delivery.last_error)
    if status not in SETTLED:
        if any(e.covers(post.tags, delivery.due_at) for e in gates.embargoes):
            yield "embargoed"
        if post.anchor_milestone_id in gates.tentative_milestones:
            yield "tentative date"
        if gates.production_paused or delivery.account_id in gates.paused_accounts:
            yield "paused"
    if status == DeliveryStatus.published:
        where = delivery.external_url or delivery.external_id
        yield f"published {where}" if where else "published"
    elif status == DeliveryStatus.failed:
        yield f"failed: {delivery.last_error or 'no error recorded'}"
    elif status == DeliveryStatus.unknown:
        yield "unknown"


def _held(reason: str | None, error: str | None) -> str:
    """``held: tentative ('Premiere' is tentative)``: the code, then the person-readable why."""
    detail = (error or "").removeprefix("held: ").strip()
    code = reason or "unspecified"
    return f"held: {code} ({detail})" if detail else f"held: {code}"
