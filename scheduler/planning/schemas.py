"""What the API accepts and answers for productions, milestones, embargoes, blackouts and pauses."""

from __future__ import annotations

from datetime import datetime

from pydantic import (
    Field,
)

from scheduler.core.models import (
    LatePolicy,
    MilestoneKind,
    PastDuePolicy,
    PauseScope,
    ProductionKind,
)
from scheduler.core.schemas import Id, Input, Moment, Output

_MONTH = 30 * 24 * 60
_LATE_POLICY = (
    "A post's latest useful time: 'grace' (its due time plus late_grace_minutes) or "
    "'milestone' (that, and never after its anchor milestone when due before it); a release "
    "after it is held for a person"
)
_LATE_GRACE = "Minutes after the due time a delivery is still worth sending (1 to 43200)"


class ProductionCreate(Input):
    title: str = Field(min_length=1, max_length=200)
    kind: ProductionKind
    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/London"])
    past_due_policy: PastDuePolicy = Field(
        default=PastDuePolicy.hold,
        description="What a milestone move does with a delivery it pushes into the past",
    )
    keep_approvals_on_reflow: bool = Field(
        default=True, description="Keep approvals across a move when the text is unchanged"
    )
    approval_max_age_days: int = Field(
        default=30, ge=1, le=3650, description="An older approval goes back to review"
    )
    late_policy: LatePolicy = Field(default=LatePolicy.grace, description=_LATE_POLICY)
    late_grace_minutes: int = Field(default=120, ge=1, le=_MONTH, description=_LATE_GRACE)


class ProductionUpdate(Input):
    """A change to a production's title or its review and reflow policy; only the fields given
    change (none may be null). Unknown fields, ``kind`` and ``timezone`` among them, are 422:
    a new time zone moves posts, so it is previewed and confirmed on its own
    (``POST /productions/{id}/timezone``)."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    past_due_policy: PastDuePolicy | None = Field(
        default=None,
        description="What a milestone move does with a delivery it pushes into the past",
    )
    keep_approvals_on_reflow: bool | None = Field(
        default=None, description="Keep approvals across a move when the text is unchanged"
    )
    approval_max_age_days: int | None = Field(
        default=None, ge=1, le=3650, description="An older approval goes back to review"
    )
    late_policy: LatePolicy | None = Field(default=None, description=_LATE_POLICY)
    late_grace_minutes: int | None = Field(default=None, ge=1, le=_MONTH, description=_LATE_GRACE)
    self_approval: bool | None = Field(
        default=None,
        description="A one-person team: a post's writer may approve it, and one person may "
        "approve several steps of the chain; every such approval is marked self_approved",
    )


class ProductionPublic(Output):
    id: int
    title: str
    kind: str
    timezone: str
    past_due_policy: str
    keep_approvals_on_reflow: bool
    approval_max_age_days: int
    late_policy: str
    late_grace_minutes: int
    self_approval: bool


class MilestoneCreate(Input):
    kind: MilestoneKind
    name: str = Field(min_length=1, max_length=120)
    at: Moment = Field(description="When it happens, with its timezone offset")
    tentative: bool = False


class MilestoneMove(Input):
    """A new date, a change of tentativeness, a new name or kind; only the fields given change.
    Unsent anchored posts follow, and those whose words change go back to review."""

    at: Moment | None = None
    tentative: bool | None = None
    name: str | None = Field(default=None, min_length=1, max_length=120)
    kind: MilestoneKind | None = None
    preview: bool = Field(
        default=False,
        description="Only say what would move (past due, embargoed, back to review); change "
        "nothing",
    )


class MilestonePublic(Output):
    id: int
    production_id: Id
    kind: str
    name: str
    at: datetime
    tentative: bool


class PauseCreate(Input):
    scope: PauseScope = Field(description="all (the kill switch), production or account")
    production_id: Id | None = None
    account_id: Id | None = None
    reason: str = Field(min_length=1, max_length=500, examples=["Lead actor news; hold all"])


class PausePublic(Output):
    id: int
    scope: str
    production_id: Id | None
    account_id: Id | None
    reason: str
    paused_by: str
    paused_at: datetime
    resumed_by: str | None
    resumed_at: datetime | None


class EmbargoCreate(Input):
    tag: str = Field(min_length=1, max_length=60, examples=["casting", "spoiler"])
    milestone_id: Id
    offset: str = Field(default="PT0S", max_length=40, examples=["PT0S", "+P7D"])


class EmbargoUpdate(Input):
    """A change to an embargo; only the fields given change. It counts from the next claim."""

    tag: str | None = Field(default=None, min_length=1, max_length=60)
    milestone_id: Id | None = None
    offset: str | None = Field(default=None, max_length=40, examples=["PT0S", "+P7D"])


class EmbargoPublic(Output):
    id: int
    production_id: Id
    tag: str
    milestone_id: Id
    offset: str
    created_by: str


class BlackoutCreate(Input):
    """No posts between ``starts_at`` and ``ends_at``; for one production, or everyone's."""

    production_id: Id | None = None
    starts_at: Moment
    ends_at: Moment
    reason: str = Field(min_length=1, max_length=500, examples=["Day of national mourning"])


class BlackoutUpdate(Input):
    """A change to a blackout's window or reason; only the fields given change. The claim
    reads blackouts as they are, so a window changed or removed counts from the next tick."""

    starts_at: Moment | None = None
    ends_at: Moment | None = None
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class BlackoutPublic(Output):
    id: int
    production_id: Id | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
