"""The first page after signing in: what waits for this person, by their role in each
production — reviews for a producer, drafts and returned posts for a marketer, deliveries that
need a person for whoever may act on them — and the productions they can open.

A fixed number of queries, whatever the number of productions or posts: one per list, each
capped at ``SHOWN`` rows with the total beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from scheduler.core.models import (
    Account,
    Delivery,
    DeliveryStatus,
    Post,
    PostStatus,
    Production,
    Role,
)
from scheduler.http.access import Access, AccessDep
from scheduler.http.deps import SessionDep
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)

#: Rows a list on the home page shows; the rest are counted.
SHOWN = 20
#: Deliveries that wait for a person (``scheduler.posts.deliveries`` says what each allows).
NEED_A_PERSON = (DeliveryStatus.failed, DeliveryStatus.held, DeliveryStatus.unknown)


@dataclass(frozen=True)
class Waiting:
    """One list of the home page: its rows (at most ``SHOWN``) and how many there are."""

    rows: list[tuple[Post, Production]]
    total: int


@router.get("/")
def home(request: Request, access: AccessDep, session: SessionDep) -> Response:
    productions = _productions(session, access)
    reviews = _posts(session, access, Role.producer, (PostStatus.in_review,))
    drafts = _posts(session, access, Role.marketer, (PostStatus.draft, PostStatus.rejected))
    problems, problem_total = _problems(session, access)
    return page(
        request,
        "home.html",
        session=session,
        access=access,
        productions=productions,
        reviews=reviews,
        drafts=drafts,
        problems=problems,
        problem_total=problem_total,
        roles=access.roles,
    )


def _where(access: Access, role: Role) -> list[int] | None:
    """The productions where the person holds ``role`` or above (``None``: all of them)."""
    if access.site_admin:
        return None
    return [pid for pid, held in access.roles.items() if held.rank >= role.rank]


def _productions(session: Session, access: Access) -> list[Production]:
    query = select(Production).order_by(col(Production.title))
    visible = access.visible()
    if visible is not None:
        query = query.where(col(Production.id).in_(visible))
    return list(session.exec(query))


def _posts(session: Session, access: Access, role: Role, states: tuple[PostStatus, ...]) -> Waiting:
    where = _where(access, role)
    query = (
        select(Post, Production)
        .join(Production, col(Production.id) == col(Post.production_id))
        .where(col(Post.status).in_(states))
    )
    count = select(func.count()).select_from(Post).where(col(Post.status).in_(states))
    if where is not None:
        query = query.where(col(Post.production_id).in_(where))
        count = count.where(col(Post.production_id).in_(where))
    rows = session.exec(query.order_by(col(Post.updated_at).desc()).limit(SHOWN)).all()
    return Waiting(rows=[(p, prod) for p, prod in rows], total=session.exec(count).one())


def _problems(session: Session, access: Access) -> tuple[list[tuple[Delivery, Post, Account]], int]:
    where = _where(access, Role.producer)
    query = (
        select(Delivery, Post, Account)
        .join(Post, col(Post.id) == col(Delivery.post_id))
        .join(Account, col(Account.id) == col(Delivery.account_id))
        .where(col(Delivery.status).in_(NEED_A_PERSON))
    )
    count = (
        select(func.count())
        .select_from(Delivery)
        .join(Post, col(Post.id) == col(Delivery.post_id))
        .where(col(Delivery.status).in_(NEED_A_PERSON))
    )
    if where is not None:
        query = query.where(col(Post.production_id).in_(where))
        count = count.where(col(Post.production_id).in_(where))
    rows = session.exec(query.order_by(col(Delivery.due_at)).limit(SHOWN)).all()
    return [(d, p, a) for d, p, a in rows], session.exec(count).one()
