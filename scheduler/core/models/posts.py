"""Posts, the approvals bound to them, and their deliveries: the rows the queue is made of.

Apart because ``Delivery`` is the queue itself (claimed, fenced, finished and reaped by
``scheduler.queue``), and an approval binds one version of a post to each delivery's exact
output, so the three are read together.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.core.models.columns import UTCDateTime, utcnow
from scheduler.core.models.states import DeliveryStatus, PostStatus


class Post(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    production_id: int = Field(foreign_key="production.id", index=True)
    pillar: str = Field(sa_type=String(32))
    template: str | None = Field(default=None, sa_type=String(80))
    body: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: Talent ids of the people the post features; those marked sign-off-required must agree.
    featured: list[int] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    #: Images and videos: ``{"url", "kind": "image"|"video", "alt"}`` (``schemas.MediaIn``).
    media: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    anchor_milestone_id: int | None = Field(default=None, foreign_key="milestone.id", index=True)
    anchor_offset: str | None = Field(default=None, sa_type=String(40))
    anchor_local_time: time | None = None
    anchor_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    #: Past this, a release is held as late; empty: the production's late policy decides.
    latest_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    status: str = Field(default=PostStatus.draft, sa_type=String(20))
    #: Increases with every edit; an approval names the version it saw.
    version: int = 1
    review_note: str | None = None
    created_by: str = Field(sa_type=String(120))
    #: The person who wrote the current version (created it, or made its last edit): they may
    #: not approve it (``scheduler.review.duties``). Empty: written by the system, or before
    #: Callsheet kept it. A person id, not ``created_by``'s name, which a person can change.
    written_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Approval(SQLModel, table=True):
    """A person's approval of one version of a post, bound to each delivery's exact output."""

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    post_version: int
    approved_by: str = Field(sa_type=String(120))
    approved_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    #: ``{str(delivery_id): sha256 of that delivery's rendered output}``
    delivery_hashes: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    note: str | None = None
    #: Media bound by their URL only (links: Callsheet does not hold their bytes), one note each.
    media_notes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: The approval chain as it was walked: ``[{"step", "by": [actors], "at"}]``.
    chain: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    #: The production's checklist as the approver answered it: ``[{"item", "confirmed"}]``.
    checklist: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    #: Separation of duties was relaxed for it: its writer approved it, or one person
    #: approved two steps (the production's ``self_approval``).
    self_approved: bool = False


class Delivery(SQLModel, table=True):
    """One post on one account: the unit that is claimed, published, retried and reported."""

    __table_args__ = (
        UniqueConstraint("post_id", "account_id"),
        Index("ix_delivery_status_due_at", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # No index of its own: the unique (post_id, account_id) index serves lookups by post, and
    # every extra index is paid for on each claim, fence and reflow update.
    post_id: int = Field(foreign_key="post.id")
    account_id: int = Field(foreign_key="account.id", index=True)
    status: str = Field(default=DeliveryStatus.pending, sa_type=String(20))
    #: When it is next tried: the plan's time at first, then a retry's, a lookup's, a
    #: person's release. The queue claims by it.
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    #: When the plan says it goes out (the anchor's time, moved out of blackouts and quiet
    #: hours): what its text speaks of (``{{ due }}``), what the approval bound, and what its
    #: latest useful time counts from. Only planning changes it (creating, editing, retargeting,
    #: a milestone move); a retry, a lookup or a person's release moves ``due_at`` alone, so
    #: the words approved stay the words sent.
    planned_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempt: int = 0
    lease_owner: str | None = Field(default=None, sa_type=String(80))
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    approval_id: int | None = Field(default=None, foreign_key="approval.id")
    external_id: str | None = Field(default=None, sa_type=String(200))
    external_url: str | None = Field(default=None, sa_type=String(500))
    last_error: str | None = None
    held_for: str | None = Field(default=None, sa_type=String(20))
    #: The last attempt's answer was lost: ask the platform whether the post exists before
    #: sending it again (``workers.publish``).
    needs_lookup: bool = False
    #: A person released it knowing it is past its latest useful time: the late gate lets it go.
    send_late: bool = False
    #: What earlier attempts got done on the platform (a container id, thread parts posted),
    #: so a retry resumes instead of starting over (``platforms.adapters.base.Progress``).
    platform_state: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    #: Why ``due_at`` differs from what the anchor says (a blackout, quiet hours).
    schedule_note: str | None = Field(default=None, sa_type=String(500))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
