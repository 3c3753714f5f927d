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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from sqlmodel import Session, col, or_, select

from scheduler.core.models import (
    Blackout,
    DeliveryStatus,
    Milestone,
    Pause,
    PauseScope,
    Production,
)
from scheduler.exchange.schedule import ScheduleEntry, entries_of
from scheduler.planning.embargoes import Embargo, embargoes_of
from scheduler.planning.pauses import list_pauses
from scheduler.planning.productions import get_production
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
    production_id: int = 0
    #: The production's title and time zone, for agendas of several productions.
    production: str = ""
    timezone: str = "UTC"
    #: The milestone's name; empty for a delivery.
    name: str = ""
    #: A milestone whose date is not confirmed (deliveries carry the "tentative date" mark).
    tentative: bool = False
    milestone_id: int | None = None
    post_id: int | None = None
    #: The post's version as read: a move from the page edits that version, or is refused.
    post_version: int = 0
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

    embargoes: dict[int, tuple[Embargo, ...]]
    #: Productions a pause stops (all of them while the kill switch is on).
    paused_productions: frozenset[int]
    paused_accounts: frozenset[int]
    tentative_milestones: frozenset[int]


@dataclass(frozen=True)
class Window:
    """Which part of an agenda to read: rows due in [``since``, ``before``), at most ``limit``
    of them (``latest``: the last ``limit`` before ``before``, for an "earlier" page)."""

    since: datetime | None = None
    before: datetime | None = None
    limit: int | None = None
    latest: bool = False

    def holds(self, when: datetime) -> bool:
        return (self.since is None or when >= self.since) and (
            self.before is None or when < self.before
        )


EVERYTHING = Window()


def timeline_rows(
    *, session: Session, production_id: int, window: Window = EVERYTHING
) -> list[TimelineRow]:
    """Milestones and live deliveries of a production in time order; NotFound if unknown.

    Cancelled deliveries are left out: they are no longer part of the plan.
    """
    production = get_production(session=session, production_id=production_id)
    return agenda_rows(session=session, productions=[production], window=window)


def agenda_rows(
    *, session: Session, productions: Sequence[Production], window: Window = EVERYTHING
) -> list[TimelineRow]:
    """Several productions' agendas as one, in time order, each row naming its production.

    A fixed number of queries whatever the number of rows or productions: milestones,
    deliveries (only the window's), embargoes, pauses.
    """
    by_id = {p.id or 0: p for p in productions}
    milestones = milestones_of(session, list(by_id))
    entries = entries_of(
        session,
        list(by_id),
        include_cancelled=False,
        since=window.since,
        before=window.before,
        limit=window.limit,
        latest=window.latest,
    )
    gates = _gates(session, list(by_id), milestones)
    rows = [_milestone_row(m, by_id[m.production_id]) for m in milestones if window.holds(m.at)]
    rows += [_delivery_row(e, by_id[e.post.production_id], gates) for e in entries]
    rows.sort(key=_order)
    if window.limit is not None:
        rows = rows[-window.limit :] if window.latest else rows[: window.limit]
    return rows


def _order(row: TimelineRow) -> tuple[datetime, int, int]:
    """By time; at the same instant the milestone first, since posts refer to it."""
    ident = row.delivery_id or 0
    return (row.when, 0 if row.kind == "milestone" else 1, ident)


def _gates(session: Session, production_ids: list[int], milestones: list[Milestone]) -> Gates:
    pauses = list_pauses(session=session)
    return Gates(
        embargoes={
            pid: tuple(found) for pid, found in embargoes_of(session, production_ids).items()
        },
        paused_productions=frozenset(
            pid for pid in production_ids if any(_stops_production(p, pid) for p in pauses)
        ),
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


BandKind = Literal["blackout", "embargo"]


@dataclass(frozen=True)
class Band:
    """A stretch of time that shapes the plan, drawn beside the posts it shapes.

    A blackout: nothing goes out in [``starts_at``, ``ends_at``) (a due time inside moves to
    its end). An embargo: posts tagged ``tag`` wait until ``ends_at``, when it lifts (a
    tentative lift date lifts nothing: the claim holds them until it is confirmed).
    """

    kind: BandKind
    ends_at: datetime
    #: Why: the blackout's reason, or the embargo's rule in words.
    text: str
    starts_at: datetime | None = None
    #: None: a blackout for every production.
    production_id: int | None = None
    tag: str = ""
    tentative: bool = False

    def meets(self, since: datetime, before: datetime) -> bool:
        """Whether the band shows between ``since`` and ``before``: a blackout that overlaps
        them, an embargo that lifts then."""
        if self.starts_at is None:
            return since <= self.ends_at < before
        return self.starts_at < before and self.ends_at > since


def bands_of(session: Session, production_ids: Sequence[int]) -> list[Band]:
    """The productions' blackouts (with everyone's) and embargoes, by time; two queries."""
    wanted = sorted(set(production_ids))
    query = select(Blackout).where(
        or_(col(Blackout.production_id).is_(None), col(Blackout.production_id).in_(wanted))
    )
    found = [
        Band(
            kind="blackout",
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            text=b.reason,
            production_id=b.production_id,
        )
        for b in session.exec(query)
    ]
    for production_id, embargoes in embargoes_of(session, wanted).items():
        found += [
            Band(
                kind="embargo",
                ends_at=e.lifts_at,
                text=f"'{e.tag}' posts wait for {e.milestone}"
                + ("" if e.offset in ("PT0S", "+PT0S") else f" {e.offset}"),
                production_id=production_id,
                tag=e.tag,
                tentative=e.tentative,
            )
            for e in embargoes
        ]
    return sorted(found, key=lambda b: (b.starts_at or b.ends_at, b.ends_at, b.kind))


def milestones_of(session: Session, production_ids: Sequence[int]) -> list[Milestone]:
    """The productions' milestones, soonest first, in one query."""
    query = select(Milestone).where(col(Milestone.production_id).in_(sorted(set(production_ids))))
    return list(session.exec(query.order_by(col(Milestone.at), col(Milestone.id))))


def _local(instant: datetime, tz: tzinfo) -> str:
    return f"{instant.astimezone(tz):%Y-%m-%d %H:%M %Z}"


def _milestone_row(milestone: Milestone, production: Production) -> TimelineRow:
    return TimelineRow(
        kind="milestone",
        when=milestone.at,
        local=_local(milestone.at, zone(production.timezone)),
        production_id=milestone.production_id,
        production=production.title,
        timezone=production.timezone,
        name=milestone.name,
        tentative=milestone.tentative,
        milestone_id=milestone.id,
    )


def _delivery_row(entry: ScheduleEntry, production: Production, gates: Gates) -> TimelineRow:
    delivery, post, account = entry.delivery, entry.post, entry.account
    return TimelineRow(
        kind="delivery",
        when=delivery.due_at,
        local=_local(delivery.due_at, zone(production.timezone)),
        production_id=post.production_id,
        production=production.title,
        timezone=production.timezone,
        post_id=post.id,
        post_version=post.version,
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
        embargoes = gates.embargoes.get(post.production_id, ())
        if any(e.covers(post.tags, delivery.due_at) for e in embargoes):
            yield "embargoed"
        if post.anchor_milestone_id in gates.tentative_milestones:
            yield "tentative date"
        paused = post.production_id in gates.paused_productions
        if paused or delivery.account_id in gates.paused_accounts:
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
