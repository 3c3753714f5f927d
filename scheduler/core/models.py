"""Every table Callsheet keeps (SQLModel), and the states things move through.

Times are stored as naive UTC and handed out as aware UTC (``UTCDateTime``), so SQLite and
PostgreSQL behave the same. Enumerations are stored as plain strings: adding a state later is a
code change, not a migration of a database enum type.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Naive UTC in the database, aware UTC in Python; refuses naive input."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Callsheet stores aware UTC times only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The real current instant, aware UTC (row bookkeeping, not schedule time)."""
    return datetime.now(UTC)


class ProductionKind(StrEnum):
    film = "film"
    series = "series"
    theatre = "theatre"
    game = "game"
    music_video = "music_video"


class MilestoneKind(StrEnum):
    concept = "concept"
    casting_announced = "casting_announced"
    principal_photography = "principal_photography"
    rehearsals = "rehearsals"
    wrap = "wrap"
    first_look = "first_look"
    trailer = "trailer"
    premiere = "premiere"
    opening_night = "opening_night"
    launch = "launch"
    release = "release"
    other = "other"


class ContentPillar(StrEnum):
    casting = "casting"
    on_set = "on_set"
    crew_spotlight = "crew_spotlight"
    transformation = "transformation"
    post_production = "post_production"
    countdown = "countdown"
    making_of = "making_of"
    day_in_the_life = "day_in_the_life"
    announcement = "announcement"


class PostStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"
    approved = "approved"
    rejected = "rejected"


class DeliveryStatus(StrEnum):
    pending = "pending"  # its post is not approved
    scheduled = "scheduled"  # approved; goes out when due
    claimed = "claimed"  # a scheduler leased it and sent a message
    publishing = "publishing"  # a worker fenced it and is talking to the platform
    published = "published"
    retrying = "retrying"  # a retryable failure; due again later
    failed = "failed"
    unknown = "unknown"  # may exist on the platform; reconcile before sending again
    held = "held"  # a gate stopped it; a person decides
    cancelled = "cancelled"


#: States the scheduler may claim from.
CLAIMABLE = (DeliveryStatus.scheduled, DeliveryStatus.retrying)
#: States in which a delivery's content or time may still change.
UNSENT = (
    DeliveryStatus.pending,
    DeliveryStatus.scheduled,
    DeliveryStatus.retrying,
    DeliveryStatus.held,
)


class PastDuePolicy(StrEnum):
    """What a reflow does with a delivery whose new due time has already passed."""

    hold = "hold"  # a person decides (the default)
    send_now = "send_now"
    skip = "skip"


class HoldReason(StrEnum):
    """Why a delivery is ``held``: a code, so releasing one kind of hold leaves the others."""

    tentative = "tentative"  # its milestone's date is not confirmed
    past_due = "past_due"  # a reflow moved it into the past
    content = "content"  # the rendered text no longer matches the approval
    embargo = "embargo"  # an embargo rule covers it (the rule is named in last_error)
    account = "account"  # the account needs reconnecting


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


class Account(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "handle"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(40))
    handle: str = Field(sa_type=String(120))
    #: The adapter's settings without its secrets (those are in ``secrets``).
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: The adapter's secret settings (tokens, passwords) as one Fernet token (``core.vault``).
    secrets: str | None = Field(default=None, sa_column=Column(Text()))
    #: Why the account needs a person to reconnect it; its deliveries are held meanwhile.
    needs_reconnect: str | None = Field(default=None, sa_type=String(500))
    #: Where the account's audience lives; quiet hours are read in this zone.
    audience_timezone: str | None = Field(default=None, sa_type=String(64))
    #: No posts from ``quiet_start`` to ``quiet_end`` (audience time; may cross midnight).
    quiet_start: time | None = None
    quiet_end: time | None = None
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


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
    status: str = Field(default=PostStatus.draft, sa_type=String(20))
    #: Increases with every edit; an approval names the version it saw.
    version: int = 1
    review_note: str | None = None
    created_by: str = Field(sa_type=String(120))
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
    #: The approval chain as it was walked: ``[{"step", "by": [actors], "at"}]``.
    chain: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    #: The production's checklist as the approver answered it: ``[{"item", "confirmed"}]``.
    checklist: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))


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
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
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
    #: What earlier attempts got done on the platform (a container id, thread parts posted),
    #: so a retry resumes instead of starting over (``platforms.adapters.base.Progress``).
    platform_state: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    #: Why ``due_at`` differs from what the anchor says (a blackout, quiet hours).
    schedule_note: str | None = Field(default=None, sa_type=String(500))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


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


class PauseScope(StrEnum):
    all = "all"  # the kill switch: nothing goes out anywhere
    production = "production"
    account = "account"


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


