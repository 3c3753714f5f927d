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
  posts of only the text that must be rendered.
- Planning is per distinct input, not per delivery: a due time once per offset and local
  time, blackouts and quiet hours once per due time and account, and an outcome (new time,
  status, note) once per due time, account, state and approval verdict; deliveries share it.
- A delivery is rendered only if its text can change with the move. A move changes the
  milestone and the due date and nothing else a render sees, so a source that uses neither
  ``milestone`` nor ``due`` gives the text it gave at approval, and the approval's hash of it
  still holds. What a source uses is read once from its parse tree (``jinja2.meta``); one that
  includes, imports or extends another template is assumed to change.
- Writes: on PostgreSQL one ``UPDATE … FROM unnest(…)`` for all deliveries (their ids and
  approvals as arrays, the few distinct outcomes as JSON); on SQLite an executemany. The posts
  sent back to review are one ``UPDATE … WHERE id IN (…)`` per 1,000.
- Python's cycle collector is held off while the plans are built (``_cycle_collector_held``).

Not re-checked without a render: an approval that stopped matching for reasons unrelated to
the move (a template file edited on disk since approval). The worker's hash check holds such a
delivery at dispatch (``content``), as it does for posts that never move.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import lru_cache
from typing import Any, NamedTuple

from jinja2 import Environment, TemplateSyntaxError, meta
from sqlalchemy import JSON, Select, bindparam, select, text, update
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as select_models

from scheduler.content.context import content_hash, render_delivery
from scheduler.content.render import TEMPLATE_SUFFIX, RenderError
from scheduler.core.config import get_settings
from scheduler.core.errors import NotFound
from scheduler.core.models import (
    UNSENT,
    Account,
    DeliveryStatus,
    HoldReason,
    Milestone,
    PastDuePolicy,
    Post,
    PostStatus,
    Production,
    UTCDateTime,
    utcnow,
)
from scheduler.events.record import record_event
from scheduler.planning.timeline import Anchor, due_at, zone
from scheduler.planning.windows import QuietHours, blackouts_for, first_allowed

_DELIVERY, _POST = SQLModel.metadata.tables["delivery"], SQLModel.metadata.tables["post"]
_APPROVAL = SQLModel.metadata.tables["approval"]
_d, _p = _DELIVERY.c, _POST.c


class _Unsent(NamedTuple):
    """Per unsent delivery, what planning reads: the delivery and its post's source and anchor.

    A plain named tuple, not SQLAlchemy's ``Row``: planning reads some twenty fields of each of
    10,000 rows, and a ``Row`` attribute costs ten times a tuple's.
    """

    id: int
    post_id: int
    account_id: int
    status: str
    due_at: datetime
    held_for: str | None
    approval_id: int | None
    template: str | None
    body: str | None
    anchor_offset: str | None
    anchor_local_time: time | None


_READ = [_d.id, _d.post_id, _d.account_id, _d.status, _d.due_at, _d.held_for, _d.approval_id]
_READ += [_p.template, _p.body, _p.anchor_offset, _p.anchor_local_time]  # as in ``_Unsent``
#: What a move changes in the render context; everything else is as it was at approval.
_MOVING_NAMES = frozenset({"milestone", "due"})
#: A source can only use a name by spelling it, or by loading another template.
_TELLTALES = frozenset({*_MOVING_NAMES, "include", "import", "extends"})
_SPELLS_A_TELLTALE = re.compile("|".join(sorted(_TELLTALES)))  # anywhere, as ``in`` finds
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_PARSER = Environment()  # noqa: S701 - only parses; rendering stays in the sandbox
_CHUNK = 1000  # ids per IN list: a bounded number of bind parameters


@dataclass(frozen=True)
class Move:
    """One delivery's due time before and after, and what became of it."""

    delivery_id: int
    post_id: int
    old_due_at: datetime
    new_due_at: datetime
    status: str
    note: str | None


@dataclass(eq=False)  # hashed by identity: see ``_arrays``
class _Outcome:
    """What a move makes of a delivery: its new time, state and note.

    Deliveries with the same inputs share one (``_Planner.plans``), so once ``_decide`` has
    made it, it is only read.
    """

    new_due: datetime
    status: str
    held_for: str | None
    unbind: bool
    note: str | None
    schedule_note: str | None

    @property
    def last_error(self) -> str | None:
        """A held delivery says why in ``last_error``; any other has none."""
        return self.note if self.status == DeliveryStatus.held else None


_Plan = tuple[_Unsent, _Outcome]


