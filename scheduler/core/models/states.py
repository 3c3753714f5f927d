"""The kinds, states and roles Callsheet's rows take, as string enumerations.

They are stored as plain strings: adding a state later is a code change, not a migration of a
database enum type. Apart from the tables because most of Callsheet reasons in these words (the
claim gates, reflow, review, access) without a table in hand, and several families share them.
"""

from __future__ import annotations

from enum import StrEnum


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


class LatePolicy(StrEnum):
    """A post's latest useful time: past it, a release is held for a person, not sent late."""

    grace = "grace"  # its due time plus the production's grace
    milestone = "milestone"  # that, and never after its anchor milestone when due before it


class HoldReason(StrEnum):
    """Why a delivery is ``held``: a code, so releasing one kind of hold leaves the others."""

    tentative = "tentative"  # its milestone's date is not confirmed
    past_due = "past_due"  # a reflow moved it into the past
    content = "content"  # the rendered text no longer matches the approval
    embargo = "embargo"  # an embargo rule covers it (the rule is named in last_error)
    account = "account"  # the account needs reconnecting
    late = "late"  # released after its latest useful time (``scheduler.planning.lateness``)


class PauseScope(StrEnum):
    all = "all"  # the kill switch: nothing goes out anywhere
    production = "production"
    account = "account"


class Role(StrEnum):
    """What a person may do in one production; each role can do what the ones before it can."""

    viewer = "viewer"  # reads the schedule
    marketer = "marketer"  # plans, edits and submits posts
    producer = "producer"  # approves, rejects, moves milestones, pauses, settles deliveries
    admin = "admin"  # manages the production's people, chain, checklist and notifications

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class ApprovalMode(StrEnum):
    any = "any"  # one of the step's people approves for the step
    all = "all"  # every one of them must


class SignoffDecision(StrEnum):
    pending = "pending"
    approved = "approved"
    declined = "declined"


class NotificationStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt
    sent = "sent"
    failed = "failed"  # given up: too many attempts, or its hook was removed