class AuditEvent(SQLModel, table=True):
    """An append-only record of one change of state: who, what, before, after, why.

    Append-only is enforced by the database: a trigger refuses every ``UPDATE`` (migration
    0011). The ``(entity, entity_id)`` index lets a production's trail be found by joining from
    its milestones, posts and deliveries instead of reading the whole table.
    """

    __table_args__ = (Index("ix_auditevent_entity_entity_id", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(sa_type=String(120))
    action: str = Field(sa_type=String(60))
    entity: str = Field(sa_type=String(40))
    entity_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    reason: str | None = None


class Role(StrEnum):
    """What a person may do in one production; each role can do what the ones before it can."""

    viewer = "viewer"  # reads the schedule
    marketer = "marketer"  # plans, edits and submits posts
    producer = "producer"  # approves, rejects, moves milestones, pauses, settles deliveries
    admin = "admin"  # manages the production's people, chain, checklist and notifications

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Person(SQLModel, table=True):
    """Someone who signs in. ``site_admin`` manages what belongs to no one production:
    productions themselves, platform accounts, global blackouts and the global kill switch."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120))
    email: str = Field(sa_type=String(254), unique=True)
    #: argon2id (``scheduler.people.members``); ``None`` for people who only use API tokens.
    password_hash: str | None = Field(default=None, sa_type=String(200))
    site_admin: bool = False
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def actor(self) -> str:
        """How the audit trail names this person (cut to fit its 120 characters)."""
        return f"{self.name} <{self.email}>"[:120]


class Membership(SQLModel, table=True):
    """One person's role in one production."""

    __table_args__ = (UniqueConstraint("person_id", "production_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    production_id: int = Field(foreign_key="production.id", index=True)
    role: str = Field(sa_type=String(20))


class AccessToken(SQLModel, table=True):
    """An API token or a web login session: only its SHA-256 is kept, shown once when made."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(default="api", sa_type=String(10))  # "api" | "session"
    name: str = Field(sa_type=String(80))
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ApprovalMode(StrEnum):
    any = "any"  # one of the step's people approves for the step
    all = "all"  # every one of them must


class ApprovalStep(SQLModel, table=True):
    """One step of a production's approval chain ("marketing lead", then "producer" ...)."""

    __table_args__ = (UniqueConstraint("production_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    production_id: int = Field(foreign_key="production.id", index=True)
    position: int
    name: str = Field(sa_type=String(80))
    mode: str = Field(default=ApprovalMode.any, sa_type=String(10))
    #: Person ids who may approve at this step.
    people: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Vote(SQLModel, table=True):
    """One person's approval at one step of one version of a post."""

    __table_args__ = (UniqueConstraint("post_id", "post_version", "step_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    post_version: int
    step_id: int | None = Field(default=None, foreign_key="approvalstep.id")
    person_id: int = Field(foreign_key="person.id")
    actor: str = Field(sa_type=String(120))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ChecklistItem(SQLModel, table=True):
    """Something the approver confirms for every post of a production ("music cleared")."""

    id: int | None = Field(default=None, primary_key=True)
    production_id: int = Field(foreign_key="production.id", index=True)
    position: int
    text: str = Field(sa_type=String(300))


class Talent(SQLModel, table=True):
    """Someone featured in posts (cast, crew); no login. Sign-off is asked by signed link."""

    id: int | None = Field(default=None, primary_key=True)
    production_id: int = Field(foreign_key="production.id", index=True)
    name: str = Field(sa_type=String(120))
    handle: str | None = Field(default=None, sa_type=String(120))
    email: str | None = Field(default=None, sa_type=String(254))
    sign_off_required: bool = True
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class SignoffDecision(StrEnum):
    pending = "pending"
    approved = "approved"
    declined = "declined"


class TalentSignoff(SQLModel, table=True):
    """A request for one person's sign-off on one exact version of a post, and their answer.

    ``content_hash`` covers every delivery's rendered output at the time the link was made; a
    decision binds that content, so an edit needs a new sign-off. ``link_id`` is the signed
    link's one-time id: a link is used once.
    """

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    talent_id: int = Field(foreign_key="talent.id", index=True)
    post_version: int
    content_hash: str = Field(sa_type=String(64))
    link_id: str = Field(sa_type=String(64), unique=True)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    decision: str = Field(default=SignoffDecision.pending, sa_type=String(10))
    reason: str | None = Field(default=None, sa_type=String(1000))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class NotificationHook(SQLModel, table=True):
    """Where to tell people what happened: a Slack-compatible incoming webhook URL.

    ``production_id`` ``None`` hears every production. The signing secret is sealed like an
    account's (``scheduler.core.vault``).
    """

    id: int | None = Field(default=None, primary_key=True)
    production_id: int | None = Field(default=None, foreign_key="production.id", index=True)
    url: str = Field(sa_type=String(1000))
    secret: str = Field(sa_column=Column(Text(), nullable=False))
    #: Events it hears: submitted, approved, rejected, held, failed, unknown.
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_by: str = Field(sa_type=String(120))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class NotificationStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt
    sent = "sent"
    failed = "failed"  # given up: too many attempts, or its hook was removed


class Notification(SQLModel, table=True):
    """One message to one hook: written in the commit of the change it reports, then sent.

    Its own delivery log: attempts, the last error, when it was sent.
    """

    __table_args__ = (Index("ix_notification_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    hook_id: int = Field(foreign_key="notificationhook.id", index=True)
    event: str = Field(sa_type=String(20))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", sa_type=String(10))  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_error: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
