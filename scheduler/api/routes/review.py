"""A production's review: its approval chain and checklist, and approving a schedule at once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from sqlmodel import col, select

from scheduler.core.clock import Clock
from scheduler.core.models import ApprovalMode, Delivery, Post, PostStatus
from scheduler.core.schemas import Id, Input, Moment, Output
from scheduler.http.access import AccessDep, ActorDep
from scheduler.http.deps import SessionDep
from scheduler.planning.productions import get_production
from scheduler.posts.preview import render_many, rendered_delivery
from scheduler.posts.schemas import RenderedDelivery
from scheduler.review import chain as service
from scheduler.review.schemas import ScheduleApproval

router = APIRouter(prefix="/productions/{production_id}", tags=["review"])


class StepIn(Input):
    name: str = Field(min_length=1, max_length=80, examples=["studio legal"])
    mode: ApprovalMode = ApprovalMode.any
    people: list[Id] = Field(min_length=1, max_length=50, description="Person ids")


class ChainIn(Input):
    steps: list[StepIn] = Field(max_length=10, description="In order; empty: any one producer")


class StepOut(Output):
    id: int
    position: int
    name: str
    mode: str
    people: list[int]


class ChecklistIn(Input):
    items: list[str] = Field(max_length=30, examples=[["Crew credited", "Music cleared"]])


class ChecklistItemOut(Output):
    id: int
    position: int
    text: str


class StepProgress(Output):
    name: str
    approvers: list[str]
    done: bool


class PostForReview(Output):
    post_id: Id
    version: int
    pillar: str
    written_by_id: Id | None = Field(
        description="Who wrote this version; they may not approve it (separation of duties)"
    )
    steps: list[StepProgress]
    deliveries: list[RenderedDelivery] = Field(description="Exactly what goes out, per platform")


class ApprovedPost(Output):
    post_id: Id
    status: str
    steps: list[StepProgress]
    self_approved: bool = Field(
        default=False, description="Approved under the production's self_approval relaxation"
    )


@router.get("/chain")
def get_chain(production_id: Id, session: SessionDep) -> list[StepOut]:
    return [StepOut.model_validate(s) for s in service.chain_of(session, production_id)]


@router.put("/chain")
def set_chain(
    production_id: Id, data: ChainIn, session: SessionDep, actor: ActorDep
) -> list[StepOut]:
    """Replace the approval chain (e.g. marketing lead → producer → studio legal)."""
    get_production(session=session, production_id=production_id)
    steps = service.set_chain(
        session=session,
        production_id=production_id,
        steps=[s.model_dump() for s in data.steps],
        actor=actor,
    )
    session.commit()
    return [StepOut.model_validate(s) for s in steps]


@router.get("/checklist")
def get_checklist(production_id: Id, session: SessionDep) -> list[ChecklistItemOut]:
    return [
        ChecklistItemOut.model_validate(i) for i in service.checklist_of(session, production_id)
    ]


@router.put("/checklist")
def set_checklist(
    production_id: Id, data: ChecklistIn, session: SessionDep, actor: ActorDep
) -> list[ChecklistItemOut]:
    """Replace what an approver confirms for every post (crew credited, music cleared ...)."""
    get_production(session=session, production_id=production_id)
    items = service.set_checklist(
        session=session, production_id=production_id, items=data.items, actor=actor
    )
    session.commit()
    return [ChecklistItemOut.model_validate(i) for i in items]


@router.get("/review")
def schedule_for_review(
    production_id: Id,
    session: SessionDep,
    milestone_id: Id | None = None,
    due_from: Moment | None = None,
    due_to: Moment | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[PostForReview]:
    """Posts waiting for review in a milestone's schedule or a date range, each with exactly
    what it will publish on every platform, and where it stands in the chain."""
    get_production(session=session, production_id=production_id)
    posts = _in_review(session, production_id, milestone_id, due_from, due_to, limit)
    # A fixed number of queries, however many posts: all their deliveries, votes and the
    # chain are read at once (``render_many``, ``steps_for_many``).
    rendered = render_many(session=session, posts=posts)
    steps = service.steps_for_many(session, production_id, posts)
    return [
        PostForReview(
            post_id=post.id or 0,
            version=post.version,
            pillar=post.pillar,
            written_by_id=post.written_by_id,
            steps=_progress(steps[post.id or 0]),
            deliveries=[rendered_delivery(item) for item in rendered[post.id or 0]],
        )
        for post in posts
    ]


@router.post("/review/approve")
def approve_schedule(
    production_id: Id, data: ScheduleApproval, session: SessionDep, access: AccessDep
) -> list[ApprovedPost]:
    """Approve every post shown, at the versions shown, in one go: all or nothing. ``shown``
    sends back every delivery's ``shown`` value; a post that renders differently stops it all
    (409 naming the post, the delivery and what changed). Posts the approver wrote stop it all
    too (409 naming every one of them: separation of duties)."""
    assert access.person is not None
    done = service.approve_schedule(
        session=session,
        production_id=production_id,
        versions=data.versions,
        person=access.person,
        checklist=data.checklist,
        note=data.note,
        now=Clock.from_settings().now(),
        shown=data.shown,
    )
    answers = [
        ApprovedPost(
            post_id=item.post.id or 0,
            status=item.post.status,
            steps=_progress(item.steps),
            self_approved=item.approval is not None and item.approval.self_approved,
        )
        for item in done
    ]
    session.commit()
    return answers


def _progress(steps: list[service.StepState]) -> list[StepProgress]:
    return [StepProgress(name=s.name, approvers=s.approvers, done=s.done) for s in steps]


def _in_review(
    session: SessionDep,
    production_id: Id,
    milestone_id: Id | None,
    due_from: datetime | None,
    due_to: datetime | None,
    limit: int,
) -> list[Post]:
    query = select(Post).where(
        Post.production_id == production_id, Post.status == PostStatus.in_review
    )
    if milestone_id is not None:
        query = query.where(Post.anchor_milestone_id == milestone_id)
    if due_from is not None or due_to is not None:
        due = select(Delivery.post_id)
        if due_from is not None:
            due = due.where(col(Delivery.due_at) >= due_from)
        if due_to is not None:
            due = due.where(col(Delivery.due_at) < due_to)
        query = query.where(col(Post.id).in_(due))
    return list(session.exec(query.order_by(col(Post.id)).limit(limit)))
