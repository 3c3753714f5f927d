"""A producer's approval queue: every post of a production waiting for review, grouped by the
milestone it is anchored to, each with exactly what it will publish on every account, where it
stands in the chain and with its featured talent.

The API's ``GET /productions/{id}/review`` renders post by post (a few queries each); the queue
loads a whole schedule in a fixed number of queries, however many posts wait: the posts, their
milestones, their deliveries and accounts (``render_many``), the chain and the votes
(``steps_for_many``), the checklist, the talent and their requests (``signoffs_of_many``), and
the writers' names. What it shows is rendered by the same code an approval binds, so a
``shown`` value taken from here is one the approval accepts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from scheduler.core.clock import machine_now
from scheduler.core.models import (
    ChecklistItem,
    Milestone,
    Person,
    Post,
    PostStatus,
    Talent,
    TalentSignoff,
)
from scheduler.posts.preview import Rendered, render_many
from scheduler.posts.targets import platform_verdict
from scheduler.review.chain import StepState, checklist_of, steps_for_many
from scheduler.review.schemas import PostSignoffs
from scheduler.review.signoffs import (
    Shown,
    Standing,
    blockers_of,
    fingerprint,
    known_digest,
    standing_shown,
    state_of,
)

#: Posts a queue shows at most (the API's review answers as many by default).
LIMIT = 200


@dataclass(frozen=True)
class Outgoing:
    """One delivery as it will go out, with the platform's verdict on it."""

    item: Rendered
    problems: list[str]
    warnings: list[str]

    @property
    def short_hash(self) -> str:
        """The content hash an approval binds, as a person compares it: its first 12 hex."""
        return self.item.content_hash[:12]


@dataclass(frozen=True)
class Waiting:
    """One post in review, as its approver sees it."""

    post: Post
    writer: str | None
    deliveries: list[Outgoing]
    steps: list[StepState]
    signoffs: PostSignoffs

    @property
    def first_due(self) -> datetime | None:
        return min((d.item.delivery.planned_at for d in self.deliveries), default=None)


@dataclass(frozen=True)
class Group:
    """The posts anchored to one milestone (``None``: to none), approved together."""

    milestone: Milestone | None
    posts: list[Waiting]

    @property
    def key(self) -> str:
        return str(self.milestone.id) if self.milestone else "none"


@dataclass(frozen=True)
class Queue:
    groups: list[Group]
    checklist: list[ChecklistItem]
    #: More posts wait than the queue shows (``LIMIT``).
    more: bool


def review_queue(*, session: Session, production_id: int, limit: int = LIMIT) -> Queue:
    """The production's posts in review, by milestone (in time order, then those anchored to
    none), each post's deliveries in their order."""
    query = (
        select(Post)
        .where(Post.production_id == production_id, Post.status == PostStatus.in_review)
        .order_by(col(Post.id))
        .limit(limit + 1)
    )
    found = list(session.exec(query))
    posts, more = found[:limit], len(found) > limit
    rendered = render_many(session=session, posts=posts)
    steps = steps_for_many(session, production_id, posts)
    signoffs = signoffs_of_many(
        session=session, production_id=production_id, posts=posts, rendered=rendered
    )
    writers = _names(session, {p.written_by_id for p in posts if p.written_by_id is not None})
    milestones = {
        m.id: m
        for m in session.exec(select(Milestone).where(Milestone.production_id == production_id))
    }
    by_milestone: dict[int | None, list[Waiting]] = {}
    for post in posts:
        waiting = Waiting(
            post=post,
            writer=writers.get(post.written_by_id) if post.written_by_id else None,
            deliveries=[_outgoing(item) for item in rendered[post.id or 0]],
            steps=steps[post.id or 0],
            signoffs=signoffs[post.id or 0],
        )
        anchor = post.anchor_milestone_id if post.anchor_milestone_id in milestones else None
        by_milestone.setdefault(anchor, []).append(waiting)
    groups = [
        Group(milestone=milestones[mid] if mid is not None else None, posts=_by_due(waiting))
        for mid, waiting in by_milestone.items()
    ]
    groups.sort(key=lambda g: (g.milestone is None, g.milestone.at if g.milestone else None))
    return Queue(groups=groups, checklist=checklist_of(session, production_id), more=more)


def _outgoing(item: Rendered) -> Outgoing:
    verdict = platform_verdict(item.account, item.rendered)
    return Outgoing(item=item, problems=list(verdict.problems), warnings=list(verdict.warnings))


def _by_due(posts: list[Waiting]) -> list[Waiting]:
    return sorted(posts, key=lambda w: (w.first_due is None, w.first_due, w.post.id))


def _names(session: Session, ids: set[int]) -> dict[int | None, str]:
    if not ids:
        return {}
    return {p.id: p.name for p in session.exec(select(Person).where(col(Person.id).in_(ids)))}


def signoffs_of_many(
    *,
    session: Session,
    production_id: int,
    posts: Sequence[Post],
    rendered: Mapping[int, Sequence[Shown]],
) -> dict[int, PostSignoffs]:
    """``post_signoffs`` for many posts of a production in two queries (their talent, their
    requests), comparing answers with each post as ``rendered`` (``render_many``) shows it."""
    wanted = {t for post in posts for t in post.featured}
    if not wanted:
        return {
            post.id or 0: PostSignoffs(
                post_id=post.id or 0, post_version=post.version, talent=[], blockers=[]
            )
            for post in posts
        }
    query = select(Talent).where(col(Talent.id).in_(wanted), Talent.production_id == production_id)
    roster = {t.id: t for t in session.exec(query)}
    latest: dict[tuple[int, int], TalentSignoff] = {}
    requests = select(TalentSignoff).where(
        col(TalentSignoff.post_id).in_([post.id for post in posts if post.featured])
    )
    for request in session.exec(requests.order_by(col(TalentSignoff.id))):
        latest[(request.post_id, request.talent_id)] = request
    now = machine_now()
    answers = {}
    for post in posts:
        ids = list(dict.fromkeys(post.featured))
        talents = [roster[i] for i in ids if i in roster]
        strangers = [i for i in ids if i not in roster]
        current = known_digest(fingerprint(rendered.get(post.id or 0, [])))
        standings = []
        for talent in talents:
            asked = latest.get((post.id or 0, talent.id or 0))
            standings.append(Standing(talent, asked, state_of(talent, asked, post, current, now)))
        answers[post.id or 0] = PostSignoffs(
            post_id=post.id or 0,
            post_version=post.version,
            talent=[standing_shown(s) for s in standings],
            blockers=blockers_of(post, standings, strangers),
        )
    return answers