def move_milestone(
    *,
    session: Session,
    production_id: int,
    milestone_id: int,
    at: datetime | None,
    tentative: bool | None,
    actor: str,
    now: datetime,
) -> list[Move]:
    """Change a milestone's date and/or tentativeness and reflow what hangs off it."""
    milestone = session.exec(
        select_models(Milestone).where(Milestone.id == milestone_id).with_for_update()
    ).first()
    if milestone is None or milestone.production_id != production_id:
        raise NotFound("milestone", milestone_id)
    production = session.get(Production, production_id)
    assert production is not None  # foreign key
    before = {"at": milestone.at.isoformat(), "tentative": milestone.tentative}
    if at is not None:
        milestone.at = at
    if tentative is not None:
        milestone.tentative = tentative
    session.add(milestone)
    session.flush()
    with _cycle_collector_held():
        plans = _Planner(session, production, milestone, now).plans()
        moves = [Move(r.id, r.post_id, r.due_at, o.new_due, o.status, o.note) for r, o in plans]
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


class _Planner:
    """What one move reads, in bulk, and the plan for each unsent delivery."""

    def __init__(
        self, session: Session, production: Production, milestone: Milestone, now: datetime
    ) -> None:
        self.session, self.conn = session, session.connection()
        self.production, self.milestone, self.now = production, milestone, now
        self.tz = zone(production.timezone)
        self.dues: dict[tuple[str | None, time | None], datetime] = {}
        self.allowed: dict[tuple[datetime, int], tuple[datetime, str | None]] = {}
        self.outcomes: dict[tuple[Any, ...], _Outcome] = {}
        self.templates: dict[str, bool] = {}  # template name -> whether its text can move
        self.to_render: dict[int, dict[str, str] | None] = {}  # post -> approved hashes
        self.posts: dict[int, Post] = {}
        self.accounts: dict[int, Account] = {}
        self.blackouts = blackouts_for(session, production.id or 0)
        self.quiet: dict[int, QuietHours | None] = {}

    def plans(self) -> list[_Plan]:
        in_order = self._unsent(*_READ).order_by(_d.post_id, _d.id)
        rows = [*map(_Unsent._make, self.conn.execute(in_order).all())]  # one fetch, not per row
        firsts: dict[int, _Unsent] = {}  # post -> its first unsent delivery
        for row in rows:
            firsts.setdefault(row.post_id, row)
        # Only text that can change is rendered, so only its approved hashes are read. As
        # before, a post's deliveries are checked against its first unsent one's approval.
        keep = self.production.keep_approvals_on_reflow
        changing = [first for first in firsts.values() if keep and self._moves(first)]
        hashes = self._approval_hashes(sorted({r.approval_id for r in changing if r.approval_id}))
        self.to_render = {r.post_id: hashes.get(r.approval_id or 0) for r in changing}
        self._load_accounts(sorted({row.account_id for row in rows}))
        self._load_posts([post_id for post_id, approval in self.to_render.items() if approval])
        plans = []
        for row in rows:
            anchor_due = self._due(row.anchor_offset, row.anchor_local_time)
            approved = self._approved(row, anchor_due)
            # Few distinct inputs (anchors, accounts, states): each outcome is decided once.
            key = (anchor_due, row.account_id, row.status, row.held_for, approved)
            outcome = self.outcomes.get(key)
            if outcome is None:
                outcome = self.outcomes[key] = self._decide(*key)
            plans.append((row, outcome))
        return plans

    def _approved(self, row: _Unsent, anchor_due: datetime) -> bool | None:
        """Whether the delivery keeps its approval through the move; None if it has none."""
        if row.approval_id is None:
            return None
        if not self.production.keep_approvals_on_reflow:
            return False
        if row.post_id not in self.to_render:
            # Text that cannot change is the text that was approved: a delivery is bound
            # only to an approval that hashed it (``approve_post``), so it needs no render.
            return True
        new_due, _ = self._allowed(anchor_due, row.account_id)
        return self._renders_as_approved(row, new_due, self.to_render[row.post_id])

    def _load_accounts(self, ids: list[int]) -> None:
        """The accounts the unsent deliveries go to (a handful), and their quiet hours."""
        for start in range(0, len(ids), _CHUNK):
            query = select_models(Account).where(col(Account.id).in_(ids[start : start + _CHUNK]))
            for account in self.session.exec(query):
                self.accounts[account.id or 0] = account
                self.quiet[account.id or 0] = QuietHours.of(account, self.production)

    def _unsent(self, *columns: Any) -> Select[Any]:
        """``columns`` of the unsent deliveries of posts anchored to the milestone."""
        return (
            select(*columns)
            .select_from(_DELIVERY.join(_POST, _p.id == _d.post_id))
            .where(
                _p.anchor_milestone_id == self.milestone.id,
                _d.status.in_([s.value for s in UNSENT]),
            )
        )

    def _approval_hashes(self, ids: list[int]) -> dict[int, dict[str, str]]:
        """``delivery_hashes`` of the given approvals, a chunk of ids per query."""
        found: dict[int, dict[str, str]] = {}
        query = select(_APPROVAL.c.id, _APPROVAL.c.delivery_hashes)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = self.conn.execute(query.where(_APPROVAL.c.id.in_(chunk))).all()
            found.update((row.id, row.delivery_hashes) for row in rows)
        return found

    def _due(self, offset: str | None, local_time: time | None) -> datetime:
        """The anchor's new due time; the same offset on the same milestone gives the same."""
        key = (offset, local_time)
        if key not in self.dues:
            spec = Anchor(milestone_id=self.milestone.id, offset=offset, local_time=local_time)
            self.dues[key] = due_at(spec, milestone_at=self.milestone.at, tz=self.tz)
        return self.dues[key]

    def _allowed(self, anchor_due: datetime, account_id: int) -> tuple[datetime, str | None]:
        """Blackouts and the account's quiet hours shape the new time, as when planned; few
        distinct anchors and accounts, so each pair is worked out once."""
        key = (anchor_due, account_id)
        if key not in self.allowed:
            quiet = self.quiet.get(account_id)
            self.allowed[key] = first_allowed(anchor_due, blackouts=self.blackouts, quiet=quiet)
        return self.allowed[key]

    def _decide(
        self,
        anchor_due: datetime,
        account_id: int,
        status: str,
        held_for: str | None,
        approved: bool | None,
    ) -> _Outcome:
        """The outcome for a delivery with these inputs; ``approved`` None means unbound."""
        new_due, why = self._allowed(anchor_due, account_id)
        plan = _Outcome(new_due, status, held_for, unbind=False, note=None, schedule_note=why)
        bound = approved is not None
        if approved is False:
            plan.unbind, plan.status, plan.held_for = True, DeliveryStatus.pending.value, None
            plan.note = "the text changes with the date; it needs a new approval"
            bound = False
        tentative = self.milestone.tentative
        if bound and held_for == HoldReason.tentative and not tentative:
            plan.status, plan.held_for = DeliveryStatus.scheduled.value, None
            plan.note = "milestone confirmed"
        if bound and held_for == HoldReason.past_due and new_due >= self.now:
            plan.status, plan.held_for = DeliveryStatus.scheduled.value, None
            plan.note = "moved back into the future"
        if bound and tentative and plan.status != DeliveryStatus.held:
            plan.status, plan.held_for = DeliveryStatus.held.value, HoldReason.tentative.value
            plan.note = f"held: '{self.milestone.name}' is tentative"
        if new_due < self.now and plan.status != DeliveryStatus.pending:
            _past_due(plan, self.production, self.now)
        return plan

    def _renders_as_approved(
        self, row: _Unsent, new_due: datetime, approval: dict[str, str] | None
    ) -> bool:
        """Whether the delivery, rendered at its new time, still has its approved hash."""
        approved = approval.get(str(row.id)) if approval else None
        if approved is None:
            return False
        account, post = self.accounts[row.account_id], self.posts[row.post_id]
        try:
            rendered = render_delivery(
                production=self.production,
                milestone=self.milestone,
                account=account,
                post=post,
                due_at=new_due,
            )
        except RenderError:
            return False
        return approved == content_hash(rendered, account)

    def _moves(self, row: _Unsent) -> bool:
        """Whether the delivery's text can depend on what the move changes."""
        template, body = row.template, row.body
        if body is not None and template is None:
            return _source_moves(body)
        if template is not None and body is None:
            if template not in self.templates:
                self.templates[template] = _template_moves(template)
            return self.templates[template]
        return True  # both or neither: the renderer refuses it; the render decides, as always

    def _load_posts(self, ids: list[int]) -> None:
        """The posts that have to be rendered, a chunk of ids per query."""
        for start in range(0, len(ids), _CHUNK):
            query = select_models(Post).where(col(Post.id).in_(ids[start : start + _CHUNK]))
            self.posts.update((post.id or 0, post) for post in self.session.exec(query))


