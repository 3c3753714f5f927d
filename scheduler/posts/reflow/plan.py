"""What one move reads, in bulk, and the outcome it plans for each unsent delivery.

The planner is the hot path of a move (``scheduler.posts.reflow``): it reads the unsent
deliveries as plain tuples, works out each distinct due time, allowed time and outcome once,
and renders only the text that can change (``scheduler.posts.reflow.sources`` says which).
Apart from writing (``scheduler.posts.reflow.write``) because a plan is the same on either
database; only how it is written differs.

The same planner serves a change of the production's time zone
(``scheduler.posts.reflow.zone``): every milestone's anchored deliveries are recomputed in the
new zone by the same rules, and a delivery whose planned time stays (an absolute time, or an
offset that lands on the same instant) is left as it is unless its words change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, NamedTuple

from sqlalchemy import Select, select
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as select_models

from scheduler.content.context import content_hash, render_delivery
from scheduler.content.render import RenderError
from scheduler.core.models import (
    UNSENT,
    Account,
    DeliveryStatus,
    HoldReason,
    Milestone,
    PastDuePolicy,
    Post,
    Production,
)
from scheduler.planning.timeline import Anchor, due_at, zone
from scheduler.planning.windows import QuietHours, blackouts_for, first_allowed
from scheduler.posts.reflow.sources import MOVE_NAMES, ZONE_NAMES, source_moves, template_moves

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
    milestone_id: int | None
    planned_at: datetime
    schedule_note: str | None


_READ = [_d.id, _d.post_id, _d.account_id, _d.status, _d.due_at, _d.held_for, _d.approval_id]
_READ += [_p.template, _p.body, _p.anchor_offset, _p.anchor_local_time]  # as in ``_Unsent``
_READ += [_p.anchor_milestone_id, _d.planned_at, _d.schedule_note]
CHUNK = 1000  # ids per IN list: a bounded number of bind parameters


@dataclass(eq=False)  # hashed by identity: see ``write._arrays``
class _Outcome:
    """What a move makes of a delivery: its new time, state and note.

    Deliveries with the same inputs share one (``Planner.plans``), so once ``_decide`` has
    made it, it is only read.
    """

    new_due: datetime
    status: str
    held_for: str | None
    unbind: bool
    note: str | None
    schedule_note: str | None
    #: When the plan says it goes out, if not ``new_due``: a delivery a zone change leaves in
    #: time but sends back to review keeps both its times.
    planned: datetime | None = None
    #: Its new time had passed: the production's ``past_due_policy`` decided its state.
    past_due: bool = False

    @property
    def planned_at(self) -> datetime:
        return self.new_due if self.planned is None else self.planned

    @property
    def last_error(self) -> str | None:
        """A held delivery says why in ``last_error``; any other has none."""
        return self.note if self.status == DeliveryStatus.held else None


Plan = tuple[_Unsent, _Outcome]


class Planner:
    """What one move reads, in bulk, and the plan for each unsent delivery.

    ``milestones``: those whose anchored deliveries move (a milestone move: the one).
    ``zone_change``: the production's time zone changed (already set on ``production``):
    every unsent delivery of the production is read, one whose planned time stays is left
    out of the plans (``left``) unless its words change, and the words that can change are
    those that print a time in the production's zone (``sources.ZONE_NAMES``).
    """

    def __init__(
        self,
        session: Session,
        production: Production,
        milestones: Sequence[Milestone],
        now: datetime,
        *,
        zone_change: bool = False,
    ) -> None:
        self.session, self.conn = session, session.connection()
        self.production, self.now = production, now
        self.milestones = {m.id or 0: m for m in milestones}
        self.zone_change = zone_change
        self.names = ZONE_NAMES if zone_change else MOVE_NAMES
        self.left: list[_Unsent] = []  # a zone change's deliveries that stay as they are
        self.tz = zone(production.timezone)
        self.dues: dict[tuple[int, str | None, time | None], datetime] = {}
        self.allowed: dict[tuple[datetime, int], tuple[datetime, str | None]] = {}
        self.outcomes: dict[tuple[Any, ...], _Outcome] = {}
        self.templates: dict[str, bool] = {}  # template name -> whether its text can move
        self.to_render: dict[int, dict[str, str] | None] = {}  # post -> approved hashes
        self.posts: dict[int, Post] = {}
        self.accounts: dict[int, Account] = {}
        self.blackouts = blackouts_for(session, production.id or 0)
        self.quiet: dict[int, QuietHours | None] = {}

    def plans(self) -> list[Plan]:
        in_order = self._unsent(*_READ).order_by(_d.post_id, _d.id)
        rows = [*map(_Unsent._make, self.conn.execute(in_order).all())]  # one fetch, not per row
        firsts: dict[int, _Unsent] = {}  # post -> its first unsent delivery
        for row in rows:
            firsts.setdefault(row.post_id, row)
        # Only text that can change is rendered, so only its approved hashes are read. As
        # before, a post's deliveries are checked against its first unsent one's approval.
        # A zone change checks the words of deliveries it leaves in time, whatever ``keep``.
        keep = self.production.keep_approvals_on_reflow or self.zone_change
        changing = [first for first in firsts.values() if keep and self._moves(first)]
        hashes = self._approval_hashes(sorted({r.approval_id for r in changing if r.approval_id}))
        self.to_render = {r.post_id: hashes.get(r.approval_id or 0) for r in changing}
        self._load_accounts(sorted({row.account_id for row in rows}))
        self._load_posts([post_id for post_id, approval in self.to_render.items() if approval])
        plans: list[Plan] = []
        for row in rows:
            if row.milestone_id is None:  # an absolute time (a zone change reads those too)
                self._stay(row, plans)
                continue
            anchor_due = self._due(row.milestone_id, row.anchor_offset, row.anchor_local_time)
            if self.zone_change and self._allowed(anchor_due, row.account_id)[0] == row.planned_at:
                self._stay(row, plans)
                continue
            approved = self._approved(row, anchor_due)
            # Few distinct inputs (anchors, accounts, states): each outcome is decided once.
            key = (anchor_due, row.milestone_id, row.account_id, row.status, row.held_for, approved)
            outcome = self.outcomes.get(key)
            if outcome is None:
                outcome = self.outcomes[key] = self._decide(*key)
            plans.append((row, outcome))
        return plans

    def _stay(self, row: _Unsent, plans: list[Plan]) -> None:
        """A delivery whose planned time a zone change leaves as it is: it stays as it is
        (retry, release and hold included) unless the words it was approved with change."""
        if row.approval_id is None or row.post_id not in self.to_render:
            self.left.append(row)
            return
        if self._renders_as_approved(row, row.planned_at, self.to_render[row.post_id]):
            self.left.append(row)
            return
        key = ("stays", row.due_at, row.planned_at, row.schedule_note)
        outcome = self.outcomes.get(key)
        if outcome is None:
            outcome = self.outcomes[key] = _Outcome(
                row.due_at,
                DeliveryStatus.pending.value,
                None,
                unbind=True,
                note="the text changes with the time zone; it needs a new approval",
                schedule_note=row.schedule_note,
                planned=row.planned_at,
            )
        plans.append((row, outcome))

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
        for start in range(0, len(ids), CHUNK):
            query = select_models(Account).where(col(Account.id).in_(ids[start : start + CHUNK]))
            for account in self.session.exec(query):
                self.accounts[account.id or 0] = account
                self.quiet[account.id or 0] = QuietHours.of(account, self.production)

    def _unsent(self, *columns: Any) -> Select[Any]:
        """``columns`` of the unsent deliveries of posts anchored to the milestones (for a
        zone change: of every post of the production)."""
        whose = (
            _p.production_id == self.production.id
            if self.zone_change
            else _p.anchor_milestone_id.in_(sorted(self.milestones))
        )
        return (
            select(*columns)
            .select_from(_DELIVERY.join(_POST, _p.id == _d.post_id))
            .where(whose, _d.status.in_([s.value for s in UNSENT]))
        )

    def _approval_hashes(self, ids: list[int]) -> dict[int, dict[str, str]]:
        """``delivery_hashes`` of the given approvals, a chunk of ids per query."""
        found: dict[int, dict[str, str]] = {}
        query = select(_APPROVAL.c.id, _APPROVAL.c.delivery_hashes)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            rows = self.conn.execute(query.where(_APPROVAL.c.id.in_(chunk))).all()
            found.update((row.id, row.delivery_hashes) for row in rows)
        return found

    def _due(self, milestone_id: int, offset: str | None, local_time: time | None) -> datetime:
        """The anchor's new due time; the same offset on the same milestone gives the same."""
        key = (milestone_id, offset, local_time)
        if key not in self.dues:
            milestone = self.milestones[milestone_id]
            spec = Anchor(milestone_id=milestone_id, offset=offset, local_time=local_time)
            self.dues[key] = due_at(spec, milestone_at=milestone.at, tz=self.tz)
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
        milestone_id: int,
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
        milestone = self.milestones[milestone_id]
        tentative = milestone.tentative
        if bound and held_for == HoldReason.tentative and not tentative:
            plan.status, plan.held_for = DeliveryStatus.scheduled.value, None
            plan.note = "milestone confirmed"
        if bound and held_for == HoldReason.past_due and new_due >= self.now:
            plan.status, plan.held_for = DeliveryStatus.scheduled.value, None
            plan.note = "moved back into the future"
        if bound and tentative and plan.status != DeliveryStatus.held:
            plan.status, plan.held_for = DeliveryStatus.held.value, HoldReason.tentative.value
            plan.note = f"held: '{milestone.name}' is tentative"
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
                milestone=self.milestones.get(row.milestone_id or 0),
                account=account,
                post=post,
                due_at=new_due,
            )
        except RenderError:
            return False
        return approved == content_hash(rendered, account)

    def _moves(self, row: _Unsent) -> bool:
        """Whether the delivery's text can depend on what the move (or zone change) changes."""
        template, body = row.template, row.body
        if body is not None and template is None:
            return source_moves(body, self.names)
        if template is not None and body is None:
            if template not in self.templates:
                self.templates[template] = template_moves(template, self.names)
            return self.templates[template]
        return True  # both or neither: the renderer refuses it; the render decides, as always

    def _load_posts(self, ids: list[int]) -> None:
        """The posts that have to be rendered, a chunk of ids per query."""
        for start in range(0, len(ids), CHUNK):
            query = select_models(Post).where(col(Post.id).in_(ids[start : start + CHUNK]))
            self.posts.update((post.id or 0, post) for post in self.session.exec(query))


def _past_due(plan: _Outcome, production: Production, now: datetime) -> None:
    plan.past_due = True
    policy = PastDuePolicy(production.past_due_policy)
    if policy is PastDuePolicy.send_now:
        plan.new_due, plan.note = now, "moved into the past: sent now (production policy)"
    elif policy is PastDuePolicy.skip:
        plan.status, plan.held_for = DeliveryStatus.cancelled.value, None
        plan.note = "moved into the past: skipped (production policy)"
    else:
        plan.status, plan.held_for = DeliveryStatus.held.value, HoldReason.past_due.value
        plan.note = "moved into the past: held for a person to decide"
