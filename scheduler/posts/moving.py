"""Moving a post to another day at the same time of day, as the calendar's "Move to…" does.

A move is an edit of the post's anchor (``lifecycle.edit_post``, what ``PATCH /posts/{id}``
calls): a new version, stale versions refused, and an approved post goes back to review, as any
edit does, so nothing goes out at a time no reviewer saw.

A post anchored to a milestone stays anchored to it: its offset becomes the whole days from the
milestone's date to the new one, at the time of day it had (its local time, or the time its
anchor named), so it still follows the milestone when that moves. A post at an absolute time
gets the same time of day on the new date. Both in the production's time zone, where the team
reads the plan.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from scheduler.core.models import Milestone, Post
from scheduler.planning.productions import get_production
from scheduler.planning.timeline import Anchor, due_at, local_to_utc, zone
from scheduler.posts.lifecycle import anchor_of, edit_post, get_post
from scheduler.posts.schemas import AnchorIn, PostEdit


def moved_anchor(post: Post, *, day: date, milestone_at: datetime | None, tz: ZoneInfo) -> AnchorIn:
    """The anchor that puts ``post`` on ``day`` at the time of day its anchor names now."""
    now = anchor_of(post)
    spec = Anchor(
        milestone_id=now.milestone_id, offset=now.offset, local_time=now.local_time, at=now.at
    )
    clock = now.local_time or due_at(spec, milestone_at=milestone_at, tz=tz).astimezone(tz).time()
    if now.milestone_id is None or milestone_at is None:
        return AnchorIn(at=local_to_utc(day, clock, tz))
    days = (day - milestone_at.astimezone(tz).date()).days
    sign = "-" if days < 0 else "+"
    return AnchorIn(milestone_id=now.milestone_id, offset=f"{sign}P{abs(days)}D", local_time=clock)


def move_post(
    *,
    session: Session,
    post_id: int,
    day: date,
    version: int,
    actor: str,
    writer_id: int | None = None,
) -> Post:
    """Move the post to ``day``, keeping its time of day; the edit's rules apply (409 for a
    stale version or a delivery going out right now; an approved post back to review)."""
    post = get_post(session=session, post_id=post_id)
    production = get_production(session=session, production_id=post.production_id)
    milestone = (
        session.get(Milestone, post.anchor_milestone_id) if post.anchor_milestone_id else None
    )
    anchor = moved_anchor(
        post,
        day=day,
        milestone_at=milestone.at if milestone else None,
        tz=zone(production.timezone),
    )
    return edit_post(
        session=session,
        post_id=post_id,
        data=PostEdit(version=version, anchor=anchor),
        actor=actor,
        writer_id=writer_id,
    )
