"""A production's review: its approval chain's steps and the votes cast at them, its
checklist, and the talent featured in posts with their sign-offs.

Apart because they are what an approval must get through (``scheduler.review``) before
``Approval`` binds a post's output: the way to an approval, not the approval itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.core.models.columns import UTCDateTime, utcnow
from scheduler.core.models.states import ApprovalMode, SignoffDecision


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
    #: A notification hook of the talent's choice, sealed with the vault: a hook URL is often
    #: its own credential. ``hook_target`` is how it is shown (scheme and host only).
    hook_sealed: str | None = Field(default=None, sa_type=Text)
    hook_target: str | None = Field(default=None, sa_type=String(300))
    sign_off_required: bool = True
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


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
    #: How the link went to the talent (``email`` or ``hook``) and to where, as shown (an
    #: address, a hook's host); ``sent_at`` once it was handed over, ``send_error`` if it could
    #: not be. Neither set: sending has not finished (or its process died): re-send it.
    channel: str | None = Field(default=None, sa_type=String(10))
    sent_to: str | None = Field(default=None, sa_type=String(300))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    send_error: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
