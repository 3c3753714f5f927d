"""Moving things on the calendar: a post to another day, a milestone to another date.

A post's move is an edit of its anchor (``scheduler.posts.moving``, on ``edit_post``, what
``PATCH /posts/{id}`` calls): its time of day stays, and an approved post goes back to review,
which the form says before anyone sends it. A marketer's act, as the edit is.

A milestone's move is ``PATCH /productions/{id}/milestones/{mid}``'s reflow, in two steps: the
form first asks for a preview (the same planning, rolled back: which posts move, which would
land in the past, fall under an embargo or go back to review), and only the preview's "Move"
applies it. A producer's act, as in the API.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from scheduler.core.clock import Clock
from scheduler.core.errors import Invalid, NotFound
from scheduler.core.models import Account, Delivery, Milestone, Post, Production
from scheduler.core.schemas import Id, Input
from scheduler.http.access import AccessDep
from scheduler.http.deps import SessionDep
from scheduler.planning.productions import get_production
from scheduler.planning.timeline import local_to_utc, zone
from scheduler.posts import reflow
from scheduler.posts.lifecycle import get_post
from scheduler.posts.moving import move_post
from scheduler.web.forms import FormDep, validated
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)


class PostMoveForm(Input):
    """The "Move to…" form: the new day, and the version of the post the page showed."""

    day: date
    version: int
    back: str = ""


class MilestoneMoveForm(Input):
    """The milestone's new date and time of day in the production's zone; ``confirm`` is the
    preview's button, the only one that applies."""

    day: date
    time: time
    tentative: bool = False
    confirm: bool = False


def _back(target: str, production_id: int) -> str:
    """Where to go after a move: the calendar page it came from, never another site."""
    if target.startswith(f"{PREFIX}/") and not target.startswith("//"):
        return target
    return f"{PREFIX}/productions/{production_id}/calendar"


def _deliveries(session: Session, post_id: int) -> list[tuple[Delivery, Account]]:
    query = (
        select(Delivery, Account)
        .join(Account, col(Account.id) == col(Delivery.account_id))
        .where(Delivery.post_id == post_id)
        .order_by(col(Delivery.due_at), col(Delivery.id))
    )
    return [(d, a) for d, a in session.exec(query)]


def _post_page(
    request: Request,
    access: AccessDep,
    session: Session,
    post: Post,
    *,
    errors: dict[str, str],
    day: str,
    back: str,
    status_code: int = 200,
) -> Response:
    production = get_production(session=session, production_id=post.production_id)
    return page(
        request,
        "move_post.html",
        session=session,
        access=access,
        status_code=status_code,
        post=post,
        production=production,
        deliveries=_deliveries(session, post.id or 0),
        errors=errors,
        day=day,
        back=_back(back, post.production_id),
    )


@router.get("/posts/{post_id}/move")
def move_post_page(
    post_id: Id, request: Request, access: AccessDep, session: SessionDep, back: str = ""
) -> Response:
    post = get_post(session=session, post_id=post_id)
    first = _deliveries(session, post_id)
    production = get_production(session=session, production_id=post.production_id)
    day = (
        first[0][0].due_at.astimezone(zone(production.timezone)).date().isoformat() if first else ""
    )
    return _post_page(request, access, session, post, errors={}, day=day, back=back)