def _source_moves(source: str) -> bool:
    """Whether text rendered from a template source can use the milestone or the due date."""
    if not _SPELLS_A_TELLTALE.search(source):
        return False  # the quick answer for most bodies: they never spell those words
    return _parsed_source_moves(source)


@lru_cache(maxsize=1024)
def _parsed_source_moves(source: str) -> bool:
    try:
        names = {value for _, kind, value in _PARSER.lex(source) if kind == "name"}
        if names.isdisjoint(_TELLTALES):
            return False  # the words are in the prose ("due this week"), not in the code
        tree = _PARSER.parse(source)
    except TemplateSyntaxError:
        return True  # the render fails, and the approval goes, as it always did
    if any(True for _ in meta.find_referenced_templates(tree)):
        return True  # the other template sees the whole context
    return not _MOVING_NAMES.isdisjoint(meta.find_undeclared_variables(tree))


def _template_moves(name: str) -> bool:
    """``_source_moves`` for a named template file, as it is on disk now."""
    if not _TEMPLATE_NAME.fullmatch(name):
        return True  # the renderer refuses the name; the render decides
    try:
        path = get_settings().templates_dir / f"{name}{TEMPLATE_SUFFIX}"
        return _source_moves(path.read_text(encoding="utf-8"))
    except OSError:
        return True


