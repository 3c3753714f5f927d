"""What review accepts and answers: approving and rejecting a version, talent and sign-offs.

Inputs refuse unknown fields, so a misspelt field is a 422 naming it. No answer carries a
link or its token: a link goes to the talent's own contact (``scheduler.review.link_sending``)
and the team is told only who was asked and whether it was sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints, ValidationInfo, field_validator

from scheduler.core.schemas import Id, Input, Output

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class TalentCreate(Input):
    """Someone a post may feature: cast or crew."""

    name: Name
    handle: str | None = Field(default=None, max_length=120, examples=["@ana.ruiz"])
    email: EmailStr | None = Field(default=None, description="Where their sign-off links go")
    hook_url: str | None = Field(
        default=None,
        max_length=1000,
        description="A notification hook of their choice (https in production): their links "
        "are POSTed there instead of emailed. Shown by its host only",
    )
    sign_off_required: bool = Field(
        default=True, description="Posts featuring them wait for their approval"
    )


class TalentUpdate(Input):
    """A change to someone on the roster; ``null`` clears ``handle``, ``email`` or
    ``hook_url``, a field left out stays as it is."""

    name: Name | None = None
    handle: str | None = Field(default=None, max_length=120)
    email: EmailStr | None = None
    hook_url: str | None = Field(default=None, max_length=1000)
    sign_off_required: bool | None = None


class TalentPublic(Output):
    id: int
    production_id: Id
    name: str
    handle: str | None
    email: str | None
    hook: str | None = Field(
        validation_alias="hook_target", description="Their hook, by scheme and host only"
    )
    sign_off_required: bool
    created_at: datetime


#: Whether a request's link reached the talent: ``pending`` while it is being sent (or if the
#: sending process died: re-send), ``sent`` once their mail server or hook took it,
#: ``not_sent`` with the reason.
SendState = Literal["pending", "sent", "not_sent"]


class SignoffAsked(BaseModel):
    """One talent asked: by which channel, to where, and whether the link got there (never
    the link: it went to the talent alone)."""

    signoff_id: Id
    talent_id: Id
    talent: str
    channel: Literal["email", "hook"]
    sent_to: str = Field(description="The email address, or the hook's scheme and host")
    send_state: SendState
    send_error: str | None = Field(default=None, description="Why it was not sent")
    expires_at: datetime


class SignoffRequested(BaseModel):
    post_id: Id
    post_version: int
    content_hash: str = Field(description="sha256 over every delivery's content hash")
    asked: list[SignoffAsked]
    already_approved: list[str] = Field(
        default_factory=list, description="Talent whose approval of this content stands"
    )


#: Where a featured talent stands; "outdated": asked or answered about an earlier version or
#: content of the post.
SignoffState = Literal[
    "not_required", "not_requested", "pending", "expired", "approved", "declined", "outdated"
]


class TalentStanding(BaseModel):
    """Where one featured talent stands on a post (never the link itself)."""

    talent_id: Id
    talent: str
    sign_off_required: bool
    state: SignoffState = Field(
        description="outdated: asked or answered about an earlier version or content"
    )
    post_version: int | None = None
    requested_at: datetime | None = None
    expires_at: datetime | None = None
    decision: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None
    channel: str | None = None
    sent_to: str | None = None
    send_state: SendState | None = None
    sent_at: datetime | None = None
    send_error: str | None = None


class PostSignoffs(BaseModel):
    post_id: Id
    post_version: int
    talent: list[TalentStanding]
    blockers: list[str] = Field(description="Why final approval must wait; empty when it need not")


class ShownMedium(BaseModel):
    url: str
    kind: str
    alt: str | None


class ShownDelivery(BaseModel):
    """What one account will publish, exactly as rendered."""

    platform: str
    handle: str
    text: str
    media: list[ShownMedium]


class SignoffPage(BaseModel):
    """What a talent is asked to approve, and where their request stands."""

    talent: str
    production: str
    post_id: Id
    post_version: int
    state: str
    requested_at: datetime
    expires_at: datetime
    content_hash: str
    deliveries: list[ShownDelivery]
    how_to_answer: str = (
        'POST this link with {"decision": "approve"} or {"decision": "decline", "reason": "..."}'
    )


class SignoffAnswer(Input):
    """A talent's answer; a decline says why (the production team reads it)."""

    decision: Literal["approve", "decline"]
    reason: str | None = Field(default=None, max_length=1000, validate_default=True)

    @field_validator("reason")
    @classmethod
    def _decline_says_why(cls, reason: str | None, info: ValidationInfo) -> str | None:
        reason = reason.strip() if reason is not None else None
        if info.data.get("decision") == "decline" and not reason:
            raise ValueError("say why you decline, so the team can change the post")
        return reason or None


class SignoffRecorded(BaseModel):
    talent: str
    post_id: Id
    post_version: int
    decision: str
    reason: str | None
    decided_at: datetime


#: What an approval says about the deliveries it approves.
SHOWN = (
    "Delivery id → its `shown` value from the preview (or the schedule under review), sent back "
    "as given: 409 naming what changed if a delivery renders differently now"
)


class ScheduleApproval(Input):
    """Approving a whole schedule at once: every post at the version shown, every delivery
    as shown."""

    versions: dict[int, int] = Field(
        min_length=1, description="Post id → the version shown; a changed post stops it all"
    )
    checklist: dict[int, bool] = Field(default_factory=dict, description="Item id → confirmed")
    note: str | None = Field(default=None, max_length=2000)
    shown: dict[int, str] = Field(description=SHOWN)


class ReviewAction(Input):
    version: int = Field(description="The version the reviewer saw")
    note: str | None = Field(default=None, max_length=2000)


class ApproveAction(ReviewAction):
    checklist: dict[int, bool] = Field(
        default_factory=dict, description="Checklist item id → confirmed (all, at the last step)"
    )
    shown: dict[int, str] = Field(description=SHOWN)
