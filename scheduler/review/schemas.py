"""What review accepts and answers: approving and rejecting a version, talent and sign-offs.

Inputs refuse unknown fields, so a misspelt field is a 422 naming it. Answers never carry a
link token except the one that makes it (``SignoffRequested``), which is its only showing.
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
    sign_off_required: bool = Field(
        default=True, description="Posts featuring them wait for their approval"
    )


class TalentPublic(Output):
    id: int
    production_id: Id
    name: str
    handle: str | None
    email: str | None
    sign_off_required: bool
    created_at: datetime


class SignoffLink(BaseModel):
    """One talent's link, shown once: pass it to them (only its path; prefix the site)."""

    signoff_id: Id
    talent_id: Id
    talent: str
    email: str | None
    link: str = Field(description="/signoff/<token>: works once, until expires_at")
    expires_at: datetime


class SignoffRequested(BaseModel):
    post_id: Id
    post_version: int
    content_hash: str = Field(description="sha256 over every delivery's content hash")
    links: list[SignoffLink]
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


class ReviewAction(Input):
    version: int = Field(description="The version the reviewer saw")
    note: str | None = Field(default=None, max_length=2000)


class ApproveAction(ReviewAction):
    checklist: dict[int, bool] = Field(
        default_factory=dict, description="Checklist item id → confirmed (all, at the last step)"
    )
    shown: dict[int, str] = Field(description=SHOWN)