def _past_due(plan: _Outcome, production: Production, now: datetime) -> None:
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
    """Write every planned change; posts that lost approval go back to review.

    On PostgreSQL the deliveries are one ``UPDATE … FROM unnest(…)``: one statement and one
    round trip instead of 10,000 in an executemany, which took most of a move. Each delivery
    sends its id, its approval and the number of its outcome; the few distinct outcomes go
    once, as JSON. SQLite has neither function, and no network between it and us, so it keeps
    the executemany.
    """
    if not plans:
        return
    stamp, conn = utcnow(), session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_UPDATE_FROM_ARRAYS, {"stamp": stamp, **_arrays(plans)})
    else:
        conn.execute(_UPDATE_EACH.values(updated_at=stamp), _bound_rows(plans))
    back = sorted({row.post_id for row, outcome in plans if outcome.unbind})
    for start in range(0, len(back), _CHUNK):
        to_review = (
            update(_POST)
            .where(_p.id.in_(back[start : start + _CHUNK]), _p.status == PostStatus.approved.value)
            .values(status=PostStatus.in_review.value, updated_at=stamp)
        )
        conn.execute(to_review)
    session.expire_all()  # deliveries and posts changed under the ORM's feet


_UPDATE_EACH = (
    update(_DELIVERY)
    .where(_d.id == bindparam("b_id"))
    .values(
        {
            c: bindparam(f"b_{c}")
            for c in ("due_at", "status", "held_for", "approval_id", "last_error", "schedule_note")
        }
    )
)
_UPDATE_FROM_ARRAYS = text(
    """
    UPDATE delivery SET due_at = o.due_at, status = o.status, held_for = o.held_for,
        approval_id = m.approval_id, last_error = o.last_error, schedule_note = o.schedule_note,
        updated_at = :stamp
    FROM unnest(CAST(:ids AS int[]), CAST(:outcome_of AS int[]), CAST(:approval_ids AS int[]))
        AS m(id, outcome, approval_id)
    JOIN json_to_recordset(:outcomes) AS o(outcome int, due_at timestamp, status text,
        held_for text, last_error text, schedule_note text) USING (outcome)
    WHERE delivery.id = m.id
    """
).bindparams(bindparam("stamp", type_=UTCDateTime()), bindparam("outcomes", type_=JSON))


def _bound_rows(plans: list[_Plan]) -> list[dict[str, Any]]:
    """The parameters of ``_UPDATE_EACH``, one set per delivery."""
    return [
        {
            "b_id": row.id,
            "b_due_at": outcome.new_due,
            "b_status": outcome.status,
            "b_held_for": outcome.held_for,
            "b_approval_id": None if outcome.unbind else row.approval_id,
            "b_last_error": outcome.last_error,
            "b_schedule_note": outcome.schedule_note,
        }
        for row, outcome in plans
    ]


def _arrays(plans: list[_Plan]) -> dict[str, Any]:
    """The parameters of ``_UPDATE_FROM_ARRAYS``; times as naive UTC, as the column keeps them."""
    number = {outcome: n for n, outcome in enumerate(dict.fromkeys(o for _, o in plans))}
    outcomes = [
        {
            "outcome": n,
            "due_at": outcome.new_due.astimezone(UTC).replace(tzinfo=None).isoformat(),
            "status": outcome.status,
            "held_for": outcome.held_for,
            "last_error": outcome.last_error,
            "schedule_note": outcome.schedule_note,
        }
        for outcome, n in number.items()
    ]
    return {
        "ids": _int_array(row.id for row, _ in plans),
        "outcome_of": _int_array(number[outcome] for _, outcome in plans),
        "approval_ids": _int_array(
            None if outcome.unbind else row.approval_id for row, outcome in plans
        ),
        "outcomes": outcomes,
    }


def _int_array(values: Iterable[int | None]) -> str:
    """A PostgreSQL array literal; psycopg adapts a list item by item in Python, far slower.

    ``str`` spells ``None`` as "None" and never puts letters in an integer.
    """
    return "{" + ",".join(map(str, values)).replace("None", "NULL") + "}"
