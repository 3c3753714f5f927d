"""Every table Callsheet keeps (SQLModel), and the states things move through.

Times are stored as naive UTC and handed out as aware UTC (``UTCDateTime``), so SQLite and
PostgreSQL behave the same. Enumerations are stored as plain strings: adding a state later is a
code change, not a migration of a database enum type.

The tables live in families, a module each: ``columns`` (the UTC time type), ``states`` (the
enumerations), ``planning``, ``accounts``, ``posts``, ``people``, ``review``, ``events``,
``media`` and ``workers`` (the heartbeats of worker processes). The families import only
``columns`` and ``states``, never one another (foreign keys name tables, not classes). Import
from here: this package re-exports every table and enumeration, and importing it registers every
table on ``SQLModel.metadata``, which Alembic's ``env.py`` and the migrations rely on.
"""

from __future__ import annotations

from scheduler.core.models.accounts import Account, AccountProduction
from scheduler.core.models.columns import UTCDateTime, utcnow
from scheduler.core.models.events import AuditEvent, Notification, NotificationHook
from scheduler.core.models.media import StoredMedium
from scheduler.core.models.people import AccessToken, CalendarSubscription, Membership, Person
from scheduler.core.models.planning import Blackout, EmbargoRule, Milestone, Pause, Production
from scheduler.core.models.posts import Approval, Delivery, Post
from scheduler.core.models.review import ApprovalStep, ChecklistItem, Talent, TalentSignoff, Vote
from scheduler.core.models.states import (
    CLAIMABLE,
    UNSENT,
    ApprovalMode,
    ContentPillar,
    DeliveryStatus,
    HoldReason,
    LatePolicy,
    MilestoneKind,
    NotificationStatus,
    PastDuePolicy,
    PauseScope,
    PostStatus,
    ProductionKind,
    Role,
    SignoffDecision,
)
from scheduler.core.models.workers import WorkerHeartbeat

__all__ = [
    "CLAIMABLE",
    "UNSENT",
    "AccessToken",
    "Account",
    "AccountProduction",
    "Approval",
    "ApprovalMode",
    "ApprovalStep",
    "AuditEvent",
    "Blackout",
    "CalendarSubscription",
    "ChecklistItem",
    "ContentPillar",
    "Delivery",
    "DeliveryStatus",
    "EmbargoRule",
    "HoldReason",
    "LatePolicy",
    "Membership",
    "Milestone",
    "MilestoneKind",
    "Notification",
    "NotificationHook",
    "NotificationStatus",
    "PastDuePolicy",
    "Pause",
    "PauseScope",
    "Person",
    "Post",
    "PostStatus",
    "Production",
    "ProductionKind",
    "Role",
    "SignoffDecision",
    "StoredMedium",
    "Talent",
    "TalentSignoff",
    "UTCDateTime",
    "Vote",
    "WorkerHeartbeat",
    "utcnow",
]
