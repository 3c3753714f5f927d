"""The calendar's tables: productions and their milestones, and what stops a delivery by date
or by hand (embargo rules, blackouts, pauses).

Apart because they are the calendar a post is anchored to and the gates it must pass, kept
by ``scheduler.planning`` and read by the claim gates (``scheduler.queue.gates``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.core.models.columns import UTCDateTime, utcnow
from scheduler.core.models.states import LatePolicy, PastDuePolicy


class Production(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=String(200))
    kind: str = Field(sa_type=String(20))
    timezone: str = Field(sa_type=String(64))
    past_due_policy: str = Field(default=PastDuePolicy.hold, sa_type=String(20))
    #: Whether approvals survive a milestone move when the rendered text is unchanged.
    keep_approvals_on_reflow: bool = True
    #: An approval older than this goes back to review instead of going out.
    approval_max_age_days: int = Field(default=30, sa_column_kwargs={"server_default": "30"})
    #: A post's latest useful time (``scheduler.planning.lateness``): a release after it is held.
    late_policy: str = Field(default=LatePolicy.grace, sa_type=String(20))
    late_grace_minutes: int = 120
    #: A one-person team: the writer of a post may approve it and one person may approve
    #: several steps of a chain (``scheduler.review.duties``); each such approval says so.
    self_approval: bool = False
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Milestone(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("production_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    production_id: int = Field(foreign_key="production.id", index=True)
    kind: str = Field(sa_type=String(32))
    name: str = Field(sa_type=String(120))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    tentative: bool = False


class EmbargoRule(SQLModel, table=True):
    """Posts tagged ``tag`` may not go out before ``milestone`` + ``offset``.

    "Casting news before the casting announcement", "spoilers before premiere + 7 days". A
    tentative milestone keeps its embargo closed: an unconfirmed date lifts nothing.
    """

    id: int | None = Field(default=None, primary_key=True)
    production_id: int = Field(foreign_key="production.id", index=True)
    tag: str = Field(sa_type=String(60))
    milestone_id: int = Field(foreign_key="milestone.id")
    offset: str = Field(default="PT0S", sa_type=String(40))
    created_by: str = Field(sa_type=String(120))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Blackout(SQLModel, table=True):
    """A window in which nothing goes out: one production's (``production_id``) or everyone's.

    A due time inside it moves to the window's end, and the delivery says so.
    """

    id: int | None = Field(default=None, primary_key=True)
    production_id: int | None = Field(default=None, foreign_key="production.id", index=True)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    reason: str = Field(sa_type=String(500))
    created_by: str = Field(sa_type=String(120))


class Pause(SQLModel, table=True):
    """A stop on one production, one account, or everything, until someone resumes it.

    While a pause is active (``resumed_at`` is empty) no delivery in its scope is claimed, and a
    worker that already holds one gives it back instead of publishing it.
    """

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(sa_type=String(20))
    production_id: int | None = Field(default=None, foreign_key="production.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    reason: str = Field(sa_type=String(500))
    paused_by: str = Field(sa_type=String(120))
    paused_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    resumed_by: str | None = Field(default=None, sa_type=String(120))
    resumed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), index=True))
