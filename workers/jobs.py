"""A claimed batch as the worker reads it: each delivery with what it refers to.

Apart from ``publish`` because reading is one thing (a query per table for the whole batch,
not a query per delivery) and publishing another; tests read jobs to publish one by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.core.models import (
    Account,
    Approval,
    Delivery,
    Milestone,
    Post,
    Production,
    StoredMedium,
)
from scheduler.media.library import uploads_of

T = TypeVar("T", Post, Account, Production, Milestone, Approval)


@dataclass(frozen=True)
class Job:
    """Everything needed to publish one delivery, read in one go for the batch."""

    delivery: Delivery
    post: Post
    account: Account
    production: Production
    milestone: Milestone | None
    approval: Approval | None
    #: The uploads its post's media name, by id, as the media library has them now.
    uploads: Mapping[int, StoredMedium] = field(default_factory=dict)


def load_jobs(engine: Engine, ids: Sequence[int]) -> list[Job]:
    """Read the batch's deliveries and what they refer to, a query per table."""
    with Session(engine, expire_on_commit=False) as session:
        deliveries = list(session.exec(select(Delivery).where(col(Delivery.id).in_(ids))))
        posts = _by_id(session, Post, {d.post_id for d in deliveries})
        accounts = _by_id(session, Account, {d.account_id for d in deliveries})
        productions = _by_id(session, Production, {p.production_id for p in posts.values()})
        milestones = _by_id(session, Milestone, {p.anchor_milestone_id for p in posts.values()})
        approvals = _by_id(session, Approval, {d.approval_id for d in deliveries})
        uploads = uploads_of(session, [p.media for p in posts.values()])
    jobs = []
    for d in sorted(deliveries, key=lambda d: (d.due_at, d.id or 0)):
        post = posts[d.post_id]
        jobs.append(
            Job(
                delivery=d,
                post=post,
                account=accounts[d.account_id],
                production=productions[post.production_id],
                milestone=milestones.get(post.anchor_milestone_id or 0),
                approval=approvals.get(d.approval_id or 0),
                uploads=uploads,
            )
        )
    return jobs


def _by_id(session: Session, model: type[T], wanted: set[int | None]) -> dict[int, T]:
    keys = [k for k in wanted if k is not None]
    if not keys:
        return {}
    id_column = getattr(model, "id")  # noqa: B009 - every table here has an integer id
    rows = session.exec(select(model).where(col(id_column).in_(keys)))
    return {getattr(row, "id"): row for row in rows}  # noqa: B009
