"""A post created and edited, and how the rest of Callsheet reads one.

Rendering runs on every create and edit (``targets.check_renders``), so a template error, an
undefined variable or a platform's refusal is a 422 while a person is looking, not a failure at
dispatch. Every edit raises the version and unbinds the post's unsent deliveries, and an
approved post goes back to review, so nothing unapproved can be claimed.

Submitting, rejecting and approving live in ``approval``, showing what would go out in
``preview``: apart, because none of them changes what a post says.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from scheduler.accounts.productions import in_use
from scheduler.core.errors import Conflict, Invalid, NotFound
from scheduler.core.models import Delivery, DeliveryStatus, Post, PostStatus, Talent, utcnow
from scheduler.events.record import save_recorded
from scheduler.media.library import attach
from scheduler.planning.productions import get_production
from scheduler.posts.schemas import AnchorIn, PostCreate, PostEdit
from scheduler.posts.targets import (
    check_renders,
    new_delivery,
    plan_for,
    retarget,
    target_accounts,
)

IN_FLIGHT = (DeliveryStatus.claimed.value, DeliveryStatus.publishing.value)


def _set_anchor(post: Post, anchor: AnchorIn) -> None:
    post.anchor_milestone_id = anchor.milestone_id
    post.anchor_offset = anchor.offset
    post.anchor_local_time = anchor.local_time
    post.anchor_at = anchor.at


def anchor_of(post: Post) -> AnchorIn:
    return AnchorIn(
        milestone_id=post.anchor_milestone_id,
        offset=post.anchor_offset,
        local_time=post.anchor_local_time,
        at=post.anchor_at,
    )


def create_post(
    *, session: Session, data: PostCreate, actor: str, writer_id: int | None = None
) -> Post:
    """Create a draft post and one pending delivery per target account.

    ``writer_id``: the person writing it, who may not approve it (``scheduler.review.duties``);
    None when the system writes it.
    """
    try:
        production = get_production(session=session, production_id=data.production_id)
    except NotFound:
        raise Invalid("production_id", f"no production with id {data.production_id}") from None
    plan = plan_for(session, production, data.anchor)
    accounts = target_accounts(session, production, data.account_ids)
    post = Post(
        production_id=production.id or 0,
        pillar=data.pillar.value,
        template=data.template,
        body=data.body,
        variables=data.variables,
        tags=data.tags,
        media=attach(session=session, production_id=production.id or 0, given=data.media),
        featured=_featured(session, production.id or 0, data.featured),
        latest_at=data.latest_at,
        created_by=actor,
        written_by_id=writer_id,
    )
    _set_anchor(post, data.anchor)
    check_renders(post, production, plan, accounts)
    save_recorded(
        session, post, actor=actor, action="post.created", after=data.model_dump(mode="json")
    )
    for account in accounts:
        session.add(new_delivery(post, account, plan))
    session.flush()
    return post


def _featured(session: Session, production_id: int, talent_ids: list[int]) -> list[int]:
    """The talent a post features: people of its own production, each once."""
    for index, talent_id in enumerate(talent_ids):
        talent = session.get(Talent, talent_id)
        if talent is None or talent.production_id != production_id:
            raise Invalid(f"featured.{index}", f"no talent {talent_id} in this production")
    return list(dict.fromkeys(talent_ids))


def get_post(*, session: Session, post_id: int, lock: bool = False) -> Post:
    query = select(Post).where(Post.id == post_id)
    post = session.exec(query.with_for_update() if lock else query).first()
    if post is None:
        raise NotFound("post", post_id)
    return post


def deliveries_of(*, session: Session, post_id: int, lock: bool = False) -> list[Delivery]:
    """A post's deliveries; ``lock``: as they are now, locked until the transaction ends.

    Whoever changes deliveries from what it read (an edit retargets them, an approval binds
    them) locks them: a worker may claim and publish one, or a person cancel one, meanwhile,
    and an update by id from the earlier read would turn a published delivery back into a
    pending one, or a cancelled one into a scheduled one. Locked, a claim skips them and a
    fence waits, then finds them changed. ``populate_existing`` because the session may hold
    copies read before the lock.
    """
    query = select(Delivery).where(Delivery.post_id == post_id).order_by(col(Delivery.id))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.exec(query))


def expect_version(post: Post, version: int) -> None:
    if post.version != version:
        raise Conflict(
            f"version: post {post.id} is at version {post.version}, not {version}; "
            "it changed since it was shown — reload and look again"
        )


def edit_post(
    *, session: Session, post_id: int, data: PostEdit, actor: str, writer_id: int | None = None
) -> Post:
    """Change a post; content changes send it back to review and unbind its approval.

    Every edit makes a new version, and its editor (``writer_id``; None for the system) is
    now who wrote it: they may not approve it, and the original author, who did not write
    these words, may.
    """
    post = get_post(session=session, post_id=post_id, lock=True)
    expect_version(post, data.version)
    deliveries = deliveries_of(session=session, post_id=post_id, lock=True)
    if any(d.status in IN_FLIGHT for d in deliveries):
        raise Conflict("post: a delivery of this post is going out right now; edit it after")
    before = _snapshot(post)
    if data.featured is not None:
        _featured(session, post.production_id, data.featured)
    changes = data.model_dump(
        exclude_unset=True, exclude={"version", "anchor", "account_ids", "media"}
    )
    for name, value in changes.items():
        setattr(post, name, value.value if hasattr(value, "value") else value)
    if data.media is not None:
        post.media = attach(session=session, production_id=post.production_id, given=data.media)
    if data.anchor is not None:
        _set_anchor(post, data.anchor)
    production = get_production(session=session, production_id=post.production_id)
    plan = plan_for(session, production, anchor_of(post))
    current = {d.account_id: d for d in deliveries}
    # Left as they were: the accounts it still goes to, less any removed since.
    account_ids = data.account_ids or in_use(
        session, [d.account_id for d in deliveries if d.status != DeliveryStatus.cancelled]
    )
    accounts = target_accounts(session, production, account_ids)
    check_renders(post, production, plan, accounts)
    retarget(session, post, current, accounts, plan)
    post.version += 1
    post.written_by_id = writer_id
    post.updated_at = utcnow()
    if post.status in (PostStatus.approved, PostStatus.in_review):
        post.status = PostStatus.in_review.value
    save_recorded(
        session, post, actor=actor, action="post.edited", before=before, after=_snapshot(post)
    )
    return post


def _snapshot(post: Post) -> dict[str, Any]:
    return {
        "version": post.version,
        "status": post.status,
        "template": post.template,
        "body": post.body,
        "variables": post.variables,
        "tags": post.tags,
        "media": post.media,
        "featured": post.featured,
        "anchor": anchor_of(post).model_dump(mode="json"),
        "latest_at": post.latest_at.isoformat() if post.latest_at else None,
    }