@router.post("/posts/{post_id}/move")
def move_post_to(
    post_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Move the post to the day given, keeping its time of day; errors beside the field."""
    data = validated(PostMoveForm, form)
    if not isinstance(data, dict):
        try:
            move_post(
                session=session,
                post_id=post_id,
                day=data.day,
                version=data.version,
                actor=access.actor,
                writer_id=access.person.id if access.person else None,
            )
        except Invalid as refused:
            data = {"day": f"{refused.field}: {refused.message}"}
        else:
            session.commit()
            production_id = get_post(session=session, post_id=post_id).production_id
            target = _back(data.back, production_id)
            joiner = "&" if "?" in target else "?"
            return RedirectResponse(f"{target}{joiner}moved_post={post_id}", status_code=303)
    session.rollback()  # nothing of a refused move is kept
    post = get_post(session=session, post_id=post_id)
    return _post_page(
        request,
        access,
        session,
        post,
        errors=data,
        day=str(form.get("day", "")),
        back=str(form.get("back", "")),
        status_code=422,
    )


def _milestone(session: Session, production_id: int, milestone_id: int) -> Milestone:
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.production_id != production_id:
        raise NotFound("milestone", milestone_id)
    return milestone


def _milestone_page(
    request: Request,
    access: AccessDep,
    session: Session,
    production: Production,
    milestone: Milestone,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    preview: list[reflow.Move] | None = None,
    **more: Any,
) -> Response:
    return page(
        request,
        "move_milestone.html",
        session=session,
        access=access,
        status_code=status_code,
        production=production,
        milestone=milestone,
        values=values,
        errors=errors,
        preview=preview,
        **more,
    )


@router.get("/productions/{production_id}/milestones/{milestone_id}/move")
def move_milestone_page(
    production_id: Id, milestone_id: Id, request: Request, access: AccessDep, session: SessionDep
) -> Response:
    production = get_production(session=session, production_id=production_id)
    milestone = _milestone(session, production_id, milestone_id)
    local = milestone.at.astimezone(zone(production.timezone))
    values = {
        "day": local.date().isoformat(),
        "time": f"{local:%H:%M}",
        "tentative": "on" if milestone.tentative else "",
    }
    return _milestone_page(
        request, access, session, production, milestone, values=values, errors={}
    )


@router.post("/productions/{production_id}/milestones/{milestone_id}/move")
def move_milestone(
    production_id: Id,
    milestone_id: Id,
    request: Request,
    form: FormDep,
    access: AccessDep,
    session: SessionDep,
) -> Response:
    """Without ``confirm``: the preview of what moves, and a button to apply it. With it: the
    move, then the calendar."""
    production = get_production(session=session, production_id=production_id)
    milestone = _milestone(session, production_id, milestone_id)
    values = {key: str(form.get(key, "")) for key in ("day", "time", "tentative")}
    data = validated(MilestoneMoveForm, form)
    if isinstance(data, dict):
        return _milestone_page(
            request,
            access,
            session,
            production,
            milestone,
            values=values,
            errors=data,
            status_code=422,
        )
    tz = zone(production.timezone)
    old_at = milestone.at
    new_at = local_to_utc(data.day, data.time, tz)
    try:
        moves = reflow.move_milestone(
            session=session,
            production_id=production_id,
            milestone_id=milestone_id,
            at=new_at,
            tentative=data.tentative,
            actor=access.actor,
            now=Clock.from_settings().now(),
            apply=data.confirm,
        )
    except Invalid as refused:
        session.rollback()
        return _milestone_page(
            request,
            access,
            session,
            production,
            _milestone(session, production_id, milestone_id),
            values=values,
            errors={"day": refused.message},
            status_code=422,
        )
    if data.confirm:
        session.commit()
        target = f"{PREFIX}/productions/{production_id}/calendar"
        return RedirectResponse(f"{target}?moved_milestone={milestone_id}", status_code=303)
    session.rollback()  # a preview wrote nothing; end its transaction as such
    accounts = _accounts(session, production_id)
    return _milestone_page(
        request,
        access,
        session,
        production,
        _milestone(session, production_id, milestone_id),
        values=values,
        errors={},
        preview=moves,
        new_at=new_at,
        old_at=old_at,
        accounts=accounts,
    )


def _accounts(session: Session, production_id: int) -> dict[int, str]:
    """Each delivery of the production's posts as "platform @handle", in one query."""
    query = (
        select(Delivery.id, Account.platform, Account.handle)
        .join(Post, col(Post.id) == col(Delivery.post_id))
        .join(Account, col(Account.id) == col(Delivery.account_id))
        .where(Post.production_id == production_id)
    )
    return {d or 0: f"{platform} {handle}" for d, platform, handle in session.exec(query)}
