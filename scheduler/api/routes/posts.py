"""Posts: create, edit, submit, preview, approve, reject."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from fastapi import APIRouter, Request, Response, status
from sqlmodel import Session, col, select

from scheduler.core.clock import Clock
from scheduler.core.models import Delivery, Post
from scheduler.core.schemas import Id
from scheduler.http.access import AccessDep, ActorDep
from scheduler.http.deps import SessionDep
from scheduler.http.paging import PagingDep, one_page
from scheduler.posts import approval, preview
from scheduler.posts import lifecycle as service
from scheduler.posts.schemas import (
    DeliveryPublic,
    DraftDelivery,
    PostCreate,
    PostEdit,
    PostPublic,
    RenderedDelivery,
)
from scheduler.review import chain as review
from scheduler.review.schemas import ApproveAction, ReviewAction

router = APIRouter(prefix="/posts", tags=["posts"])


def _public(session: Session, post: Post) -> PostPublic:
    return _shown(post, service.deliveries_of(session=session, post_id=post.id or 0))


def _shown(post: Post, deliveries: Iterable[Delivery]) -> PostPublic:
    shown = PostPublic.model_validate(post)
    shown.deliveries = [DeliveryPublic.model_validate(d) for d in deliveries]
    return shown


@router.post("", status_code=status.HTTP_201_CREATED)
def create_post(data: PostCreate, session: SessionDep, access: AccessDep) -> PostPublic:
    """Create a draft; it is rendered for every account now, so errors show up here. Its
    writer may not approve it (separation of duties, docs/access.md)."""
    writer = access.person.id if access.person is not None else None
    post = service.create_post(session=session, data=data, actor=access.actor, writer_id=writer)
    session.commit()
    return _public(session, post)


@router.post("/preview")
def preview_draft(data: PostCreate, session: SessionDep) -> list[DraftDelivery]:
    """What a post not yet saved would publish on each account it names, and each
    platform's verdict (a thread, a text over the limit, a missing alt text); nothing is
    saved. The pages' editor shows this while a person types."""
    return preview.preview_draft(session=session, data=data)


@router.get("")
def list_posts(
    session: SessionDep,
    access: AccessDep,
    paging: PagingDep,
    request: Request,
    response: Response,
    production_id: Id | None = None,
) -> list[PostPublic]:
    """Posts of the productions the caller is a member of, oldest first, a page at a time
    (``X-Total-Count``, ``Link: rel="next"``).

    Their deliveries come in one more statement, whatever the number of posts (every open
    page polls this list; a statement per post made it the slowest of the common reads).
    """
    listed = []
    if production_id is not None:
        listed.append(col(Post.production_id) == production_id)
    visible = access.visible()
    if visible is not None:
        listed.append(col(Post.production_id).in_(visible))
    query = select(Post).where(*listed).order_by(col(Post.id))
    posts = one_page(session, query, paging, request, response)
    deliveries: dict[int, list[Delivery]] = defaultdict(list)
    of_page = select(Delivery).where(col(Delivery.post_id).in_([p.id for p in posts]))
    for delivery in session.exec(of_page.order_by(col(Delivery.id))):
        deliveries[delivery.post_id].append(delivery)
    return [_shown(p, deliveries[p.id or 0]) for p in posts]


@router.get("/{post_id}")
def get_post(post_id: Id, session: SessionDep) -> PostPublic:
    return _public(session, service.get_post(session=session, post_id=post_id))


@router.patch("/{post_id}")
def edit_post(post_id: Id, data: PostEdit, session: SessionDep, access: AccessDep) -> PostPublic:
    """Edit; 409 when the version is stale. An approved post goes back to review, and the
    editor, now its writer, may not approve this version."""
    writer = access.person.id if access.person is not None else None
    post = service.edit_post(
        session=session, post_id=post_id, data=data, actor=access.actor, writer_id=writer
    )
    session.commit()
    return _public(session, post)


@router.get("/{post_id}/preview")
def preview_post(post_id: Id, session: SessionDep) -> list[RenderedDelivery]:
    """Exactly what each delivery would publish, with the hash an approval binds."""
    return preview.preview_post(session=session, post_id=post_id)


@router.post("/{post_id}/submit")
def submit_post(
    post_id: Id, data: ReviewAction, session: SessionDep, actor: ActorDep
) -> PostPublic:
    post = approval.submit_post(session=session, post_id=post_id, version=data.version, actor=actor)
    session.commit()
    return _public(session, post)


@router.post("/{post_id}/approve")
def approve_post(
    post_id: Id, data: ApproveAction, session: SessionDep, access: AccessDep
) -> PostPublic:
    """Approve the version shown at the chain's current step; the last step schedules it.

    ``shown`` sends back each delivery's ``shown`` from the preview. 409 if the post changed
    since it was shown (its version, or what a delivery renders: text, media, due time), or
    featured talent has not signed off, or the caller wrote this version or approved another
    step of it (separation of duties); 403 if the caller is not one of the current step's
    approvers; 422 naming an unconfirmed checklist item or a ``shown`` value left out.
    """
    assert access.person is not None
    done = review.approve_shown(
        session=session,
        post_id=post_id,
        version=data.version,
        person=access.person,
        checklist=data.checklist,
        note=data.note,
        now=Clock.from_settings().now(),
        shown=data.shown,
    )
    session.commit()
    answer = _public(session, service.get_post(session=session, post_id=post_id))
    answer.self_approved = done.approval is not None and done.approval.self_approved
    return answer


@router.post("/{post_id}/reject")
def reject_post(
    post_id: Id, data: ReviewAction, session: SessionDep, actor: ActorDep
) -> PostPublic:
    post = approval.reject_post(
        session=session, post_id=post_id, version=data.version, actor=actor, note=data.note
    )
    session.commit()
    return _public(session, post)
